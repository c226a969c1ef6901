package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Inception Score on inputs whose score is known, its splits, and its mergeable accumulation. */
class InceptionScoreTest {

    /** Every row the same distribution: p(y|x) = p(y), KL = 0, every split scores 1 (to round-off). */
    @Test
    void identicalRowsScoreOne() {
        int n = 40;
        int c = 7;
        float[] p = new float[n * c];
        for (int r = 0; r < n; r++) {
            for (int y = 0; y < c; y++) {
                p[r * c + y] = (y + 1) / 28f; // sums to 1 (28 = 1 + … + 7)
            }
        }
        for (InceptionScore.Variant v : InceptionScore.Variant.values()) {
            InceptionScore.Result r = InceptionScore.ofProbabilities(p, n, c, 4, v);
            // K = (A − Σ P log(P/n))/n with A = n Σ p log p and P = n p: each term off by a few γ_{n c}
            assertEquals(1.0, r.mean(), 1e-12, v.id());
            assertEquals(0.0, r.sd(), 1e-12, v.id());
        }
    }

    /**
     * One-hot rows spread evenly over C classes within each split: KL = log C for every row, so the score is C
     * exactly in real arithmetic (p = 0 terms contribute 0, p = 1 terms log 1 = 0, q = 1/C).
     */
    @Test
    void evenlySpreadOneHotRowsScoreTheNumberOfClasses() {
        int c = 5;
        int splits = 3;
        int n = c * splits * 4;
        float[] p = new float[n * c];
        for (int r = 0; r < n; r++) {
            p[r * c + (r % c)] = 1f; // contiguous splits of 20 rows: each holds every class 4 times
        }
        InceptionScore.Result r = InceptionScore.ofProbabilities(p, n, c, splits, InceptionScore.Variant.STYLEGAN3);
        assertEquals(c, r.mean(), 1e-13);
        assertEquals(0, r.sd(), 1e-13);
        assertEquals(3, r.scores().size());
    }

    @Test
    void splitsAreCutAsEachVariantCutsThem() {
        // contiguous: rows [s·n/S, (s+1)·n/S)
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 2, 2, 2, 2},
                InceptionScore.splitOf(10, 3, InceptionScore.Variant.STYLEGAN3));
        // torch-fidelity: the same cut of the shuffled positions; row perm[p] sits at position p
        int[] perm = NumpyLegacyRandom.permutation(10, 2020);
        int[] tf = InceptionScore.splitOf(10, 3, InceptionScore.Variant.TORCH_FIDELITY);
        int[] contiguous = InceptionScore.splitOf(10, 3, InceptionScore.Variant.STYLEGAN3);
        for (int pos = 0; pos < 10; pos++) {
            assertEquals(contiguous[pos], tf[perm[pos]]);
        }
        // ADM: blocks of 5000 rows, the last one shorter; the splits setting plays no part
        int[] adm = InceptionScore.splitOf(12_001, 10, InceptionScore.Variant.ADM);
        assertEquals(0, adm[4999]);
        assertEquals(1, adm[5000]);
        assertEquals(2, adm[12_000]);
        assertEquals(3, InceptionScore.splitCount(12_001, 10, InceptionScore.Variant.ADM));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InceptionScore.splitOf(9, 10, InceptionScore.Variant.TORCH_FIDELITY));
        assertTrue(e.getMessage().contains("9 samples in 10 splits"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InceptionScore.Variant.parse("tf"));
    }

    /**
     * The accumulation as the Spark stage would do it: the rows cut into partitions of contiguous seeds, each
     * partition's rows added in a shuffled order into its own accumulator (a row's split from its seed offset), the
     * accumulators merged in a shuffled order. Equal to the one-shot score up to summing in another order: each
     * sum (n·C terms for A, n for each P_y, all of one sign) is off by at most γ_{n}·its size in either, so K moves
     * by ≤ 2γ_{nC}·(|A| + Σ P|log q| + …)/n_s, below 1e-12 here; the test asserts 1e-11 relative.
     */
    @Test
    void mergedPartitionsEqualTheOneShotScore() {
        SplittableRandom rng = new SplittableRandom(8);
        int n = 503;
        int c = 31;
        float[] logits = new float[n * c];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (2 * rng.nextGaussian());
        }
        for (int r = 0; r < n; r++) {
            logits[r * c + rng.nextInt(6)] += 5;
        }
        for (InceptionScore.Variant v : List.of(InceptionScore.Variant.TORCH_FIDELITY,
                InceptionScore.Variant.STYLEGAN3)) {
            InceptionScore.Result whole = InceptionScore.ofLogits(logits, n, c, 10, v);
            int[] split = InceptionScore.splitOf(n, 10, v);
            int[] cuts = {0, 1, 77, 78, 250, 400, 503};
            List<InceptionScore.Accumulator> parts = new ArrayList<>();
            Random shuffle = new Random(3);
            for (int t = 0; t + 1 < cuts.length; t++) {
                InceptionScore.Accumulator a = new InceptionScore.Accumulator(10, c);
                List<Integer> rows = new ArrayList<>();
                for (int r = cuts[t]; r < cuts[t + 1]; r++) {
                    rows.add(r);
                }
                Collections.shuffle(rows, shuffle);
                for (int r : rows) {
                    a.addLogits(split[r], logits, r * c);
                }
                parts.add(a);
            }
            Collections.shuffle(parts, shuffle);
            InceptionScore.Accumulator merged = new InceptionScore.Accumulator(10, c);
            for (InceptionScore.Accumulator a : parts) {
                merged.merge(a);
            }
            InceptionScore.Result r = merged.result(v);
            assertEquals(n, r.n());
            assertEquals(whole.mean(), r.mean(), 1e-11 * whole.mean(), v.id());
            assertEquals(whole.sd(), r.sd(), 1e-11 * whole.mean(), v.id());
            for (int s = 0; s < 10; s++) {
                assertEquals(whole.scores().get(s), r.scores().get(s), 1e-11 * whole.scores().get(s));
            }
            assertTrue(whole.mean() > 3, "a peaked distribution scores well above 1: " + whole);
        }
    }

    @Test
    void refusesWhatIsNotAProbability() {
        float[] p = {0.5f, 0.5f, Float.NaN, 1f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InceptionScore.ofProbabilities(p, 2, 2, 1, InceptionScore.Variant.STYLEGAN3));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
