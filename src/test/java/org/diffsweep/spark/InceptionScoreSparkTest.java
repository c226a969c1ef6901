package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.InceptionScore;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Inception Score through the whole chain: a sweep whose metrics ask for it writes each sample's class
 * probabilities (the detector's softmax without the output bias) as the {@code class_probabilities} column beside
 * its features, and the metrics stage's score equals the one-shot score of exactly those rows. The detector is the
 * small stand-in with NVIDIA's inception-2015-12-05 interface (test resources, {@code detectors/standin-tiny-dim64.pt}, standin-tiny.pt with its 64 features stated);
 * a detector without class probabilities is refused before anything runs.
 */
@Tag("spark")
class InceptionScoreSparkTest {

    static String config(Path out, String detector, int dim, Path ref, Path real) throws Exception {
        return MultiDetectorSparkTest.head(out) + "detector: { path: %s, dim: %d }\nreference: %s\nreference_features: %s\n"
                .formatted(detector, dim, ref, real) + """
                metrics:
                  seed: 3
                  kid: { subsets: 3, subset_size: 6 }
                  inception_score: { splits: 2, variant: stylegan3 }
                """;
    }

    @Test
    void theScoreIsTheOneShotScoreOfTheWrittenProbabilities() throws Exception {
        Path dir = SparkTestSupport.tempDir("inception-score");
        Path ref = dir.resolve("ref.npz");
        double[] mu = new double[64];
        double[] sigma = new double[64 * 64];
        for (int i = 0; i < 64; i++) {
            sigma[i * 64 + i] = 0.01;
        }
        MultiDetectorSparkTest.npz(ref, new Gaussian(mu, sigma, 100), null);
        Path real = dir.resolve("real.features.parquet");
        MultiDetectorSparkTest.real(real, 64);
        String standin = Path.of("src/test/resources/detectors/standin-tiny-dim64.pt").toAbsolutePath().toString();
        SweepConfig c = SweepConfig.parse(config(dir.resolve("run"), standin, 64, ref, real), "is");
        RunJob.run(SparkTestSupport.spark(), c, 0);

        List<Float> probs = MultiDetectorSparkTest.column(c, ClassProbabilities.COLUMN, 1008);
        List<CSVRecord> rows = MultiDetectorSparkTest.csv(dir.resolve("run/metrics/metrics.csv"));
        int perConfig = (int) c.seedCount() * 1008;
        assertEquals(c.points().size() * perConfig, probs.size());
        for (int p = 0; p < c.points().size(); p++) {
            float[] mine = new float[perConfig];
            for (int i = 0; i < perConfig; i++) {
                mine[i] = probs.get(p * perConfig + i);
            }
            for (int r = 0; r < c.seedCount(); r++) {
                double sum = 0;
                for (int k = 0; k < 1008; k++) {
                    sum += mine[r * 1008 + k];
                }
                // a softmax in float32 over 1008 classes: each value within 2^-23 relative, so the sum within 1e-4
                assertEquals(1.0, sum, 1e-4, "row " + r + " is a probability vector");
            }
            InceptionScore.Result expected = InceptionScore.ofProbabilities(mine, (int) c.seedCount(), 1008, 2,
                    InceptionScore.Variant.parse("stylegan3"));
            CSVRecord row = rows.get(p);
            assertEquals(c.points().get(p).id(), row.get("config_id"));
            double mean = Double.parseDouble(row.get("is_mean"));
            // the same rows in the same splits, merged block by block: the same sums up to their order
            assertEquals(expected.mean(), mean, 1e-12 * expected.mean(), row.toString());
            assertTrue(mean >= 1.0, "an Inception Score is at least 1");
        }
    }

    @Test
    void aDetectorWithoutClassProbabilitiesIsRefusedBeforeAnythingRuns() throws Exception {
        Path dir = SparkTestSupport.tempDir("inception-score-refused");
        Path ref = dir.resolve("ref.npz");
        MultiDetectorSparkTest.npz(ref, new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 10),
                null);
        Path real = dir.resolve("real.features.parquet");
        MultiDetectorSparkTest.real(real, 2);
        SweepConfig c = SweepConfig.parse(config(dir.resolve("run"), DjlSweepSparkTest.model("tiny_features.pt"), 2,
                ref, real), "is");
        ConfigException e = assertThrows(ConfigException.class, () -> RunJob.run(SparkTestSupport.spark(), c, 0));
        assertTrue(e.getMessage().contains("no class probabilities"), e.getMessage());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("run/sweep")), "nothing written");
    }
}
