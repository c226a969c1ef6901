package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.features.Images;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A sweep on a DJL network with a DJL detector: the tiny TorchScript denoiser D = 0.5·x + σ and the detector
 * (mean, max)/255 of the uint8 pixels, both closed forms, so every feature is checked against a computation
 * written here independently of the pipeline.
 */
@Tag("spark")
class DjlSweepSparkTest {

    static String model(String file) throws Exception {
        return Path.of(DjlSweepSparkTest.class.getResource("/models/" + file).toURI()).toString();
    }

    static String config(Path out, String modelFile, String reference) throws Exception {
        return """
                name: djl-tiny
                output: %s
                model: { type: djl, path: %s, shape: [1, 2, 2], batch: 3 }
                detector: { path: %s, dim: 2 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { start: 5, count: 10 }
                block_size: 4
                batch_size: 4
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [ 3 ]
                reference: %s
                grid_images: 4
                """.formatted(out, model(modelFile), model("tiny_features.pt"), reference);
    }

    /** Euler on D = 0.5·x + σ, then (mean, max)/255 of the uint8 image: per seed, by hand. */
    static float[] expectedFeatures(long seed, double[] sigmas) {
        double[] x = BatchNoise.latents(new long[] {seed}, 4, sigmas[0]);
        for (int i = 0; i + 1 < sigmas.length; i++) {
            for (int j = 0; j < 4; j++) {
                float d = 0.5f * (float) x[j] + (float) sigmas[i]; // the network computes in float32
                double eps = (x[j] - d) / sigmas[i];
                x[j] += (sigmas[i + 1] - sigmas[i]) * eps;
            }
        }
        double sum = 0;
        int max = 0;
        for (int j = 0; j < 4; j++) {
            int u = Images.toUint8(x[j]);
            sum += 3 * u;
            max = Math.max(max, u);
        }
        return new float[] {(float) (sum / 12 / 255), max / 255f};
    }

