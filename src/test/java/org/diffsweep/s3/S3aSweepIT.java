package org.diffsweep.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The main demo's pipeline (conf/fmnist-demo.yaml, cut to 16 seeds, two samplers, one NFE) with its model,
 * detector, reference statistics and output on s3a://, against a real S3 server on 127.0.0.1 (s3proxy, a child
 * JVM), run as a user runs it: the {@code diffsweep run} command line in a JVM of its own, the S3A settings as
 * {@code -Dspark.hadoop.fs.s3a.*} and the credentials in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY), never in the config file.
 *
 * <ul>
 *   <li>the s3a run's FID table equals a local-disk run's of the same config, every (config, seed) row once;
 *   <li>the server killed mid-sweep and restarted: the sweep retries or fails (in one line naming the block's
 *       s3a:// URI), a rerun takes over the dead run's lock and completes with every row once and the same table
 *       (the rerun resumes: blocks committed before the kill are kept, the rest made);
 *   <li>a run on an output another run holds is refused in one line (exit code 2) and writes nothing there;
 *   <li>a wrong secret fails in one line that names the path and not the secret;
 *   <li>the secret is in no object, no local file and no output or log of any of these runs.
 * </ul>
 */
@Tag("spark")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3aSweepIT {

    static final int SEEDS = 16;
    static final int BLOCK = 2;
    static final String[] SAMPLERS = {"euler", "dpmpp-2m"};
    static final int NFE = 5;
    /** Every run uses the same master, so every task has the same libtorch threads and the same bits. */
    static final String MASTER = "local[2]";
    static final long CHILD_TIMEOUT_S = 420;
    static final String[] SHIPPED = {"fmnist-edm-denoiser.pt", "fmnist-features.pt", "fmnist-train-features.npz",
        "fmnist-train-features.json"};

    private Path work;
    private S3Proxy s3;
    private String bucket;
    /** Folders of the child runs: their config, working and temp folders, stdout and stderr. */
    private final List<Path> runs = new ArrayList<>();
    private Map<String, List<Double>> localTable;

    @BeforeAll
    void startServer() throws IOException {
        work = SparkTestSupport.tempDir("s3a").toAbsolutePath();
        s3 = S3Proxy.start(work.resolve("s3"));
        bucket = "diffsweep-it-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        s3.createBucket(bucket);
        for (String f : SHIPPED) {
            s3.put(bucket, "models/" + f, Path.of("models", f));
        }
        // The test JVM reads outputs back through its own Spark session: this bucket's settings only.
        org.apache.hadoop.conf.Configuration conf = spark().sparkContext().hadoopConfiguration();
        s3.s3aSettings().forEach((k, v) -> conf.set(k.replace("fs.s3a.", "fs.s3a.bucket." + bucket + "."), v));
        conf.set("fs.s3a.bucket." + bucket + ".access.key", s3.accessKey());
        conf.set("fs.s3a.bucket." + bucket + ".secret.key", s3.secretKey());
    }

    @AfterAll
    void stopServer() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    @Order(1)
    void sweepAndFidOnS3aMatchALocalRun() throws Exception {
        String out = s3a("runs/a");
        Child run = cli("a", config(out, true), out, credentialsInEnvironment(), Map.of(), null);
        assertEquals(0, run.rc(), run.describe());
        assertTrue(exists(out + "/fid/_COMPLETE"), "no fid/_COMPLETE on s3a");
        assertRowsOnce(out);
        assertEquals(localTable(), table(out), "FID table on s3a vs the local run's");
    }

    @Test
    @Order(2)
    void serverKilledMidSweepThenRerunCompletesEveryRowOnce() throws Exception {
        String out = s3a("runs/b");
        Path features = s3.data().resolve(bucket).resolve("runs/b/sweep/features");
        int total = SAMPLERS.length * (SEEDS / BLOCK);
        int[] atKill = {-1};
        // S3A's default retries ride out a 3 s outage (the run then completes, slower); with one quick retry the
        // run fails, so that the rerun has to resume a half-written sweep on s3a, which is what this case is for.
        Map<String, String> fewRetries = Map.of("spark.hadoop.fs.s3a.retry.limit", "1",
                "spark.hadoop.fs.s3a.retry.interval", "100ms", "spark.hadoop.fs.s3a.attempts.maximum", "1");
        Child first = cli("b1", config(out, true), out, credentialsInEnvironment(), fewRetries, process -> {
            // Kill the server as soon as a block is committed (the filesystem backend shows each object as a file).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
            while (process.isAlive() && System.nanoTime() < deadline) {
                int committed = committedBlocks(features);
                if (committed > 0) {
                    s3.kill();
                    atKill[0] = committed;
                    sleep(3000);
                    try {
                        s3.start();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return;
                }
                sleep(20);
            }
        });
        assertTrue(atKill[0] > 0, "the server was never killed: no block committed; " + first.describe());
        assertTrue(atKill[0] < total, "the sweep had committed all " + total + " blocks before the kill: the kill "
                + "came too late to test anything");
        System.out.printf("s3a kill: server killed with %d of %d blocks committed; the run then %s (rc %d, %.0f s)%n",
                atKill[0], total, first.rc() == 0 ? "completed (S3A retried)" : "failed", first.rc(), first.seconds());
        if (first.rc() != 0) {
            List<String> failures = first.err().lines().filter(l -> l.startsWith("diffsweep: failed:")).toList();
            assertEquals(1, failures.size(), "one failure line expected: " + first.describe());
            assertTrue(failures.get(0).contains("s3a://" + bucket + "/runs/b/"), "the failure line names no s3a URI "
                    + "of the output (s3a://" + bucket + "/runs/b/...): " + failures.get(0));
            first.err().lines().filter(l -> l.startsWith("diffsweep: ")).forEach(l -> System.out.println("  " + l));
        }

        // The failed run removes its lock if the server is back by then; if not, the lock names a process that is
        // gone. Either way the rerun finds one of those: a lock of a process on this host that has ended.
        String lock = out + "/" + org.diffsweep.spark.OutputLock.NAME;
        if (!exists(lock)) {
            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            try (java.io.OutputStream o = fs(lock).create(new org.apache.hadoop.fs.Path(lock), true)) {
                // the lock file's fields (README, "Outputs and resume")
                o.write(("{\"id\": \"b1\", \"host\": \"" + java.net.InetAddress.getLocalHost().getHostName()
                        + "\", \"pid\": " + gone.pid() + ", \"command\": \"run fmnist-s3a\", \"started\": \"then\", "
                        + "\"heartbeat_ms\": " + System.currentTimeMillis() + "}").getBytes(StandardCharsets.UTF_8));
            }
        }
        Child rerun = cli("b2", config(out, true), out, credentialsInEnvironment(), Map.of(), null);
        assertEquals(0, rerun.rc(), rerun.describe());
        assertTrue(rerun.err().contains("diffsweep: warning: taking over the stale lock " + lock + " of pid ")
                && rerun.err().contains("on this host is gone"), "no takeover of the dead run's lock: " + rerun.describe());
        assertFalse(exists(lock), "the rerun left its lock");
        java.util.regex.Matcher resumed = java.util.regex.Pattern.compile("(\\d+) already committed, (\\d+) to run")
                .matcher(rerun.out());
        if (resumed.find()) {
            int kept = Integer.parseInt(resumed.group(1));
            System.out.printf("s3a kill: the rerun kept %d committed blocks and made %s%n", kept, resumed.group(2));
            assertTrue(kept >= atKill[0], "the rerun kept " + kept + " blocks, " + atKill[0] + " were committed "
                    + "before the kill");
        }
        assertTrue(exists(out + "/fid/_COMPLETE"), "no fid/_COMPLETE on s3a after the rerun");
        assertRowsOnce(out);
        assertEquals(localTable(), table(out), "FID table after the kill and rerun vs the local run's");
    }

    /**
     * A run on an output another run holds (here: this JVM, heartbeat running) is refused in one line naming the
     * holder, exit code 2, before it writes anything there.
     */
    @Test
    @Order(3)
    void aRunOnAnOutputAnotherRunHoldsIsRefusedInOneLine() throws Exception {
        String out = s3a("runs/d");
        org.apache.hadoop.conf.Configuration conf = spark().sparkContext().hadoopConfiguration();
        try (org.diffsweep.spark.OutputLock held = org.diffsweep.spark.OutputLock.acquire(
                new org.apache.hadoop.fs.Path(out), conf, "run holder", java.time.Duration.ofMinutes(5))) {
            Child run = cli("d", config(out, true), out, credentialsInEnvironment(), Map.of(), null);
            assertEquals(2, run.rc(), run.describe());
            List<String> lines = run.err().lines().filter(l -> l.startsWith("diffsweep: ")).toList();
            assertEquals(1, lines.size(), "one line expected: " + run.describe());
            assertTrue(lines.get(0).startsWith("diffsweep: error: output " + out + " is in use by another run: pid "
                    + ProcessHandle.current().pid()) && lines.get(0).contains("'run holder'"), lines.get(0));
            List<String> objects = new ArrayList<>();
            org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it =
                    fs(out).listFiles(new org.apache.hadoop.fs.Path(out), true);
            while (it.hasNext()) {
                objects.add(it.next().getPath().getName());
            }
            assertEquals(List.of(org.diffsweep.spark.OutputLock.NAME), objects, "the refused run wrote something");
            System.out.println("s3a held output: rc " + run.rc() + ": " + lines.get(0));
        }
        assertFalse(exists(out + "/" + org.diffsweep.spark.OutputLock.NAME), "the test's lock is left");
    }

    @Test
    @Order(4)
    void wrongSecretFailsInOneLineNamingThePathNotTheSecret() throws Exception {
        String out = s3a("runs/c");
        String wrong = new StringBuilder(s3.secretKey()).reverse().toString();
        Map<String, String> props = Map.of("spark.hadoop.fs.s3a.access.key", s3.accessKey(),
                "spark.hadoop.fs.s3a.secret.key", wrong);
        Child run = cli("c", config(out, true), out, Map.of(), props, null);
        assertNotEquals(0, run.rc(), run.describe());
        List<String> errors = run.err().lines().filter(l -> l.startsWith("diffsweep: ")).toList();
        assertEquals(1, errors.size(), "one error line expected: " + run.describe());
        String line = errors.get(0);
        assertTrue(line.contains("s3a://" + bucket + "/"), "the error names no s3a path: " + line);
        for (String secret : List.of(wrong, s3.secretKey())) {
            assertFalse(run.out().contains(secret) || run.err().contains(secret), "a secret in the output: "
                    + run.describe());
        }
        System.out.println("s3a wrong secret: rc " + run.rc() + ": " + line);
    }

    /** Runs last: greps every object, every local file the runs wrote and every output and log for the secret. */
    @Test
    @Order(5)
    void theSecretIsInNoObjectFileOrLog() throws IOException {
        assertFalse(runs.isEmpty(), "no runs to check");
        byte[] secret = s3.secretKey().getBytes(StandardCharsets.US_ASCII);
        List<Path> roots = new ArrayList<>(runs);
        roots.add(s3.data());
        List<String> found = new ArrayList<>();
        long files = 0;
        long bytes = 0;
        for (Path root : roots) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path f : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                    byte[] b = Files.readAllBytes(f);
                    files++;
                    bytes += b.length;
                    if (indexOf(b, secret) >= 0) {
                        found.add(f.toString());
                    }
                }
            }
        }
        System.out.printf("s3a secret grep: %d files, %.1f MB (objects, local files, outputs and logs of %d runs)%n",
                files, bytes / 1e6, runs.size());
        assertTrue(files > 20, "too few files to check: " + files);
        assertEquals(List.of(), found, "files holding the secret");
    }

    // ---- runs

    /** A child run: exit code, stdout, stderr, wall time. */
    record Child(int rc, String out, String err, double seconds, Path dir) {
        String describe() {
            return "rc " + rc + " in " + dir + "\n--- stdout (tail)\n" + tail(out) + "\n--- stderr (tail)\n" + tail(err);
        }

        static String tail(String s) {
            return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
        }
    }

    /**
     * {@code diffsweep run CONFIG --out OUT --master MASTER} in a JVM of its own, as bin/diffsweep runs it (Spark's
     * JVM flags, the classes and their dependencies), in a fresh folder that is its working and temp folder.
     */
    Child cli(String name, String yaml, String out, Map<String, String> env, Map<String, String> props,
              java.util.function.Consumer<Process> whileRunning) throws Exception {
        Path dir = Files.createDirectories(work.resolve("runs").resolve(name));
        runs.add(dir);
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, yaml);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // C1 only and the serial collector: half the CPU of a run this short (the numbers are native: same bits).
        cmd.addAll(List.of("-Xmx2g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.addAll(List.of(Files.readString(Path.of("target/jvm-flags.txt")).trim().split("\\s+")));
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-Dspark.hadoop.hadoop.tmp.dir=" + tmp.resolve("hadoop"));
        s3.s3aSettings().forEach((k, v) -> cmd.add("-Dspark.hadoop." + k + "=" + v));
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", childClassPath(), "org.diffsweep.cli.Main", "run", config.toString(), "--out", out,
                "--master", MASTER));
        Path stdout = dir.resolve("stdout.log");
        Path stderr = dir.resolve("stderr.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        try {
            if (whileRunning != null) {
                whileRunning.accept(p);
            }
            if (!p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
                fail("diffsweep run " + name + " did not end within " + CHILD_TIMEOUT_S + " s; see " + dir);
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
        Child c = new Child(p.exitValue(), Files.readString(stdout), Files.readString(stderr),
                (System.nanoTime() - t0) / 1e9, dir);
        System.out.printf("s3a run %s: rc %d, %.1f s%n", name, c.rc(), c.seconds());
        return c;
    }

    /** The local-disk run of the same config (made once), as config_id → [n, fid, fid_se]. */
    Map<String, List<Double>> localTable() throws Exception {
        if (localTable == null) {
            String out = work.resolve("local-out").toString();
            Child run = cli("local", config(out, false), out, Map.of(), Map.of(), null);
            assertEquals(0, run.rc(), run.describe());
            assertRowsOnce(out);
            localTable = table(out);
            assertEquals(SAMPLERS.length, localTable.size(), "local table " + localTable);
        }
        return localTable;
    }

    /**
     * conf/fmnist-demo.yaml cut small: its model, detector, reference and process, 16 seeds in blocks of 2, two
     * samplers at one NFE; the three files on s3a or on the local disk. No credentials: those are not config.
     */
    String config(String out, boolean onS3a) throws IOException {
        String demo = Files.readString(Path.of("conf/fmnist-demo.yaml"));
        int samplers = demo.indexOf("\nsamplers:");
        assertTrue(samplers > 0, "conf/fmnist-demo.yaml has no samplers: list");
        StringBuilder list = new StringBuilder("\nsamplers:\n");
        for (String s : SAMPLERS) {
            list.append("  - name: ").append(s).append('\n');
        }
        list.append("grids:\n  - { name: edm, rho: 7 }\nnfe: [").append(NFE).append("]\n");
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("name: fmnist-demo", "name: fmnist-s3a");
        edits.put("output: ../runs/fmnist-demo", "output: " + out);
        for (String f : SHIPPED) {
            edits.put("../models/" + f, onS3a ? s3a("models/" + f) : Path.of("models", f).toAbsolutePath().toString());
        }
        edits.put("batch: 250", "batch: 8");
        edits.put("batch: 500", "batch: 8");
        edits.put("seeds: { start: 0, count: 1000 }", "seeds: { start: 0, count: " + SEEDS + " }");
        edits.put("block_size: 250", "block_size: " + BLOCK);
        edits.put("batch_size: 250", "batch_size: " + BLOCK);
        edits.put("grid_images: 64", "grid_images: " + BLOCK);
        // the demo's metrics stage, shrunk with the seeds; its real features stay on local disk
        edits.put("subset_size: 500", "subset_size: " + BLOCK);
        edits.put("samples: 1000", "samples: " + SEEDS);
        edits.put("../models/fmnist-train-features.features.parquet",
                Path.of("models", "fmnist-train-features.features.parquet").toAbsolutePath().toString());
        String yaml = demo.substring(0, samplers);
        for (Map.Entry<String, String> e : edits.entrySet()) {
            if (e.getKey().endsWith(".json")) {
                continue; // not named in the config: found beside the .npz
            }
            assertTrue(yaml.contains(e.getKey()), "conf/fmnist-demo.yaml changed: no '" + e.getKey() + "'");
            yaml = yaml.replace(e.getKey(), e.getValue());
        }
        return yaml + list;
    }

    // ---- reading back (through the test JVM's Spark session)

    static SparkSession spark() {
        return SparkTestSupport.spark();
    }

    /** Every (config, seed) row of the sweep's features exactly once, and nothing else. */
    void assertRowsOnce(String out) throws Exception {
        List<Row> rows = spark().read().option("recursiveFileLookup", "true").parquet(out + "/sweep/features")
                .select("config_id", "seed").collectAsList();
        Map<String, Integer> count = new TreeMap<>();
        for (Row r : rows) {
            count.merge(r.getString(0) + " seed " + r.getLong(1), 1, Integer::sum);
        }
        Map<String, Integer> expected = new TreeMap<>();
        for (String id : table(out).keySet()) {
            for (long s = 0; s < SEEDS; s++) {
                expected.put(id + " seed " + s, 1);
            }
        }
        assertEquals(expected, count, out + ": (config, seed) rows");
    }

    /** The fid table as config_id → [n, fid, fid_se]. */
    static Map<String, List<Double>> table(String out) {
        Map<String, List<Double>> t = new TreeMap<>();
        for (Row r : spark().read().parquet(out + "/fid/table.parquet").collectAsList()) {
            t.put(r.getAs("config_id"), List.of((double) (long) r.getAs("n"), r.getAs("fid"), r.getAs("fid_se")));
        }
        return t;
    }

    org.apache.hadoop.fs.FileSystem fs(String path) throws IOException {
        return new org.apache.hadoop.fs.Path(path).getFileSystem(spark().sparkContext().hadoopConfiguration());
    }

    boolean exists(String path) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        return p.getFileSystem(spark().sparkContext().hadoopConfiguration()).exists(p);
    }

    // ---- helpers

    String s3a(String key) {
        return "s3a://" + bucket + "/" + key;
    }

    Map<String, String> credentialsInEnvironment() {
        return Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
    }

    /** Committed block files under a features folder of the server's backend. */
    static int committedBlocks(Path features) {
        if (!Files.isDirectory(features)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(features)) {
            return (int) all.filter(f -> f.getFileName().toString().matches("block-\\d+-\\d+\\.parquet")
                    && Files.isRegularFile(f)).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0; // a folder changed while listing: look again
        }
    }

    /**
     * The child's class path: the main classes and every dependency of the test JVM's, less the test classes and
     * the test framework (the same jars bin/diffsweep takes from target/classpath-*.txt, which the build writes
     * only at package).
     */
    static String childClassPath() {
        List<String> cp = new ArrayList<>();
        cp.add(Path.of("target/classes").toAbsolutePath().toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = e.replace('\\', '/');
            if (n.isEmpty() || n.endsWith("/test-classes") || n.endsWith("/classes") || n.contains("/org/junit/")
                    || n.contains("/org/opentest4j/") || n.contains("/org/apiguardian/") || n.contains("surefire")) {
                continue;
            }
            cp.add(e);
        }
        if (cp.stream().noneMatch(e -> e.contains("spark-sql_")) || cp.stream().noneMatch(e -> e.contains("hadoop-aws"))) {
            fail("the test JVM's class path lacks Spark or hadoop-aws: " + System.getProperty("java.class.path"));
        }
        return String.join(File.pathSeparator, cp);
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
