package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.random.RandomGenerator;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.SeedStream;
import org.junit.jupiter.api.Test;

/**
 * The jackknife SE is checked against what it claims to estimate: the spread of the FID (and of a paired FID
 * difference) over independent draws of the seeds, measured directly by drawing many disjoint seed ranges.
 */
class JackknifeFidTest {

    private static final GaussianMixture MIXTURE = GaussianMixture.random(4, 8, 0.5, 7);
    private static final int N = 400;
    private static final int REPLICATES = 200;

    /**
     * Group sums of N exact samples from seed {@code start}, seen by two "samplers" with errors: config A scales them
     * by 1.3, config B by 1.4 (same seeds, so the two are paired, as in a sweep). Both FIDs are well above the
     * finite-sample floor, as a sampler's are; at the floor itself (FID ≈ 0, a degenerate quadratic form) the
     * jackknife is conservative, as jackknife variances are in general (Efron–Stein).
     */
    private static FeatureStats[][] groupStats(long start, int g) {
        FeatureStats[][] out = new FeatureStats[2][g];
        for (int k = 0; k < g; k++) {
            out[0][k] = new FeatureStats(MIXTURE.dim());
            out[1][k] = new FeatureStats(MIXTURE.dim());
        }
        for (int i = 0; i < N; i++) {
            RandomGenerator rng = SeedStream.generator(start + i, SeedStream.DATA)::nextLong;
            double[] x = MIXTURE.sample(rng);
            double[] y = new double[x.length];
            for (int d = 0; d < x.length; d++) {
                y[d] = 1.4 * x[d];
                x[d] *= 1.3;
            }
            int k = JackknifeFid.group(i, N, g);
            out[0][k].add(x);
            out[1][k].add(y);
        }
        return out;
    }

    private static FeatureStats total(FeatureStats[] groups) {
        FeatureStats t = new FeatureStats(groups[0].dim());
        for (FeatureStats s : groups) {
            t.merge(s);
        }
        return t;
    }

    @Test
    void standardErrorsMatchTheSpreadOverIndependentSeedRanges() {
        Gaussian ref = new Gaussian(MIXTURE.mean(), MIXTURE.covariance(), 0);
        int g = JackknifeFid.DEFAULT_GROUPS;
        double[] fidA = new double[REPLICATES];
        double[] diff = new double[REPLICATES];
        double seA = 0;
        double seDiff = 0;
        double seUnpaired = 0;
        for (int r = 0; r < REPLICATES; r++) {
            FeatureStats[][] s = groupStats((long) r * N, g);
            double a = FrechetDistance.between(Gaussian.of(total(s[0])), ref);
            double b = FrechetDistance.between(Gaussian.of(total(s[1])), ref);
            fidA[r] = a;
            diff[r] = b - a;
            double[] looA = JackknifeFid.leaveOneOut(s[0], ref);
            double[] looB = JackknifeFid.leaveOneOut(s[1], ref);
            seA += JackknifeFid.standardError(looA) / REPLICATES;
            seDiff += JackknifeFid.differenceStandardError(looB, looA) / REPLICATES;
            seUnpaired += Math.hypot(JackknifeFid.standardError(looA), JackknifeFid.standardError(looB)) / REPLICATES;
        }
        double sdA = sd(fidA);
        double sdDiff = sd(diff);
        // 200 replicates estimate an SD to about 5 %. Measured: SE/SD = 1.21 for the FID (the jackknife errs on the
        // safe side here, as it tends to), 1.06 for the paired difference; the bounds would catch a wrong factor.
        assertTrue(seA / sdA > 0.75 && seA / sdA < 1.33, "jackknife SE " + seA + " vs replicate SD " + sdA);
        assertTrue(seDiff / sdDiff > 0.75 && seDiff / sdDiff < 1.33,
                "paired jackknife SE " + seDiff + " vs replicate SD of the difference " + sdDiff);
        // Pairing is what makes differences measurable: the paired SE is well below the unpaired one.
        assertTrue(seDiff < 0.7 * seUnpaired, "paired " + seDiff + " vs unpaired " + seUnpaired);
    }

