package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Test;

/**
 * Samplers against closed forms on a one-dimensional Gaussian N(0, v): the probability-flow ODE
 * dx/dσ = σx/(v + σ²) has the exact solution x(σ) = x(σ_0)·sqrt((v + σ²)/(v + σ_0²)), and one Euler or
 * Heun step has an exact one-line value.
 */
class GaussianClosedFormTest {

    static final double V = 0.25;

    /** D(x; σ) = v/(v + σ²)·x for N(0, v) data. */
    static final Denoiser GAUSSIAN = StochasticSeedChecks.gaussian(V);

    static final BatchNoise ONE = BatchNoise.samplerNoise(new long[] {0}, 1);

    @Test
    void oneEulerStepIsExact() {
        double s0 = 3;
        double s1 = 1;
        double x = 2;
        double eps = s0 / (V + s0 * s0) * x; // (x − D)/σ
        double[] out = new Euler().sample(GAUSSIAN, new double[] {s0, s1}, new double[] {x}, ONE);
        assertEquals(x + (s1 - s0) * eps, out[0], 1e-15);
    }

    @Test
    void oneHeunStepIsTheTrapezoidalRule() {
        double s0 = 3;
        double s1 = 1;
        double x = 2;
        double h = s1 - s0;
        double e0 = s0 / (V + s0 * s0) * x;
        double xp = x + h * e0;
        double e1 = s1 / (V + s1 * s1) * xp;
        double[] out = new Heun().sample(GAUSSIAN, new double[] {s0, s1}, new double[] {x}, ONE);
        assertEquals(x + h * 0.5 * (e0 + e1), out[0], 1e-15);
        // a step to σ = 0 is Euler alone
        double[] toZero = new Heun().sample(GAUSSIAN, new double[] {s1, 0}, new double[] {x}, ONE);
        assertEquals(x - s1 * (s1 / (V + s1 * s1) * x), toZero[0], 1e-15);
    }

    @Test
    void finelyResolvedSamplersReachTheExactSolution() {
        double s0 = 80;
        double s1 = 0.002;
        double x = 80 * 0.7;
        double exact = x * Math.sqrt((V + s1 * s1) / (V + s0 * s0));
        int n = 2000;
        double[] grid = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            grid[i] = Math.pow(Math.pow(s0, 1 / 7.0) + i / (double) n * (Math.pow(s1, 1 / 7.0) - Math.pow(s0, 1 / 7.0)), 7);
        }
        double heun = new Heun().sample(GAUSSIAN, grid, new double[] {x}, ONE)[0];
        double euler = new Euler().sample(GAUSSIAN, grid, new double[] {x}, ONE)[0];
        assertEquals(exact, heun, 1e-5 * Math.abs(exact)); // measured 3.5e-6 relative
        assertEquals(exact, euler, 2e-3 * Math.abs(exact));
        assertTrue(Math.abs(heun - exact) < Math.abs(euler - exact) / 100);
    }

    @Test
    void refusesBadGridsAndBudgets() {
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class,
                () -> new Euler().sample(GAUSSIAN, new double[] {1, 2, 0}, new double[] {1}, ONE));
        assertTrue(up.getMessage().contains("strictly decreasing"), up.getMessage());
        IllegalArgumentException nfe = assertThrows(IllegalArgumentException.class, () -> new Heun().stepsForNfe(0));
        assertTrue(nfe.getMessage().contains("nfe = 0"), nfe.getMessage());
    }
}
