package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.NormStatsJob;
import org.diffsweep.model.Models;
import org.diffsweep.report.BandPlot;
import org.diffsweep.sampler.Euler;
import org.diffsweep.schedule.TimeGrids;
import org.diffsweep.stats.NormStats;
import org.diffsweep.stats.NormTable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The norm-stats job's per-shard Parquet (one row per shard and step), the table reduced from it, its plot, and
 * the replacement of an earlier run's shards.
 */
@Tag("spark")
class NormStatsSparkTest {

    static final SweepConfig CONFIG = OfflineJobsSparkTest.CONFIG;

    @Test
    void shardParquetHoldsOneRowPerShardAndStepAndReducesToTheTable() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm-shards");
        double[] sigmas = TimeGrids.of("edm", Map.of(), CONFIG.edmFamily("test").processObject()).sigmas(30);
        Path out = dir.resolve("n.csv");
        NormTable table = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 30", 40, 16, 2, 3,
                out.toString());

        Path shards = dir.resolve("n.shards.parquet");
        assertEquals("file:" + shards, NormStatsJob.shardsDir("file:" + out));
        assertTrue(Files.exists(shards.resolve("_COMPLETE")), "the shards are committed with their plan");
        assertTrue(Files.exists(shards.resolve("_SUCCESS")));
        assertFalse(Files.exists(dir.resolve("n.shards.parquet._tmp")));
        Dataset<Row> df = SparkTestSupport.spark().read().parquet(shards.toString());
        assertArrayEquals(NormStatsJob.SHARD_SCHEMA.fieldNames(), df.schema().fieldNames());
        List<Row> rows = df.collectAsList();
        assertEquals(3 * 30, rows.size());
        Set<String> shardIds = new TreeSet<>();
        for (Row r : rows) {
            long first = r.getLong(r.fieldIndex("shard_first_seed"));
            long seeds = r.getLong(r.fieldIndex("shard_seeds"));
            int step = r.getInt(r.fieldIndex("step"));
            shardIds.add(first + "+" + seeds);
            assertEquals(sigmas[step], r.getDouble(r.fieldIndex("sigma")), 0);
            assertEquals(seeds, r.getLong(r.fieldIndex("samples")));
            assertEquals(4, r.getInt(r.fieldIndex("dim")));
            for (String sum : new String[] {"sum_abs", "sum_squares", "sum_means", "sum_mean_squares"}) {
                assertEquals(new BigDecimal(r.getString(r.fieldIndex(sum + "_exact"))).doubleValue(),
                        r.getDouble(r.fieldIndex(sum)), 0, sum);
            }
        }
        assertEquals(new TreeSet<>(List.of("10+16", "26+16", "42+8")), shardIds);

        // the table reduced from the Parquet is the one of a single in-memory run over all seeds, bit for bit
        NormStats direct = NormStats.collect(Models.build(CONFIG.model()), new Euler(), sigmas,
                LongStream.range(10, 50).toArray());
        assertArrayEquals(direct.table(3).values(), table.values(), 0);
        assertArrayEquals(direct.table(3).standardErrors(), table.standardErrors(), 0);
        assertArrayEquals(direct.table(3).counts(), table.counts());
        assertEquals("file:" + shards, table.metadata().get("shards"));
        NormTable read = NormTable.read(out);
        assertEquals(table, read);
        assertTrue(Files.readString(out).contains("# shards: file:" + shards + "\n"));

        BufferedImage png = ImageIO.read(dir.resolve("n.png").toFile());
        assertNotNull(png, "n.png is not a PNG");
        assertEquals(BandPlot.WIDTH, png.getWidth());
        assertEquals(BandPlot.HEIGHT, png.getHeight());
    }

    /** Shards fixed by --shard, grouped into 4, 2, 1 partitions, into the same --out: each run replaces the last. */
    @Test
    void partitionsOnlyGroupShardsAndARunReplacesTheShardsOfTheLast() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm-parts");
        double[] sigmas = TimeGrids.of("edm", Map.of(), CONFIG.edmFamily("test").processObject()).sigmas(20);
        Path out = dir.resolve("p.csv");
        NormTable first = null;
        for (int partitions : new int[] {4, 2, 1}) {
            NormTable t = NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas, "edm 20", 64, 8, partitions, 5,
                    "file:" + out);
            if (first == null) {
                first = t;
            }
            assertArrayEquals(first.values(), t.values(), 0);
            assertArrayEquals(first.standardErrors(), t.standardErrors(), 0);
            try (Stream<Path> files = Files.list(dir.resolve("p.shards.parquet"))) {
                assertEquals(partitions, files.filter(p -> p.getFileName().toString().startsWith("part-")
                        && p.toString().endsWith(".parquet")).count(), partitions + " partitions");
            }
            assertEquals(8 * 20, SparkTestSupport.spark().read().parquet(NormStatsJob.shardsDir("file:" + out))
                    .count());
            assertFalse(Files.exists(dir.resolve("p.shards.parquet._tmp")));
        }
    }

    @Test
    void refusesOutputsItCannotWriteOrReplace() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm-bad");
        double[] sigmas = TimeGrids.of("edm", Map.of(), CONFIG.edmFamily("test").processObject()).sigmas(10);
        Path foreign = Files.createDirectories(dir.resolve("f.shards.parquet"));
        Files.writeString(foreign.resolve("notes.txt"), "not ours");
        ConfigException e = assertThrows(ConfigException.class, () -> NormStatsJob.run(SparkTestSupport.spark(),
                CONFIG, sigmas, "edm 10", 8, 4, 0, 2, dir.resolve("f.csv").toString()));
        assertTrue(e.getMessage().contains(foreign + " from an earlier run holds notes.txt, which is not Spark's "
                + "Parquet output"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(Files.exists(foreign.resolve("notes.txt")));
        assertFalse(Files.exists(dir.resolve("f.csv")));

        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        e = assertThrows(ConfigException.class, () -> NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas,
                "edm 10", 8, 4, 0, 2, file.resolve("t.csv").toString()));
        assertTrue(e.getMessage().contains("cannot create the directory file:" + file), e.getMessage());
        Path isDir = Files.createDirectories(dir.resolve("d.csv"));
        e = assertThrows(ConfigException.class, () -> NormStatsJob.run(SparkTestSupport.spark(), CONFIG, sigmas,
                "edm 10", 8, 4, 0, 2, isDir.toString()));
        assertTrue(e.getMessage().contains(isDir + " exists and is not a file"), e.getMessage());
    }
}
