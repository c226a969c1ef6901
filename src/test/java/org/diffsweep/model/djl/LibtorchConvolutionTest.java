package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine's convolution self-check ({@link DjlNet#convolutionSelfCheck()}) against an independent measurement:
 * libtorch's 3×3 conv2d (padding 1, 16 outputs, 4×4 inputs) on random inputs of 12 and 20 input channels and a batch
 * of 4, against a float64 direct sum, with the same float32 bound n·u·Σ|terms| (n = 9·C + 2). Whatever this machine's
 * libtorch does, the self-check must say the same: empty when every measured convolution is within the bound,
 * naming the channel counts that are not otherwise. The figures are printed (docs/checkpoints.md quotes them).
 */
class LibtorchConvolutionTest {

    /** Max over outputs of |libtorch − float64| / bound, for C input channels on a batch of b. */
    static double errorOverBound(NDManager m, int c, int b, long seed) {
        int o = 16;
        int hw = 4;
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[b * c * hw * hw];
        float[] w = new float[o * c * 9];
        float[] bias = new float[o];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((r.nextDouble() * 2 - 1) / Math.sqrt(9.0 * c));
        }
        for (int i = 0; i < o; i++) {
            bias[i] = (float) (r.nextDouble() * 0.2 - 0.1);
        }
        float[] y = Conv2d.conv2d(m.create(x, new Shape(b, c, hw, hw)), m.create(w, new Shape(o, c, 3, 3)),
                m.create(bias), new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow()
                .toFloatArray();
        double worst = 0;
        for (int n = 0; n < b; n++) {
            for (int oc = 0; oc < o; oc++) {
                for (int i = 0; i < hw; i++) {
                    for (int j = 0; j < hw; j++) {
                        double sum = bias[oc];
                        double abs = Math.abs(bias[oc]);
                        for (int ic = 0; ic < c; ic++) {
                            for (int ki = 0; ki < 3; ki++) {
                                for (int kj = 0; kj < 3; kj++) {
                                    int ii = i + ki - 1;
                                    int jj = j + kj - 1;
                                    if (ii >= 0 && jj >= 0 && ii < hw && jj < hw) {
                                        double t = (double) x[((n * c + ic) * hw + ii) * hw + jj]
                                                * w[((oc * c + ic) * 3 + ki) * 3 + kj];
                                        sum += t;
                                        abs += Math.abs(t);
                                    }
                                }
                            }
                        }
                        float got = y[((n * o + oc) * hw + i) * hw + j];
                        double bound = (9.0 * c + 2) * 0x1p-24 * abs;
                        worst = Math.max(worst, Float.isFinite(got) ? Math.abs(got - sum) / bound
                                : Double.POSITIVE_INFINITY);
                    }
                }
            }
        }
        return worst;
    }

    @Test
    void theSelfCheckSaysWhatAnIndependentMeasurementSees() {
        String verdict = DjlNet.convolutionSelfCheck();
        assertEquals(verdict, DjlNet.convolutionSelfCheck(), "computed once");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int c : new int[] {12, 20}) {
                double batched = errorOverBound(m, c, 4, 1000 + c);
                double alone = errorOverBound(m, c, 1, 2000 + c);
                System.out.printf("libtorch %s conv2d 3x3, %d input channels: |error| / float32 bound %.3g on a batch of "
                        + "4, %.3g on a batch of 1%n", m.getEngine().getVersion(), c, batched, alone);
                boolean wrong = !(batched <= 1);
                assertEquals(wrong, verdict.contains(c + " input channels off by"), "self-check at C = " + c + ": '"
                        + verdict + "', measured " + batched + " times the bound");
                // the defect is one of batches: a batch of one is right wherever it has been seen
                assertTrue(alone <= 1, "C = " + c + ", batch of 1: " + alone + " times the float32 bound");
            }
        }
        System.out.println("self-check: " + (verdict.isEmpty() ? "right" : verdict));
    }

    /**
     * A network with a convolution of 20 input channels (tools/fixtures/make_tiny_models.py) through the driver's
     * probe: refused as batch-dependent exactly where the self-check finds 20 channels wrong, accepted elsewhere.
     */
    @Test
    void theProbeRefusesANetworkTheEngineComputesWrongly() throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of(getClass().getResource("/models/tiny_conv20.pt").toURI());
        boolean wrong = DjlNet.convolutionSelfCheck().contains("20 input channels");
        org.diffsweep.family.EdmFamily family = new org.diffsweep.family.EdmFamily(
                new org.diffsweep.diffusion.EdmProcess(0.002, 80));
        try (DjlNet net = DjlNet.load("tiny_conv20.pt", file, "cpu")) {
            org.diffsweep.diffusion.Denoiser d = DjlNetwork.denoiser(net, new int[] {1, 4, 4}, 8, "tiny_conv20.pt");
            if (wrong) {
                RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
                        org.diffsweep.family.Family.BatchDependentOutput.class, () -> family.probe(d));
                System.out.println("probe of tiny_conv20.pt: " + e.getMessage());
            } else {
                family.probe(d);
                System.out.println("probe of tiny_conv20.pt: accepted (this engine computes 20 channels right)");
            }
        }
    }
}
