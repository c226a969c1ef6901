package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** KID against a direct O(m²) computation and against its closed-form expectation for zero-mean Gaussians. */
class KidTest {

    /** n × d draws of N(0, diag(variances)). */
    static double[] gaussian(SplittableRandom rng, int n, double[] variances) {
        int d = variances.length;
        double[] x = new double[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i * d + j] = Math.sqrt(variances[j]) * rng.nextGaussian();
            }
        }
        return x;
    }

    /** The estimator written out term by term, with plain loops for every inner product. */
    static double direct(double[] x, double[] y, int m, int d) {
        double xx = 0;
        double yy = 0;
        double xy = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double a = 0;
                double b = 0;
                double c = 0;
                for (int t = 0; t < d; t++) {
                    a += x[i * d + t] * x[j * d + t];
                    b += y[i * d + t] * y[j * d + t];
                    c += x[i * d + t] * y[j * d + t];
                }
                if (i != j) {
                    xx += Math.pow(a / d + 1, 3);
                    yy += Math.pow(b / d + 1, 3);
                }
                xy += Math.pow(c / d + 1, 3);
            }
        }
        return (xx + yy) / (m * (m - 1.0)) - 2 * xy / ((double) m * m);
    }

    @Test
    void oneSubsetEqualsTheDirectComputation() {
        SplittableRandom rng = new SplittableRandom(7);
        int m = 37;
        int d = 11;
        double[] x = gaussian(rng, m, new double[] {1, 2, 3, 1, 1, 1, 0.5, 1, 2, 1, 1});
        double[] y = gaussian(rng, m, new double[] {1, 1, 1, 1, 4, 1, 1, 1, 1, 1, 1});
        for (int i = 0; i < y.length; i++) {
            y[i] += 0.3;
        }
        double want = direct(x, y, m, d);
        assertEquals(want, Kid.mmd2(x, y, m, d), 2 * roundOff(x, y, m, d));
    }

    /**
     * How far MMD²ᵤ, computed in any summation order (BLAS Gram tiles or the plain loops of {@link #direct}), can
     * be from its exact value; the estimate is a difference of nearly equal kernel means, so the bound is on the
     * size of the terms, not of the result. With u = 2⁻⁵³ and γ_k = k·u/(1 − k·u) (RoundOff): an inner product g
     * of length D is within γ_D·a of exact, a = Σ_t|x_t y_t|, so k = (g/D + 1)³ moves by at most
     * 3 s²·γ_D·a/D, s = |g|/D + 1, and its evaluation (divide, add, two products or pow) adds γ_6·s³; the m²
     * kernel values are summed in some order (γ_{m²}·Σ|k|) and weighted, subtracted and divided (γ_3). Hence
     * |Δ| ≤ Σ w·(3 s² γ_D a/D + γ_6 s³) + (γ_{m²} + γ_3)·Σ w s³, w = 1/(m(m−1)) within a set, 2/m² across.
     */
    static double roundOff(double[] x, double[] y, int m, int d) {
        double gd = RoundOff.gamma(d);
        double g6 = RoundOff.gamma(6);
        double within = 1.0 / ((double) m * (m - 1));
        double across = 2.0 / ((double) m * m);
        double perTerm = 0;
        double size = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double[][] pairs = i == j ? new double[][] {{across}} : new double[][] {{within}, {within}, {across}};
                for (int p = 0; p < pairs.length; p++) {
                    double[] a = p == 1 ? y : x;
                    double[] b = p == 0 && i != j ? x : y;
                    double g = 0;
                    double abs = 0;
                    for (int t = 0; t < d; t++) {
                        g += a[i * d + t] * b[j * d + t];
                        abs += Math.abs(a[i * d + t] * b[j * d + t]);
                    }
                    double w = pairs[p][0];
                    double sk = Math.abs(g) / d + 1;
                    perTerm += w * (3 * sk * sk * gd * abs / d + g6 * sk * sk * sk);
                    size += w * sk * sk * sk;
                }
            }
        }
        return perTerm + (RoundOff.gamma((long) m * m) + RoundOff.gamma(3)) * size;
    }

    /** Above one tile ({@link Kid#TILE} rows) the kernel sums are tiled: still the direct computation. */
    @Test
    void tiledSubsetsEqualTheDirectComputation() {
        SplittableRandom rng = new SplittableRandom(8);
        int m = Kid.TILE + 177;
        int d = 3;
        double[] x = gaussian(rng, m, new double[] {1, 2, 0.5});
        double[] y = gaussian(rng, m, new double[] {1, 1, 1.5});
        double want = direct(x, y, m, d);
        assertEquals(want, Kid.mmd2(x, y, m, d), 2 * roundOff(x, y, m, d));
        // float features give the numbers of their widened values
        float[] fx = new float[x.length];
        float[] fy = new float[y.length];
        double[] wx = new double[x.length];
        double[] wy = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            fx[i] = (float) x[i];
            fy[i] = (float) y[i];
            wx[i] = fx[i];
            wy[i] = fy[i];
        }
        assertEquals(Kid.of(wx, m, wy, m, d, 3, 500, 4), Kid.of(fx, m, fy, m, d, 3, 500, 4));
    }

    /**
     * For x ~ N(0, A), y ~ N(0, B): E k(x, y) = 1 + 3 tr(AB)/D² (odd moments vanish), so the unbiased estimate has
     * expectation 3 ‖A − B‖²_F / D². Fresh, independent subsets each time: their mean must be within 4 standard
     * errors of it, and of 0 when A = B.
     */
    @Test
    void unbiasedForGaussiansAgainstTheClosedForm() {
        SplittableRandom rng = new SplittableRandom(11);
        int d = 4;
        int m = 100;
        int reps = 300;
        double[] a = {1, 1, 1, 1};
        double[] b = {2, 1, 0.5, 1};
        double expected = 3.0 * (1 + 0 + 0.25 + 0) / (d * d);
        for (double[] bb : new double[][] {b, a}) {
            double[] est = new double[reps];
            for (int r = 0; r < reps; r++) {
                est[r] = Kid.mmd2(gaussian(rng, m, a), gaussian(rng, m, bb), m, d);
            }
            Kid.Result k = Kid.summarise(est, m);
            double se = k.sd() / Math.sqrt(reps);
            double want = bb == a ? 0 : expected;
            assertTrue(Math.abs(k.mean() - want) < 4 * se, "mean " + k.mean() + " vs " + want + " ± " + se);
            assertTrue(se < want / 10 || want == 0, "the test must be able to tell: se " + se);
        }
    }

    @Test
    void subsetsAreDistinctDeterministicAndRefusedWhenTooLarge() {
        int[] s = Kid.subset(1000, 200, 5, 3, 0);
        assertEquals(200, java.util.Arrays.stream(s).distinct().count());
        assertTrue(java.util.Arrays.stream(s).allMatch(i -> i >= 0 && i < 1000));
        assertArrayEquals(s, Kid.subset(1000, 200, 5, 3, 0));
        assertTrue(!java.util.Arrays.equals(s, Kid.subset(1000, 200, 5, 4, 0)));
        assertTrue(!java.util.Arrays.equals(s, Kid.subset(1000, 200, 5, 3, 1)));
        assertEquals(1000, Kid.subset(1000, 1000, 5, 0, 0).length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kid.check(500, 2000, 1000, 100));
        assertTrue(e.getMessage().contains("subset size 1000") && e.getMessage().contains("real n = 500")
                && e.getMessage().contains("at most 500"), e.getMessage());
    }

    /** MMD²ᵤ of sets of different sizes, written out with plain loops (the estimator a subset without a group is). */
    static double directUnequal(double[] x, int mx, double[] y, int my, int d) {
        double xx = 0;
        double yy = 0;
        double xy = 0;
        for (int i = 0; i < mx; i++) {
            for (int j = 0; j < mx; j++) {
                if (i != j) {
                    xx += Math.pow(dot(x, i, x, j, d) / d + 1, 3);
                }
            }
            for (int j = 0; j < my; j++) {
                xy += Math.pow(dot(x, i, y, j, d) / d + 1, 3);
            }
        }
        for (int i = 0; i < my; i++) {
            for (int j = 0; j < my; j++) {
                if (i != j) {
                    yy += Math.pow(dot(y, i, y, j, d) / d + 1, 3);
                }
            }
        }
        return xx / (mx * (mx - 1.0)) + yy / (my * (my - 1.0)) - 2 * xy / ((double) mx * my);
    }

    private static double dot(double[] a, int i, double[] b, int j, int d) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            s += a[i * d + t] * b[j * d + t];
        }
        return s;
    }

    /**
     * The jackknife by brute force: for each seed group, every subset's generated rows of that group are removed and
     * MMD²ᵤ recomputed with plain loops on the smaller set; θ₍g₎ is the mean over subsets and SE the jackknife
     * formula written out here. The one-pass leave-group-out sums must give the same numbers.
     */
    @Test
    void jackknifeEqualsLeavingEachSeedGroupOutByBruteForce() {
        SplittableRandom rng = new SplittableRandom(21);
        int d = 3;
        int n = 47;  // groups of 4 and 5 seeds
        int m = 20;
        int subsets = 5;
        long seed = 9;
        double[] real = gaussian(rng, 60, new double[] {1, 2, 0.5});
        double[] gen = gaussian(rng, n, new double[] {1.5, 1, 0.5});
        Kid.Result k = Kid.of(real, 60, gen, n, d, subsets, m, seed);
        int groups = JackknifeFid.groups(n);
        assertEquals(10, groups);
        assertEquals(groups, k.groups());
        double[] theta = new double[groups];
        double full = 0;
        for (int s = 0; s < subsets; s++) {
            double[] x = Kid.rows(real, Kid.subset(60, m, seed, s, 0), d);
            int[] yi = Kid.subset(n, m, seed, s, 1);
            full += directUnequal(x, m, Kid.rows(gen, yi, d), m, d) / subsets;
            for (int g = 0; g < groups; g++) {
                final int gg = g;
                int[] kept = java.util.Arrays.stream(yi).filter(i -> JackknifeFid.group(i, n, groups) != gg).toArray();
                theta[g] += directUnequal(x, m, Kid.rows(gen, kept, d), kept.length, d) / subsets;
            }
        }
        assertEquals(full, k.mean(), 1e-12 * Math.abs(full));
        double mean = java.util.Arrays.stream(theta).average().orElseThrow();
        double ss = 0;
        for (int g = 0; g < groups; g++) {
            assertEquals(theta[g], k.leaveOut().get(g), 1e-12 * Math.abs(theta[g]), "group " + g);
            ss += (theta[g] - mean) * (theta[g] - mean);
        }
        double se = Math.sqrt((groups - 1.0) / groups * ss);
        assertEquals(se, k.se(), 1e-9 * se);
        assertTrue(se > 0);
    }

    /** Above one tile the leave-group-out sums are tiled: the full estimate is still the direct one. */
    @Test
    void tiledLeaveGroupOutFullEstimateIsTheDirectOne() {
        SplittableRandom rng = new SplittableRandom(22);
        int m = Kid.TILE + 77;
        int d = 2;
        double[] x = gaussian(rng, m, new double[] {1, 2});
        double[] y = gaussian(rng, m, new double[] {1.5, 1});
        int[] groups = new int[m];
        for (int i = 0; i < m; i++) {
            groups[i] = i % 3;
        }
        double want = direct(x, y, m, d);
        double[] got = Kid.mmd2LeaveGroupOut(x, y, m, d, groups, 3);
        assertEquals(want, got[0], 1e-10 * Math.abs(want));
        double[] y0 = Kid.rows(y, java.util.stream.IntStream.range(0, m).filter(i -> i % 3 != 0).toArray(), d);
        double want0 = directUnequal(x, m, y0, y0.length / d, d);
        assertEquals(want0, got[1], 1e-10 * Math.abs(want0));
    }

    /**
     * The jackknife SE against the spread it estimates: the same real features and subsets, 60 independent draws
     * of the generated set (the seeds drawn again). The SE's mean square must match the variance of the 60 KIDs
     * within what 60 draws and a 10-group jackknife allow: the ratio of the variances has a 99.9 % range of
     * about [0.5, 1.9] for 59 and ≥ 100 degrees of freedom; the sd ratio is asserted in [0.65, 1.45].
     */
    @Test
    void jackknifeSeMatchesTheSpreadOverIndependentDraws() {
        SplittableRandom rng = new SplittableRandom(23);
        int d = 4;
        int n = 200;
        double[] real = gaussian(rng, 400, new double[] {1, 1, 1, 1});
        double[] b = {2, 1, 0.5, 1};
        int reps = 60;
        double[] kid = new double[reps];
        double se2 = 0;
        for (int r = 0; r < reps; r++) {
            Kid.Result k = Kid.of(real, 400, gaussian(rng, n, b), n, d, 8, 100, 3);
            kid[r] = k.mean();
            se2 += k.se() * k.se() / reps;
        }
        double mean = java.util.Arrays.stream(kid).average().orElseThrow();
        double var = 0;
        for (double v : kid) {
            var += (v - mean) * (v - mean) / (reps - 1);
        }
        double ratio = Math.sqrt(var / se2);
        assertTrue(ratio > 0.65 && ratio < 1.45, "empirical sd / jackknife SE = " + ratio);
    }

    /**
     * Paired differences: two configs whose samples share the seeds and differ by a small smooth change have KIDs
     * far more alike than either's SE; the paired SE is the jackknife of the per-group differences (written out
     * here) and far below the unpaired √(SE_A² + SE_B²).
     */
    @Test
    void pairedDifferenceCancelsTheSharedSpread() {
        SplittableRandom rng = new SplittableRandom(24);
        int d = 4;
        int n = 300;
        double[] real = gaussian(rng, 300, new double[] {1, 1, 1, 1});
        double[] a = gaussian(rng, n, new double[] {2, 1, 0.5, 1});
        double[] bGen = a.clone();
        for (int i = 0; i < bGen.length; i++) {
            bGen[i] *= 1.05;
        }
        Kid.Result ka = Kid.of(real, 300, a, n, d, 10, 150, 5);
        Kid.Result kb = Kid.of(real, 300, bGen, n, d, 10, 150, 5);
        Kid.Difference diff = Kid.difference(kb, ka);
        assertEquals(kb.mean() - ka.mean(), diff.difference(), 0);
        double[] dg = new double[ka.groups()];
        for (int g = 0; g < dg.length; g++) {
            dg[g] = kb.leaveOut().get(g) - ka.leaveOut().get(g);
        }
        assertEquals(JackknifeFid.standardError(dg), diff.se(), 0);
        double unpaired = Math.hypot(ka.se(), kb.se());
        assertTrue(diff.se() < 0.3 * unpaired, "paired " + diff.se() + " vs unpaired " + unpaired);
        assertTrue(diff.difference() > 4 * diff.se(), "the larger spread of B is resolved: " + diff);
    }
}
