package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.MetricsJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.Kid;
import org.diffsweep.metrics.PrecisionRecall;
import org.diffsweep.model.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The metrics stage on a tiny mixture sweep: each config's KID and precision/recall are exactly what
 * {@link Kid#of} and {@link PrecisionRecall#of} give on the features read back here (the distribution, the
 * broadcast and the tiling change nothing); real features from a file give the numbers of the same rows drawn
 * exactly; sizes the sets cannot give are refused in one line before anything runs.
 */
@Tag("spark")
class MetricsStageSparkTest {

    static final int SEEDS = 40;
    static final String METRICS = """
            metrics:
              seed: 7
              kid: { subsets: 6, subset_size: 20 }
              precision_recall: { k: 3, samples: 30 }
            """;

    /** A config's features read back with Spark, in seed order. */
    static float[] readBack(SparkSession spark, SweepConfig c, String id) {
        String dir = new SweepLayout(c.output()).features() + "/" + id;
        List<Row> rows = spark.read().parquet(dir).orderBy("seed").select("features").collectAsList();
        int dim = c.featureDim();
        float[] out = new float[rows.size() * dim];
        for (int r = 0; r < rows.size(); r++) {
            List<Float> f = rows.get(r).getList(0);
            for (int i = 0; i < dim; i++) {
                out[r * dim + i] = f.get(i);
            }
        }
        return out;
    }

    @Test
    void theJobsNumbersAreTheDirectComputationOnTheFeaturesReadBack() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("metrics-stage");
        String out = dir.resolve("out").toString();
        String plain = SparkTestSupport.tinyConfig(out, SEEDS, 16);
        SweepJob.run(spark, SweepConfig.parse(plain, "tiny"), 0);
        // the metrics keys are not part of the sweep's identity: the sweep made without them is complete for it
        SweepConfig c = SweepConfig.parse(plain + METRICS, "tiny");
        assertTrue(SweepJob.complete(spark, c));

        List<MetricsJob.Entry> table = MetricsJob.run(spark, c);
        assertEquals(c.points().size(), table.size());
        int dim = c.featureDim();
        float[] real = Models.exactSamples(c.model(), c.seedStart(), SEEDS);
        for (MetricsJob.Entry e : table) {
            float[] gen = readBack(spark, c, e.point().id());
            assertEquals(SEEDS * dim, gen.length);
            assertEquals(Kid.of(real, SEEDS, gen, SEEDS, dim, 6, 20, 7), e.kid(), e.point().id());
            assertEquals(PrecisionRecall.of(real, SEEDS, gen, SEEDS, dim, 3, 30, 7), e.pr(), e.point().id());
            assertEquals(30, e.pr().nReal());
            assertEquals(30, e.pr().nGenerated());
            assertTrue(Double.isFinite(e.kid().mean()) && e.kid().sd() > 0, e.kid().toString());
            System.out.printf("metrics test %s: KID %.4g ± %.2g, precision %.3f, recall %.3f (%.2f s)%n",
                    e.point().id(), e.kid().mean(), e.kid().sd(), e.pr().precision(), e.pr().recall(), e.seconds());
        }
        Path md = dir.resolve("out/metrics/metrics.md");
        assertTrue(Files.exists(dir.resolve("out/metrics/_COMPLETE")) && Files.exists(md));
        assertTrue(Files.readString(md).contains("precision (generated in real manifold)"));
        for (String plot : List.of("kid", "precision", "recall", "density", "coverage")) {
            assertTrue(Files.size(dir.resolve("out/metrics/" + plot + "-vs-nfe.png")) > 1000, plot);
        }
        for (MetricsJob.Entry e : table) {
            assertTrue(e.kid().se() > 0 && e.pr().precisionSe() >= 0 && e.pr().recallSe() >= 0
                    && e.pr().densitySe() >= 0 && e.pr().coverageSe() >= 0 && e.kid().groups() == 10,
                    e.point().id() + ": " + e.kid() + " " + e.pr());
            assertTrue(e.pr().density() >= 0 && e.pr().coverage() >= 0 && e.pr().coverage() <= 1, e.pr().toString());
            assertEquals(null, e.inceptionScore());
        }
        assertTrue(Files.readString(dir.resolve("out/metrics/metrics.csv")).lines().findFirst().orElseThrow()
                .endsWith(",kid_se,precision_se,recall_se,jackknife_groups,density,density_se,coverage,coverage_se,"
                        + "is_mean,is_sd,is_splits,is_variant"));
        assertTrue(Files.readString(md).contains("| density ± SE | coverage ± SE |"));
        assertTrue(Files.readString(dir.resolve("out/metrics/metrics.csv"))
                .startsWith("config_id,sampler,grid,nfe_requested,steps,nfe,n_generated,n_real,kid_mean,kid_sd,"));
        // the same table as Parquet, from the same schema
        List<org.apache.spark.sql.Row> rows = spark.read().parquet(dir.resolve("out/metrics/table.parquet").toString())
                .collectAsList();
        assertEquals(table.size(), rows.size());
        for (org.apache.spark.sql.Row r : rows) {
            String id = r.getAs("config_id");
            MetricsJob.Entry e = table.stream().filter(x -> x.point().id().equals(id)).findFirst().orElseThrow();
            assertEquals(e.kid().mean(), (double) r.getAs("kid_mean"), 0, id);
        }
        assertTrue(MetricsJob.complete(spark, c));
        assertFalse(MetricsJob.complete(spark, SweepConfig.parse(plain + METRICS.replace("seed: 7", "seed: 8"),
                "tiny")));
        // an Inception Score needs class probabilities in the blocks, which this sweep's features do not carry:
        // refused in one line before anything is computed (the finished table stays as it was)
        ConfigException noProbs = assertThrows(ConfigException.class, () -> MetricsJob.requireClassProbabilities(c,
                new SweepLayout(c.output()), spark.sparkContext().hadoopConfiguration()));
        assertTrue(noProbs.getMessage().contains("class_probabilities") && !noProbs.getMessage().contains("\n"),
                noProbs.getMessage());
        // run: the sweep and the metrics table are complete, so only fid runs
        java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(dir.resolve("out/metrics/metrics.csv"));
        org.diffsweep.jobs.RunJob.Outcome o = org.diffsweep.jobs.RunJob.run(spark, c, 0);
        assertFalse(o.sweepRan());
        assertEquals(made, Files.getLastModifiedTime(dir.resolve("out/metrics/metrics.csv")));

