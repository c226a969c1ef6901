package org.diffsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Test;

/**
 * The .npz files other tools write, made by tools/fixtures/make_npz_formats.py with each tool's own numpy save call
 * (pytorch-fid's and clean-fid's np.savez_compressed of a float32 mu and float64 sigma, EDM's np.savez of float64,
 * a numpy string beside them, ADM's arr_0 image batches), read back against the closed-form features and images the
 * script computed them from.
 */
class NpzFormatsTest {

    static final int N = 20;
    static final int D = 3;

    static Path fixture(String name) throws Exception {
        return Path.of(NpzFormatsTest.class.getResource("/npz/formats/" + name).toURI());
    }

    static Map<String, Npz.Array> read(String name) throws Exception {
        try (InputStream in = java.nio.file.Files.newInputStream(fixture(name))) {
            return Npz.read(in, name);
        }
    }

    /** The script's features, float32 as a detector returns them. */
    static float feature(int i, int d) {
        return (float) (((7 * i + 3 * d) % 11) / 10.0);
    }

    /** Their mean and covariance in exact-as-double arithmetic (the values are tenths: sums are exact to 1e-15). */
    static double[][] exact() {
        double[] mu = new double[D];
        for (int i = 0; i < N; i++) {
            for (int d = 0; d < D; d++) {
                mu[d] += feature(i, d);
            }
        }
        for (int d = 0; d < D; d++) {
            mu[d] /= N;
        }
        double[] cov = new double[D * D];
        for (int i = 0; i < N; i++) {
            for (int a = 0; a < D; a++) {
                for (int b = 0; b < D; b++) {
                    cov[a * D + b] += (feature(i, a) - mu[a]) * (feature(i, b) - mu[b]) / (N - 1);
                }
            }
        }
        return new double[][] {mu, cov};
    }

    /**
     * A float32 mean of 20 values in [0, 1] (numpy's pairwise float32 sum: at most ⌈log2 20⌉ = 5 rounding levels, each
     * ≤ 2⁻²⁴ of a partial sum ≤ 20, then the division and the float rounding) is within 7·2⁻²⁴ of the exact mean;
     * float64 results are within 1e-14.
     */
    static void check(Gaussian g, boolean float32Mean) {
        double[][] e = exact();
        double muTol = float32Mean ? 7 * Math.pow(2, -24) : 1e-14;
        assertArrayEquals(e[0], g.mean(), muTol);
        assertArrayEquals(e[1], g.cov(), 1e-14);
        assertEquals(0, g.n(), "these tools write no n: the tables say n_reference unknown");
    }

    @Test
    void readsPytorchFidEdmAndCleanFidStatistics() throws Exception {
        check(Npz.gaussian(read("pytorch-fid.npz"), "pytorch-fid"), true);
        check(Npz.gaussian(read("edm.npz"), "edm"), false);
        check(Npz.gaussian(read("clean-fid.npz"), "clean-fid"), true);
        // clean-fid's _kid.npz holds the features themselves
        Npz.Array feats = read("clean-fid_kid.npz").get("feats");
        assertArrayEquals(new long[] {N, D}, feats.shape());
        for (int i = 0; i < N; i++) {
            for (int d = 0; d < D; d++) {
                assertEquals(feature(i, d), feats.values()[i * D + d], 0);
            }
        }
    }

    @Test
    void readsNumpysStringAndWritesOneNumpyReadsTheSame() throws Exception {
        Map<String, Npz.Array> arrays = read("with-detector.npz");
        assertEquals("ab".repeat(32), Npz.text(arrays, Npz.DETECTOR_SHA256));
        check(Npz.gaussian(arrays, "with-detector"), false);
        assertEquals(null, Npz.text(arrays, "mu"), "a number array is no text");
        // ours: the same header numpy writes for a str scalar, and it reads back
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, Map.of("detector_sha256", Npz.Array.text("cd".repeat(32))));
        Map<String, Npz.Array> back = Npz.read(new ByteArrayInputStream(out.toByteArray()), "ours");
        assertEquals("cd".repeat(32), Npz.text(back, "detector_sha256"));
        assertTrue(new String(out.toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("{'descr': '<U64', 'fortran_order': False, 'shape': (), }"));
    }

    static int pixel(long i, int y, int x, int c) {
        return (int) ((31 * i + 7 * y + 3 * x + 11 * c) % 256);
    }

    /** Images [start, start + n) as NCHW, checked against the script's formula. */
    static void checkImages(ImageDataset ds, long start, int n, int c, int h, int w) throws IOException {
        byte[] got = ds.read(start, n);
        assertEquals(n * c * h * w, got.length);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        assertEquals(pixel(start + i, y, x, ch), got[((i * c + ch) * h + y) * w + x] & 0xff,
                                "image " + (start + i) + " c" + ch + " y" + y + " x" + x);
                    }
                }
            }
        }
    }

    @Test
    void readsUint8ImageBatchesChannelsLast() throws Exception {
        ImageDataset adm = ImageDatasets.open(fixture("images-adm.npz").toString(), null, new Configuration());
        assertEquals(5, adm.count());
        assertArrayEquals(new int[] {3, 4, 3}, adm.shape());
        checkImages(adm, 0, 5, 3, 4, 3);
        checkImages(adm, 2, 2, 3, 4, 3);
        // a compressed grayscale [N, H, W] array under another name
        ImageDataset gray = ImageDatasets.open(fixture("images-gray-compressed.npz").toString(), null,
                new Configuration());
        assertEquals(6, gray.count());
        assertArrayEquals(new int[] {1, 2, 5}, gray.shape());
        checkImages(gray, 3, 3, 1, 2, 5);
        // statistics are not images: refused by name
        IOException e = assertThrows(IOException.class, () -> ImageDatasets.open(fixture("edm.npz").toString(), null,
                new Configuration()).count());
        assertTrue(e.getMessage().contains("no uint8 image array (mu <f8(3,), sigma <f8(3, 3))"), e.getMessage());
    }
}
