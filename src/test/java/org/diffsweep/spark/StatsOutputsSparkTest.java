package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.diffsweep.cli.Main;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.NormStatsJob;
import org.diffsweep.jobs.RefStatsJob;
import org.diffsweep.jobs.ScheduleJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.TimeGrids;
import org.diffsweep.stats.NormTable;
import org.diffsweep.stats.ScoreOptimalSchedule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The offline statistics jobs write Hadoop paths ({@code file:} URIs here: the same code path as hdfs:// and
 * s3a://) and relative paths, by the sweep's commit rules: the final file last, temporary leftovers of a run that
 * was cut short cleared, and the committed work of such a run reused rather than measured again.
 */
@Tag("spark")
class StatsOutputsSparkTest {

    static final SweepConfig CONFIG = OfflineJobsSparkTest.CONFIG;

    static int cli(String... args) {
        SparkTestSupport.spark(); // the commands reuse the tests' session
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return code;
    }

    static Path config(Path dir) throws Exception {
        return Files.writeString(dir.resolve("conf.yaml"),
                SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 6, 6));
    }

    /** The names of the Parquet part files in a directory (Spark names them per write, so a rewrite changes them). */
    static Set<String> parts(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("part-"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** What a directory holds, recursively, relative to it. */
    static Set<String> tree(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void normStatsAndScheduleWriteFileUrisAndRelativePaths() throws Exception {
        Path dir = SparkTestSupport.tempDir("stats-uri");
        Path conf = config(dir);
        // a file: URI
        cli("norm-stats", conf.toString(), "--out", "file:" + dir.resolve("uri/n.csv"), "--seeds", "8", "--shard",
                "4", "--steps", "10", "--truncation", "2");
        cli("schedule", conf.toString(), "--out", "file:" + dir.resolve("uri/s.csv"), "--seeds", "8", "--shard",
                "4", "--points", "12", "--steps", "3,5");
        // a relative path, against the working directory
        Path rel = Path.of("").toAbsolutePath().relativize(dir.toAbsolutePath());
        assertFalse(rel.isAbsolute());
        cli("norm-stats", conf.toString(), "--out", rel.resolve("rel/n.csv").toString(), "--seeds", "8", "--shard",
                "4", "--steps", "10", "--truncation", "2");
        cli("schedule", conf.toString(), "--out", rel.resolve("rel/s.csv").toString(), "--seeds", "8", "--shard",
                "4", "--points", "12", "--steps", "3,5");
        for (String sub : new String[] {"uri", "rel"}) {
            Path d = dir.resolve(sub);
            assertEquals(new TreeSet<>(List.of("n.csv", "n.png", "s.csv", "s-cost.csv", "s.png", "s-grid.png")),
                    Files.list(d).filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                            .filter(n -> !n.endsWith(".crc")).collect(Collectors.toCollection(TreeSet::new)),
                    "no temporary file is left");
            assertEquals(Set.of("n.shards.parquet"), Files.list(d).filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
            NormTable table = NormTable.read(d.resolve("n.csv"));
            // the table names its shards qualified, whichever way --out was given
            assertEquals("file:" + d.toAbsolutePath().resolve("n.shards.parquet"), table.metadata().get("shards"));
            assertEquals(8, table.samples());
            assertTrue(Files.exists(d.resolve("n.shards.parquet/_COMPLETE")));
            FileGrid grid = FileGrid.read(d.resolve("s.csv"));
            assertEquals(4, grid.sigmas(3).length);
            assertEquals(6, grid.sigmas(5).length);
        }
        // the same measurement, however the path was written
        assertArrayEquals(NormTable.read(dir.resolve("uri/n.csv")).values(),
                NormTable.read(dir.resolve("rel/n.csv")).values(), 0);
        assertArrayEquals(FileGrid.read(dir.resolve("uri/s.csv")).sigmas(5),
                FileGrid.read(dir.resolve("rel/s.csv")).sigmas(5), 0);
    }

    @Test
    void normStatsResumesFromCommittedShardsAndClearsLeftovers() throws Exception {
        Path dir = SparkTestSupport.tempDir("stats-norm-resume");
        double[] sigmas = TimeGrids.of("edm", Map.of(), CONFIG.edmFamily("test").processObject()).sigmas(12);
        String out = "file:" + dir.resolve("t/n.csv");
        Path shards = dir.resolve("t/n.shards.parquet");
        NormTable first = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 12", 16, 4, 2, 2, out);
        Set<String> committed = parts(shards);

        // a run that stopped after committing its shards, with a half-written table and plot under their
        // temporary names and a temporary shards directory of another write cut short
        Files.delete(dir.resolve("t/n.csv"));
        Files.delete(dir.resolve("t/n.png"));
        Files.writeString(dir.resolve("t/_n.csv.tmp"), "# model: half a table\nstep,sigma");
        Files.writeString(dir.resolve("t/_n.png.tmp"), "half a png");
        Path leftover = Files.createDirectories(dir.resolve("t/n.shards.parquet._tmp/_temporary/0"));
        Files.writeString(leftover.resolve("part-00000-cut.snappy.parquet"), "not parquet");
        // a table under its temporary name is not a table: run would still make it
        String yaml = SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 6, 6)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: deis-sn, order: 2, norm: " + dir.resolve("t/n.csv") + " } ]");
        assertEquals(List.of(out), SweepConfig.parse(yaml, "pending").pendingNormTables());

        NormTable resumed = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 12", 16, 4, 2, 2, out);
        assertEquals(committed, parts(shards), "the committed shards are reduced again, not measured again");
        assertArrayEquals(first.values(), resumed.values(), 0);
        assertArrayEquals(first.standardErrors(), resumed.standardErrors(), 0);
        assertEquals(first.sigmas().length, NormTable.read(dir.resolve("t/n.csv")).sigmas().length);
        assertEquals(Set.of("n.csv", "n.png", "n.shards.parquet"), names(dir.resolve("t")));

        // shards of another plan (more seeds) are measured again, and so are shards without their _COMPLETE
        // (a commit cut short: on s3a a directory rename is not atomic)
        Files.delete(dir.resolve("t/n.csv"));
        NormTable more = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 12", 24, 4, 2, 2, out);
        assertEquals(24, more.samples());
        Set<String> moreParts = parts(shards);
        assertNotEquals(committed, moreParts);
        Files.delete(dir.resolve("t/n.csv"));
        Files.delete(shards.resolve("_COMPLETE"));
        NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 12", 24, 4, 2, 2, out);
        assertNotEquals(moreParts, parts(shards));
        assertTrue(Files.exists(shards.resolve("_COMPLETE")));

        // a finished table is measured again on request, as before
        Set<String> before = parts(shards);
        NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 12", 24, 4, 2, 2, out);
        assertNotEquals(before, parts(shards));
    }

    static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void scheduleResumesFromItsCommittedCostCurve() throws Exception {
        Path dir = SparkTestSupport.tempDir("stats-sched-resume");
        String out = "file:" + dir.resolve("s.csv");
        ScoreOptimalSchedule first = ScheduleJob.run(SparkTestSupport.spark(), CONFIG, 20, 12, 6, 2,
                new int[] {4, 6}, out);
        Path cost = dir.resolve("s-cost.csv");
        String costText = Files.readString(cost);
        long costModified = Files.getLastModifiedTime(cost).toMillis();

        // stopped after the cost curve: the schedules are made from it (other step counts may be asked for)
        Files.delete(dir.resolve("s.csv"));
        Files.writeString(dir.resolve("_s.csv.tmp"), "steps,index,sigma\n4,0,80.0\n");
        Thread.sleep(20);
        ScoreOptimalSchedule resumed = ScheduleJob.run(SparkTestSupport.spark(), CONFIG, 20, 12, 6, 2,
                new int[] {4, 6, 8}, out);
        assertEquals(costModified, Files.getLastModifiedTime(cost).toMillis(), "the cost curve is not rewritten");
        assertArrayEquals(first.sigmas(6), resumed.sigmas(6), 0);
        assertArrayEquals(resumed.sigmas(8), FileGrid.read(dir.resolve("s.csv")).sigmas(8), 0);
        assertEquals(Set.of("s.csv", "s-cost.csv", "s.png", "s-grid.png"), names(dir));

        // a curve of other seeds is not this schedule's: measured again
        Files.delete(dir.resolve("s.csv"));
        ScheduleJob.run(SparkTestSupport.spark(), CONFIG, 20, 18, 6, 2, new int[] {4, 6}, out);
        assertNotEquals(costText, Files.readString(cost));
        assertTrue(Files.readString(cost).contains("# seeds: 10-27\n"), Files.readString(cost));
    }

    @Test
    void refStatsWritesAHadoopPathAndResumesFromItsSums() throws Exception {
        Path dir = SparkTestSupport.tempDir("stats-ref");
        byte[][] imgs = RefStatsSparkTest.images(3);
        Path idx = dir.resolve("images-idx3-ubyte");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(idx))) {
            o.writeInt(0x803);
            o.writeInt(RefStatsSparkTest.N);
            o.writeInt(RefStatsSparkTest.H);
            o.writeInt(RefStatsSparkTest.W);
            for (byte[] img : imgs) {
                o.write(img);
            }
        }
        Path npz = dir.resolve("ref/stats.npz");
        cli("ref-stats", "--data", idx.toString(), "--out", "file:" + npz);
        Gaussian written = read(npz);
        assertTrue(Files.exists(dir.resolve("ref/stats.json")));
        Path sums = dir.resolve("ref/stats.parquet");
        Set<String> committed = parts(sums);
        assertEquals(1, committed.size());

        // stopped after the sums, with leftovers under temporary names: the sums are used, not measured again
        Files.delete(npz);
        Files.delete(dir.resolve("ref/stats.json"));
        Files.writeString(dir.resolve("ref/_stats.npz.tmp"), "half an npz");
        Path leftover = Files.createDirectories(dir.resolve("ref/stats.parquet._tmp/_temporary/0"));
        Files.writeString(leftover.resolve("part-00000-cut.snappy.parquet"), "not parquet");
        Gaussian resumed = RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, null, 0, "file:" + npz);
        assertEquals(committed, parts(sums));
        assertArrayEquals(written.mean(), resumed.mean(), 0);
        assertArrayEquals(written.cov(), resumed.cov(), 0);
        assertArrayEquals(written.cov(), read(npz).cov(), 0);
        assertEquals(Set.of("stats.npz", "stats.json", "stats.parquet"), names(dir.resolve("ref")));
        assertTrue(Files.readString(dir.resolve("ref/stats.json")).contains("\"images\" : \"30\""),
                Files.readString(dir.resolve("ref/stats.json")));

        // other images (--limit) are another measurement; a finished .npz is measured again on request
        Files.delete(npz);
        Gaussian ten = RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, null, 10, "file:" + npz);
        assertEquals(10, ten.n());
        assertNotEquals(committed, parts(sums));
        Set<String> before = parts(sums);
        RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, null, 10, "file:" + npz);
        assertNotEquals(before, parts(sums));
        assertEquals(10, read(npz).n());
    }

    static Gaussian read(Path npz) throws Exception {
        try (InputStream in = Files.newInputStream(npz)) {
            return Npz.gaussian(Npz.read(in, npz.toString()), npz.toString());
        }
    }
}
