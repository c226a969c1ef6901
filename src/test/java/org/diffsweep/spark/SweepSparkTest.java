package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.model.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The sweep, fid and run jobs on Spark's local mode, on a tiny mixture sweep. */
@Tag("spark")
class SweepSparkTest {

    static List<Row> features(SparkSession spark, String output) {
        return spark.read().option("recursiveFileLookup", "true").parquet(output + "/sweep/features")
                .orderBy("config_id", "seed").collectAsList();
    }

    static void assertSameRows(List<Row> a, List<Row> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).<String>getAs("config_id"), b.get(i).<String>getAs("config_id"));
            assertEquals(a.get(i).<Long>getAs("seed"), b.get(i).<Long>getAs("seed"));
            List<Float> fa = a.get(i).getList(a.get(i).fieldIndex("features"));
            List<Float> fb = b.get(i).getList(b.get(i).fieldIndex("features"));
            assertArrayEquals(fa.toArray(), fb.toArray(), "row " + i + " differs");
        }
    }

    @Test
    void featuresDoNotDependOnPartitionsOrBlockSize() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("determinism");
        String[] outs = {dir.resolve("p1").toString(), dir.resolve("p4").toString(), dir.resolve("b5").toString()};
        int builds = ModelCache.builds();
        SweepJob.run(spark, SweepConfig.parse(SparkTestSupport.tinyConfig(outs[0], 20, 8, 77), "tiny"), 1);
        SweepJob.run(spark, SweepConfig.parse(SparkTestSupport.tinyConfig(outs[1], 20, 8, 77), "tiny"), 4);
        SweepJob.run(spark, SweepConfig.parse(SparkTestSupport.tinyConfig(outs[2], 20, 5, 77), "tiny"), 0);
        // 3 sweeps, 36 tasks on one executor JVM (local mode): the model was built once
        assertEquals(1, ModelCache.builds() - builds);
        List<Row> p1 = features(spark, outs[0]);
        assertEquals(4 * 20, p1.size());
        assertSameRows(p1, features(spark, outs[1]));
        assertSameRows(p1, features(spark, outs[2]));
        // the rows carry the config's metadata and the NFE actually used
        Row first = p1.get(0);
        assertTrue(List.of("euler", "heun").contains(first.<String>getAs("sampler")));
        assertTrue(first.<String>getAs("grid").startsWith("edm(rho=7"));
    }

    @Test
    void runWritesTheTableAndResumesWithoutRecomputing() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        String out = SparkTestSupport.tempDir("run").resolve("out").toString();
        SweepConfig config = SweepConfig.parse(SparkTestSupport.tinyConfig(out, 30, 10), "tiny");

        RunJob.Outcome first = RunJob.run(spark, config, 0);
        assertTrue(first.sweepRan() && first.fidRan());
        assertEquals(4, first.table().size());
        for (String f : new String[] {"sweep/_COMPLETE", "sweep/manifest.json", "fid/_COMPLETE", "fid/fid.csv",
                "fid/fid.md"}) {
            assertTrue(Files.exists(Path.of(out, f)), f + " missing");
        }
        List<Row> table = spark.read().parquet(out + "/fid/table.parquet").collectAsList();
        assertEquals(4, table.size());

        // The fid job's numbers equal a direct computation from the feature rows.
        List<Row> rows = features(spark, out);
        for (FidJob.Entry e : first.table()) {
            FeatureStats s = new FeatureStats(4);
            rows.stream().filter(r -> r.<String>getAs("config_id").equals(e.point().id())).forEach(r -> {
                List<Float> f = r.getList(r.fieldIndex("features"));
                double[] d = new double[f.size()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = f.get(i);
                }
                s.add(d);
            });
            assertEquals(30, s.count());
            double direct = FrechetDistance.between(Gaussian.of(s), Models.exactReference(config.model()));
            assertEquals(direct, e.fid(), 1e-9 * Math.max(1, direct));
            assertEquals(e.point().nfe(), rows.stream()
                    .filter(r -> r.<String>getAs("config_id").equals(e.point().id()))
                    .findFirst().orElseThrow().<Integer>getAs("nfe"));
        }

        // A rerun of a complete output skips both stages.
        RunJob.Outcome again = RunJob.run(spark, config, 0);
        assertFalse(again.sweepRan() || again.fidRan());

        // A crash that lost one block (and the markers): only that block is recomputed, no duplicate rows.
        Path blockDir = Path.of(out, "sweep", "features", first.table().get(0).point().id());
        Path lost;
        try (Stream<Path> files = Files.list(blockDir)) {
            lost = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        long lostModified = Files.getLastModifiedTime(lost).toMillis();
        Files.delete(lost);
        Files.deleteIfExists(lost.resolveSibling("." + lost.getFileName() + ".crc"));
        Files.delete(Path.of(out, "sweep", "_COMPLETE"));
        Files.delete(Path.of(out, "fid", "_COMPLETE"));
        SweepJob.Summary resumed = SweepJob.run(spark, config, 0);
        assertEquals(1, resumed.computed());
        assertEquals(11, resumed.skipped());
        assertTrue(Files.exists(lost));
        List<Row> after = features(spark, out);
        assertSameRows(rows, after);
        assertTrue(lostModified <= Files.getLastModifiedTime(lost).toMillis());
    }
}
