package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.schedule.TimeGrids;
import org.junit.jupiter.api.Test;

/**
 * The stochastic samplers draw from the data distribution: on a small exact mixture, at high NFE, the sample
 * mean and covariance of several thousand seeds match the mixture's exact mean() and covariance() within
 * 5 Monte-Carlo standard errors in every entry; and with 5 steps at least one entry is off by more than
 * 5 SE, which shows the comparison has the power to fail.
 */
class StochasticMomentsTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(3, 2, 0.5, 11);
    static final int SEEDS = 4000;
    static final double LIMIT = 5;

    static final EdmProcess EDM = new EdmProcess();
    static final VpProcess VP = new VpProcess();

    static double[] edmGrid(int steps) {
        return new EdmGrid(EdmProcess.DEFAULT_SIGMA_MIN, EdmProcess.DEFAULT_SIGMA_MAX, 7).sigmas(steps);
    }

    static double[] vpGrid(int steps) {
        return TimeGrids.of("time-uniform", Map.of(), VP).sigmas(steps);
    }

    /** Runs a sampler from seeds 0 … SEEDS−1 (latents σ_0·n) and measures the moments of its output. */
    static SampleMoments run(Sampler sampler, double[] sigmas) {
        long[] seeds = new long[SEEDS];
        for (int i = 0; i < SEEDS; i++) {
            seeds[i] = i;
        }
        int dim = MIXTURE.dim();
        double[] x = BatchNoise.latents(seeds, dim, sigmas[0]);
        double[] out = sampler.sample(MIXTURE, sigmas, x, BatchNoise.samplerNoise(seeds, dim));
        return new SampleMoments(out, dim);
    }

    static double check(String what, Sampler sampler, double[] fine, double[] coarse) {
        double[] mean = MIXTURE.mean();
        double[] cov = MIXTURE.covariance();
        SampleMoments good = run(sampler, fine);
        double zGood = good.maxZ(mean, cov);
        SampleMoments bad = run(sampler, coarse);
        double zBad = bad.maxZ(mean, cov);
        System.out.printf("%s, %d steps: max |err|/SE %.2f  %s%n", what, fine.length - 1, zGood,
                good.report(mean, cov));
        System.out.printf("%s, %d steps: max |err|/SE %.2f  %s%n", what, coarse.length - 1, zBad,
                bad.report(mean, cov));
        assertTrue(zGood < LIMIT, what + " at " + (fine.length - 1) + " steps: " + good.report(mean, cov));
        assertTrue(zBad > LIMIT, what + " at " + (coarse.length - 1) + " steps should be detectably wrong: "
                + bad.report(mean, cov));
        return zGood;
    }

    @Test
    void eulerMaruyamaOnEdmDrawsTheMixture() {
        check("euler-maruyama/edm", new EulerMaruyama(EDM), edmGrid(400), edmGrid(5));
    }

    @Test
    void eulerMaruyamaOnVpDrawsTheMixture() {
        check("euler-maruyama/vp", new EulerMaruyama(VP), vpGrid(400), vpGrid(5));
    }

    /** S_noise = 1: EDM's 1.003 over-noises on purpose, so its target is not exactly the data. */
    @Test
    void edmStochasticDrawsTheMixture() {
        EdmStochastic churn = new EdmStochastic(40, 0.05, 50, 1);
        check(churn.describe(), churn, edmGrid(200), edmGrid(5));
    }

    /**
     * The harness itself, on exact draws from the mixture: 400 independent batches of 1000 draws, the
     * errors divided by their estimated SE must have mean ≈ 0 and standard deviation ≈ 1 (so the SE
     * formulas are right), and the exact sampler passes the 5-SE check in every batch.
     */
    @Test
    void standardErrorsAreCalibratedOnExactDraws() {
        double[] mean = MIXTURE.mean();
        double[] cov = MIXTURE.covariance();
        int dim = MIXTURE.dim();
        int reps = 400;
        int n = 1000;
        SplittableRandom rng = new SplittableRandom(5);
        // z-scores of entries mean_0, mean_1, cov_00, cov_01, cov_11
        double[] sum = new double[5];
        double[] sumSq = new double[5];
        double worst = 0;
        for (int r = 0; r < reps; r++) {
            double[] x = new double[n * dim];
            for (int i = 0; i < n; i++) {
                System.arraycopy(MIXTURE.sample(rng), 0, x, i * dim, dim);
            }
            SampleMoments m = new SampleMoments(x, dim);
            double[] z = {
                (m.mean[0] - mean[0]) / m.meanSe[0],
                (m.mean[1] - mean[1]) / m.meanSe[1],
                (m.cov[0] - cov[0]) / m.covSe[0],
                (m.cov[1] - cov[1]) / m.covSe[1],
                (m.cov[3] - cov[3]) / m.covSe[3],
            };
            for (int e = 0; e < 5; e++) {
                sum[e] += z[e];
                sumSq[e] += z[e] * z[e];
            }
            worst = Math.max(worst, m.maxZ(mean, cov));
        }
        for (int e = 0; e < 5; e++) {
            double mz = sum[e] / reps;
            double sd = Math.sqrt(sumSq[e] / reps - mz * mz);
            // over 400 replicates the SE of mean(z) is 0.05 and of sd(z) about 0.035
            assertEquals(0, mz, 0.25, "entry " + e + ": mean of z");
            assertEquals(1, sd, 0.15, "entry " + e + ": sd of z");
        }
        assertTrue(worst < LIMIT, "exact draws failed the 5-SE check: max z " + worst);
    }
}
