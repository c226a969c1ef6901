package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.diffusion.ConditionalDenoiser;
import org.diffsweep.diffusion.Guided;
import org.diffsweep.model.LabelInput;
import org.junit.jupiter.api.Test;

/**
 * Class labels through DJL: the tiny class-conditional networks (tools/fixtures/make_tiny_models.py) compute
 * D = 0.5·x + σ + o(c) with o(c) = c + 1 for the classes 0..2 and o = 0 for the null label (an all-zero one-hot row,
 * or index 3), so each row shows which label reached the network.
 */
class DjlConditionalTest {

    private static final int[] CHW = {1, 2, 2};

    private static double offset(int label) {
        return label == ConditionalDenoiser.NULL ? 0 : label + 1;
    }

    /** 7 rows in forward passes of 3, 3 and 1, each row's label its own. */
    private static void checkLabels(String file, LabelInput in) throws Exception {
        try (DjlNet net = DjlNet.load("tiny " + file, DjlNetTest.resource(file), "cpu")) {
            ConditionalDenoiser d = new DjlNetwork(net, CHW, 3, "tiny", "x", "sigma", in).asConditionalDenoiser();
            assertEquals(3, d.classes());
            int[] labels = {2, 0, ConditionalDenoiser.NULL, 1, 1, 0, 2};
            double[] x = new double[labels.length * 4];
            for (int i = 0; i < x.length; i++) {
                x[i] = i * 0.25 - 3;
            }
            double[] out = d.given(labels).denoise(x, labels.length, 1.5);
            for (int i = 0; i < x.length; i++) {
                // float32 arithmetic of small dyadic numbers: exact
                assertEquals(0.5 * x[i] + 1.5 + offset(labels[i / 4]), out[i], 0, file + " value " + i);
            }

            // CFG with the null label, one pass of 2B rows: D = D_u + w·(D_c − D_u) = 0.5·x + σ + w·o(c)
            int[] cond = {0, 2, 1};
            double[] y = java.util.Arrays.copyOf(x, 12);
            for (double w : new double[] {1, 1.5, 3}) {
                double[] g = Guided.nullLabel(d, cond, w).denoise(y, 3, 0.75);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(0.5 * y[i] + 0.75 + w * offset(cond[i / 4]), g[i], 0, file + " w " + w + " value " + i);
                }
            }
        }
    }

    @Test
    void oneHotLabelsReachTheNetwork() throws Exception {
        checkLabels("tiny_cond_onehot.pt", new LabelInput(3, LabelInput.Encoding.ONE_HOT, 0));
    }

    @Test
    void indexLabelsReachTheNetwork() throws Exception {
        checkLabels("tiny_cond_index.pt", new LabelInput(3, LabelInput.Encoding.INDEX, 3));
    }

    /** A label count the network does not take fails in the forward pass with the network's own words. */
    @Test
    void aWrongLabelCountFailsInTheNetwork() throws Exception {
        try (DjlNet net = DjlNet.load("tiny", DjlNetTest.resource("tiny_cond_onehot.pt"), "cpu")) {
            ConditionalDenoiser d = new DjlNetwork(net, CHW, 3, "tiny", "x", "sigma",
                    new LabelInput(5, LabelInput.Encoding.ONE_HOT, 0)).asConditionalDenoiser();
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> d.given(new int[] {4, 0}).denoise(new double[8], 2, 1));
            assertTrue(e.getMessage().contains("forward pass failed"), e.getMessage());
        }
        LabelInput noNull = new LabelInput(3, LabelInput.Encoding.INDEX, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> noNull.indices(new int[] {ConditionalDenoiser.NULL}));
        assertTrue(e.getMessage().contains("no null label"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> noNull.oneHot(new int[] {3}));
        assertTrue(e.getMessage().contains("label 3, expected 0..2"), e.getMessage());
    }
}
