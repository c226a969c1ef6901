package org.diffsweep.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Where a config's files live, as the driver sees them: it turns every path a config names into a fully qualified
 * one (scheme and absolute path) before anything is planned, so that executors on other machines, or in other
 * working directories, read and write the same files; and it reads the small files a config is parsed with (score
 * tables, schedules). {@link #local()} is the local file system; the Spark layer supplies one over every Hadoop file
 * system ({@code hdfs://}, {@code s3a://}, ...).
 */
public interface Store {

    /**
     * The path fully qualified: a relative path against the working directory of its file system, a path without
     * a scheme on the default file system.
     *
     * @throws IllegalArgumentException naming the path if it cannot be qualified (an unknown scheme, a malformed
     *                                  URI)
     */
    String qualify(String path);

    /**
     * This store with relative paths qualified against {@code dir} instead of the working directory: the view a
     * config file's paths go through, {@code dir} being the qualified folder that holds the file. Absolute paths
     * and URIs with a scheme are qualified as before; reading is unchanged.
     */
    default Store relativeTo(String dir) {
        return new RelativeStore(this, dir);
    }

    /** This store with relative paths qualified against the working directory again (undoes {@link #relativeTo}). */
    default Store fromWorkingDirectory() {
        return this;
    }

    /** Whether a file or directory exists at a qualified path. */
    boolean exists(String path) throws IOException;

    /** Opens a qualified path for reading. */
    InputStream open(String path) throws IOException;

    /** The lines of a small text file at a qualified path (UTF-8). */
    default List<String> readLines(String path) throws IOException {
        try (InputStream in = open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** The local file system, with the JVM's working directory. */
    static Store local() {
        return LocalStore.INSTANCE;
    }
}
