package org.diffsweep.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffsweep.config.ConfigException;

/** Fails fast, before Spark starts, when a local output directory cannot be written. */
final class LocalOutput {

    private LocalOutput() {
    }

    /** Checks a local output path (no scheme or {@code file:}); other file systems are checked by the jobs. */
    static void requireWritable(String output) {
        URI uri;
        try {
            uri = new URI(output);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri != null && uri.getScheme() != null && !uri.getScheme().equals("file")) {
            return;
        }
        Path path = uri != null && "file".equals(uri.getScheme()) ? Path.of(uri.getPath()) : Path.of(output);
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new ConfigException("output " + output + ": no existing parent directory, expected a writable path");
        }
        if (!Files.isDirectory(p)) {
            throw new ConfigException("output " + output + ": " + p + " is a file, expected a writable directory");
        }
        if (!Files.isWritable(p)) {
            throw new ConfigException("output " + output + ": " + p + " is not writable, expected a writable directory");
        }
    }
}
