package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.diffsweep.features.DetectorFile;
import org.diffsweep.features.DetectorProtocol;
import org.diffsweep.features.Images;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Test;

/**
 * Detectors through DJL against the Python tools' own outputs on the same uint8 images
 * (src/test/resources/detectors/, made by tools/fixtures/make_detector_fixtures.py):
 * <ul>
 *   <li>standin-tiny.pt has NVIDIA's inception-2015-12-05 interface (forward(img, return_features, use_fp16,
 *       no_output_bias), resize inside, softmax over 1008 classes by default) on a small body with 64 features and
 *       no diffsweep metadata: its features must be those of EDM's call {@code net(img, return_features=True)}
 *       (grayscale repeated to 3 channels), its probabilities those of {@code net(img, no_output_bias=True)}, and
 *       the FID of two image sets pytorch-fid's {@code calculate_frechet_distance} on those features;</li>
 *   <li>dinov2-tiny.pt is tools/detectors/build_dinov2.py's detector around a tiny facebookresearch/dinov2 ViT;
 *       its features must be those of EDM2's DINOv2Detector on the module itself.</li>
 * </ul>
 * Bound: each network is a chain of L linear stages (convolutions, matrix products, resize filters) with at most K
 * terms per accumulation. Two evaluations that sum in different orders (libtorch's kernels here and in Python) differ
 * by the round-off of each, which for K terms rounded independently (u = 2⁻²⁴ each) grows like √K·u of the stage's
 * scale (the worst case K·u is reached only by correlated rounding, which different summation orders do not have);
 * over L stages with fan-in-scaled weights that is L·√K·u·max|f|, and the tests allow 8 times that. That is far below
 * what a wrong preprocessing moves: on the 256 × 256 images the DINOv2 features move by 4.6e-3 of their scale
 * without antialiasing, against a bound of 1.4e-4. The full-size networks are checked by DetectorParityIT.
 */
class DjlDetectorParityTest {

    static final double U = Math.ulp(1.0f) / 2;

    static Path resource(String name) throws Exception {
        return Path.of(DjlDetectorParityTest.class.getResource("/detectors/" + name).toURI());
    }

    static Map<String, Npz.Array> npz(String name) throws Exception {
        try (InputStream in = DjlDetectorParityTest.class.getResourceAsStream("/detectors/" + name)) {
            return Npz.read(in, name);
        }
    }

    /** The uint8 images of an array [B, C, H, W] as 3-channel bytes (C = 1 repeated, as EDM does). */
    static byte[] rgb(Npz.Array a) {
        byte[] b = new byte[a.values().length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (int) a.values()[i];
        }
        int n = (int) a.shape()[0];
        int h = (int) a.shape()[2];
        int w = (int) a.shape()[3];
        return a.shape()[1] == 1 ? Images.repeatChannels(b, n, h, w) : b;
    }

    static double bound(int stages, int terms, float[] expected) {
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        return 8 * stages * Math.sqrt(terms) * U * scale;
    }

    /** Largest |a − b|, checked against the bound; printed with the largest relative difference. */
    static double compare(String what, float[] ours, double[] expected, double bound) {
        assertEquals(expected.length, ours.length, what + ": values");
        double maxAbs = 0;
        double maxRel = 0;
        double scale = Arrays.stream(expected).map(Math::abs).max().orElse(0);
        for (int i = 0; i < ours.length; i++) {
            double d = Math.abs(ours[i] - expected[i]);
            maxAbs = Math.max(maxAbs, d);
            maxRel = Math.max(maxRel, d / scale);
        }
        System.out.printf("%s: max |diff| %.3e, relative to max |value| %.3e (bound %.3e)%n", what, maxAbs, maxRel,
                bound);
        assertTrue(maxAbs <= bound, what + ": max |diff| " + maxAbs + " > " + bound);
        return maxAbs;
    }

