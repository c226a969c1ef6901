package org.diffsweep.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster started with {@code deploy/standalone/start.sh} (one master, workers on 127.0.0.1, each
 * its own JVM), and diffsweep drivers run against it as child JVMs the way spark-submit would run them: the cluster
 * jar first on the class path, then Spark's jars, {@code conf/spark-defaults.conf} as properties, and the cluster
 * jar plus the libtorch native jar in {@code spark.jars} so that the executors fetch them from the driver.
 *
 * <p>{@link #close()} stops every driver it started and runs {@code stop.sh}, which stops the master, the workers and
 * the executors they launched; a JVM shutdown hook does the same if the test JVM exits first.
 */
final class StandaloneCluster implements AutoCloseable {

    static final Path REPO = Path.of("").toAbsolutePath();
    static final Path TARGET = REPO.resolve("target");
    static final String EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

    final Path state;
    final String master;
    final Path clusterJar;
    final Path nativeJar;
    private final List<Process> drivers = new CopyOnWriteArrayList<>();
    private final Thread hook;
    private volatile boolean closed;

    /** The cluster jar, or empty when it has not been built. */
    static Optional<Path> findClusterJar() throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            return files.filter(p -> p.getFileName().toString().matches("diffsweep-.*-cluster\\.jar")).findFirst();
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The newest file under src/main that is newer than the jar, if any: the jar would run older code. */
    static Optional<Path> newerSource(Path jar) throws IOException {
        long built = Files.getLastModifiedTime(jar).toMillis();
        try (Stream<Path> files = Files.walk(REPO.resolve("src/main"))) {
            return files.filter(Files::isRegularFile).filter(p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis() > built;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).findFirst();
        }
    }

    private StandaloneCluster(Path state, String master, Path clusterJar, Path nativeJar, Thread hook) {
        this.state = state;
        this.master = master;
        this.clusterJar = clusterJar;
        this.nativeJar = nativeJar;
        this.hook = hook;
    }

    /**
     * Starts a cluster of {@code workers} workers of one core and 1 GB each, on free ports, with its state under
     * {@code state}.
     */
    static StandaloneCluster start(Path state, int workers, Path clusterJar) throws Exception {
        Path nativeJar = Stream.of(Files.readString(TARGET.resolve("classpath-runtime.txt")).trim().split(":"))
                .map(Path::of).filter(p -> p.getFileName().toString().startsWith("pytorch-native-cpu-"))
                .findFirst().orElseThrow(() -> new IllegalStateException(
                        "no pytorch-native-cpu jar in target/classpath-runtime.txt"));
        Files.createDirectories(state);
        // Registered before anything starts: whatever start.sh got running is stopped even if the JVM exits now.
        Thread hook = new Thread(() -> stopScript(state), "standalone-cluster-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        Path out = state.resolve("start.out");
        Path err = state.resolve("start.err");
        Process p = new ProcessBuilder("bash", REPO.resolve("deploy/standalone/start.sh").toString(),
                "--workers", Integer.toString(workers), "--cores", "1", "--memory", "1g",
                "--port", "0", "--webui-port", "0", "--state-dir", state.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(out);
        String master = lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
        if (!p.isAlive() && p.exitValue() == 0 && master.startsWith("spark://127.0.0.1:")) {
            return new StandaloneCluster(state, master, clusterJar, nativeJar, hook);
        }
        stopScript(state);
        Runtime.getRuntime().removeShutdownHook(hook);
        throw new IllegalStateException("start.sh failed (exit " + (p.isAlive() ? "none, timed out" : p.exitValue())
                + "): " + Files.readString(err));
    }

    /** The pids start.sh recorded (master, workers). */
    Map<String, Long> daemons() throws IOException {
        Map<String, Long> pids = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(state)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".pid")).sorted().toList()) {
                pids.put(f.getFileName().toString().replace(".pid", ""), Long.parseLong(Files.readString(f).trim()));
            }
        }
        return pids;
    }

    /** The executor JVMs the workers launched (their children running CoarseGrainedExecutorBackend). */
    List<ProcessHandle> executors() throws IOException {
        List<ProcessHandle> executors = new ArrayList<>();
        for (Map.Entry<String, Long> d : daemons().entrySet()) {
            if (!d.getKey().startsWith("worker-")) {
                continue;
            }
            ProcessHandle.of(d.getValue()).ifPresent(worker -> worker.children()
                    .filter(c -> commandLine(c).contains(EXECUTOR_CLASS)).forEach(executors::add));
        }
        return executors;
    }

    static String commandLine(ProcessHandle h) {
        Path proc = Path.of("/proc", Long.toString(h.pid()), "cmdline");
        try {
            return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return h.info().commandLine().orElse("");
        }
    }

    /** A diffsweep driver JVM, as spark-submit would start it in client mode. */
    Process driver(Path cwd, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(Files.readString(TARGET.resolve("jvm-flags.txt")).trim().split("\\s+")));
        for (Map.Entry<String, String> e : sparkDefaults().entrySet()) {
            cmd.add("-D" + e.getKey() + "=" + e.getValue());
        }
        cmd.add("-Dspark.jars=" + clusterJar + "," + nativeJar);
        cmd.add("-Dspark.executor.memory=1g");
        cmd.add("-Dspark.executorEnv.DJL_CACHE_DIR=" + TARGET.resolve("djl-cache"));
        cmd.add("-cp");
        cmd.add(clusterJar + ":" + nativeJar + ":" + state.resolve("spark-home/jars") + "/*");
        cmd.add("org.diffsweep.cli.Main");
        cmd.addAll(List.of(args));
        cmd.add("--master");
        cmd.add(master);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("DJL_CACHE_DIR", TARGET.resolve("djl-cache").toString());
        Process p = pb.start();
        drivers.add(p);
        return p;
    }

    /** conf/spark-defaults.conf, as spark-submit --properties-file reads it. */
    static Map<String, String> sparkDefaults() throws IOException {
        Map<String, String> conf = new LinkedHashMap<>();
        for (String line : Files.readAllLines(REPO.resolve("conf/spark-defaults.conf"))) {
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] kv = l.split("\\s+", 2);
            conf.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return conf;
    }

    /** Runs stop.sh; returns its exit code and output. */
    static Map.Entry<Integer, String> stopScript(Path state) {
        try {
            Path log = state.resolve("stop.log");
            Process p = new ProcessBuilder("bash", REPO.resolve("deploy/standalone/stop.sh").toString(),
                    "--state-dir", state.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Map.entry(-1, "stop.sh timed out");
            }
            return Map.entry(p.exitValue(), Files.readString(log));
        } catch (IOException | InterruptedException e) {
            return Map.entry(-1, e.toString());
        }
    }

    /** Kills every driver still running (a failed case must not keep the cluster's cores from the next one). */
    void stopDrivers() throws InterruptedException {
        for (Process d : drivers) {
            if (d.isAlive()) {
                d.destroyForcibly();
                d.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Stops every driver still running, then the cluster with stop.sh; afterwards no process of the cluster may be
     * left; stop.sh's output is printed.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stopDrivers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Map<String, Long> daemons = daemons();
        List<ProcessHandle> all = new ArrayList<>(executors());
        daemons.values().forEach(pid -> ProcessHandle.of(pid).ifPresent(all::add));
        Map.Entry<Integer, String> stop = stopScript(state);
        System.out.println("cluster-it: " + stop.getValue().trim());
        List<ProcessHandle> left = all.stream().filter(ProcessHandle::isAlive).toList();
        // Last resort: stop.sh failed; kill what is left of ours (handles keep their start time: no pid reuse).
        left.forEach(ProcessHandle::destroyForcibly);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down
        }
        // The executors' copies of the jars (~300 MB per executor): not worth keeping.
        deleteTree(state.resolve("work"));
        if (stop.getKey() != 0 || !left.isEmpty()) {
            throw new IllegalStateException("stop.sh exit " + stop.getKey() + ", still running after it: "
                    + left.stream().map(h -> Long.toString(h.pid())).toList() + "; " + stop.getValue());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Waits for a driver; on timeout it is killed and the wait fails. */
    static int await(Process p, Duration limit, Path log) throws Exception {
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("driver still running after " + limit.toSeconds() + " s; log ends:\n" + tail(log));
        }
        return p.exitValue();
    }

    static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
