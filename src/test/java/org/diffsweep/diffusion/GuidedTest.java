package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.diffsweep.model.GaussianMixture;
import org.junit.jupiter.api.Test;

/**
 * Guidance algebra against closed forms on the exact conditional mixture, and how the branches are called.
 *
 * <p>The mixture: two classes in one dimension, one Gaussian each, N(μ_c, v_c) with weight w_c. Then
 * D_c(x; σ) = μ_c + v_c/(v_c + σ²)·(x − μ_c) and D_u = γ_0·D_0 + γ_1·D_1 with
 * γ_c ∝ w_c·N(x; μ_c, v_c + σ²), written out here independently of {@link GaussianMixture}.
 */
class GuidedTest {

    private static final double[] W = {0.7, 0.3};
    private static final double[] MU = {-1.5, 2.0};
    private static final double[] V = {0.4, 0.9};
    private static final GaussianMixture GMM = new GaussianMixture(W, new double[][] {{MU[0]}, {MU[1]}},
            new double[][] {{V[0]}, {V[1]}}, new int[] {0, 1});

    private static double dClass(int c, double x, double sigma) {
        return MU[c] + V[c] / (V[c] + sigma * sigma) * (x - MU[c]);
    }

    private static double dUncond(double x, double sigma) {
        double[] g = new double[2];
        for (int c = 0; c < 2; c++) {
            double t = V[c] + sigma * sigma;
            g[c] = W[c] * Math.exp(-0.5 * (x - MU[c]) * (x - MU[c]) / t) / Math.sqrt(t);
        }
        return (g[0] * dClass(0, x, sigma) + g[1] * dClass(1, x, sigma)) / (g[0] + g[1]);
    }

    /**
     * Each value against the closed form w·D_c + (1 − w)·D_u: both sides are a few dozen roundings of numbers of
     * size at most M = max(|x|, |μ|) + 1, so they agree to 200·ε·(1 + 2w)·M.
     */
    @Test
    void guidedMixtureMatchesTheClosedForm() {
        double[] xs = {-3, -1.5, -0.2, 0, 0.7, 2, 4.5};
        int[] labels = {0, 1, 0, 1, 1, 0, 1};
        for (double sigma : new double[] {0.05, 0.5, 2, 20}) {
            for (double w : new double[] {0, 0.5, 1.5, 2, 3}) {
                double[] d = Guided.nullLabel(GMM, labels, w).denoise(xs, xs.length, sigma);
                for (int i = 0; i < xs.length; i++) {
                    double expected = w * dClass(labels[i], xs[i], sigma) + (1 - w) * dUncond(xs[i], sigma);
                    double bound = 200 * Math.ulp(1.0) * (1 + 2 * w) * (Math.abs(xs[i]) + 3);
                    assertEquals(expected, d[i], bound, "sigma " + sigma + ", w " + w + ", x " + xs[i]);
                }
            }
        }
    }

    /** The class-conditional branch alone and the unconditional one, against their closed forms. */
    @Test
    void mixtureBranchesMatchTheirClosedForms() {
        double[] xs = {-2, 0.3, 1.9};
        for (double sigma : new double[] {0.1, 1, 10}) {
            double[] d0 = GMM.given(new int[] {0, 0, 0}).denoise(xs, 3, sigma);
            double[] d1 = GMM.given(new int[] {1, 1, 1}).denoise(xs, 3, sigma);
            double[] du = GMM.given(ConditionalDenoiser.nulls(3)).denoise(xs, 3, sigma);
            double[] plain = GMM.denoise(xs, 3, sigma);
            for (int i = 0; i < 3; i++) {
                double bound = 100 * Math.ulp(1.0) * (Math.abs(xs[i]) + 3);
                assertEquals(dClass(0, xs[i], sigma), d0[i], bound);
                assertEquals(dClass(1, xs[i], sigma), d1[i], bound);
                assertEquals(dUncond(xs[i], sigma), du[i], bound);
                assertEquals(plain[i], du[i], 0, "the null label is the whole mixture, computed alike");
            }
        }
    }

    @Test
    void guidanceOneIsTheConditionalModelExactly() {
        double[] xs = {-3, 0.25, 4};
        int[] labels = {1, 0, 1};
        double[] cond = GMM.given(labels).denoise(xs, 3, 0.8);
        assertArrayEquals(cond, Guided.nullLabel(GMM, labels, 1).denoise(xs, 3, 0.8), 0);
        assertArrayEquals(cond, Guided.twoModels(GMM.given(labels), GMM, 1).denoise(xs, 3, 0.8), 0);
    }

    /** A conditional model that records the batches it is called on and returns x + label (NULL: x − 10). */
    static final class Recording implements ConditionalDenoiser {
        final List<int[]> calls = new ArrayList<>();

