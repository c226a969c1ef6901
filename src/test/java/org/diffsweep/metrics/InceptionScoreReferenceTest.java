package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The Inception Score against torch-fidelity's {@code isc_features_to_metric} and StyleGAN3's {@code compute_is}
 * on the fixed logits and probabilities of src/test/resources/fixtures/inception-score.json (written by
 * tools/fixtures/reference_inception_score.py), and the shuffle against numpy's {@code RandomState(2020)
 * .permutation}. The permutations must be equal; the scores agree to the round-off bound {@link #bound} derives.
 */
class InceptionScoreReferenceTest {

    static final double U32 = Math.ulp(1.0f) / 2;

    static JsonNode fixture() throws IOException {
        try (InputStream in = InceptionScoreReferenceTest.class.getResourceAsStream("/fixtures/inception-score.json")) {
            assertNotNull(in, "fixture inception-score.json (tools/fixtures/README.md regenerates it)");
            return new ObjectMapper().readTree(in);
        }
    }

    static float[] logits(JsonNode c) {
        byte[] q = Base64.getDecoder().decode(c.get("logits_times_8").textValue());
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            out[i] = q[i] / 8.0f;
        }
        return out;
    }

    static float[] probabilities(JsonNode c) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(c.get("probabilities_float32_le").textValue()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void theShuffleIsNumpysPermutation() throws IOException {
        for (JsonNode p : fixture().get("numpy_permutations_seed_2020")) {
            int n = p.get("n").intValue();
            int[] perm = NumpyLegacyRandom.permutation(n, InceptionScore.TORCH_FIDELITY_SEED);
            int[] first = new int[p.get("first").size()];
            int[] last = new int[p.get("last").size()];
            for (int i = 0; i < first.length; i++) {
                first[i] = p.get("first").get(i).intValue();
                last[i] = p.get("last").get(i).intValue();
            }
            assertArrayEquals(first, java.util.Arrays.copyOf(perm, first.length), "n = " + n);
            assertArrayEquals(last, java.util.Arrays.copyOfRange(perm, n - last.length, n), "n = " + n);
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += (long) i * perm[i];
            }
            assertEquals(p.get("sum_i_times_perm_i").longValue(), sum, "n = " + n);
        }
    }

    /**
     * How far two implementations of the score on the same rows can be apart when each rounds with unit round-off
     * u. Per split s (n rows, C classes, ℓ = log p, q = mean p): the mean KL K = (1/n) Σ_x Σ_y p (ℓ − log q) is
     * formed through at most m = nC + 2C + n + 16 roundings along any chain (the softmax's sum of C exponentials and
     * its logarithm, the products, the sums over classes and rows in any order, the logarithms of q). A relative
     * error ε on a p moves its term by ≤ ε·p·W and an absolute error δ on a logarithm by ≤ δ·p, with
     * W = |ℓ| + |log q| + 2 log C + 2 bounding both the term's size and how an error in the softmax's normaliser
     * (≤ |ℓ| + 2 log C in size) feeds into ℓ; so |K̂ − K| ≤ γ_m·(1/n) Σ p·W² for each implementation, twice that
     * between two, and the split's score exp(K) moves by ≤ exp(K)(exp(2γ_m T) − 1). The mean and sd of the S scores
     * move by at most the largest such change (plus γ_{2S+4} of their size, their own arithmetic).
     *
     * @return {largest change of a split's score, bound on the mean, bound on the sd}
     */
    static double[] bound(float[] rows, boolean logits, int n, int c, int[] split, int splits, double u,
                          double mean, double sd) {
        double[][] p = new double[n][c];
        double[][] l = new double[n][c];
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int y = 0; y < c; y++) {
                max = Math.max(max, rows[r * c + y]);
            }
            double z = 0;
            for (int y = 0; y < c; y++) {
                z += Math.exp(rows[r * c + y] - max);
            }
            for (int y = 0; y < c; y++) {
                double v = rows[r * c + y];
                l[r][y] = logits ? v - max - Math.log(z) : Math.log(v);
                p[r][y] = logits ? Math.exp(l[r][y]) : v;
            }
        }
        double largest = 0;
        for (int s = 0; s < splits; s++) {
            double[] q = new double[c];
            int ns = 0;
            for (int r = 0; r < n; r++) {
                if (split[r] == s) {
                    ns++;
                    for (int y = 0; y < c; y++) {
                        q[y] += p[r][y];
                    }
                }
            }
            double t = 0;
            double k = 0;
            for (int r = 0; r < n; r++) {
                if (split[r] == s) {
                    for (int y = 0; y < c; y++) {
                        double lq = Math.log(q[y] / ns);
                        double w = Math.abs(l[r][y]) + Math.abs(lq) + 2 * Math.log(c) + 2;
                        t += p[r][y] * w * w;
                        k += p[r][y] * (l[r][y] - lq);
                    }
                }
            }
            t /= ns;
            k /= ns;
            long m = (long) ns * c + 2L * c + ns + 16;
            double gamma = m * u / (1 - m * u);
            largest = Math.max(largest, Math.exp(k) * Math.expm1(2 * gamma * t * 1.01));
        }
        double own = (2 * splits + 4) * u / (1 - (2 * splits + 4) * u);
        return new double[] {largest, largest + own * mean, 2 * largest + own * (mean + sd)};
    }

    @Test
    void torchFidelityVariantMatchesTorchFidelity() throws IOException {
        JsonNode f = fixture();
        assertEquals(3, f.get("cases").size());
        for (JsonNode c : f.get("cases")) {
            String name = c.get("name").textValue();
            int n = c.get("n").intValue();
            int classes = c.get("classes").intValue();
            int splits = c.get("splits").intValue();
            float[] x = logits(c);
            InceptionScore.Result r = InceptionScore.ofLogits(x, n, classes, splits,
                    InceptionScore.Variant.TORCH_FIDELITY);
            double mean = c.get("torch_fidelity").get("mean").doubleValue();
            double sd = c.get("torch_fidelity").get("sd").doubleValue();
            double[] b = bound(x, true, n, classes, InceptionScore.splitOf(n, splits,
                    InceptionScore.Variant.TORCH_FIDELITY), splits, RoundOff.U, mean, sd);
            System.out.printf("torch-fidelity %s: IS %.17g ± %.17g vs %.17g ± %.17g: |Δ| %.2e, %.2e (bounds %.1e, "
                    + "%.1e)%n", name, r.mean(), r.sd(), mean, sd, Math.abs(r.mean() - mean), Math.abs(r.sd() - sd),
                    b[1], b[2]);
            assertEquals(mean, r.mean(), b[1], name + " mean");
            assertEquals(sd, r.sd(), b[2], name + " sd");
            assertEquals(n, r.n());
        }
    }

    @Test
    void stylegan3VariantMatchesStylegan3() throws IOException {
        int checked = 0;
        for (JsonNode c : fixture().get("cases")) {
            if (!c.has("probabilities_float32_le")) {
                continue;
            }
            String name = c.get("name").textValue();
            int n = c.get("n").intValue();
            int classes = c.get("classes").intValue();
            int splits = c.get("splits").intValue();
            float[] p = probabilities(c);
            InceptionScore.Result r = InceptionScore.ofProbabilities(p, n, classes, splits,
                    InceptionScore.Variant.STYLEGAN3);
            int[] split = InceptionScore.splitOf(n, splits, InceptionScore.Variant.STYLEGAN3);
            // the same code in float64, and as published (float32 throughout)
            for (String precision : new String[] {"float64", "float32"}) {
                JsonNode ref = c.get("stylegan3_" + precision);
                double mean = ref.get("mean").doubleValue();
                double sd = ref.get("sd").doubleValue();
                double[] b = bound(p, false, n, classes, split, splits,
                        precision.equals("float64") ? RoundOff.U : U32, mean, sd);
                System.out.printf("stylegan3 %s (%s): IS %.17g ± %.17g vs %.17g ± %.17g: |Δ| %.2e, %.2e (bounds "
                        + "%.1e, %.1e)%n", name, precision, r.mean(), r.sd(), mean, sd, Math.abs(r.mean() - mean),
                        Math.abs(r.sd() - sd), b[1], b[2]);
                assertEquals(mean, r.mean(), b[1], name + " " + precision + " mean");
                assertEquals(sd, r.sd(), b[2], name + " " + precision + " sd");
            }
            // the variants differ by more than round-off on these inputs: the splits are what is being checked
            InceptionScore.Result shuffled = InceptionScore.ofProbabilities(p, n, classes, splits,
                    InceptionScore.Variant.TORCH_FIDELITY);
            assertTrue(Math.abs(shuffled.sd() - r.sd()) > 1e-3, name + ": shuffled and contiguous splits agree");
            checked++;
        }
        assertEquals(2, checked);
    }
}
