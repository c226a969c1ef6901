package org.diffsweep.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffsweep.config.ConfigException;

/** Fails fast, before Spark starts, when an output directory cannot be written (local) or reached (remote). */
final class LocalOutput {

    private LocalOutput() {
    }

    /**
     * Checks that the file system of a remote output answers (a listing of the output path), with few retries, so
     * that an unreachable cluster or a bad bucket is one line naming the path instead of a failure after Spark
     * started. The probe uses its own file-system instance: the jobs' instances keep the configured retries.
     */
    private static void requireReachable(String output, URI uri) {
        org.apache.hadoop.conf.Configuration conf = org.diffsweep.spark.HadoopStore.driverConf();
        conf.setInt("ipc.client.connect.max.retries", 0);
        conf.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
        conf.setInt("fs.s3a.retry.limit", 1);
        conf.setInt("fs.s3a.attempts.maximum", 1);
        try (org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.newInstance(uri, conf)) {
            fs.exists(new org.apache.hadoop.fs.Path(output));
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigException("output " + output + ": cannot reach it ("
                    + org.diffsweep.family.Family.rootLine(e) + "), expected a writable path on a reachable file system");
        }
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
            requireReachable(output, uri);
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
        // Permission bits do not tell everything (root may "write" /proc; a read-only mount): try it.
        try {
            Files.delete(Files.createTempDirectory(p, ".diffsweep-probe-"));
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigException("output " + output + ": cannot create a directory in " + p + " ("
                    + e.getClass().getSimpleName() + "), expected a writable directory");
        }
    }
}
