package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.cli.Main;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One output directory, several writers: the output lock (a second run refused in one line, rc 2; a stale lock
 * taken over), blocks committed whole (one file, one rename), and corrupt committed blocks recomputed on resume.
 */
@Tag("spark")
class OutputConcurrencySparkTest {

    static Path abs(String name) throws Exception {
        return SparkTestSupport.tempDir(name).toAbsolutePath();
    }

    static final Duration MINUTE = Duration.ofMinutes(1);

    /** The tiny config in a file, its output beside it. */
    static Path configFile(Path dir, String out, int seeds, int block) throws Exception {
        Path yaml = dir.resolve("tiny.yaml");
        Files.writeString(yaml, SparkTestSupport.tinyConfig(out, seeds, block, 23));
        return yaml;
    }

    /** The fid table as config_id → [n, fid, fid_se]. */
    static Map<String, List<Object>> table(String out) {
        Map<String, List<Object>> t = new TreeMap<>();
        for (Row r : SparkTestSupport.spark().read().parquet(out + "/fid/table.parquet").collectAsList()) {
            t.put(r.getAs("config_id"), List.of(r.getAs("n"), r.getAs("fid"), r.getAs("fid_se")));
        }
        return t;
    }

    record Cli(int rc, String err) {
    }

    static Cli cli(String... args) {
        StringWriter err = new StringWriter();
        int rc = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        return new Cli(rc, err.toString());
    }