    @Test
    void theLinearisedJackknifeMatchesTheExactOneOnTheMixture() {
        Gaussian ref = new Gaussian(MIXTURE.mean(), MIXTURE.covariance(), 0);
        FrechetDistance.To to = new FrechetDistance.To(ref);
        int g = JackknifeFid.DEFAULT_GROUPS;
        double worstSe = 0;
        double worstDiffSe = 0;
        double worstBound = 0;
        for (int r = 0; r < 20; r++) {
            FeatureStats[][] s = groupStats((long) r * N, g);
            double[] exactA = JackknifeFid.fidAndLeaveOneOut(s[0], to, JackknifeFid.Method.EXACT);
            double[] linA = JackknifeFid.fidAndLeaveOneOut(s[0], to, JackknifeFid.Method.LINEAR);
            double[] exactB = JackknifeFid.fidAndLeaveOneOut(s[1], to, JackknifeFid.Method.EXACT);
            double[] linB = JackknifeFid.fidAndLeaveOneOut(s[1], to, JackknifeFid.Method.LINEAR);
            // The full FID is the same number either way, up to the two eigensolvers' round-off (derived in
            // RoundOff.eigensolverFidBound from their backward error: no BLAS kernel or order enters).
            FeatureStats all = new FeatureStats(s[0][0].shift());
            for (FeatureStats x : s[0]) {
                all.merge(x);
            }
            double bound = RoundOff.eigensolverFidBound(to.productEigenvalues(Gaussian.of(all)), exactA[0]);
            assertEquals(exactA[0], linA[0], bound);
            worstBound = Math.max(worstBound, bound / exactA[0]);
            double seExact = JackknifeFid.standardError(java.util.Arrays.copyOfRange(exactA, 1, g + 1));
            double seLin = JackknifeFid.standardError(java.util.Arrays.copyOfRange(linA, 1, g + 1));
            double dExact = JackknifeFid.differenceStandardError(java.util.Arrays.copyOfRange(exactB, 1, g + 1),
                    java.util.Arrays.copyOfRange(exactA, 1, g + 1));
            double dLin = JackknifeFid.differenceStandardError(java.util.Arrays.copyOfRange(linB, 1, g + 1),
                    java.util.Arrays.copyOfRange(linA, 1, g + 1));
            worstSe = Math.max(worstSe, Math.abs(seLin / seExact - 1));
            worstDiffSe = Math.max(worstDiffSe, Math.abs(dLin / dExact - 1));
        }
        // n = 400 in groups of 40, D = 8. Measured worst over 20 draws: 5.9 % for an SE, 1.3 % for a paired SE,
        // against the ~24 % relative sampling error of a 10-group jackknife SE itself (1/√(2·9)).
        System.out.printf("linearised vs exact jackknife, 20 draws: SE worst %.2e, paired SE worst %.2e; full FIDs "
                + "equal within the eigensolver bound, at most %.1e relative%n", worstSe, worstDiffSe, worstBound);
        assertTrue(worstSe < 0.1, "SE differs by " + worstSe);
        assertTrue(worstDiffSe < 0.05, "paired SE differs by " + worstDiffSe);
    }

    @Test
    void closedFormOnKnownValues() {
        // θ(g) = 1, 2, 3, 4: mean 2.5, Σ(θ − θ̄)² = 5, SE = √(3/4 · 5).
        assertEquals(Math.sqrt(0.75 * 5), JackknifeFid.standardError(new double[] {1, 2, 3, 4}), 1e-15);
        assertEquals(0, JackknifeFid.differenceStandardError(new double[] {1, 2, 3}, new double[] {2, 3, 4}), 1e-15);
        assertTrue(Double.isNaN(JackknifeFid.standardError(new double[] {1})));
        assertThrows(IllegalArgumentException.class,
                () -> JackknifeFid.differenceStandardError(new double[] {1, 2}, new double[] {1, 2, 3}));
    }

    @Test
    void groupsAreContiguousAndBalanced() {
        int[] sizes = new int[10];
        for (long i = 0; i < 1003; i++) {
            sizes[JackknifeFid.group(i, 1003, 10)]++;
        }
        for (int s : sizes) {
            assertTrue(s == 100 || s == 101, "group size " + s);
        }
        assertEquals(0, JackknifeFid.group(0, 1003, 10));
        assertEquals(9, JackknifeFid.group(1002, 1003, 10));
        assertEquals(3, JackknifeFid.groups(3));
        assertEquals(10, JackknifeFid.groups(5000));
        assertThrows(IllegalArgumentException.class, () -> JackknifeFid.group(1003, 1003, 10));
    }

    private static double sd(double[] v) {
        double m = 0;
        for (double x : v) {
            m += x;
        }
        m /= v.length;
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (v.length - 1));
    }
}