        // The same real rows from a file (two parts, written out of order): the same numbers.
        Path features = Files.createDirectories(dir.resolve("real.features.parquet"));
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        int half = SEEDS / 2;
        long[] second = new long[SEEDS - half];
        long[] first = new long[half];
        for (int i = 0; i < SEEDS; i++) {
            if (i < half) {
                first[i] = i;
            } else {
                second[i - half] = i;
            }
        }
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(features.resolve("part-00000000.parquet").toUri()), conf,
                second, java.util.Arrays.copyOfRange(real, half * dim, SEEDS * dim), dim, java.util.Map.of());
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(features.resolve("part-00000001.parquet").toUri()), conf,
                first, java.util.Arrays.copyOfRange(real, 0, half * dim), dim, java.util.Map.of());
        SweepConfig fromFile = SweepConfig.parse(plain + METRICS + "reference_features: " + features + "\n", "tiny");
        assertTrue(SweepJob.complete(spark, fromFile));
        List<MetricsJob.Entry> again = MetricsJob.run(spark, fromFile);
        for (int i = 0; i < table.size(); i++) {
            assertEquals(table.get(i).kid(), again.get(i).kid());
            assertEquals(table.get(i).pr(), again.get(i).pr());
        }
        assertTrue(MetricsJob.complete(spark, fromFile));
        // Other features under the same name and of the same size are not the ones the table was measured with.
        float[] other = java.util.Arrays.copyOfRange(real, 0, half * dim);
        other[0] += 1;
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(features.resolve("part-00000001.parquet").toUri()), conf,
                first, other, dim, java.util.Map.of());
        assertFalse(MetricsJob.complete(spark, fromFile), "regenerated real features must not reuse the table");
    }

    @Test
    void sizesTheSetsCannotGiveAreRefusedInOneLine() throws Exception {
        String out = SparkTestSupport.tempDir("metrics-refused").resolve("out").toString();
        String plain = SparkTestSupport.tinyConfig(out, SEEDS, 16);
        // refused before the sweep's completeness is even looked at: nothing has run in out
        ConfigException big = assertThrows(ConfigException.class, () -> MetricsJob.run(SparkTestSupport.spark(),
                SweepConfig.parse(plain + "metrics: { kid: { subset_size: 41 } }\n", "tiny")));
        assertTrue(big.getMessage().contains("subset size 41") && big.getMessage().contains("real n = 40")
                && big.getMessage().contains("generated n = 40"), big.getMessage());
        ConfigException k = assertThrows(ConfigException.class, () -> MetricsJob.run(SparkTestSupport.spark(),
                SweepConfig.parse(plain + "metrics: { precision_recall: { k: 40, samples: 100 } }\n", "tiny")));
        assertTrue(k.getMessage().contains("k = 40") && k.getMessage().contains("n = 40"), k.getMessage());
        for (String bad : new String[] {"metrics: { precision_recall: { k: 0 } }",
                "metrics: { precision_recall: { k: 3, samples: 3 } }", "metrics: { kid: { subsets: 0 } }",
                "metrics: { kid: { subset_size: 1 } }", "metrics: {}", "metrics: { fid: 1 }",
                "metrics: { inception_score: { variant: tf } }", "metrics: { inception_score: { splits: 0 } }",
                "metrics: { inception_score: { variant: adm, splits: 10 } }",
                "metrics: { inception_score: { shuffle: true } }", "metrics: { inception_score: {} }",
                "reference_features: x.features.parquet"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> SweepConfig.parse(plain + bad + "\n",
                    "tiny"), bad);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        // (a config without a detector cannot ask for an Inception Score at all: the spec is made here directly)
        ConfigException splits = assertThrows(ConfigException.class, () -> MetricsJob.check(
                new org.diffsweep.config.MetricsSpec(0, 0, 0, 0, 0, null, 41, "stylegan3"), SEEDS, SEEDS));
        assertTrue(splits.getMessage().contains("40 samples in 41 splits"), splits.getMessage());
        for (ConfigException e : List.of(big, k, splits)) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
