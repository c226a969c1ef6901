package org.diffsweep.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A store whose relative paths resolve against a base directory instead of the working directory: the view a
 * config file's paths are qualified through, so that a config names the files beside it. An absolute path, or a URI
 * with a scheme, is qualified as the underlying store qualifies it.
 */
final class RelativeStore implements Store {

    private final Store store;
    private final String base;

    /** {@code base}: a qualified directory of {@code store} ({@code file:/abs/dir}, {@code hdfs://nn/dir}). */
    RelativeStore(Store store, String base) {
        this.store = store;
        this.base = base.endsWith("/") ? base : base + "/";
    }

    @Override
    public String qualify(String path) {
        if (path == null || path.isBlank() || !isRelative(path)) {
            return store.qualify(path);
        }
        return store.qualify(base + path);
    }

    @Override
    public Store relativeTo(String dir) {
        return new RelativeStore(store, dir);
    }

    @Override
    public Store fromWorkingDirectory() {
        return store;
    }

    @Override
    public boolean exists(String path) throws IOException {
        return store.exists(path);
    }

    @Override
    public InputStream open(String path) throws IOException {
        return store.open(path);
    }

    @Override
    public List<String> readLines(String path) throws IOException {
        return store.readLines(path);
    }

    /** A path with neither a scheme nor a leading '/'. */
    static boolean isRelative(String path) {
        return !path.startsWith("/") && LocalStore.scheme(path) == null;
    }
}
