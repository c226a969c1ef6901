package org.diffsweep.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Network files on any Hadoop file system: the driver hashes them, executors get a local copy (DJL loads local
 * files), checked against the driver's hash so every executor runs the same weights.
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * What this JVM has already read of a file, keyed by what it read, the file and its length and modification time
     * (a file rewritten since is read again): a driver checks a config's files from several places (the hash, the
     * detector's interface, its protocol, the reference's provenance), and a detector file is 100 MB.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.FutureTask<Object>> READ =
            new java.util.concurrent.ConcurrentHashMap<>();

    private interface Read<T> {
        T from(Path p, FileSystem fs) throws IOException;
    }

    /**
     * The value {@code read} gives for the file, read once per JVM: a second caller for the same key while the first
     * is reading waits for its value rather than reading again. A read that fails is forgotten, so a later caller
     * tries again.
     */
    @SuppressWarnings("unchecked")
    private static <T> T once(String what, Path p, Configuration conf, Read<T> read) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        org.apache.hadoop.fs.FileStatus st = fs.getFileStatus(p);
        String key = what + "|" + st.getPath() + "|" + st.getLen() + "|" + st.getModificationTime();
        java.util.concurrent.FutureTask<Object> mine = new java.util.concurrent.FutureTask<>(() -> read.from(p, fs));
        java.util.concurrent.FutureTask<Object> known = READ.putIfAbsent(key, mine);
        if (known == null) {
            known = mine;
            mine.run();
        }
        try {
            return (T) known.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading " + p);
        } catch (java.util.concurrent.ExecutionException e) {
            READ.remove(key, known);
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IOException(e.getCause());
        }
    }

    /**
     * Starts hashing a file on a daemon thread, so that a later {@link #sha256(String, Configuration)} of it (a table's
     * provenance) finds the hash made, or waits for it, instead of reading the file then. Errors are left for that
     * call to meet and report.
     */
    public static void prefetchSha256(String path, Configuration conf) {
        Thread t = new Thread(() -> {
            try {
                sha256(path, conf);
            } catch (RuntimeException e) {
                // reported by the caller that needs the hash
            }
        }, "diffsweep-hash");
        t.setDaemon(true);
        t.start();
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(String path, Configuration conf) {
        Path p = new Path(path);
        try {
            return once("sha256", p, conf, (q, fs) -> {
                try (InputStream in = fs.open(q)) {
                    return sha256(in);
                }
            });
        } catch (java.io.FileNotFoundException e) {
            throw new org.diffsweep.config.ConfigException("model file " + path + " not found");
        } catch (java.nio.file.AccessDeniedException | RuntimeException e) {
            // no credentials, or none that may read it: the path is wrong for this machine, not the run
            throw new org.diffsweep.config.ConfigException("model file " + path + ": cannot read ("
                    + org.diffsweep.family.Family.rootLine(e) + "), expected a file this machine may read (for "
                    + "s3a://, credentials in the environment or in fs.s3a.*)");
        } catch (IOException e) {
            IOException named = new IOException("cannot read model file " + path + " ("
                    + org.diffsweep.family.Family.rootLine(e) + ")");
            named.addSuppressed(e);
            throw new UncheckedIOException(named);
        }
    }

    static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream d = new DigestInputStream(in, md)) {
                d.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A local file with the given content: the file itself if it is local, else a copy under
     * {@code java.io.tmpdir/diffsweep-models/<sha256>/}, made once per machine.
     */
    public static java.nio.file.Path local(String path, String sha256, Configuration conf) throws IOException {
        Path p = new Path(path);
        String scheme = p.toUri().getScheme();
        java.nio.file.Path local;
        if (scheme == null || scheme.equals("file")) {
            local = java.nio.file.Path.of(p.toUri().getPath());
        } else {
            java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "diffsweep-models",
                    sha256);
            local = dir.resolve(p.getName());
            if (!Files.exists(local)) {
                Files.createDirectories(dir);
                java.nio.file.Path tmp = Files.createTempFile(dir, "copy-", ".part");
                try (InputStream in = p.getFileSystem(conf).open(p)) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (InputStream in = Files.newInputStream(local)) {
            String actual = sha256(in);
            if (!actual.equals(sha256)) {
                throw new IOException("model file " + path + " changed: sha256 " + actual.substring(0, 12)
                        + " on this executor, expected " + sha256.substring(0, 12) + " as the driver read it");
            }
        }
        return local;
    }

    /** Every file of a config resolved to its hash, on the driver's file system. */
    public static org.diffsweep.config.SweepConfig resolve(org.diffsweep.config.SweepConfig config,
                                                         Configuration conf) {
        org.diffsweep.config.SweepConfig resolved = config.resolveFiles(path -> sha256(path, conf),
                d -> resolveDetector(d, conf));
        // A detector of a detectors: list that declares no metric is named by its file's protocol (FID for the
        // Inception interfaces, FD_DINOv2 for a DINOv2 build); a file of no known protocol keeps the default.
        java.util.List<org.diffsweep.config.DetectorSpec> named = new java.util.ArrayList<>();
        for (org.diffsweep.config.DetectorSpec d : resolved.detectors()) {
            org.diffsweep.features.DetectorProtocol p = protocol(d.net(), conf);
            named.add(d.withInferredMetric(p.status() == org.diffsweep.features.DetectorProtocol.Status.UNKNOWN
                    ? null : p.metric()));
        }
        if (resolved.metrics() != null && resolved.metrics().inceptionScore() && resolved.detector() != null) {
            requireClasses(resolved.detector(), conf);
        }
        return resolved.withDetectors(named);
    }

    /**
     * A detector with its hash and feature dimension: the file is read once (hash, and what it says of itself,
     * {@link org.diffsweep.features.DetectorFile}); a weight file or a file that is no network is refused here, before
     * anything runs, and so is a {@code dim} that contradicts the file.
     */
    public static org.diffsweep.config.NetSpec resolveDetector(org.diffsweep.config.NetSpec spec, Configuration conf) {
        org.diffsweep.config.NetSpec hashed = spec.resolve(path -> sha256(path, conf));
        org.diffsweep.features.DetectorFile file;
        try {
            Path p = new Path(spec.path());
            file = p.getName().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")
                    ? new org.diffsweep.features.DetectorFile(org.diffsweep.features.DetectorFile.Kind.ONNX,
                    org.diffsweep.features.DetectorFile.Call.FEATURES, null)
                    : inspect(p, conf);
        } catch (IOException e) {
            throw new org.diffsweep.config.ConfigException("detector " + spec.path() + ": cannot read it ("
                    + e.getMessage() + ")");
        }
        String refusal = file.refusal("detector " + spec.path());
        if (refusal != null) {
            throw new org.diffsweep.config.ConfigException(refusal);
        }
        int stated = file.dim();
        if (spec.dim() == 0) {
            if (stated == 0) {
                throw new org.diffsweep.config.ConfigException("detector " + spec.path() + ": the file does not state"
                        + " its feature dimension, expected dim: (or --dim) with it");
            }
            return hashed.withDim(stated);
        }
        if (stated != 0 && stated != spec.dim()) {
            throw new org.diffsweep.config.ConfigException("detector " + spec.path() + ": dim " + spec.dim()
                    + ", but the file gives " + stated + " features; expected dim: " + stated + " or none");
        }
        return hashed;
    }

    /**
     * The protocol of a config's detector, for table headers and provenance lines on the driver
     * ({@link org.diffsweep.features.DetectorProtocol#header}, {@link org.diffsweep.features.DetectorProtocol#provenance}):
     * the file is read for what it says of itself; its hash is the resolved one.
     */
    public static org.diffsweep.features.DetectorProtocol protocol(org.diffsweep.config.NetSpec detector,
                                                                   Configuration conf) {
        Path p = new Path(detector.path());
        String hash = detector.sha256() != null ? detector.sha256() : sha256(detector.path(), conf);
        if (p.getName().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            return org.diffsweep.features.DetectorProtocol.of(hash, null);
        }
        try {
            return org.diffsweep.features.DetectorProtocol.of(hash, inspect(p, conf));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Refuses, before anything runs, an Inception Score from a detector without class probabilities: only a file
     * with NVIDIA's inception-2015-12-05 interface has the 1008-class output the score needs.
     */
    static void requireClasses(org.diffsweep.config.NetSpec detector, Configuration conf) {
        Path p = new Path(detector.path());
        org.diffsweep.features.DetectorFile file;
        try {
            file = p.getName().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") ? null : inspect(p, conf);
        } catch (IOException e) {
            throw new org.diffsweep.config.ConfigException("detector " + detector.path() + ": cannot read it ("
                    + e.getMessage() + ")");
        }
        if (file == null || file.call() != org.diffsweep.features.DetectorFile.Call.RETURN_FEATURES) {
            throw new org.diffsweep.config.ConfigException("metrics.inception_score with detector " + detector.path()
                    + ", which has no class probabilities; expected a detector with NVIDIA's inception-2015-12-05"
                    + " interface (forward(img, return_features, use_fp16, no_output_bias))");
        }
    }

    private static org.diffsweep.features.DetectorFile inspect(Path p, Configuration conf) throws IOException {
        return once("detector", p, conf, (q, fs) -> {
            try (InputStream in = fs.open(q)) {
                return org.diffsweep.features.DetectorFile.inspect(in);
            }
        });
    }

    /** Whether a path exists (driver side checks). */
    public static boolean exists(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        return fs.exists(p);
    }
}
