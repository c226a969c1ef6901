package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two detectors in one sweep (the tiny TorchScript denoiser, the detectors (mean, max)/255 and (min, first pixel,
 * mean of squares)/255): each detector's column of the features Parquet holds the same floats as a sweep with that
 * detector alone, the FID and metrics tables put each detector's numbers in its column group with exactly the
 * single-detector run's digits, and a reference that records another detector is refused before anything is
 * written.
 */
@Tag("spark")
class MultiDetectorSparkTest {

    static final String METRICS = """
            metrics:
              seed: 3
              kid: { subsets: 3, subset_size: 6 }
              precision_recall: { k: 2, samples: 12 }
            """;

    static String head(Path out) throws Exception {
        return """
                name: multi-tiny
                output: %s
                model: { type: djl, path: %s, shape: [1, 2, 2], batch: 3 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { start: 5, count: 12 }
                block_size: 5
                batch_size: 4
                samplers: [ { name: euler, label: e }, { name: heun, label: h, vs: e } ]
                grids: [ { name: edm } ]
                nfe: [ 3, 5 ]
                grid_images: 0
                """.formatted(out, DjlSweepSparkTest.model("tiny.pt"));
    }

    static String single(Path out, String detector, int dim, Path ref, Path real) throws Exception {
        return head(out) + "detector: { path: %s, dim: %d }\nreference: %s\nreference_features: %s\n".formatted(
                DjlSweepSparkTest.model(detector), dim, ref, real) + METRICS;
    }

    static String multi(Path out, Path ref1, Path real1, Path ref2, Path real2) throws Exception {
        return head(out) + """
                detectors:
                  - { name: meanmax, path: %s, dim: 2, metric: FID, reference: %s, reference_features: %s }
                  - { name: second, path: %s, dim: 3, metric: FD_DINOv2, reference: %s, reference_features: %s }
                """.formatted(DjlSweepSparkTest.model("tiny_features.pt"), ref1, real1,
                DjlSweepSparkTest.model("tiny_features2.pt"), ref2, real2) + METRICS;
    }

    static void npz(Path file, Gaussian g, String detectorSha256) throws Exception {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>(Npz.of(g));
        if (detectorSha256 != null) {
            arrays.put(Npz.DETECTOR_SHA256, Npz.Array.text(detectorSha256));
        }
        try (OutputStream o = Files.newOutputStream(file)) {
            Npz.write(o, arrays);
        }
    }

