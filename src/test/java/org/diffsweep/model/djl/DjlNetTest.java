package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EpsilonModel;
import org.junit.jupiter.api.Test;

/**
 * DJL loads TorchScript through the PyTorch engine and ONNX through ONNX Runtime, offline. The tiny models
 * compute D = 0.5·x + σ (made by tools/fixtures/make_tiny_models.py).
 */
class DjlNetTest {

    static Path resource(String name) throws Exception {
        return Path.of(DjlNetTest.class.getResource("/models/" + name).toURI());
    }

    @Test
    void torchScriptAndOnnxDenoisersComputeTheirFormula() throws Exception {
        for (String file : new String[] {"tiny.pt", "tiny.onnx"}) {
            try (DjlNet net = DjlNet.load("tiny " + file, resource(file), "cpu")) {
                Denoiser d = DjlNetwork.denoiser(net, new int[] {1, 2, 2}, 3, "tiny");
                double[] x = new double[7 * 4];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i * 0.25 - 3;
                }
                double[] out = d.denoise(x, 7, 1.5); // 7 rows in passes of 3, 3, 1
                for (int i = 0; i < x.length; i++) {
                    assertEquals(0.5 * (float) x[i] + 1.5f, out[i], 1e-6, file + " value " + i);
                }
            }
        }
    }

    @Test
    void missingFilesAndUnknownFormatsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DjlNet.load("model of sweep x", Path.of("/nonexistent/m.pt"), "cpu"));
        assertTrue(e.getMessage().contains("model of sweep x: model file /nonexistent/m.pt not found"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DjlNet.engineFor(Path.of("m.h5")));
        assertTrue(e.getMessage().contains("expected .pt (TorchScript) or .onnx"), e.getMessage());
    }

    /** A file that is not a network is refused by name, and the model DJL opened for it is closed. */
    @Test
    void aFileThatIsNotANetworkIsRefusedByName() throws Exception {
        Path fake = Files.writeString(Files.createTempDirectory("djlnet").resolve("fake.pt"), "not a network\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DjlNet.load("model fake.pt", fake, "cpu"));
        assertTrue(e.getMessage().startsWith("model fake.pt: cannot load " + fake + " ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("), expected a TorchScript network (torch.jit.save)"), e.getMessage());
    }

    @Test
    void wrongOutputShapeIsNamed() throws Exception {
        try (DjlNet net = DjlNet.load("model tiny_shape.pt", resource("tiny_shape.pt"), "cpu")) {
            Denoiser wrong = DjlNetwork.denoiser(net, new int[] {1, 2, 2}, 8, "tiny");
            IllegalStateException ex = assertThrows(IllegalStateException.class,
                    () -> wrong.denoise(new double[8], 2, 1.0));
            assertTrue(ex.getMessage().startsWith("model tiny_shape.pt: output shape (2) for a batch of 2 (1 values each), "
                    + "expected 4 values each"),
                    ex.getMessage());
        }
    }

    @Test
    void epsilonModelThroughTheDdpmConvention() throws Exception {
        try (DjlNet net = DjlNet.load("tiny_eps", resource("tiny_eps.pt"), "cpu")) {
            EpsilonModel eps = DjlNetwork.epsilonModel(net, new int[] {1, 2, 2}, 4, "tiny_eps");
            double[] e = eps.epsilon(new double[] {1, 2, 3, 4}, 1, 499);
            for (int i = 0; i < 4; i++) {
                assertEquals(0.1f * (i + 1) + 0.499f, e[i], 1e-6);
            }
        }
    }

    @Test
    void detectorTakesUint8Images() throws Exception {
        try (DjlNet net = DjlNet.load("tiny_features", resource("tiny_features.pt"), "cpu")) {
            DjlDetector det = new DjlDetector(net, 2, 2, "tiny_features");
            byte[] images = new byte[3 * 3 * 2 * 2]; // 3 images of 3×2×2
            for (int i = 0; i < images.length; i++) {
                images[i] = (byte) (i * 20); // up to 35·20 = 700 mod 256: values above 127 too
            }
            float[] f = det.features(images, 3, 2, 2);
            for (int b = 0; b < 3; b++) {
                double sum = 0;
                int max = 0;
                for (int i = 0; i < 12; i++) {
                    int v = images[b * 12 + i] & 0xff;
                    sum += v;
                    max = Math.max(max, v);
                }
                assertEquals(sum / 12 / 255, f[2 * b], 1e-6);
                assertEquals(max / 255.0, f[2 * b + 1], 1e-6);
            }
        }
    }
}