    @Test
    void aSecondRunOnTheSameOutputIsRefusedInOneLineAndTheFirstFinishes() throws Exception {
        SparkTestSupport.spark();
        Path dir = abs("two-runs");
        String solo = dir.resolve("solo").toString();
        String out = dir.resolve("out").toString();
        Path soloYaml = Files.createDirectories(dir.resolve("a"));
        Path yaml = Files.createDirectories(dir.resolve("b"));
        // 4 configs × 24 blocks: long enough for the second run to start while the first computes
        assertEquals(0, cli("run", configFile(soloYaml, solo, 240, 10).toString(), "--master", "local[2]").rc());
        Path config = configFile(yaml, out, 240, 10);

        CompletableFuture<Cli> first = CompletableFuture.supplyAsync(() -> cli("run", config.toString(), "--master",
                "local[2]"));
        Path lock = Path.of(out, OutputLock.NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(lock) && !first.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(Files.exists(lock), "the first run never took the lock");
        Cli second = cli("run", config.toString(), "--master", "local[2]");
        boolean firstStillRunning = !first.isDone();
        Cli one = first.get(300, TimeUnit.SECONDS);

        assertTrue(firstStillRunning, "the first run ended before the second was refused: nothing was tested");
        assertEquals(2, second.rc(), second.err());
        List<String> lines = second.err().lines().toList();
        assertEquals(1, lines.size(), "one line expected: " + second.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("diffsweep: error: output ") && line.contains("is in use by another run: pid "
                + ProcessHandle.current().pid() + " on " + OutputLock.Host.NAME) && line.contains("'run tiny'"), line);
        assertEquals(0, one.rc(), one.err());
        assertFalse(Files.exists(lock), "the lock is left after the run");
        assertEquals(table(solo), table(out), "the first run's FID table vs a solo run's");
    }

    @Test
    void aLiveLockRefusesBeforeAnythingIsWrittenAndIsKeptFreshByItsHeartbeat() throws Exception {
        SparkTestSupport.spark();
        Path dir = abs("live-lock");
        String out = dir.resolve("out").toString();
        Path config = configFile(dir, out, 20, 10);
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(out);
        Configuration conf = new Configuration();
        // a 1 s timeout, heartbeat every 100 ms: after 2 s the lock is still live
        try (OutputLock held = OutputLock.acquire(root, conf, "sweep other", Duration.ofSeconds(1))) {
            Thread.sleep(2000);
            Cli refused = CompletableFuture.supplyAsync(() -> cli("run", config.toString(), "--master", "local[2]"))
                    .get(120, TimeUnit.SECONDS);
            assertEquals(2, refused.rc(), refused.err());
            assertEquals(1, refused.err().lines().count(), refused.err());
            assertTrue(refused.err().contains("'sweep other'"), refused.err());
            try (Stream<Path> left = Files.list(Path.of(out))) {
                assertEquals(List.of(OutputLock.NAME), left.map(p -> p.getFileName().toString()).toList(),
                        "the refused run wrote something");
            }
            // another thread of this JVM is another holder; this thread joins its own hold
            Throwable other = CompletableFuture.supplyAsync(() -> {
                try (OutputLock l = OutputLock.acquire(root, conf, "x", MINUTE)) {
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get(60, TimeUnit.SECONDS);
            assertTrue(other instanceof OutputLock.Held, String.valueOf(other));
            try (OutputLock again = OutputLock.acquire(root, conf, "sweep other", MINUTE)) {
                assertTrue(again == held);
            }
            assertTrue(Files.exists(Path.of(out, OutputLock.NAME)), "a nested release removed the lock");
        }
        assertFalse(Files.exists(Path.of(out, OutputLock.NAME)), "released lock still there");
        assertEquals(0, cli("run", config.toString(), "--master", "local[2]").rc());
    }

    @Test
    void aLockWithoutAHeartbeatOrWhoseProcessIsGoneIsTakenOverWithAWarning() throws Exception {
        SparkTestSupport.spark();
        Path dir = abs("stale-lock");
        String out = dir.resolve("out").toString();
        Files.createDirectories(Path.of(out));
        Path lock = Path.of(out, OutputLock.NAME);
        long hourAgo = System.currentTimeMillis() - 3_600_000;

        // another host, its last heartbeat an hour ago
        write(lock, new OutputLock.Holder("other", "elsewhere.example", 4242, "", "run tiny", "then", hourAgo));
        String err = stderrOf(() -> assertEquals(0, cli("run", configFile(dir, out, 20, 10).toString(), "--master",
                "local[2]").rc()));
        assertTrue(err.contains("diffsweep: warning: taking over the stale lock " + "file:" + lock)
                && err.contains("pid 4242 on elsewhere.example") && err.contains("no heartbeat for 3600 s"), err);
        assertTrue(Files.exists(Path.of(out, "fid", "_COMPLETE")));

        // this host, a fresh heartbeat, but its process has ended
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        write(lock, new OutputLock.Holder("dead", OutputLock.Host.NAME, gone.pid(), "", "sweep tiny", "now",
                System.currentTimeMillis()));
        String err2 = stderrOf(() -> {
            try (OutputLock l = OutputLock.acquire(new org.apache.hadoop.fs.Path(out), new Configuration(), "t", MINUTE)) {
                assertEquals("t", OutputLock.Holder.parse(Files.readAllBytes(lock)).command());
            }
        });
        assertTrue(err2.contains("its process " + gone.pid() + " on this host is gone"), err2);

        // this host, a live pid, but not the process that wrote the lock (the pid was reused)
        write(lock, new OutputLock.Holder("reused", OutputLock.Host.NAME, ProcessHandle.current().pid(),
                "2001-01-01T00:00:00Z", "sweep tiny", "then", System.currentTimeMillis()));
        String err3 = stderrOf(() -> {
            try (OutputLock l = OutputLock.acquire(new org.apache.hadoop.fs.Path(out), new Configuration(), "t", MINUTE)) {
                assertTrue(Files.exists(lock));
            }
        });
        assertTrue(err3.contains("the pid now belongs to a process started"), err3);

        // live: this process, as it started, fresh
        write(lock, new OutputLock.Holder("live", OutputLock.Host.NAME, ProcessHandle.current().pid(),
                OutputLock.Host.START, "sweep tiny", "now", System.currentTimeMillis()));
        OutputLock.Held held = assertThrows(OutputLock.Held.class, () -> OutputLock.acquire(
                new org.apache.hadoop.fs.Path(out), new Configuration(), "t", MINUTE));
        assertTrue(held.getMessage().contains("'sweep tiny'"), held.getMessage());
        assertNull(OutputLock.staleness(OutputLock.Holder.parse(Files.readAllBytes(lock)),
                System.currentTimeMillis(), MINUTE.toMillis()));
    }

    @Test
    void aCorruptCommittedBlockIsRecomputedWithAWarningAndTheTableIsACleanRunsOne() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = abs("corrupt");
        String out = dir.resolve("out").toString();
        SweepConfig config = SweepConfig.parse(SparkTestSupport.tinyConfig(out, 40, 10, 29), "tiny");
        RunJob.run(spark, config, 0);
        Map<String, List<Object>> clean = table(out);
        List<Path> blocks;
        try (Stream<Path> all = Files.walk(Path.of(out, "sweep", "features"))) {
            blocks = all.filter(p -> p.getFileName().toString().matches("block-.*\\.parquet")).sorted().toList();
        }
        assertEquals(16, blocks.size());
        for (Path b : blocks) {
            assertFalse(Files.exists(b.resolveSibling("." + b.getFileName() + ".crc")), "a checksum sidecar beside " + b);
        }

        // the fid stage to run again over a finished sweep: a truncated block, a flipped byte in a page, and the
        // torn state of two writers (a block beside another block's .crc)
        Path truncated = blocks.get(0);
        Path flipped = blocks.get(5);
        Path torn = blocks.get(10);
        byte[] whole = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
        flipInLastPage(flipped);
        tornChecksum(torn, blocks.get(11));
        Files.delete(Path.of(out, "fid", "_COMPLETE"));
        String err = stderrOf(() -> {
            RunJob.Outcome again = RunJob.run(spark, config, 0);
            assertTrue(again.sweepRan() && again.fidRan());
        });
        for (Path p : List.of(truncated, flipped, torn)) {
            assertTrue(err.contains("diffsweep: warning: committed block file:" + p + " is corrupt ("), p + ": " + err);
        }
        assertEquals(3, err.lines().filter(l -> l.contains("is corrupt")).count(), err);
        assertEquals(clean, table(out), "the FID table after recomputing the corrupt blocks vs the clean run's");

        // the same on a resumed sweep (no _COMPLETE): only the corrupt block is computed again
        flipInLastPage(blocks.get(3));
        Files.delete(Path.of(out, "sweep", "_COMPLETE"));
        String err2 = stderrOf(() -> {
            org.diffsweep.jobs.SweepJob.Summary s = org.diffsweep.jobs.SweepJob.run(spark, config, 0);
            assertEquals(1, s.computed());
        });
        assertTrue(err2.contains("committed block file:" + blocks.get(3) + " is corrupt"), err2);
        assertEquals(clean, table(out));
    }

    /**
     * Two writers of the same block, with different bytes (another code version in the footer), committing at the
     * same moment, many times: the block always reads back whole, and one of the two. Before, the data and its
     * {@code .crc} sidecar were moved by two renames, and two writers could leave one's data beside the other's
     * checksum.
     */
    @Test
    void twoWritersOfOneBlockLeaveOneWholeBlock() throws Exception {
        Path dir = abs("two-writers");
        String out = dir.resolve("out").toString();
        SweepConfig config = org.diffsweep.spark.ModelFiles.resolve(
                SweepConfig.parse(SparkTestSupport.tinyConfig(out, 10, 10, 31), "tiny"), new Configuration());
        SweepLayout layout = new SweepLayout("file:" + out);
        Configuration conf = new Configuration();
        HadoopConf hadoop = new HadoopConf(conf);
        BlockRunner a = new BlockRunner(config, layout, hadoop, "writer a");
        BlockRunner b = new BlockRunner(config, layout, hadoop, "writer b");
        SeedBlock block = SeedBlock.plan(config).get(0);
        org.apache.hadoop.fs.Path target = layout.block(block.configId(), block.seedStart(), block.seedEnd());
        org.apache.hadoop.fs.FileSystem fs = target.getFileSystem(conf);
        CyclicBarrier start = new CyclicBarrier(2);
        List<String> winners = new ArrayList<>();
        for (int round = 0; round < 150; round++) {
            fs.delete(target, false);
            CompletableFuture<?> ta = CompletableFuture.runAsync(() -> runAfter(start, a, block));
            CompletableFuture<?> tb = CompletableFuture.runAsync(() -> runAfter(start, b, block));
            ta.get(60, TimeUnit.SECONDS);
            tb.get(60, TimeUnit.SECONDS);
            FeatureBlocks.Block read = FeatureBlocks.read(target, conf, 4);
            assertEquals(block.size(), read.rows());
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(target, conf))) {
                winners.add(r.getFooter().getFileMetaData().getKeyValueMetaData().get("diffsweep.code_version"));
            }
        }
        assertTrue(winners.stream().allMatch(w -> w.equals("writer a") || w.equals("writer b")), winners.toString());
    }

    static void runAfter(CyclicBarrier start, BlockRunner runner, SeedBlock block) {
        try {
            start.await(30, TimeUnit.SECONDS);
            runner.run(block);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void write(Path lock, OutputLock.Holder h) throws Exception {
        Files.write(lock, h.json());
    }

    /** Flips a byte near the end of the last column chunk's data (the features' values): a page CRC catches it. */
    static void flipInLastPage(Path block) throws Exception {
        long at;
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(block.toUri()), new Configuration()))) {
            List<ColumnChunkMetaData> columns = r.getFooter().getBlocks().get(0).getColumns();
            ColumnChunkMetaData last = columns.get(columns.size() - 1);
            at = last.getStartingPos() + last.getTotalSize() - 3;
        }
        try (RandomAccessFile f = new RandomAccessFile(block.toFile(), "rw")) {
            f.seek(at);
            int v = f.read();
            f.seek(at);
            f.write(v ^ 0x5a);
        }
    }

    /** Puts a {@code .crc} sidecar of another block beside a block: the torn state of two writers. */
    static void tornChecksum(Path block, Path other) throws Exception {
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.LocalFileSystem local = org.apache.hadoop.fs.FileSystem.getLocal(conf);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(block.resolveSibling("_other").toUri());
        try (var out = local.create(tmp, true)) {
            out.write(Files.readAllBytes(other));
        }
        Files.move(block.resolveSibling("._other.crc"), block.resolveSibling("." + block.getFileName() + ".crc"));
        Files.delete(block.resolveSibling("_other"));
    }

    /** What a piece of code writes on System.err (and still shows it). */
    static String stderrOf(ThrowingRunnable r) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(buf, old), true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }

}
