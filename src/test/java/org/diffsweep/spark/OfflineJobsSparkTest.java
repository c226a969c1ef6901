package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.jobs.NormStatsJob;
import org.diffsweep.jobs.ScheduleJob;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.TimeGrids;
import org.diffsweep.stats.NormTable;
import org.diffsweep.stats.ScoreOptimalSchedule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** norm-stats and schedule as Spark jobs: the reduced results do not depend on how the seeds are sharded. */
@Tag("spark")
class OfflineJobsSparkTest {

    static final SweepConfig CONFIG = SweepConfig.parse(SparkTestSupport.tinyConfig("unused", 10, 5), "tiny");

    @Test
    void normTableIsIdenticalAcrossPartitionings() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm");
        double[] sigmas = TimeGrids.of("edm", Map.of(), CONFIG.edmFamily("test").processObject()).sigmas(50);
        NormTable[] tables = new NormTable[3];
        int[][] splits = {{64, 1}, {32, 2}, {16, 4}};
        for (int k = 0; k < 3; k++) {
            tables[k] = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 50", 64, splits[k][0],
                    splits[k][1], 5, "file:" + dir.resolve("t" + k + ".csv"));
        }
        for (int k = 1; k < 3; k++) {
            assertArrayEquals(tables[0].values(), tables[k].values(), 0);
            assertArrayEquals(tables[0].standardErrors(), tables[k].standardErrors(), 0);
        }
        assertEquals(64, tables[0].samples());
        // each table was reduced from its shards' Parquet (64, 2 x 32, 4 x 16 seeds: one row per shard and step)
        for (int k = 0; k < 3; k++) {
            Path shards = dir.resolve("t" + k + ".shards.parquet");
            assertEquals("file:" + shards, tables[k].metadata().get("shards"));
            assertEquals((1L << k) * 50, SparkTestSupport.spark().read().parquet(shards.toString()).count());
            assertTrue(Files.size(dir.resolve("t" + k + ".png")) > 1000);
        }
        // the written table is what deis-sn reads, and only for the model it was measured on
        assertTrue(Files.readString(dir.resolve("t0.csv")).contains("step,sigma,t,r,se,count"));
        String sweep = SparkTestSupport.tinyConfig(dir.resolve("sweep").toString(), 6, 6)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: deis-sn, order: 2, norm: " + dir.resolve("t0.csv") + " } ]");
        SweepJob.run(SparkTestSupport.spark(), SweepConfig.parse(sweep, "deis-sn sweep"), 0);
        String other = SparkTestSupport.tinyConfig(dir.resolve("other").toString(), 6, 6, 99)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: deis-sn, order: 2, norm: " + dir.resolve("t0.csv") + " } ]");
        ConfigException e = assertThrows(ConfigException.class,
                () -> SweepJob.run(SparkTestSupport.spark(), SweepConfig.parse(other, "other model"), 0));
        assertTrue(e.getMessage().contains("its norm table was measured on model " + CONFIG.model().id()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("other")));
    }

    @Test
    void runMakesMissingStatisticsFirstAndReusesThem() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm-run");
        Path table = dir.resolve("tables/tiny-norm.csv");
        Path schedule = dir.resolve("tables/tiny-schedule.csv");
        String yaml = SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 6, 6)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: deis, order: 2, label: d2 }, { name: deis-sn, order: 2, norm: " + table
                                + ", label: sn2, vs: d2, grids: [r7] } ]")
                .replace("grids: [ { name: edm, rho: 7 } ]", "grids: [ { name: edm, rho: 7, label: r7 }, "
                        + "{ name: file, path: " + schedule + ", vs: r7 } ]");
        SweepConfig config = SweepConfig.parse(yaml, "deis-sn with a table to make");
        // Paths come back fully qualified, as the driver hands them to the jobs.
        assertEquals(java.util.List.of("file:" + table), config.pendingNormTables());
        assertArrayEquals(new int[] {5, 9}, config.pendingSchedules().get("file:" + schedule));
        ConfigException e = assertThrows(ConfigException.class,
                () -> SweepJob.run(SparkTestSupport.spark(), config, 0));
        assertTrue(e.getMessage().contains("does not exist, expected it made first"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out")));

        org.diffsweep.jobs.RunJob.run(SparkTestSupport.spark(), config, 0);
        NormTable made = NormTable.read(table);
        assertEquals(1024, made.samples());
        // the schedule was made for the step counts deis takes on it, and the sweep ran on it
        FileGrid madeGrid = FileGrid.read(schedule);
        assertEquals(5, madeGrid.sigmas(5).length - 1);
        assertEquals(9, madeGrid.sigmas(9).length - 1);
        assertTrue(Files.readString(dir.resolve("out/fid/fid.md")).contains("| d2 on file(" + schedule + ") vs r7 |"));
        assertEquals(config.model().id(), made.metadata().get("model"));
        assertTrue(Files.exists(dir.resolve("out/fid/_COMPLETE")));
        assertTrue(Files.size(dir.resolve("out/fid/fid-vs-nfe.png")) > 0);
        // the paired differences: one row per NFE, deis-sn's FID minus deis's, with a finite jackknife SE
        java.util.Map<String, Double> fid = new java.util.HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("out/fid/fid.csv")).subList(1, 7)) {
            String[] c = csvFields(line);
            fid.put(c[0], Double.parseDouble(c[7]));
        }
        java.util.List<String> diffs = Files.readAllLines(dir.resolve("out/fid/differences.csv"));
        assertEquals(5, diffs.size(), String.join("\n", diffs));
        for (String line : diffs.subList(1, 3)) {
            String[] c = csvFields(line);
            assertTrue(c[2].startsWith("deis-sn-") && c[3].startsWith("deis-order-2"), line);
            assertEquals(fid.get(c[2]) - fid.get(c[3]), Double.parseDouble(c[8]), 1e-12, line);
            double se = Double.parseDouble(c[9]);
            assertTrue(se > 0 && Double.isFinite(se), line);
        }
        assertTrue(Files.readString(dir.resolve("out/fid/fid.md")).contains("| sn2 vs d2 on "),
                Files.readString(dir.resolve("out/fid/fid.md")));
        // parsed again, the table now exists and is read, not made again
        SweepConfig again = SweepConfig.parse(yaml, "again");
        assertTrue(again.pendingNormTables().isEmpty() && again.pendingSchedules().isEmpty());
        long modified = Files.getLastModifiedTime(table).toMillis();
        long scheduleModified = Files.getLastModifiedTime(schedule).toMillis();
        org.diffsweep.jobs.RunJob.run(SparkTestSupport.spark(), again, 0);
        assertEquals(modified, Files.getLastModifiedTime(table).toMillis());
        assertEquals(scheduleModified, Files.getLastModifiedTime(schedule).toMillis());
    }

    @Test
    void schedulesAreIdenticalAcrossPartitioningsAndReadAsFileGrids() throws Exception {
        Path dir = SparkTestSupport.tempDir("sched");
        ScoreOptimalSchedule a = ScheduleJob.run(SparkTestSupport.spark(), CONFIG, 60, 48, 48, 1, new int[] {4, 8},
                "file:" + dir.resolve("a.csv"));
        ScoreOptimalSchedule b = ScheduleJob.run(SparkTestSupport.spark(), CONFIG, 60, 48, 12, 3, new int[] {4, 8},
                dir.resolve("b.csv").toString());
        assertArrayEquals(a.sigmas(8), b.sigmas(8), 0);
        FileGrid grid = FileGrid.read(dir.resolve("a.csv"));
        assertArrayEquals(a.sigmas(4), grid.sigmas(4), 0);
        assertArrayEquals(a.sigmas(8), grid.sigmas(8), 0);
        assertTrue(Files.size(dir.resolve("a.png")) > 1000 && Files.exists(dir.resolve("a-cost.csv")));
    }

    /**
     * On the exact mixture the features are the samples, so the distance to a converged anchor (DPM-Solver++(2M),
     * 400 steps) is dim × the squared RMS error that the oracle measures against a Dormand–Prince solution of the
     * same ODE from the same latents: two independent routes to the same number.
     */
    @Test
    void distanceToAConvergedAnchorIsTheOraclesIntegrationError() throws Exception {
        Path dir = SparkTestSupport.tempDir("distance");
        String yaml = SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 12, 6)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: euler, label: e }, { name: dpmpp-2m, vs: e } ]");
        SweepConfig config = SweepConfig.parse(yaml, "distance");
        SweepConfig anchor = SweepConfig.parse(SparkTestSupport.tinyConfig(dir.resolve("anchor").toString(), 12, 12)
                .replace("samplers: [ { name: euler }, { name: heun } ]", "samplers: [ { name: dpmpp-2m } ]")
                .replace("nfe: [ 5, 9 ]", "nfe: [ 400 ]").replace("name: tiny", "name: anchor"), "anchor");
        ConfigException notRun = assertThrows(ConfigException.class,
                () -> org.diffsweep.jobs.DistanceJob.run(SparkTestSupport.spark(), config, anchor));
        assertTrue(notRun.getMessage().contains("is not complete"), notRun.getMessage());
        org.diffsweep.jobs.RunJob.run(SparkTestSupport.spark(), config, 0);
        org.diffsweep.jobs.RunJob.run(SparkTestSupport.spark(), anchor, 0);
        java.util.List<org.diffsweep.jobs.DistanceJob.Entry> d =
                org.diffsweep.jobs.DistanceJob.run(SparkTestSupport.spark(), config, anchor);
        java.util.List<org.diffsweep.jobs.OracleJob.Entry> oracle = org.diffsweep.jobs.OracleJob.run(config, 12, 1e-10,
                new org.apache.hadoop.conf.Configuration());
        int dim = config.model().mixture().dim();
        for (int i = 0; i < d.size(); i++) {
            double expected = dim * oracle.get(i).rmsError() * oracle.get(i).rmsError();
            assertEquals(oracle.get(i).point().id(), d.get(i).point().id());
            assertEquals(expected, d.get(i).mean(), 0.01 * expected + 1e-9, d.get(i).point().id());
        }
        String md = Files.readString(dir.resolve("out/distance/distance.md"));
        assertTrue(md.contains("| dpmpp-2m vs e on "), md);
        // the same table as Parquet, from the same schema
        java.util.List<org.apache.spark.sql.Row> rows = SparkTestSupport.spark().read()
                .parquet(dir.resolve("out/distance/table.parquet").toString()).collectAsList();
        assertEquals(d.size(), rows.size());
        for (org.apache.spark.sql.Row r : rows) {
            String id = r.getAs("config_id");
            org.diffsweep.jobs.DistanceJob.Entry e = d.stream().filter(x -> x.point().id().equals(id)).findFirst()
                    .orElseThrow();
            assertEquals(e.mean(), (double) r.getAs("mean_sq_distance"), 0, id);
        }
        // an anchor of another model is refused, naming both
        SweepConfig other = SweepConfig.parse(SparkTestSupport.tinyConfig(dir.resolve("other").toString(), 12, 12, 6)
                .replace("samplers: [ { name: euler }, { name: heun } ]", "samplers: [ { name: dpmpp-2m } ]")
                .replace("nfe: [ 5, 9 ]", "nfe: [ 400 ]"), "other");
        ConfigException e = assertThrows(ConfigException.class,
                () -> org.diffsweep.jobs.DistanceJob.run(SparkTestSupport.spark(), config, other));
        assertTrue(e.getMessage().contains("expected the sweep's model " + config.model().id()), e.getMessage());
    }

    /** The fields of one CSV line, commas inside double quotes kept (quotes removed). */
    static String[] csvFields(String line) {
        String[] c = line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1);
        for (int i = 0; i < c.length; i++) {
            c[i] = c[i].replaceAll("^\"|\"$", "");
        }
        return c;
    }
}