        @Override
        public int dim() {
            return 2;
        }

        @Override
        public int classes() {
            return 5;
        }

        @Override
        public boolean hasNull() {
            return true;
        }

        @Override
        public Denoiser given(int[] labels) {
            Recording self = this;
            return new Denoiser() {
                @Override
                public int dim() {
                    return 2;
                }

                @Override
                public double[] denoise(double[] x, int batch, double sigma) {
                    assertEquals(labels.length, batch);
                    self.calls.add(labels.clone());
                    double[] out = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        int l = labels[i / 2];
                        out[i] = x[i] + (l == NULL ? -10 : l);
                    }
                    return out;
                }
            };
        }
    }

    @Test
    void theNullLabelBranchGoesThroughOneCallOfTwiceTheBatch() {
        Recording net = new Recording();
        int[] labels = {3, 1, 4};
        Guided g = Guided.nullLabel(net, labels, 2);
        double[] x = {0, 1, 2, 3, 4, 5};
        double[] d = g.denoise(x, 3, 1.0);
        assertEquals(1, net.calls.size());
        assertArrayEquals(new int[] {3, 1, 4, -1, -1, -1}, net.calls.get(0));
        for (int i = 0; i < x.length; i++) {
            double dc = x[i] + labels[i / 2];
            double du = x[i] - 10;
            assertEquals(du + 2 * (dc - du), d[i], 0); // small integers: exact
        }
        assertEquals(2, g.branchEvaluations());
        g = Guided.nullLabel(net, labels, 1);
        g.denoise(x, 3, 1.0);
        assertArrayEquals(labels, net.calls.get(1), "at w = 1 only the conditional branch runs");
        assertEquals(1, g.branchEvaluations());
    }

    @Test
    void aSecondModelIsASecondCall() {
        Recording main = new Recording();
        Recording guide = new Recording();
        int[] labels = {2, 0};
        Guided g = Guided.twoModels(main.given(labels), guide.given(labels), 3);
        g.denoise(new double[4], 2, 0.5);
        assertEquals(1, main.calls.size());
        assertEquals(1, guide.calls.size());
        assertArrayEquals(labels, guide.calls.get(0), "an autoguide gets the same labels");
        assertEquals(2, g.branchEvaluations());
        assertThrows(IllegalArgumentException.class, () -> Guided.twoModels(main.given(labels), GMM, 2));
        assertThrows(IllegalArgumentException.class, () -> Guided.nullLabel(main, labels, Double.NaN));
    }

    /**
     * A class of several components: its D_c is the exact denoiser of the mixture of its components alone (built
     * separately, weights renormalised), to round-off: the two differ only in a constant shift of the
     * log-responsibilities, so they agree to 100·ε·(|x| + max|μ| + 1).
     */
    @Test
    void aClassIsItsSubMixture() {
        GaussianMixture random = GaussianMixture.random(6, 3, 1.0, 11);
        GaussianMixture classed = random.withClasses(new int[] {0, 1, 2, 0, 1, 2});
        double[] w = random.weights();
        double[][] mu = random.means();
        double[][] v = random.variances();
        GaussianMixture class1 = new GaussianMixture(new double[] {w[1], w[4]}, new double[][] {mu[1], mu[4]},
                new double[][] {v[1], v[4]});
        double[] x = org.diffsweep.rng.BatchNoise.latents(new long[] {1, 2, 3, 4}, 3, 2.0);
        double scale = 0;
        for (double[] m : mu) {
            for (double c : m) {
                scale = Math.max(scale, Math.abs(c));
            }
        }
        for (double sigma : new double[] {0.01, 0.5, 5}) {
            double[] expected = class1.denoise(x, 4, sigma);
            double[] got = classed.given(new int[] {1, 1, 1, 1}).denoise(x, 4, sigma);
            for (int i = 0; i < x.length; i++) {
                assertEquals(expected[i], got[i], 100 * Math.ulp(1.0) * (Math.abs(x[i]) + scale + 1));
            }
        }
        assertEquals(3, classed.classes());
        assertEquals(random.id(), GaussianMixture.random(6, 3, 1.0, 11).id());
        assertEquals(false, random.id().equals(classed.id().replace("c3-", "-")), "the classes are in the hash");
        assertEquals(true, classed.id().startsWith("gmm-6x3c3-"), classed.id());
        // The label-weighted mixture: class 1 with probability 1 is the sub-mixture.
        GaussianMixture only1 = classed.conditioned(new double[] {0, 1, 0});
        assertArrayEquals(class1.mean(), only1.mean(), 1e-12 * (scale + 1));
        assertThrows(IllegalArgumentException.class, () -> random.withClasses(new int[] {0, 2, 2, 0, 2, 2}),
                "class 1 has no component");
    }
}
