package org.diffsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * diffsweep on a real Spark standalone cluster (deploy/standalone/start.sh: a master and two workers of one core on
 * 127.0.0.1), with drivers run from the cluster jar as spark-submit would run them:
 * <ol>
 *   <li>an executor SIGKILLed mid-sweep: the job still succeeds, every (config, seed) row is there exactly once, and
 *   the FID table equals a local-mode run of the same config;</li>
 *   <li>the driver SIGKILLed mid-sweep, then the same command again: only the missing blocks are computed (the
 *   driver says how many were already committed), no duplicates, the same FID table;</li>
 *   <li>conf/fmnist-demo.yaml, cut to a few seeds but with its relative model, detector and reference paths
 *   ({@code ../models/...}), in a conf/ folder beside a models/ one, run from another working directory: the paths
 *   resolve against the config's folder, the network loads on the executors and an executor killed mid-sweep
 *   loses nothing;</li>
 *   <li>conf/gmm-demo.yaml unchanged (relative output {@code ../runs/gmm-demo}), copied into a scratch project's
 *   conf/ and run from the folder above that project: the output lands beside the config's folder, not under the
 *   driver's working directory nor in an executor's.</li>
 * </ol>
 *
 * <p>Skipped when target/diffsweep-*-cluster.jar is absent (build it with
 * {@code mvn -B -ntp -Pcluster -DskipTests package}), unless DIFFSWEEP_REQUIRE_CLUSTER=1 (as in CI): then it fails.
 * The cluster and every driver are stopped afterwards, also when a case fails. Each case prints what it measured
 * on lines starting with {@code cluster-it:}.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {

    static final Duration DRIVER_LIMIT = Duration.ofMinutes(5);
    /** Blocks of the mixture sweep: 2 configs × 6 blocks of 1,000 seeds, about 1 s each on one core. */
    static final int MIXTURE_SEEDS = 6000;
    static final int MIXTURE_BLOCK = 1000;

    static StandaloneCluster cluster;
    static Path work;
    static Path mixtureConfig;
    static Map<String, Map<String, String>> localFid;
    static final Map<String, String> figures = new LinkedHashMap<>();

    @BeforeAll
    static void startCluster() throws Exception {
        Optional<Path> jar = StandaloneCluster.findClusterJar();
        if (jar.isEmpty()) {
            String message = "target/diffsweep-*-cluster.jar is absent; build it with: "
                    + "mvn -B -ntp -Pcluster -DskipTests package";
            if ("1".equals(System.getenv("DIFFSWEEP_REQUIRE_CLUSTER"))) {
                fail(message + " (DIFFSWEEP_REQUIRE_CLUSTER=1: this test must run)");
            }
            Assumptions.abort("skipped: " + message);
        }
        Optional<Path> newer = StandaloneCluster.newerSource(jar.get());
        if (newer.isPresent()) {
            fail(jar.get().getFileName() + " is older than " + StandaloneCluster.REPO.relativize(newer.get())
                    + ": it would run old code; rebuild it with: mvn -B -ntp -Pcluster -DskipTests package");
        }
        work = SparkTestSupport.tempDir("standalone-it").toAbsolutePath();
        long t0 = System.nanoTime();
        cluster = StandaloneCluster.start(work.resolve("state"), 2, jar.get());
        figures.put("cluster start", seconds(t0));
        System.out.println("cluster-it: cluster " + cluster.master + " up in " + figures.get("cluster start")
                + ", state in " + cluster.state);
        mixtureConfig = work.resolve("mixture.yaml");
        Files.writeString(mixtureConfig, mixtureYaml("runs/unused"));
    }

    @AfterEach
    void stopDrivers() throws InterruptedException {
        if (cluster != null) {
            cluster.stopDrivers();
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            figures.forEach((k, v) -> System.out.println("cluster-it: " + k + ": " + v));
        }
    }

    /** A Gaussian-mixture sweep whose blocks take about a second each: a kill lands while blocks are running. */
    static String mixtureYaml(String output) {
        return """
                name: cluster-mixture
                output: %s
                model:
                  type: gmm
                  random: { components: 8, dim: 16, sigma_data: 0.5, seed: 2024 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 80 }
                seeds: { start: 0, count: %d }
                block_size: %d
                batch_size: 500
                samplers: [ { name: heun } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 399, 799 ]
                reference: exact
                """.formatted(output, MIXTURE_SEEDS, MIXTURE_BLOCK);
    }

    // ---------------------------------------------------------------------------------------------- the cases

    @Test
    @Order(1)
    void executorKilledMidSweepLosesNothing() throws Exception {
        Path out = work.resolve("a-out");
        Path log = work.resolve("a-driver.log");
        int blocks = 2 * MIXTURE_SEEDS / MIXTURE_BLOCK;
        long t0 = System.nanoTime();
        Process driver = cluster.driver(StandaloneCluster.REPO, log, "run", mixtureConfig.toString(), "--out",
                out.toString());
        int committedAtKill = killExecutorMidSweep(driver, out, blocks, log);
        int exit = StandaloneCluster.await(driver, DRIVER_LIMIT, log);
        String text = Files.readString(log);
        assertEquals(0, exit, "the driver failed; log ends:\n" + StandaloneCluster.tail(log));
        figures.put("a: run with an executor killed", seconds(t0) + " (killed at " + committedAtKill + "/" + blocks
                + " blocks committed; tasks lost with it: " + count(text, "Lost task") + ")");
        assertTrue(text.contains("Lost executor"), "the driver never saw the executor go:\n" + text);

        assertRowsOnce("a", out, 2, 0, MIXTURE_SEEDS);
        assertEquals(localFid(), fidTable(out), "FID table on the cluster differs from local mode");
        figures.put("a: FID table", "equal to local mode (" + localFid().size() + " configs)");
    }

    @Test
    @Order(2)
    void driverKilledMidSweepResumesOnlyMissingBlocks() throws Exception {
        Path out = work.resolve("b-out");
        Path log1 = work.resolve("b-driver-1.log");
        int blocks = 2 * MIXTURE_SEEDS / MIXTURE_BLOCK;
        long t0 = System.nanoTime();
        Process first = cluster.driver(StandaloneCluster.REPO, log1, "run", mixtureConfig.toString(), "--out",
                out.toString());
        int atKill = awaitCommitted(first, out, 2, blocks, log1);
        first.destroyForcibly(); // SIGKILL
        assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the driver survived SIGKILL");
        long tKill = System.nanoTime();
        // Without their driver the executors exit; a block they were writing may still commit meanwhile.
        while (!cluster.executors().isEmpty()) {
            if (System.nanoTime() - tKill > TimeUnit.SECONDS.toNanos(90)) {
                fail("executors still running 90 s after their driver was killed: " + cluster.executors());
            }
            Thread.sleep(200);
        }
        String executorsGone = seconds(tKill);
        int committed = committedBlocks(out);
        assertTrue(committed >= atKill && committed < blocks, committed + " of " + blocks + " blocks committed");
        assertFalse(Files.exists(out.resolve("sweep/_COMPLETE")));

        Path log2 = work.resolve("b-driver-2.log");
        long t1 = System.nanoTime();
        Process second = cluster.driver(StandaloneCluster.REPO, log2, "run", mixtureConfig.toString(), "--out",
                out.toString());
        int exit = StandaloneCluster.await(second, DRIVER_LIMIT, log2);
        assertEquals(0, exit, "the resumed driver failed; log ends:\n" + StandaloneCluster.tail(log2));
        String text = Files.readString(log2);
        Matcher plan = Pattern.compile("sweep cluster-mixture: \\d+ configs × \\d+ seeds = (\\d+) blocks, (\\d+) "
                + "already committed, (\\d+) to run").matcher(text);
        assertTrue(plan.find(), "no planning line in the resumed driver's log:\n" + text);
        assertEquals(blocks, Integer.parseInt(plan.group(1)));
        assertEquals(committed, Integer.parseInt(plan.group(2)), "blocks found committed on resume");
        assertEquals(blocks - committed, Integer.parseInt(plan.group(3)));
        assertTrue(text.contains("sweep cluster-mixture: done, " + (blocks - committed) + " blocks computed, "
                + committed + " skipped"), text);
        figures.put("b: driver killed", "at " + atKill + "/" + blocks + " blocks committed, " + committed
                + " committed once its executors had exited (" + executorsGone + " after the kill), first run "
                + secondsBetween(t0, tKill));
        figures.put("b: resume", committed + " blocks skipped, " + (blocks - committed) + " computed, "
                + seconds(t1));

        assertRowsOnce("b", out, 2, 0, MIXTURE_SEEDS);
        assertFalse(Files.exists(out.resolve("sweep/_tmp")), "sweep/_tmp left behind");
        assertEquals(localFid(), fidTable(out), "FID table after the resume differs from local mode");
        figures.put("b: FID table", "equal to local mode");
    }

    @Test
    @Order(3)
    void fmnistDemoWithRelativePathsLoadsTheNetworkAndSurvivesAnExecutorKill() throws Exception {
        String shipped = Files.readString(StandaloneCluster.REPO.resolve("conf/fmnist-demo.yaml"));
        String yaml = shipped
                .replace("seeds: { start: 0, count: 1000 }", "seeds: { start: 0, count: 256 }")
                .replace("block_size: 250", "block_size: 32")
                .replace("batch_size: 250", "batch_size: 32")
                .replace("grid_images: 64", "grid_images: 8")
                .replace("  - name: heun\n", "")
                .replace("  - { name: deis, order: 3, variant: tab }\n", "")
                .replace("nfe: [5, 10, 20]", "nfe: [10]")
                .replace("subset_size: 500", "subset_size: 100")
                .replace("samples: 1000", "samples: 256");
        assertTrue(yaml.contains("count: 256") && yaml.contains("nfe: [10]") && !yaml.contains("heun")
                && !yaml.contains("deis"), "conf/fmnist-demo.yaml changed shape:\n" + yaml);
        for (String relative : List.of("path: ../models/fmnist-edm-denoiser.pt",
                "path: ../models/fmnist-features.pt", "reference: ../models/fmnist-train-features.npz",
                "reference_features: ../models/fmnist-train-features.features.parquet", "subset_size: 100")) {
            assertTrue(yaml.contains(relative), "the demo no longer has the relative '" + relative + "'");
        }
        // A project laid out as the repository: conf/ with the config, models/ beside it.
        Path project = Files.createDirectories(work.resolve("c-project/conf")).getParent();
        Files.createSymbolicLink(project.resolve("models"), StandaloneCluster.REPO.resolve("models"));
        Path config = project.resolve("conf/fmnist-demo-small.yaml");
        Files.writeString(config, yaml);
        Path out = work.resolve("c-out");
        Path log = work.resolve("c-driver.log");
        int blocks = 2 * 256 / 32;
        long t0 = System.nanoTime();
        // From a working directory with no models/ in it: ../models/... is relative to the config's folder.
        Path cwd = Files.createDirectories(work.resolve("c-cwd"));
        Process driver = cluster.driver(cwd, log, "run", config.toString(), "--out", out.toString());
        int committedAtKill = killExecutorMidSweep(driver, out, blocks, log);
        int exit = StandaloneCluster.await(driver, DRIVER_LIMIT, log);
        assertEquals(0, exit, "the driver failed; log ends:\n" + StandaloneCluster.tail(log));
        String text = Files.readString(log);
        figures.put("c: fmnist demo (2 configs × 256 seeds, NFE 10) with an executor killed", seconds(t0)
                + " (killed at " + committedAtKill + "/" + blocks + " blocks committed; tasks lost with it: "
                + count(text, "Lost task") + ")");
        assertTrue(text.contains("Lost executor"), "the driver never saw the executor go:\n" + text);
        assertRowsOnce("c", out, 2, 0, 256);
        Map<String, Map<String, String>> fid = fidTable(out);
        assertEquals(2, fid.size());
        for (Map<String, String> row : fid.values()) {
            double v = Double.parseDouble(row.get("fid"));
            assertTrue(Double.isFinite(v) && v > 0, "FID " + v);
            assertEquals("256", row.get("n"));
        }
        assertNothingWrittenInExecutorDirectories();
    }

    @Test
    @Order(4)
    void gmmDemoAsShippedWritesItsRelativeOutputBesideTheConfigsFolder() throws Exception {
        Path cwd = Files.createDirectories(work.resolve("d-cwd"));
        Path project = cwd.resolve("project");
        Files.createDirectories(project.resolve("conf"));
        Files.copy(StandaloneCluster.REPO.resolve("conf/gmm-demo.yaml"), project.resolve("conf/gmm-demo.yaml"));
        Files.createSymbolicLink(project.resolve("models"), StandaloneCluster.REPO.resolve("models"));
        String shipped = Files.readString(StandaloneCluster.REPO.resolve("conf/gmm-demo.yaml"));
        assertTrue(shipped.contains("output: ../runs/gmm-demo"),
                "conf/gmm-demo.yaml no longer writes the repository's runs/gmm-demo");
        Path repoOutput = StandaloneCluster.REPO.resolve("runs/gmm-demo");
        boolean repoOutputBefore = Files.exists(repoOutput);
        Path log = work.resolve("d-driver.log");
        long t0 = System.nanoTime();
        Process driver = cluster.driver(cwd, log, "run", "project/conf/gmm-demo.yaml");
        int exit = StandaloneCluster.await(driver, DRIVER_LIMIT, log);
        assertEquals(0, exit, "the driver failed; log ends:\n" + StandaloneCluster.tail(log));
        figures.put("d: gmm demo as shipped", seconds(t0));
        Path out = project.resolve("runs/gmm-demo");
        assertTrue(Files.exists(out.resolve("sweep/_COMPLETE")), "no sweep/_COMPLETE under " + out);
        assertFalse(Files.exists(cwd.resolve("runs")), "the run wrote under the driver's working directory");
        assertTrue(Files.exists(out.resolve("fid/_COMPLETE")), "no fid/_COMPLETE under " + out);
        // 2 samplers × 4 NFEs, seeds 0-1999
        assertRowsOnce("d", out, 8, 0, 2000);
        assertEquals(8, fidTable(out).size());
        assertNothingWrittenInExecutorDirectories();
        if (!repoOutputBefore) {
            assertFalse(Files.exists(repoOutput), "the run wrote into the repository's runs/gmm-demo");
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /**
     * Waits until some but not all blocks are committed, then SIGKILLs one executor; returns how many blocks were
     * committed at that moment.
     */
    static int killExecutorMidSweep(Process driver, Path out, int blocks, Path log) throws Exception {
        int committed = awaitCommitted(driver, out, 1, blocks, log);
        List<ProcessHandle> executors = cluster.executors();
        assertFalse(executors.isEmpty(), "no executor JVM found under the workers");
        ProcessHandle victim = executors.get(0);
        assertTrue(victim.destroyForcibly(), "could not SIGKILL executor " + victim.pid());
        victim.onExit().get(30, TimeUnit.SECONDS);
        System.out.println("cluster-it: SIGKILLed executor pid " + victim.pid() + " at " + committed + "/" + blocks
                + " blocks committed");
        return committed;
    }

    /** Waits until at least {@code min} and fewer than all blocks are committed; fails if the sweep outran it. */
    static int awaitCommitted(Process driver, Path out, int min, int blocks, Path log) throws Exception {
        long deadline = System.nanoTime() + DRIVER_LIMIT.toNanos();
        while (true) {
            int committed = committedBlocks(out);
            if (!driver.isAlive()) {
                fail("the driver exited (code " + driver.exitValue() + ") with " + committed + "/" + blocks
                        + " blocks committed, before the kill; log ends:\n" + StandaloneCluster.tail(log));
            }
            if (committed >= blocks) {
                fail("all " + blocks + " blocks were committed before the kill could land mid-sweep: the blocks are "
                        + "too fast. Log ends:\n" + StandaloneCluster.tail(log));
            }
            if (committed >= min) {
                return committed;
            }
            if (System.nanoTime() > deadline) {
                fail("no block committed within " + DRIVER_LIMIT.toSeconds() + " s; log ends:\n"
                        + StandaloneCluster.tail(log));
            }
            Thread.sleep(50);
        }
    }

    static int committedBlocks(Path out) throws IOException {
        Path features = out.resolve("sweep/features");
        if (!Files.isDirectory(features)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(features)) {
            return (int) files.filter(p -> p.getFileName().toString().matches("block-\\d+-\\d+\\.parquet")).count();
        }
    }

    /** Every (config, seed) of {@code configs} configs × seeds [start, start + seeds) is in the output once. */
    static void assertRowsOnce(String label, Path out, int configs, long start, long seeds) {
        Dataset<Row> rows = SparkTestSupport.spark().read().option("recursiveFileLookup", "true")
                .parquet(out.resolve("sweep/features").toString()).select("config_id", "seed");
        long expected = configs * seeds;
        long found = rows.count();
        long distinct = rows.distinct().count();
        long configsFound = rows.select("config_id").distinct().count();
        long inRange = rows.filter(rows.col("seed").geq(start).and(rows.col("seed").lt(start + seeds))).count();
        figures.put(label + ": rows", "expected " + expected + ", found " + found + ", distinct " + distinct);
        assertEquals(configs, configsFound, "configs in the output");
        assertEquals(expected, found, "rows");
        assertEquals(expected, distinct, "distinct (config, seed) rows");
        assertEquals(expected, inRange, "rows with a seed in the config's range");
    }

    /** No executor wrote sweep output into its own working directory (a relative path resolved there). */
    static void assertNothingWrittenInExecutorDirectories() throws IOException {
        Path workDirs = cluster.state.resolve("work");
        try (Stream<Path> files = Files.walk(workDirs)) {
            List<Path> strays = files.filter(p -> p.getFileName().toString().equals("sweep")
                    || p.getFileName().toString().equals("runs")).toList();
            assertTrue(strays.isEmpty(), "outputs written under the executors' working directories: " + strays);
        }
    }

    /** The FID table of a local-mode (in-process) run of the mixture config, made once. */
    static synchronized Map<String, Map<String, String>> localFid() throws Exception {
        if (localFid == null) {
            Path out = work.resolve("local-out");
            long t0 = System.nanoTime();
            RunJob.run(SparkTestSupport.spark(), SweepConfig.parse(mixtureYaml(out.toString()), "cluster-mixture"), 0);
            figures.put("local-mode reference run", seconds(t0));
            localFid = fidTable(out);
        }
        return localFid;
    }

    /** fid/fid.csv by config id, without the columns that name the code version (the rest must match exactly). */
    static Map<String, Map<String, String>> fidTable(Path out) throws IOException {
        List<String> lines = Files.readAllLines(out.resolve("fid/fid.csv"));
        List<String> header = csv(lines.get(0));
        Map<String, Map<String, String>> table = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> cells = csv(line);
            assertEquals(header.size(), cells.size(), "fid.csv row: " + line);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                if (!header.get(i).equals("code_version")) {
                    row.put(header.get(i), cells.get(i));
                }
            }
            assertFalse(table.containsKey(row.get("config_id")), "config twice in fid.csv: " + row.get("config_id"));
            table.put(row.get("config_id"), row);
        }
        return table;
    }

    /** One CSV line: fields separated by commas, double-quoted fields may hold commas and "" for a quote. */
    static List<String> csv(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static String seconds(long t0) {
        return secondsBetween(t0, System.nanoTime());
    }

    static String secondsBetween(long t0, long t1) {
        return String.format("%.1f s", (t1 - t0) / 1e9);
    }
}