    @Test
    void featuresAreTheDetectorsOnTheSamples() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("djl");
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100)));
        }
        SweepConfig config = SweepConfig.parse(config(dir.resolve("out"), "tiny.pt", ref.toString()), "test");
        RunJob.Outcome outcome = RunJob.run(spark, config, 0);
        double[] sigmas = config.points().get(0).levels();
        List<Row> rows = spark.read().option("recursiveFileLookup", "true").parquet(dir.resolve("out/sweep/features")
                .toString()).orderBy("seed").collectAsList();
        assertEquals(10, rows.size());
        FeatureStats stats = new FeatureStats(2);
        for (Row r : rows) {
            float[] expected = expectedFeatures(r.<Long>getAs("seed"), sigmas);
            List<Float> got = r.getList(r.fieldIndex("features"));
            assertEquals(expected[0], got.get(0), 1e-6, "seed " + r.getAs("seed"));
            assertEquals(expected[1], got.get(1), 1e-6);
            stats.add(expected);
        }
        double fid = FrechetDistance.between(Gaussian.of(stats),
                new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100));
        assertEquals(fid, outcome.table().get(0).fid(), 1e-5 * Math.max(1, fid));
        assertTrue(Files.size(dir.resolve("out/sweep/grids/" + config.points().get(0).id() + ".png")) > 50);
        String manifest = Files.readString(dir.resolve("out/sweep/manifest.json"));
        assertTrue(manifest.contains("tiny.pt@") && manifest.contains("tiny_features.pt@"), manifest);
    }

    /**
     * A sample network with an int64 step index (tiny_sample_int64.pt: x₀ = t/1000, refusing any other time type)
     * through the whole sweep: Euler's last step lands on D at the last level, the nearest step's index / 1000.
     */
    @Test
    void anInt64TimeNetworkRunsThroughTheSweep() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("djl-int64");
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100)));
        }
        String yaml = config(dir.resolve("out"), "tiny_sample_int64.pt", ref.toString())
                .replace("batch: 3 }", "batch: 3, output: sample, time: ddpm-index, time_dtype: int64 }")
                .replace("{ name: edm, sigma_min: 0.002, sigma_max: 2 }", "{ name: vp-discrete, beta_schedule: "
                        + "scaled_linear, beta_start: 0.00085, beta_end: 0.012, table_dtype: float32 }")
                .replace("grids: [ { name: edm } ]", "grids: [ { name: edm, sigma_min: 0.5, sigma_max: 14 } ]");
        SweepConfig config = SweepConfig.parse(yaml, "test");
        SweepJob.run(spark, config, 0);
        double[] sigmas = config.points().get(0).levels();
        org.diffsweep.diffusion.DdpmProcess ddpm = new org.diffsweep.diffusion.DdpmProcess(
                org.diffsweep.diffusion.BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, 1000, true);
        double last = sigmas[sigmas.length - 2];
        double k = Math.rint(ddpm.stepIndex(ddpm.time(last)));
        assertTrue(k > 0 && k < 999, "an index between the ends: " + k);
        int u = Images.toUint8((float) k / 1000f);
        List<Row> rows = spark.read().option("recursiveFileLookup", "true").parquet(dir.resolve("out/sweep/features")
                .toString()).collectAsList();
        assertEquals(10, rows.size());
        for (Row r : rows) {
            List<Float> got = r.getList(r.fieldIndex("features"));
            assertEquals(u / 255f, got.get(0), 1e-6, "seed " + r.getAs("seed"));
            assertEquals(u / 255f, got.get(1), 1e-6);
        }
    }

    @Test
    void badModelsFailWithTheirNameAndWriteNothing() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("djl-bad");
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[] {0, 0}, new double[] {1, 0, 0, 1}, 0)));
        }
        for (String[] c : new String[][] {{"tiny_nan.pt", "returned NaN"}, {"tiny_shape.pt", "output shape"},
                {"tiny_batch1.pt", "runs on a batch of 1 but fails on a batch of 2"}}) {
            Path out = dir.resolve(c[0]);
            SweepConfig config = SweepConfig.parse(config(out, c[0], ref.toString()), "test");
            Exception e = assertThrows(org.diffsweep.config.ConfigException.class,
                    () -> SweepJob.run(spark, config, 0));
            String message = rootMessage(e);
            assertTrue(message.contains(c[1]) && message.contains(c[0]), message);
            // found by the driver's probe, before anything is written: no manifest to block a rerun
            assertFalse(Files.exists(out), "nothing may be written for " + c[0]);
        }
        // a reference of the wrong dimension is refused by name
        Path ref3 = dir.resolve("ref3.npz");
        try (OutputStream o = Files.newOutputStream(ref3)) {
            Npz.write(o, Npz.of(new Gaussian(new double[3], new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0)));
        }
        // statistics made with another detector (ref-stats writes its id beside the .npz) are refused
        Files.writeString(dir.resolve("ref.json"), "{\"detector\": \"other.pt@0123456789ab\"}");
        // Both are found by the driver before the sweep writes anything: no compute is spent on a sweep whose FID
        // could not be taken.
        SweepConfig otherDetector = SweepConfig.parse(config(dir.resolve("other"), "tiny.pt", ref.toString()), "t");
        Exception other = assertThrows(org.diffsweep.config.ConfigException.class,
                () -> SweepJob.run(spark, otherDetector, 0));
        assertTrue(other.getMessage().contains("was made with detector other.pt@0123456789ab"), other.getMessage());
        assertFalse(Files.exists(dir.resolve("other")), "nothing may be written");
        SweepConfig wrongDim = SweepConfig.parse(config(dir.resolve("dim"), "tiny.pt", ref3.toString()), "test");
        Exception e = assertThrows(org.diffsweep.config.ConfigException.class, () -> SweepJob.run(spark, wrongDim, 0));
        assertTrue(e.getMessage().contains("has 3 features, expected 2 (detector tiny_features.pt@"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("dim")), "nothing may be written");
    }

    static String rootMessage(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
