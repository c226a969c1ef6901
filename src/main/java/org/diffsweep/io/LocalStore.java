package org.diffsweep.io;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The local file system. Qualified paths are written as Hadoop writes them ({@code file:/abs/path}), so that a config
 * qualified here and one qualified by the Hadoop store name the same files alike.
 */
final class LocalStore implements Store {

    static final LocalStore INSTANCE = new LocalStore();

    private LocalStore() {
    }

    @Override
    public String qualify(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("path '" + path + "', expected a file path");
        }
        String scheme = scheme(path);
        if (scheme != null && !scheme.equals("file")) {
            throw new IllegalArgumentException(path + ": scheme '" + scheme + "' needs the Hadoop file systems, "
                    + "expected a local path here");
        }
        return "file:" + local(path).toString();
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(local(path));
    }

    @Override
    public InputStream open(String path) throws IOException {
        Path p = local(path);
        if (!Files.exists(p)) {
            throw new NoSuchFileException(path);
        }
        return Files.newInputStream(p);
    }

    /** The absolute local path of a plain or {@code file:} path. */
    static Path local(String path) {
        if (path.startsWith("file:")) {
            String rest = path.substring("file:".length());
            // file:/abs, file:///abs and file://localhost/abs all name /abs
            URI uri = URI.create("file:" + rest.replace(" ", "%20"));
            if (uri.getPath() == null) {
                throw new IllegalArgumentException(path + ": expected file:/absolute/path");
            }
            return Path.of(uri.getPath()).toAbsolutePath().normalize();
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    /** The scheme of a URI-like path ({@code s3a}, {@code file}), or null for a plain path. */
    static String scheme(String path) {
        int colon = path.indexOf(':');
        if (colon < 2) { // a single letter would be a Windows drive; none here, but never a scheme we serve
            return null;
        }
        String s = path.substring(0, colon);
        return s.matches("[A-Za-z][A-Za-z0-9+.-]*") ? s : null;
    }
}
