package org.diffsweep.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.diffsweep.diffusion.BetaSchedule;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.Process;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.Network;
import org.diffsweep.model.djl.DjlNet;
import org.diffsweep.model.djl.DjlNetwork;
import org.junit.jupiter.api.Test;

/**
 * v and sample networks through DJL and the EDM family's adapter, on tiny TorchScript modules with closed forms
 * (tools/fixtures/make_tiny_models.py): tiny_v.pt is the exact v-network of Gaussian data N(0.1, 0.5²) per pixel
 * with EDM's c_noise as its time; tiny_sample_int64.pt returns its int64 time input / 1000.
 */
class NetworkOutputsDjlTest {

    static final double U32 = 0x1p-24;

    static Path resource(String name) throws Exception {
        return Path.of(NetworkOutputsDjlTest.class.getResource("/models/" + name).toURI());
    }

    /** A config's network as the family sees it. */
    record Source(DjlNet net, String output, String time, String timeDtype) implements ModelSource {
        @Override
        public GaussianMixture mixture() {
            return null;
        }

        @Override
        public int[] shape() {
            return new int[] {1, 2, 2};
        }

        @Override
        public String id() {
            return "tiny";
        }

        @Override
        public Network network(int channels, String input, String scalar) {
            return new DjlNetwork(net, new int[] {channels, 2, 2}, 3, "tiny", input, scalar,
                    "int64".equals(timeDtype));
        }
    }

    /**
     * The exact denoiser of N(0.1, 0.25) data to float32 round-off: the network's ~20 float32 operations each
     * within u₃₂ of terms no larger than |x̂|s² + |D| + sσ|ε| + 1, and its time rounded to float32 (σ moves by
     * 4u₃₂|c_noise| relative, D by at most 2|x̂ − D| times that).
     */
    @Test
    void aVNetworkThroughDjlGivesTheExactDenoiser() throws Exception {
        try (DjlNet net = DjlNet.load("tiny_v", resource("tiny_v.pt"), "cpu")) {
            Process[] processes = {new VpProcess(), new DdpmProcess(),
                    new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, Double.NaN, Double.NaN, 1000, true)};
            for (Process p : processes) {
                EdmFamily family = new EdmFamily(p);
                assertEquals(null, family.modelRefusal("v", "c-noise"));
                Denoiser d = family.denoiser(family.model(new Source(net, "v", "c-noise", "float32")));
                for (double sigma : new double[] {p.sigmaMin(), 0.05, 0.3, 1, 3.7, 20, p.sigmaMax()}) {
                    double[] x = new double[8];
                    for (int i = 0; i < 8; i++) {
                        x[i] = 0.1 + (i - 3.5) * 0.3 * (1 + sigma);
                    }
                    double[] got = d.denoise(x, 2, sigma);
                    double s = 1 / Math.sqrt(1 + sigma * sigma);
                    double m = Math.log(sigma) / 4;
                    for (int i = 0; i < 8; i++) {
                        double exact = 0.1 + 0.25 / (0.25 + sigma * sigma) * (x[i] - 0.1);
                        double eps = (x[i] - exact) / sigma;
                        double bound = 32 * U32 * (1 + Math.abs(x[i]) * s * s + Math.abs(exact) + s * sigma * Math.abs(eps))
                                + 8 * U32 * Math.abs(m) * Math.abs(x[i] - exact);
                        assertEquals(exact, got[i], bound, p + " sigma " + sigma + " value " + i);
                    }
                }
            }
            EdmFamily edm = new EdmFamily(new EdmProcess());
            assertTrue(edm.modelRefusal("v", "c-noise").contains("variance-preserving"));
            assertThrows(IllegalArgumentException.class,
                    () -> edm.model(new Source(net, "v", "c-noise", "float32")));
        }
    }

    @Test
    void anInt64TimeReachesTheNetworkAsTheNearestStep() throws Exception {
        try (DjlNet net = DjlNet.load("tiny_sample_int64", resource("tiny_sample_int64.pt"), "cpu")) {
            DdpmProcess ddpm = new DdpmProcess();
            EdmFamily family = new EdmFamily(ddpm);
            Denoiser d = family.denoiser(family.model(new Source(net, "sample", "ddpm-index", "int64")));
            for (int k : new int[] {0, 1, 400, 998, 999}) {
                double sigma = ddpm.sigmaAtIndex(k);
                double[] out = d.denoise(new double[8], 2, sigma);
                assertEquals((float) k / 1000f, out[7], 0, "step " + k);
            }
            // between steps 400 and 401 (a fifth of the way in ᾱ): step 400
            double sigma = ddpm.sigma((400 + 1 + 0.2) / 1000.0);
            assertEquals(400f / 1000f, d.denoise(new double[4], 1, sigma)[0], 0);
            // the same network given a float32 time fails in its forward pass, naming the type
            Denoiser asFloat = family.denoiser(family.model(new Source(net, "sample", "ddpm-index", "float32")));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> asFloat.denoise(new double[4], 1, 1.0));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
        }
    }
}
