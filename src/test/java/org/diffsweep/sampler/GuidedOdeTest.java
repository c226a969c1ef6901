package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.diffusion.Guided;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.schedule.EdmGrid;
import org.junit.jupiter.api.Test;

/**
 * The guided probability-flow ODE in closed form, and the samplers' integration error on it.
 *
 * <p>Two Gaussians of one mean μ and variances v_c (the model) and v_u (the guide, broader, as autoguidance's weaker
 * model is): D_i = μ + v_i/(v_i + σ²)·(x − μ), so the guided D = D_u + w·(D_c − D_u) is linear in x and the ODE
 * dx/dσ = (x − D)/σ gives, per coordinate,
 *
 * <pre>
 *   x(σ) − μ = (x(σ_0) − μ) · Φ(σ)/Φ(σ_0),   Φ(σ) = (v_c + σ²)^{w/2} · (v_u + σ²)^{(1−w)/2}.
 * </pre>
 */
class GuidedOdeTest {

    private static final double MU = 0.4;
    private static final double VC = 0.05;
    private static final double VU = 0.5;

    private static GaussianMixture gaussian(double v) {
        return new GaussianMixture(new double[] {1}, new double[][] {{MU}}, new double[][] {{v}});
    }

    private static double phi(double sigma, double w) {
        return Math.pow(VC + sigma * sigma, w / 2) * Math.pow(VU + sigma * sigma, (1 - w) / 2);
    }

    /** The reference solver and the samplers on the guided ODE, against the closed form. */
    @Test
    void samplersConvergeToTheGuidedOdesClosedForm() {
        long[] seeds = {1, 2, 3, 4, 5, 6, 7, 8};
        for (double w : new double[] {0, 2, 4}) {
            Guided d = Guided.twoModels(gaussian(VC), gaussian(VU), w);
            double sigma0 = 80;
            double[] x0 = BatchNoise.latents(seeds, 1, sigma0);
            double[] exact = new double[x0.length];
            for (int i = 0; i < x0.length; i++) {
                exact[i] = MU + (x0[i] - MU) * phi(0, w) / phi(sigma0, w);
            }
            double[] ref = ReferenceSolver.solve(d, x0, seeds.length, sigma0, 0, 1e-12);
            for (int i = 0; i < x0.length; i++) {
                assertEquals(exact[i], ref[i], 1e-8, "reference, w " + w);
            }
            double[] errEuler = new double[2];
            double[] errHeun = new double[2];
            int[] steps = {32, 64};
            for (int k = 0; k < 2; k++) {
                double[] sigmas = new EdmGrid(0.002, sigma0, 7).sigmas(steps[k]);
                errEuler[k] = rms(new Euler().sample(d, sigmas, x0, BatchNoise.samplerNoise(seeds, 1)), exact);
                errHeun[k] = rms(new Heun().sample(d, sigmas, x0, BatchNoise.samplerNoise(seeds, 1)), exact);
            }
            // Euler is first order: doubling the steps halves its error (measured 1.76-2.0 here); Heun's is cut by 4 or
            // more (4.3-6.2: second order in the interior, its last step an Euler step to sigma = 0)
            double euler = errEuler[0] / errEuler[1];
            double heun = errHeun[0] / errHeun[1];
            assertTrue(euler > 1.6 && euler < 2.5, "euler ratio " + euler + " at w " + w);
            assertTrue(heun > 3.0 && heun < 8, "heun ratio " + heun + " at w " + w);
        }
    }

    private static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s / a.length);
    }
}
