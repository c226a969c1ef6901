package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.diffusion.CountingDenoiser;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.schedule.EdmGrid;
import org.junit.jupiter.api.Test;

/** EDM Algorithm 2: its reduction to Heun, one step against a hand computation, options, NFE and noise. */
class EdmStochasticTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(4, 3, 0.5, 7);
    static final double V = 0.25;
    static final Denoiser GAUSSIAN = StochasticSeedChecks.gaussian(V);

    static long[] seeds(int n, long first) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = first + i;
        }
        return s;
    }

    static double[] edmGrid(int steps) {
        return new EdmGrid(0.002, 80, 7).sigmas(steps);
    }

    static double[] run(Sampler sampler, double[] sigmas, long[] seeds) {
        double[] x = BatchNoise.latents(seeds, MIXTURE.dim(), sigmas[0]);
        return sampler.sample(MIXTURE, sigmas, x, BatchNoise.samplerNoise(seeds, MIXTURE.dim()));
    }

    @Test
    void withoutChurnItIsHeunBitForBit() {
        long[] seeds = seeds(16, 100);
        for (int steps : new int[] {2, 7, 32}) {
            double[] heun = run(new Heun(), edmGrid(steps), seeds);
            assertArrayEquals(heun, run(new EdmStochastic(), edmGrid(steps), seeds), 0.0, steps + " steps");
            assertArrayEquals(heun, run(new EdmStochastic(0, 0.05, 50, 1.003), edmGrid(steps), seeds), 0.0);
            // churn on, but no σ_i inside [S_tmin, S_tmax]: no noise either
            assertArrayEquals(heun, run(new EdmStochastic(40, 100, 200, 1.003), edmGrid(steps), seeds), 0.0);
        }
        // and with churn on it is not Heun
        double[] heun = run(new Heun(), edmGrid(32), seeds);
        double[] churned = run(new EdmStochastic(40, 0.05, 50, 1), edmGrid(32), seeds);
        for (int i = 0; i < heun.length; i++) {
            assertTrue(heun[i] != churned[i], "entry " + i + " unchanged by churn");
        }
    }

    /**
     * One step of Algorithm 2 on N(0, v) data, computed here from the closed form ε(x; σ) = σx/(v + σ²):
     * σ̂ = σ(1 + γ), x̂ = x + sqrt(σ̂² − σ²)·S_noise·n, then Euler to σ' and the trapezoidal correction.
     */
    static double oneStepByHand(double x, double sigma, double sigmaNext, double gamma, double sNoise, double n) {
        double sigmaHat = sigma * (1 + gamma);
        double xHat = x + Math.sqrt(sigmaHat * sigmaHat - sigma * sigma) * sNoise * n;
        double h = sigmaNext - sigmaHat;
        double d = sigmaHat * xHat / (V + sigmaHat * sigmaHat);
        double xEuler = xHat + h * d;
        if (sigmaNext == 0) {
            return xEuler;
        }
        double dNext = sigmaNext * xEuler / (V + sigmaNext * sigmaNext);
        return xHat + h * (0.5 * d + 0.5 * dNext);
    }

    /** The first two standard normals of seed 42's sampler stream. */
    static double[] draws() {
        BatchNoise noise = BatchNoise.samplerNoise(new long[] {42}, 1);
        return new double[] {noise.next()[0], noise.next()[0]};
    }

    @Test
    void oneStepMatchesAlgorithm2ByHand() {
        double x = 2;
        double n0 = draws()[0];
        double[] grid = {3, 1};
        // N = 1: γ = S_churn/1 = 0.2
        double out = new EdmStochastic(0.2, 0, Double.POSITIVE_INFINITY, 1.5)
                .sample(GAUSSIAN, grid, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        assertEquals(oneStepByHand(x, 3, 1, 0.2, 1.5, n0), out, 1e-14);
        // S_churn/N above √2 − 1 is capped
        double capped = new EdmStochastic(5, 0, Double.POSITIVE_INFINITY, 1)
                .sample(GAUSSIAN, grid, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        assertEquals(oneStepByHand(x, 3, 1, Math.sqrt(2) - 1, 1, n0), capped, 1e-14);
        // a step to σ = 0 has no corrector
        double toZero = new EdmStochastic(0.2, 0, Double.POSITIVE_INFINITY, 1)
                .sample(GAUSSIAN, new double[] {1, 0}, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        assertEquals(oneStepByHand(x, 1, 0, 0.2, 1, n0), toZero, 1e-14);
    }

    /**
     * Two steps, σ = 3 → 1 → 0.5, N = 2, γ = S_churn/2: the window [S_tmin, S_tmax] is inclusive at both ends,
     * and step i always uses the seed's i-th draw (a step outside the window still consumes its draw).
     */
    @Test
    void windowIsInclusiveAndEveryStepConsumesOneDraw() {
        double[] n = draws();
        double[] grid = {3, 1, 0.5};
        double x = 2;
        double gamma = 0.1;
        // both steps in the window, S_tmin = σ_1 and S_tmax = σ_0 exactly
        double both = new EdmStochastic(0.2, 1, 3, 1)
                .sample(GAUSSIAN, grid, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        double expected = oneStepByHand(oneStepByHand(x, 3, 1, gamma, 1, n[0]), 1, 0.5, gamma, 1, n[1]);
        assertEquals(expected, both, 1e-14);
        // only the second step in the window: it uses draw 1, not draw 0
        double second = new EdmStochastic(0.2, 0.5, 2, 1)
                .sample(GAUSSIAN, grid, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        expected = oneStepByHand(oneStepByHand(x, 3, 1, 0, 1, n[0]), 1, 0.5, gamma, 1, n[1]);
        assertEquals(expected, second, 1e-14);
        // only the first step in the window
        double first = new EdmStochastic(0.2, 2, 3, 1)
                .sample(GAUSSIAN, grid, new double[] {x}, BatchNoise.samplerNoise(new long[] {42}, 1))[0];
        expected = oneStepByHand(oneStepByHand(x, 3, 1, gamma, 1, n[0]), 1, 0.5, 0, 1, n[1]);
        assertEquals(expected, first, 1e-14);
    }

    @Test
    void noiseDependsOnTheSeedAlone() {
        EdmStochastic sampler = new EdmStochastic(40, 0.05, 50, 1.003);
        StochasticSeedChecks.noiseDependsOnTheSeedAlone(sampler, MIXTURE, edmGrid(12));
    }

    @Test
    void makesTheModelCallsItDeclares() {
        EdmStochastic sampler = new EdmStochastic(40, 0.05, 50, 1.003);
        for (int steps : new int[] {2, 3, 10, 33}) {
            CountingDenoiser counted = new CountingDenoiser(MIXTURE);
            long[] seeds = seeds(4, 0);
            sampler.sample(counted, edmGrid(steps), BatchNoise.latents(seeds, MIXTURE.dim(), 80),
                    BatchNoise.samplerNoise(seeds, MIXTURE.dim()));
            assertEquals(sampler.nfe(steps), counted.calls(), steps + " steps");
            assertEquals(2 * steps - 1, counted.calls());
        }
        assertEquals(1, sampler.stepsForNfe(1));
        assertEquals(18, sampler.stepsForNfe(35));
        assertEquals(18, sampler.stepsForNfe(36));
    }

    @Test
    void describesItsOptions() {
        assertEquals("edm-stochastic(S_churn=40,S_tmin=0.05,S_tmax=50,S_noise=1.003)",
                new EdmStochastic(40, 0.05, 50, 1.003).describe());
        assertEquals("edm-stochastic(S_churn=0,S_tmin=0,S_tmax=inf,S_noise=1)", new EdmStochastic().describe());
        assertTrue(new EdmStochastic(40, 0.05, 50, 1.003).stochastic());
        assertTrue(!new EdmStochastic().stochastic(), "S_churn = 0 is Heun, deterministic");
    }

    @Test
    void refusesBadOptions() {
        assertRefused(() -> new EdmStochastic(-1, 0, 1, 1), "S_churn = -1.0");
        assertRefused(() -> new EdmStochastic(Double.NaN, 0, 1, 1), "S_churn = NaN");
        assertRefused(() -> new EdmStochastic(Double.POSITIVE_INFINITY, 0, 1, 1), "S_churn = Infinity");
        assertRefused(() -> new EdmStochastic(1, 0, 1, 0), "S_noise = 0.0");
        assertRefused(() -> new EdmStochastic(1, 0, 1, -0.5), "S_noise = -0.5");
        assertRefused(() -> new EdmStochastic(1, 0, 1, Double.POSITIVE_INFINITY), "S_noise = Infinity");
        assertRefused(() -> new EdmStochastic(1, 2, 1, 1), "S_tmax = 1.0 with S_tmin = 2.0");
        assertRefused(() -> new EdmStochastic(1, -0.1, 1, 1), "S_tmin = -0.1");
        assertRefused(() -> new EdmStochastic(1, 0, Double.NaN, 1), "S_tmax = NaN");
    }

    static void assertRefused(org.junit.jupiter.api.function.Executable make, String names) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make);
        assertTrue(e.getMessage().startsWith("edm-stochastic: "), e.getMessage());
        assertTrue(e.getMessage().contains(names), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
