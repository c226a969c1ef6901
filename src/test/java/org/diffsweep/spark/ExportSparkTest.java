package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.features.Images;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code export:} on the tiny TorchScript denoiser D = 0.5·x + σ: every exported pixel is compared with the uint8
 * value of the sample computed here by hand (Euler on the closed form), seed by seed.
 */
@Tag("spark")
class ExportSparkTest {

    static String config(Path out, Path ref, String shape, String export) throws Exception {
        return """
                name: export-tiny
                output: %s
                model: { type: djl, path: %s, shape: %s, batch: 3 }
                detector: { path: %s, dim: 2 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { start: 5, count: 10 }
                block_size: 4
                batch_size: 3
                samplers: [ { name: euler, label: eu }, { name: euler, label: eu2, nfe: [ 2 ] } ]
                grids: [ { name: edm } ]
                nfe: [ 3 ]
                reference: %s
                grid_images: 0
                %s
                """.formatted(out, DjlSweepSparkTest.model("tiny.pt"), shape, DjlSweepSparkTest.model("tiny_features.pt"),
                ref, export);
    }

    /** Euler on D = 0.5·x + σ (the network computes in float32), as uint8 values in NCHW order. */
    static int[] expectedPixels(long seed, int dim, double[] sigmas) {
        double[] x = BatchNoise.latents(new long[] {seed}, dim, sigmas[0]);
        for (int i = 0; i + 1 < sigmas.length; i++) {
            for (int j = 0; j < dim; j++) {
                float d = 0.5f * (float) x[j] + (float) sigmas[i];
                x[j] += (sigmas[i + 1] - sigmas[i]) * (x[j] - d) / sigmas[i];
            }
        }
        int[] u = new int[dim];
        for (int j = 0; j < dim; j++) {
            u[j] = Images.toUint8(x[j]);
        }
        return u;
    }