    static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void nvidiaInterfaceGivesEdmsFeaturesAndStyleGansProbabilities() throws Exception {
        Path file = resource("standin-tiny.pt");
        DetectorFile info = DetectorFile.inspect(file);
        assertEquals(DetectorFile.Kind.TORCHSCRIPT, info.kind());
        assertEquals(DetectorFile.Call.RETURN_FEATURES, info.call(), "recognised by its forward's parameters");
        assertNull(info.metadata());
        assertEquals(2048, info.dim(), "NVIDIA's interface states 2048 features");
        Map<String, Npz.Array> ref = npz("standin-tiny.npz");
        try (DjlNet net = DjlNet.load("stand-in", file, "cpu")) {
            DjlDetector det = new DjlDetector(net, 64, 3, "standin-tiny.pt", null);
            assertEquals(1008, det.classes());
            assertEquals(DetectorProtocol.Status.INTERFACE, det.protocol().status());
            for (String set : new String[] {"g28", "c32", "c64"}) {
                Npz.Array images = ref.get("images_" + set);
                int n = (int) images.shape()[0];
                int h = (int) images.shape()[2];
                int w = (int) images.shape()[3];
                byte[] rgb = rgb(images);
                double[] f = ref.get("features_" + set).values();
                compare("stand-in features " + set, det.features(rgb, n, h, w), f, bound(6, 147, floats(f)));
                double[] p = ref.get("probs_nobias_" + set).values();
                double pb = bound(7, 147, floats(p));
                compare("stand-in probabilities (no_output_bias) " + set, det.probabilities(rgb, n, h, w, true), p, pb);
                float[] withBias = det.probabilities(rgb, n, h, w, false);
                double change = 0;
                for (int i = 0; i < p.length; i++) {
                    change = Math.max(change, Math.abs(withBias[i] - p[i]));
                }
                assertTrue(change > 10 * pb, "the output bias must matter: " + change);
            }
        }
    }

    @Test
    void fidOfTheStandInsFeaturesIsPytorchFids() throws Exception {
        Map<String, Npz.Array> ref = npz("standin-tiny.npz");
        try (DjlNet net = DjlNet.load("stand-in", resource("standin-tiny.pt"), "cpu")) {
            DjlDetector det = new DjlDetector(net, 64, 32, "standin-tiny.pt", null);
            Gaussian[] g = new Gaussian[2];
            String[] sets = {"fid_a", "fid_b"};
            for (int s = 0; s < 2; s++) {
                Npz.Array a = ref.get(sets[s]);
                int n = (int) a.shape()[0];
                float[] f = det.features(rgb(a), n, (int) a.shape()[2], (int) a.shape()[3]);
                FeatureStats stats = new FeatureStats(64);
                for (int i = 0; i < n; i++) {
                    stats.add(Arrays.copyOfRange(f, i * 64, (i + 1) * 64));
                }
                g[s] = Gaussian.of(stats);
            }
            double ours = FrechetDistance.between(g[0], g[1]);
            double expected = ref.get("fid_reference").values()[0];
            double rel = Math.abs(ours - expected) / expected;
            System.out.printf("stand-in FID %.12g vs pytorch-fid %.12g: relative difference %.3e%n", ours, expected, rel);
            assertTrue(rel <= 1e-6, ours + " vs " + expected);
        }
    }

    @Test
    void dinov2BuildGivesEdm2sFeatures() throws Exception {
        Path file = resource("dinov2-tiny.pt");
        DetectorFile info = DetectorFile.inspect(file);
        assertEquals(DetectorFile.Call.FEATURES, info.call());
        assertEquals("edm2-dinov2", info.metadata().path("protocol").asText());
        assertEquals(24, info.dim());
        Map<String, Npz.Array> ref = npz("dinov2-tiny.npz");
        try (DjlNet net = DjlNet.load("dinov2", file, "cpu")) {
            DjlDetector det = new DjlDetector(net, 24, 4, "dinov2-tiny.pt", null);
            assertEquals("FD_DINOv2", det.protocol().metric());
            assertEquals(0, det.classes());
            assertThrows(UnsupportedOperationException.class, () -> det.probabilities(new byte[3 * 4], 1, 2, 2, true));
            for (String set : new String[] {"g28", "c32", "c64", "c256"}) {
                Npz.Array images = ref.get("images_" + set);
                int n = (int) images.shape()[0];
                double[] f = ref.get("features_" + set).values();
                compare("dinov2 features " + set, det.features(rgb(images), n, (int) images.shape()[2],
                        (int) images.shape()[3]), f, bound(12, 588, floats(f)));
            }
        }
    }
}