    /** Real features: 16 rows of {@code dim} values from a fixed formula. */
    static void real(Path file, int dim) throws Exception {
        int n = 16;
        long[] index = new long[n];
        float[] rows = new float[n * dim];
        for (int i = 0; i < n; i++) {
            index[i] = i;
            for (int d = 0; d < dim; d++) {
                rows[i * dim + d] = (float) (0.3 + 0.05 * ((i * 7 + d * 3) % 11));
            }
        }
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(file.resolve("part-00000000.parquet").toString()),
                new Configuration(), index, rows, dim, Map.of());
    }

    static List<CSVRecord> csv(Path file) throws Exception {
        return CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(Files.newBufferedReader(file)).getRecords();
    }

    /** Every feature of every block of a config's column, in block and row order. */
    static List<Float> column(SweepConfig c, String column, int dim) throws Exception {
        List<Float> out = new ArrayList<>();
        SweepLayout layout = new SweepLayout(c.output());
        for (var p : c.points()) {
            for (long s = c.seedStart(); s < c.seedStart() + c.seedCount(); s += c.blockSize()) {
                FeatureBlocks.Block b = FeatureBlocks.read(layout.block(p.id(), s, Math.min(c.seedStart()
                        + c.seedCount(), s + c.blockSize())), new Configuration(), dim, "seed", column);
                for (float f : b.features()) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    @Test
    void eachColumnGroupIsItsDetectorsSingleRun() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("multi-detector");
        Path ref1 = dir.resolve("ref1.npz");
        Path ref2 = dir.resolve("ref2.npz");
        npz(ref1, new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0.002, 0.002, 0.02}, 100), null);
        npz(ref2, new Gaussian(new double[] {0.2, 0.4, 0.3}, new double[] {0.01, 0, 0, 0, 0.02, 0, 0, 0, 0.03}, 50),
                null);
        Path real1 = dir.resolve("real1.features.parquet");
        Path real2 = dir.resolve("real2.features.parquet");
        real(real1, 2);
        real(real2, 3);

        SweepConfig one = SweepConfig.parse(single(dir.resolve("one"), "tiny_features.pt", 2, ref1, real1), "one");
        SweepConfig two = SweepConfig.parse(single(dir.resolve("two"), "tiny_features2.pt", 3, ref2, real2), "two");
        SweepConfig both = SweepConfig.parse(multi(dir.resolve("both"), ref1, real1, ref2, real2), "both");
        assertEquals(one.points().stream().map(p -> p.id()).toList(), both.points().stream().map(p -> p.id())
                .toList(), "config ids do not depend on the detectors");
        RunJob.run(spark, one, 0);
        RunJob.run(spark, two, 0);
        RunJob.run(spark, both, 0);

        // the image is made once and each detector sees it: each column is its detector's single run, to the bit
        assertEquals(column(one, "features", 2), column(both, "features", 2));
        assertEquals(column(two, "features", 3), column(both, "features_second", 3));

        // fid.csv: the single runs' digits in each group
        List<CSVRecord> fid1 = csv(dir.resolve("one/fid/fid.csv"));
        List<CSVRecord> fid2 = csv(dir.resolve("two/fid/fid.csv"));
        List<CSVRecord> fid = csv(dir.resolve("both/fid/fid.csv"));
        assertEquals(4, fid.size());
        for (int i = 0; i < fid.size(); i++) {
            assertEquals(fid1.get(i).get("config_id"), fid.get(i).get("config_id"));
            assertEquals(fid1.get(i).get("fid"), fid.get(i).get("meanmax_FID"));
            assertEquals(fid1.get(i).get("fid_se"), fid.get(i).get("meanmax_FID_se"));
            assertEquals(fid2.get(i).get("fid"), fid.get(i).get("second_FD_DINOv2"));
            assertEquals(fid2.get(i).get("fid_se"), fid.get(i).get("second_FD_DINOv2_se"));
            assertEquals(fid1.get(i).get("reference"), fid.get(i).get("meanmax_reference"));
            assertEquals("50", fid.get(i).get("second_n_reference"));
            assertEquals("detector of reference not recorded", fid.get(i).get("second_reference_detector"));
        }
        List<CSVRecord> d1 = csv(dir.resolve("one/fid/differences.csv"));
        List<CSVRecord> d2 = csv(dir.resolve("two/fid/differences.csv"));
        List<CSVRecord> d = csv(dir.resolve("both/fid/differences.csv"));
        for (int i = 0; i < d.size(); i++) {
            assertEquals(d1.get(i).get("difference"), d.get(i).get("meanmax_FID_difference"));
            assertEquals(d2.get(i).get("difference_se"), d.get(i).get("second_FD_DINOv2_difference_se"));
        }
        String md = Files.readString(dir.resolve("both/fid/fid.md"));
        assertTrue(md.contains("| sampler | grid | NFE | meanmax FID | second FD_DINOv2 |"), md);

        // metrics.csv: likewise
        List<CSVRecord> m1 = csv(dir.resolve("one/metrics/metrics.csv"));
        List<CSVRecord> m2 = csv(dir.resolve("two/metrics/metrics.csv"));
        List<CSVRecord> m = csv(dir.resolve("both/metrics/metrics.csv"));
        for (int i = 0; i < m.size(); i++) {
            assertEquals(m1.get(i).get("kid_mean"), m.get(i).get("meanmax_kid_mean"));
            assertEquals(m1.get(i).get("recall_real_in_generated"), m.get(i).get("meanmax_recall"));
            assertEquals(m2.get(i).get("kid_se"), m.get(i).get("second_kid_se"));
            assertEquals(m2.get(i).get("precision_generated_in_real"), m.get(i).get("second_precision"));
        }
        assertTrue(Files.size(dir.resolve("both/report/index.html")) > 1000);

        // The single-detector sweep's plan names one detector, as before; the list adds its own key.
        String plan1 = Files.readString(dir.resolve("one/sweep/manifest.json"));
        assertFalse(plan1.contains("\"detectors\""), plan1);
        assertTrue(Files.readString(dir.resolve("both/sweep/manifest.json")).contains("\"features_second\""));
        // Single-detector tables keep their columns
        assertEquals(List.of("config_id", "sampler", "grid", "nfe_requested", "steps", "nfe", "n", "fid", "fid_se",
                "jackknife_groups", "floor_mean", "floor_sd", "model", "sweep", "seed_start", "code_version",
                "n_reference", "detector", "reference", "network_calls"), fid1.get(0).getParser().getHeaderNames());

        // Running it again reuses everything: nothing is computed
        RunJob.Outcome again = RunJob.run(spark, both, 0);
        assertFalse(again.sweepRan() || again.fidRan() || again.metricsRan());

        // the fid stage without Spark (a local master's 'diffsweep fid') reduces each column to the same digits
        org.diffsweep.jobs.FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), both, 2);
        List<CSVRecord> local = csv(dir.resolve("both/fid/fid.csv"));
        for (int i = 0; i < fid.size(); i++) {
            assertEquals(fid.get(i).get("meanmax_FID"), local.get(i).get("meanmax_FID"));
            assertEquals(fid.get(i).get("second_FD_DINOv2_se"), local.get(i).get("second_FD_DINOv2_se"));
        }
    }

    @Test
    void aReferenceOfAnotherDetectorIsRefusedBeforeAnythingIsWritten() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("multi-detector-bad");
        Path ref1 = dir.resolve("ref1.npz");
        Path ref2 = dir.resolve("ref2.npz");
        npz(ref1, new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100), null);
        // made with another network: ref-stats records the detector's hash in the .npz
        npz(ref2, new Gaussian(new double[] {0.2, 0.4, 0.3}, new double[] {0.01, 0, 0, 0, 0.02, 0, 0, 0, 0.03}, 50),
                "ab".repeat(32));
        Path real = dir.resolve("real.features.parquet");
        String text = multi(dir.resolve("out"), ref1, real, ref2, real).replace(METRICS, "").replaceAll(
                ", reference_features: [^ ]+ ", " ");
        SweepConfig c = SweepConfig.parse(text, "bad");
        ConfigException e = assertThrows(ConfigException.class, () -> SweepJob.run(spark, c, 0));
        assertTrue(e.getMessage().contains("ref2.npz was made with detector sha256 " + "ab".repeat(32)
                + ", expected detector second (tiny_features2.pt@"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertFalse(Files.exists(dir.resolve("out")), "nothing may be written");

        // a further detector's reference of the wrong dimension names that detector
        npz(ref2, new Gaussian(new double[] {0.2, 0.4}, new double[] {0.01, 0, 0, 0.02}, 50), null);
        ConfigException dim = assertThrows(ConfigException.class, () -> SweepJob.run(spark, c, 0));
        assertTrue(dim.getMessage().contains("has 2 features, expected 3 (detector tiny_features2.pt@"),
                dim.getMessage());
        assertFalse(Files.exists(dir.resolve("out")), "nothing may be written");
    }

    @Test
    void refStatsRunsEveryDetectorInOnePassOverAnImageBatch() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("multi-detector-refstats");
        String images = Path.of(getClass().getResource("/npz/formats/images-adm.npz").toURI()).toString();
        org.diffsweep.config.NetSpec d1 = new org.diffsweep.config.NetSpec("detector",
                DjlSweepSparkTest.model("tiny_features.pt"), null, "detector", null, 2, 4, null);
        org.diffsweep.config.NetSpec d2 = new org.diffsweep.config.NetSpec("detector",
                DjlSweepSparkTest.model("tiny_features2.pt"), null, "detector", null, 3, 4, null);
        List<Gaussian> both = org.diffsweep.jobs.RefStatsJob.runAll(spark, images, null, java.util.Arrays.asList(d1, d2),
                0, List.of(dir.resolve("a.npz").toString(), dir.resolve("b.npz").toString()), 5);
        Gaussian alone = org.diffsweep.jobs.RefStatsJob.run(spark, images, null, d2, 0, dir.resolve("c.npz")
                .toString(), 5);
        // one pass or alone: the same sums, to the bit
        assertArrayEquals(alone.mean(), both.get(1).mean());
        assertArrayEquals(alone.cov(), both.get(1).cov());
        // (mean, max)/255 of each image of the batch, by hand (pixels (31 i + 7 y + 3 x + 11 c) mod 256, 4x3 RGB)
        double[] mean = new double[2];
        for (int i = 0; i < 5; i++) {
            double sum = 0;
            int max = 0;
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 3; x++) {
                    for (int c = 0; c < 3; c++) {
                        int v = (31 * i + 7 * y + 3 * x + 11 * c) % 256;
                        sum += v;
                        max = Math.max(max, v);
                    }
                }
            }
            mean[0] += (float) (sum / 36 / 255) / 5.0;
            mean[1] += (float) (max / 255.0) / 5.0;
        }
        assertArrayEquals(mean, both.get(0).mean(), 1e-7);
        assertEquals(5, both.get(0).n());
        // each .npz records its own detector; its kept features are written beside it
        for (String[] f : new String[][] {{"a", "tiny_features.pt"}, {"b", "tiny_features2.pt"}}) {
            try (java.io.InputStream in = Files.newInputStream(dir.resolve(f[0] + ".npz"))) {
                assertEquals(ModelFiles.sha256(DjlSweepSparkTest.model(f[1]), new Configuration()),
                        Npz.text(Npz.read(in, f[0]), Npz.DETECTOR_SHA256));
            }
            assertTrue(Files.exists(dir.resolve(f[0] + ".features.parquet/_SUCCESS")));
        }
    }
}
