package org.diffsweep.rng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each label mode, and the label stream's independence from the latent stream. */
class ClassDrawTest {

    private static final int N = 40_000;

    private static long[] seeds(int n) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = i;
        }
        return s;
    }

    /** Each count within 5 binomial standard deviations of n·p. */
    private static void assertFrequencies(int[] labels, double[] p) {
        int[] counts = new int[p.length];
        for (int l : labels) {
            counts[l]++;
        }
        for (int c = 0; c < p.length; c++) {
            double sd = Math.sqrt(labels.length * p[c] * (1 - p[c]));
            assertEquals(labels.length * p[c], counts[c], 5 * sd + 1e-9, "class " + c);
        }
    }

    @Test
    void uniformDrawsEveryClassEquallyOften() {
        int[] labels = ClassDraw.uniform(10).labels(seeds(N));
        double[] p = new double[10];
        java.util.Arrays.fill(p, 0.1);
        assertFrequencies(labels, p);
        assertArrayEquals(p, ClassDraw.uniform(10).probabilities(10), 1e-15);
    }

    @Test
    void aFixedClassIsEverySeedsLabel() {
        for (int l : new ClassDraw(new int[] {7}).labels(seeds(1000))) {
            assertEquals(7, l);
        }
    }

    @Test
    void aListDrawsItsEntriesWithTheirMultiplicity() {
        ClassDraw d = new ClassDraw(new int[] {0, 3, 7, 3});
        double[] p = {0.25, 0, 0, 0.5, 0, 0, 0, 0.25};
        assertFrequencies(d.labels(seeds(N)), p);
        assertArrayEquals(p, d.probabilities(8), 1e-15);
        assertEquals(7, d.maxClass());
        assertThrows(IllegalArgumentException.class, () -> new ClassDraw(new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new ClassDraw(new int[] {2, -1}));
    }

    @Test
    void aCycleGivesSeedSEntrySModN() {
        ClassDraw d = ClassDraw.cycle(new int[] {3, 7, 3});
        assertArrayEquals(new int[] {3, 7, 3, 3, 7, 3, 3}, d.labels(seeds(7)));
        assertEquals(7, d.label(1_000_000_000_000L)); // 10^12 ≡ 1 (mod 3)
        assertEquals(d.label(40), d.labels(new long[] {9, 40})[1]);
        // any three consecutive seeds take each entry once
        int[] from5 = d.labels(new long[] {5, 6, 7});
        java.util.Arrays.sort(from5);
        assertArrayEquals(new int[] {3, 3, 7}, from5);
        assertArrayEquals(new double[] {0, 0, 0, 2.0 / 3, 0, 0, 0, 1.0 / 3}, d.probabilities(8), 1e-15);
        assertTrue(!d.equals(new ClassDraw(new int[] {3, 7, 3})), "a cycle is not a draw of the same list");
        assertEquals("cycle[3, 7, 3]", d.toString());
        assertEquals("[3, 7, 3]", new ClassDraw(new int[] {3, 7, 3}).toString());
    }

    @Test
    void aSeedsLabelDoesNotDependOnItsBatch() {
        ClassDraw d = ClassDraw.uniform(1000);
        int alone = d.labels(new long[] {123456789L})[0];
        int[] inBatch = d.labels(new long[] {5, 123456789L, 9});
        assertEquals(alone, inBatch[1]);
        assertEquals(alone, d.label(123456789L));
    }

    @Test
    void labelsArePinned() {
        // Golden values: changing the label stream's key or draw changes every conditional sweep's samples.
        assertArrayEquals(new int[] {9, 8, 5, 9, 4, 4, 3, 6, 8, 6, 9, 4}, ClassDraw.uniform(10).labels(seeds(12)));
    }

    /**
     * Drawing labels touches no latent: the latents of a seed are the same before and after its label is drawn,
     * and the labels are independent of the latents: over N seeds, the 2×2 table of (label, sign of the first
     * latent) has a chi-square statistic (1 degree of freedom) below 25 (p ≈ 6e-7 under independence). The label
     * stream's key is its own domain: its generator's first draws differ from those of every other purpose.
     */
    @Test
    void labelsAreIndependentOfLatents() {
        long[] s = seeds(N);
        double[] before = BatchNoise.latents(s, 1, 1);
        int[] labels = ClassDraw.uniform(2).labels(s);
        assertArrayEquals(before, BatchNoise.latents(s, 1, 1), 0);
        assertTrue(chiSquare(labels, before) < 25, "chi-square " + chiSquare(labels, before));
        for (long seed = 0; seed < 1000; seed++) {
            long first = SeedStream.generator(seed, SeedStream.LABELS).nextLong();
            for (int purpose : new int[] {SeedStream.LATENTS, SeedStream.SAMPLER_NOISE, SeedStream.DATA}) {
                assertTrue(first != SeedStream.generator(seed, purpose).nextLong(), "seed " + seed);
            }
        }
    }

    private static double chiSquare(int[] labels, double[] latents) {
        double[][] table = new double[2][2];
        for (int i = 0; i < labels.length; i++) {
            table[labels[i]][latents[i] > 0 ? 1 : 0]++;
        }
        double n = labels.length;
        double chi = 0;
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                double e = (table[a][0] + table[a][1]) * (table[0][b] + table[1][b]) / n;
                chi += (table[a][b] - e) * (table[a][b] - e) / e;
            }
        }
        return chi;
    }
}
