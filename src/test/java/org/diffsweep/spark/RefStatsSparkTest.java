package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.diffsweep.config.NetSpec;
import org.diffsweep.jobs.RefStatsJob;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ref-stats on a small IDX file and a small PNG folder it writes itself; the statistics are computed here
 * independently from the same pixels (the tiny detector's features are (mean, max)/255 of the pixels).
 */
@Tag("spark")
class RefStatsSparkTest {

    static final int N = 30;
    static final int H = 5;
    static final int W = 4;

    static byte[][] images(long seed) {
        Random r = new Random(seed);
        byte[][] out = new byte[N][H * W];
        for (byte[] img : out) {
            r.nextBytes(img);
        }
        return out;
    }

    static Gaussian direct(byte[][] images) {
        FeatureStats s = new FeatureStats(2);
        for (byte[] img : images) {
            double sum = 0;
            int max = 0;
            for (byte b : img) {
                sum += b & 0xff;
                max = Math.max(max, b & 0xff);
            }
            s.add(new float[] {(float) (sum / img.length / 255), max / 255f});
        }
        return Gaussian.of(s);
    }

    static NetSpec detector() throws Exception {
        String path = Path.of(RefStatsSparkTest.class.getResource("/models/tiny_features.pt").toURI()).toString();
        return new NetSpec("detector", path, null, "detector", null, 2, 8, null);
    }

    static void assertClose(Gaussian expected, Gaussian actual) {
        assertEquals(expected.n(), actual.n());
        for (int i = 0; i < expected.mean().length; i++) {
            assertEquals(expected.mean()[i], actual.mean()[i], 1e-6);
        }
        for (int i = 0; i < expected.cov().length; i++) {
            assertEquals(expected.cov()[i], actual.cov()[i], 1e-6);
        }
    }

    /** The tiny detector's features of one image, (mean, max)/255 of its pixels, as the detector computes them. */
    static double[] feature(byte[] img) {
        double sum = 0;
        int max = 0;
        for (byte b : img) {
            sum += b & 0xff;
            max = Math.max(max, b & 0xff);
        }
        return new double[] {(float) (sum / img.length / 255), max / 255f};
    }

    /**
     * An IDX file with a labels file beside it: the .npz adds class_n, class_mu and class_sigma, each class's count,
     * mean and unbiased covariance by the two-pass textbook formulas over that class's images (zeros for a class of
     * one image), and keeps mu, sigma and n exactly as the same images without labels give them.
     */
    @Test
    void idxLabelsAddPerClassStatistics() throws Exception {
        Path dir = SparkTestSupport.tempDir("refstats-labels");
        int count = 2100; // two tasks of 2048 and 52 images: the per-class sums are merged across them
        byte[][] imgs = new byte[count][H * W];
        Random rng = new Random(3);
        for (byte[] img : imgs) {
            rng.nextBytes(img);
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i == 0 ? 3 : i % 3; // class 3 has one image: its statistics are undefined
        }
        Path plain = dir.resolve("plain");
        Path labelled = dir.resolve("labelled");
        for (Path d : new Path[] {plain, labelled}) {
            Files.createDirectories(d);
            try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(d.resolve("t10k-images-idx3-ubyte")))) {
                o.writeInt(0x803);
                o.writeInt(count);
                o.writeInt(H);
                o.writeInt(W);
                for (byte[] img : imgs) {
                    o.write(img);
                }
            }
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labelled.resolve("t10k-labels-idx1-ubyte")))) {
            o.writeInt(0x801);
            o.writeInt(count);
            for (int l : labels) {
                o.write(l);
            }
        }
        java.util.Map<String, Npz.Array> a = null;
        java.util.Map<String, Npz.Array> b = null;
        for (Path d : new Path[] {plain, labelled}) {
            String out = d.resolve("stats.npz").toString();
            RefStatsJob.run(SparkTestSupport.spark(), d.resolve("t10k-images-idx3-ubyte").toString(), null, detector(),
                    0, out, d == plain ? 0 : 100);
            try (InputStream in = Files.newInputStream(Path.of(out))) {
                if (d == plain) {
                    a = Npz.read(in, out);
                } else {
                    b = Npz.read(in, out);
                }
            }
        }
        assertEquals(java.util.List.of("mu", "sigma", "n", Npz.DETECTOR_SHA256), java.util.List.copyOf(a.keySet()),
                "without labels the file is as before");
        for (String k : new String[] {"mu", "sigma", "n"}) {
            // two chunks' sums added in either order are the same bits
            assertArrayEquals(a.get(k).values(), b.get(k).values(), 0, k + ": the same bits with labels beside");
        }
        assertArrayEquals(new long[] {4}, b.get(Npz.CLASS_N).shape());
        assertArrayEquals(new long[] {4, 2}, b.get(Npz.CLASS_MU).shape());
        assertArrayEquals(new long[] {4, 2, 2}, b.get(Npz.CLASS_SIGMA).shape());
        Gaussian[] byClass = Npz.classGaussians(b, 2, "labelled");
        for (int c = 0; c < 4; c++) {
            java.util.List<double[]> rows = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (labels[i] == c) {
                    rows.add(feature(imgs[i]));
                }
            }
            assertEquals(rows.size(), b.get(Npz.CLASS_N).values()[c], 0, "class " + c);
            double[] mean = new double[2];
            for (double[] r : rows) {
                mean[0] += r[0] / rows.size();
                mean[1] += r[1] / rows.size();
            }
            if (rows.size() < 2) {
                assertEquals(null, byClass[c], "class " + c + " of one image has no Gaussian");
                assertArrayEquals(new double[4], java.util.Arrays.copyOfRange(b.get(Npz.CLASS_SIGMA).values(),
                        4 * c, 4 * c + 4), 0);
                continue;
            }
            double[] cov = new double[4];
            for (double[] r : rows) {
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        cov[2 * i + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (rows.size() - 1);
                    }
                }
            }
            // features in [0, 1] from float32, sums of at most 700 rows: 1e-6 is far above the round-off
            assertArrayEquals(mean, byClass[c].mean(), 1e-6, "class " + c);
            assertArrayEquals(cov, byClass[c].cov(), 1e-6, "class " + c);
            assertEquals(rows.size(), byClass[c].n());
        }
        assertTrue(Files.readString(labelled.resolve("stats.json")).contains("\"classes\""));
        // the kept features carry each image's label
        int kept = 0;
        try (java.util.stream.Stream<Path> parts = Files.list(labelled.resolve("stats.features.parquet"))) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                FeatureBlocks.Block block = FeatureBlocks.read(new org.apache.hadoop.fs.Path(part.toString()),
                        new org.apache.hadoop.conf.Configuration(), 2, "index", "features", null, true);
                for (int r = 0; r < block.rows(); r++) {
                    assertEquals(labels[(int) block.seeds()[r]], block.labels()[r], "image " + block.seeds()[r]);
                    kept++;
                }
            }
        }
        assertEquals(100, kept);
    }

    @Test
    void idxFileThroughTheDetector() throws Exception {
        Path dir = SparkTestSupport.tempDir("refstats-idx");
        byte[][] imgs = images(1);
        Path idx = dir.resolve("t10k-images-idx3-ubyte");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(idx))) {
            o.writeInt(0x803);
            o.writeInt(N);
            o.writeInt(H);
            o.writeInt(W);
            for (byte[] img : imgs) {
                o.write(img);
            }
        }
        String out = dir.resolve("stats.npz").toString();
        Gaussian g = RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, detector(), 0, out);
        assertClose(direct(imgs), g);
        try (InputStream in = Files.newInputStream(Path.of(out))) {
            Gaussian back = Npz.gaussian(Npz.read(in, out), out);
            assertArrayEquals(g.mean(), back.mean(), 0);
            assertArrayEquals(g.cov(), back.cov(), 0);
        }
        assertTrue(Files.exists(dir.resolve("stats.json")) && Files.isDirectory(dir.resolve("stats.parquet")));
        // --limit uses the first images only
        Gaussian first10 = RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), "idx", detector(), 10,
                dir.resolve("first10.npz").toString());
        assertClose(direct(java.util.Arrays.copyOf(imgs, 10)), first10);
    }

    @Test
    void pngFolderAsPixels() throws Exception {
        Path dir = SparkTestSupport.tempDir("refstats-png");
        byte[][] imgs = images(2);
        Path folder = Files.createDirectories(dir.resolve("pngs/00000"));
        for (int i = 0; i < N; i++) {
            BufferedImage b = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    b.getRaster().setSample(x, y, 0, imgs[i][y * W + x] & 0xff);
                }
            }
            ImageIO.write(b, "png", folder.resolve(String.format("img%08d.png", i)).toFile());
        }
        // without a detector the features are the pixels in [−1, 1]
        FeatureStats s = new FeatureStats(H * W);
        for (byte[] img : imgs) {
            double[] v = new double[img.length];
            for (int j = 0; j < v.length; j++) {
                v[j] = (img[j] & 0xff) / 127.5 - 1;
            }
            s.add(v);
        }
        Gaussian g = RefStatsJob.run(SparkTestSupport.spark(), dir.resolve("pngs").toString(), null, null, 0,
                dir.resolve("pixels.npz").toString());
        assertClose(Gaussian.of(s), g);
        // and through the detector, from the same PNGs
        Gaussian det = RefStatsJob.run(SparkTestSupport.spark(), dir.resolve("pngs").toString(), "png", detector(), 0,
                dir.resolve("det.npz").toString());
        assertClose(direct(imgs), det);
    }

    /**
     * --keep writes the features of a seeded sample of the images, committed beside the statistics: the kept rows
     * are those images' features as computed here, the statistics are unchanged, and a keep above the count keeps
     * every image.
     */
    @Test
    void keptFeaturesAreTheDetectorsFeaturesOfASeededSample() throws Exception {
        Path dir = SparkTestSupport.tempDir("refstats-keep");
        byte[][] imgs = images(3);
        Path idx = dir.resolve("t10k-images-idx3-ubyte");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(idx))) {
            o.writeInt(0x803);
            o.writeInt(N);
            o.writeInt(H);
            o.writeInt(W);
            for (byte[] img : imgs) {
                o.write(img);
            }
        }
        String out = dir.resolve("ref.npz").toString();
        Gaussian g = RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, detector(), 0, out, 12);
        assertClose(direct(imgs), g);
        FeatureBlocks.Block kept = readKept(dir.resolve("ref.features.parquet"), 2);
        assertEquals(12, kept.rows());
        for (int r = 0; r < kept.rows(); r++) {
            int i = (int) kept.seeds()[r];
            assertTrue(i >= 0 && i < N && (r == 0 || kept.seeds()[r - 1] < i), "index " + i);
            Gaussian one = direct(new byte[][] {imgs[i], imgs[i]});
            assertEquals(one.mean()[0], kept.features()[2 * r], 1e-6);
            assertEquals(one.mean()[1], kept.features()[2 * r + 1], 1e-6);
        }
        String json = Files.readString(dir.resolve("ref.json"));
        assertTrue(json.contains("\"kept\"") && json.contains("\"12\""), json);
        // more than there are: all of them, in order
        RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, detector(), 0, out, 1000);
        FeatureBlocks.Block all = readKept(dir.resolve("ref.features.parquet"), 2);
        assertEquals(N, all.rows());
        for (int r = 0; r < N; r++) {
            assertEquals(r, all.seeds()[r]);
        }
        // without --keep, the kept features of the earlier run do not stay beside the new statistics
        RefStatsJob.run(SparkTestSupport.spark(), idx.toString(), null, detector(), 0, out);
        assertTrue(!Files.exists(dir.resolve("ref.features.parquet")));
    }

    /** The rows of a kept-features directory, in file order. */
    static FeatureBlocks.Block readKept(Path dir, int dim) throws Exception {
        java.util.List<Path> parts;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
        }
        assertTrue(Files.exists(dir.resolve("_SUCCESS")));
        java.util.List<Long> index = new java.util.ArrayList<>();
        java.util.List<Float> rows = new java.util.ArrayList<>();
        for (Path p : parts) {
            FeatureBlocks.Block b = FeatureBlocks.read(new org.apache.hadoop.fs.Path(p.toUri()),
                    new org.apache.hadoop.conf.Configuration(), dim, "index");
            for (long i : b.seeds()) {
                index.add(i);
            }
            for (float f : b.features()) {
                rows.add(f);
            }
        }
        float[] f = new float[rows.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = rows.get(i);
        }
        return new FeatureBlocks.Block(index.stream().mapToLong(Long::longValue).toArray(), f, dim);
    }
}