    static Path reference(Path dir) throws Exception {
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100)));
        }
        return ref;
    }

    @Test
    void grayscalePngsAreTheSamplesSeedBySeedInEdmsNaming() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("export-png");
        Path out = dir.resolve("out");
        SweepConfig c = SweepConfig.parse(config(out, reference(dir), "[1, 2, 3]",
                "export: { configs: [ eu ], format: png }"), "test");
        SweepJob.run(spark, c, 0);
        String id = c.points().get(0).id();
        assertEquals(List.of(id), c.export().configIds());
        double[] sigmas = c.points().get(0).levels();
        List<String> names;
        try (Stream<Path> files = Files.list(out.resolve("samples/" + id))) {
            // (the local file system's hidden checksum files, .NAME.crc, are no images to either tool)
            names = files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
        assertEquals(List.of("000005.png", "000006.png", "000007.png", "000008.png", "000009.png", "000010.png",
                "000011.png", "000012.png", "000013.png", "000014.png"), names);
        for (long seed = 5; seed < 15; seed++) {
            BufferedImage img = ImageIO.read(out.resolve(String.format("samples/%s/%06d.png", id, seed)).toFile());
            assertEquals(3, img.getWidth());
            assertEquals(2, img.getHeight());
            assertEquals(1, img.getRaster().getNumBands(), "grayscale PNG");
            int[] got = img.getRaster().getPixels(0, 0, 3, 2, (int[]) null);
            assertArrayEquals(expectedPixels(seed, 6, sigmas), got, "seed " + seed);
        }
        // Only the chosen config is exported, and nothing is left under temporary names.
        assertFalse(Files.exists(out.resolve("samples/" + c.points().get(1).id())));
        assertFalse(Files.exists(out.resolve("samples/_tmp")));
        assertTrue(SweepJob.complete(spark, c));
    }

    @Test
    void npzAddedToAFinishedSweepResamplesOnlyTheExportedBlocks() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("export-npz");
        Path out = dir.resolve("out");
        Path ref = reference(dir);
        SweepConfig plain = SweepConfig.parse(config(out, ref, "[3, 2, 2]", ""), "test");
        RunJob.run(spark, plain, 0);
        Map<String, Object> before = featureFiles(out);
        assertEquals(6, before.size());

        SweepConfig withExport = SweepConfig.parse(config(out, ref, "[3, 2, 2]",
                "export: { configs: [ all ], format: npz }"), "test");
        assertEquals(org.diffsweep.spark.Manifest.plan(plain).toString(),
                org.diffsweep.spark.Manifest.plan(withExport).toString(), "export is not part of the plan");
        assertFalse(SweepJob.complete(spark, withExport), "the export is still to be made");
        SweepJob.Summary s = SweepJob.run(spark, withExport, 0);
        assertEquals(6, s.computed(), "every block sampled again for its export");
        assertEquals(before, featureFiles(out), "committed features are not rewritten");
        assertTrue(SweepJob.complete(spark, withExport));

        for (int k = 0; k < 2; k++) {
            String id = withExport.points().get(k).id();
            double[] sigmas = withExport.points().get(k).levels();
            Npz.Array a;
            try (InputStream in = Files.newInputStream(out.resolve("samples/" + id + ".npz"))) {
                a = Npz.read(in, id).get("arr_0");
            }
            assertArrayEquals(new long[] {10, 2, 2, 3}, a.shape());
            for (int n = 0; n < 10; n++) {
                int[] chw = expectedPixels(5 + n, 12, sigmas);
                for (int ch = 0; ch < 3; ch++) {
                    for (int i = 0; i < 4; i++) {
                        assertEquals(chw[ch * 4 + i], a.values()[(n * 4 + i) * 3 + ch], "seed " + (5 + n));
                    }
                }
            }
        }
        assertFalse(Files.exists(out.resolve("samples/_blocks/" + withExport.points().get(0).id())),
                "the parts are deleted once the npz is in");

        // Done: a rerun samples nothing.
        assertEquals(0, SweepJob.run(spark, withExport, 0).computed());
    }

    /**
     * {@code export:} added to a run that finished its sweep, fid and metrics: run exports and does nothing else.
     * The features are not rewritten, so the fid and metrics tables (their files and their completion markers) are
     * left exactly as they were.
     */
    @Test
    void exportAddedToAFinishedRunOnlyExports() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("export-run");
        Path out = dir.resolve("out");
        Path ref = reference(dir);
        Path real = Files.createDirectories(dir.resolve("real.features.parquet"));
        long[] index = new long[12];
        float[] rows = new float[24];
        for (int i = 0; i < index.length; i++) {
            index[i] = i;
            rows[2 * i] = 0.5f + 0.01f * i;
            rows[2 * i + 1] = 0.6f - 0.02f * i;
        }
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(real.resolve("part-00000000.parquet").toUri()),
                new org.apache.hadoop.conf.Configuration(), index, rows, 2, Map.of());
        String metrics = "metrics: { seed: 1, kid: { subsets: 3, subset_size: 5 }, precision_recall: { k: 2, "
                + "samples: 8 } }\nreference_features: " + real;
        RunJob.Outcome first = RunJob.run(spark, SweepConfig.parse(config(out, ref, "[3, 2, 2]", metrics), "test"), 0);
        assertTrue(first.sweepRan() && first.fidRan() && first.metricsRan());
        List<Path> outputs = List.of(out.resolve("fid/_COMPLETE"), out.resolve("fid/fid.csv"),
                out.resolve("fid/table.parquet"), out.resolve("metrics/_COMPLETE"), out.resolve("metrics/metrics.csv"));
        Map<Path, Object> before = new TreeMap<>();
        for (Path p : outputs) {
            before.put(p, List.of(Files.getLastModifiedTime(p), Files.readAttributes(p,
                    java.nio.file.attribute.BasicFileAttributes.class).fileKey()));
        }
        Thread.sleep(20); // a rewrite within the file system's timestamp resolution would still show a new inode

        SweepConfig withExport = SweepConfig.parse(config(out, ref, "[3, 2, 2]",
                metrics + "\nexport: { configs: [ all ], format: npz }"), "test");
        RunJob.Outcome second = RunJob.run(spark, withExport, 0);
        assertFalse(second.sweepRan(), "no features were computed");
        assertFalse(second.fidRan(), "the fid table stands");
        assertFalse(second.metricsRan(), "the metrics table stands");
        Map<Path, Object> after = new TreeMap<>();
        for (Path p : outputs) {
            after.put(p, List.of(Files.getLastModifiedTime(p), Files.readAttributes(p,
                    java.nio.file.attribute.BasicFileAttributes.class).fileKey()));
        }
        assertEquals(before, after, "fid and metrics outputs untouched");
        for (int k = 0; k < 2; k++) {
            assertTrue(Files.exists(out.resolve("samples/" + withExport.points().get(k).id() + ".npz")));
        }
        assertTrue(Files.exists(out.resolve("report/index.html")));
    }

    private static Map<String, Object> featureFiles(Path out) throws Exception {
        Map<String, Object> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(out.resolve("sweep/features"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                m.put(out.relativize(p).toString(), Files.readAttributes(p,
                        java.nio.file.attribute.BasicFileAttributes.class).fileKey()); // a rewritten file is a new inode
            }
        }
        return m;
    }
}
