package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.diffsweep.diffusion.CountingDenoiser;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.Process;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.schedule.TimeGrids;
import org.junit.jupiter.api.Test;

/**
 * Euler–Maruyama on the reverse SDE: single steps against the SDEs as their papers write them (not through
 * ṡ/s and 2s²σσ̇), the marginals of one-dimensional Gaussian data at high NFE, NFE and per-seed noise.
 */
class EulerMaruyamaTest {

    static final double V = 0.25;
    static final Denoiser GAUSSIAN = StochasticSeedChecks.gaussian(V);
    static final EdmProcess EDM = new EdmProcess();
    static final VpProcess VP = new VpProcess();
    static final DdpmProcess DDPM = new DdpmProcess();

    static BatchNoise seed42() {
        return BatchNoise.samplerNoise(new long[] {42}, 1);
    }

    static double firstDraw() {
        return seed42().next()[0];
    }

    /**
     * EDM (σ = t, s = 1): the reverse SDE of Karras et al. eq. 6 with β(t) = σ̇/σ is
     * dx = −2σ̇σ ∇log p dt + sqrt(2σ̇σ) dw̄ = −2σ ∇log p dσ + sqrt(2σ) dw̄, with ∇log p(x) = −x/(v + σ²) for
     * N(0, v) data.
     */
    @Test
    void oneStepOnEdmIsTheVarianceExplodingSde() {
        double sigma = 3;
        double next = 1;
        double x = 2;
        double n = firstDraw();
        double score = -x / (V + sigma * sigma);
        double expected = x + (-2 * sigma * score) * (next - sigma) + Math.sqrt(2 * sigma * (sigma - next)) * n;
        double out = new EulerMaruyama(EDM).sample(GAUSSIAN, new double[] {sigma, next}, new double[] {x}, seed42())[0];
        assertEquals(expected, out, 1e-14);
    }

    /**
     * VP (Song et al. 2021): dx = −½β(t)x dt + sqrt(β(t)) dw, β(t) = β_min + β_d·t; in x = s·x̂ the data
     * marginal is N(0, s²(v + σ²)), so ∇log p(x) = −x/(s²(v + σ²)). Reverse step from t to t' &lt; t, result x'/s(t').
     */
    @Test
    void oneStepOnVpIsSongsVpSde() {
        double t = 0.8;
        double tNext = 0.6;
        double xHat = 2;
        double n = firstDraw();
        double sigma = VP.sigma(t);
        double s = 1 / Math.sqrt(1 + sigma * sigma);
        double beta = 0.1 + 19.9 * t;
        double x = s * xHat;
        double score = -x / (s * s * (V + sigma * sigma));
        double xNext = x + (-0.5 * beta * x - beta * score) * (tNext - t) + Math.sqrt(beta * (t - tNext)) * n;
        double expected = xNext * Math.sqrt(1 + VP.sigma(tNext) * VP.sigma(tNext));
        double out = new EulerMaruyama(VP).sample(GAUSSIAN, new double[] {sigma, VP.sigma(tNext)},
                new double[] {xHat}, seed42())[0];
        assertEquals(expected, out, 1e-12 * Math.abs(expected));
    }

    /**
     * Discrete DDPM in continuous τ: ᾱ(τ) gives β(τ) = −ᾱ'/ᾱ and the SDE dx = −½β x dτ + sqrt(β) dw (the VP
     * SDE with ᾱ in place of exp(−B)); one step inside one linear segment of ᾱ.
     */
    @Test
    void oneStepOnDdpmIsTheVpSdeOfItsAlphaBar() {
        double tau = 0.7005;
        double tauNext = 0.7002; // same segment [0.700, 0.701]
        double xHat = -1.5;
        double n = firstDraw();
        double ab = DDPM.alphaBar(tau);
        double beta = -DDPM.alphaBarDerivative(tau) / ab;
        double sigma = Math.sqrt((1 - ab) / ab);
        double s = Math.sqrt(ab);
        double x = s * xHat;
        double score = -x / (s * s * (V + sigma * sigma));
        double xNext = x + (-0.5 * beta * x - beta * score) * (tauNext - tau) + Math.sqrt(beta * (tau - tauNext)) * n;
        double expected = xNext / Math.sqrt(DDPM.alphaBar(tauNext));
        double out = new EulerMaruyama(DDPM).sample(GAUSSIAN, new double[] {sigma, DDPM.sigma(tauNext)},
                new double[] {xHat}, seed42())[0];
        assertEquals(expected, out, 1e-10 * Math.abs(expected));
    }

    /** The step to σ = 0 is the denoiser D(x̂; σ_{N−1}) = v/(v + σ²)·x̂, with no noise, on every process. */
    @Test
    void lastStepToZeroIsTheDenoiser() {
        for (Process p : new Process[] {EDM, VP, DDPM}) {
            double sigma = 0.3;
            double out = new EulerMaruyama(p).sample(GAUSSIAN, new double[] {sigma, 0}, new double[] {2}, seed42())[0];
            assertEquals(V / (V + sigma * sigma) * 2, out, 1e-15, p.name());
        }
    }

    static double[] grid(Process p, int steps) {
        return p instanceof EdmProcess ? new EdmGrid(0.002, 80, 7).sigmas(steps)
                : TimeGrids.of("time-uniform", Map.of(), p).sigmas(steps);
    }

    /**
     * The variance of x̂ after Euler–Maruyama on N(0, v) data, computed without sampling: every step is linear,
     * x' = a·x + b·n, so Var' = a²·Var + b². a and b come from the SDEs as their papers write them (EDM: f = 0,
     * g² = 2σ in σ-time; VP: f = −½β, g² = β with β = β_min + β_d·t; DDPM: β = −ᾱ'/ᾱ), not from the sampler's
     * ṡ/s and 2s²σσ̇. The variance is tracked in x = s·x̂ and returned for x̂; a final step to σ = 0 is the
     * denoiser, which multiplies x̂ by v/(v + σ²).
     */
    static double chainVariance(Process p, double[] sigmas, double startVariance) {
        double varX = startVariance * square(scaleAt(p, sigmas[0]));
        for (int i = 0; i + 1 < sigmas.length; i++) {
            double sigma = sigmas[i];
            if (sigmas[i + 1] == 0) {
                return varX / square(scaleAt(p, sigma)) * square(V / (V + sigma * sigma));
            }
            double t = p.time(sigma);
            double dt = p.time(sigmas[i + 1]) - t;
            double f;
            double g2;
            if (p instanceof EdmProcess) {
                f = 0;
                g2 = 2 * sigma;
            } else if (p instanceof VpProcess vp) {
                f = -0.5 * (vp.betaMin() + vp.betaD() * t);
                g2 = vp.betaMin() + vp.betaD() * t;
            } else {
                DdpmProcess d = (DdpmProcess) p;
                double beta = -d.alphaBarDerivative(t) / d.alphaBar(t);
                f = -0.5 * beta;
                g2 = beta;
            }
            double s = scaleAt(p, sigma);
            // ∇log p(x) = −x/(s²(v + σ²)), so the drift f·x − g²·∇log p is linear in x
            double a = 1 + (f + g2 / (s * s * (V + sigma * sigma))) * dt;
            varX = a * a * varX + g2 * -dt;
        }
        return varX / square(scaleAt(p, sigmas[sigmas.length - 1]));
    }

    /** s(σ) from the closed forms: 1 for EDM, 1/sqrt(1 + σ²) for VP and DDPM (s² = ᾱ = 1/(1 + σ²)). */
    static double scaleAt(Process p, double sigma) {
        return p instanceof EdmProcess ? 1 : 1 / Math.sqrt(1 + sigma * sigma);
    }

    static double square(double v) {
        return v * v;
    }

    static long[] manySeeds() {
        long[] seeds = new long[20_000];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = 7_000_000L + i;
        }
        return seeds;
    }

    /**
     * From the exact marginal N(0, v + σ_0²) the exact reverse SDE keeps x̂ ~ N(0, v + σ²) at every σ, and the
     * last step (the denoiser) leaves variance v²/(v + σ_{N−1}²) ≈ v. At 400 steps and 20,000 seeds the final
     * variance (and the mean, 0) must be within 5 SE of that. Euler–Maruyama is only weakly first order, so
     * the discrete chain's own variance ({@link #chainVariance}) is also checked to be within 2 SE of it:
     * the pass is not luck of the seeds.
     */
    @Test
    void keepsTheGaussianMarginalsAtHighNfe() {
        long[] seeds = manySeeds();
        for (Process p : new Process[] {EDM, VP, DDPM}) {
            double[] sigmas = grid(p, 400);
            double exact = V * V / (V + sigmas[399] * sigmas[399]);
            SampleMoments m = sampled(p, sigmas, seeds, "400 steps, exact " + exact);
            assertTrue(m.maxZ(new double[] {0}, new double[] {exact}) < 5, p.name());
            double chain = chainVariance(p, sigmas, V + sigmas[0] * sigmas[0]);
            assertTrue(Math.abs(chain - exact) < 2 * m.covSe[0],
                    p.name() + ": the 400-step chain's variance " + chain + " is not within 2 SE of " + exact);
        }
    }

    /**
     * Sampled variances against the exact variance of the discrete chain, at 400 steps halfway (the grid cut at
     * its first level below σ = 1, no final denoising; the chain is then within 4% of v + σ², EM's weak error)
     * and at 10 steps, where the chain is far from v + σ²: the samples must follow the chain within 5 SE and,
     * at 10 steps, miss the exact marginal by more than 5 SE (the variance check has the power to fail).
     */
    @Test
    void followsTheVarianceOfItsDiscreteChain() {
        long[] seeds = manySeeds();
        for (Process p : new Process[] {EDM, VP, DDPM}) {
            double[] fine = grid(p, 400);
            int half = 0;
            while (fine[half] >= 1) {
                half++;
            }
            double[] toHalf = Arrays.copyOf(fine, half + 1);
            double marginal = V + fine[half] * fine[half];
            double chain = chainVariance(p, toHalf, V + fine[0] * fine[0]);
            assertEquals(marginal, chain, 0.04 * marginal, p.name() + " halfway");
            SampleMoments m = sampled(p, toHalf, seeds,
                    "halfway to sigma=" + fine[half] + ", chain " + chain + ", marginal " + marginal);
            assertTrue(m.maxZ(new double[] {0}, new double[] {chain}) < 5, p.name() + " halfway");

            double[] coarse = grid(p, 10);
            double exact = V * V / (V + coarse[9] * coarse[9]);
            chain = chainVariance(p, coarse, V + coarse[0] * coarse[0]);
            m = sampled(p, coarse, seeds, "10 steps, chain " + chain + ", exact " + exact);
            assertTrue(m.maxZ(new double[] {0}, new double[] {chain}) < 5, p.name() + " at 10 steps");
            assertTrue(m.maxZ(new double[] {0}, new double[] {exact}) > 5, p.name() + " at 10 steps");
        }
    }

    /** Moments of the sampler's output from latents drawn at the exact marginal N(0, v + σ_0²). */
    static SampleMoments sampled(Process p, double[] sigmas, long[] seeds, String what) {
        double[] x = BatchNoise.latents(seeds, 1, Math.sqrt(V + sigmas[0] * sigmas[0]));
        double[] out = new EulerMaruyama(p).sample(GAUSSIAN, sigmas, x, BatchNoise.samplerNoise(seeds, 1));
        SampleMoments m = new SampleMoments(out, 1);
        System.out.printf("euler-maruyama/%s 1-d Gaussian, %s: variance %.5f (SE %.5f), mean %.5f (SE %.5f)%n",
                p.name(), what, m.cov[0], m.covSe[0], m.mean[0], m.meanSe[0]);
        return m;
    }

    @Test
    void noiseDependsOnTheSeedAlone() {
        GaussianMixture mixture = GaussianMixture.random(4, 3, 0.5, 7);
        for (Process p : new Process[] {EDM, VP}) {
            StochasticSeedChecks.noiseDependsOnTheSeedAlone(new EulerMaruyama(p), mixture, grid(p, 12));
        }
    }

    @Test
    void makesTheModelCallsItDeclares() {
        GaussianMixture mixture = GaussianMixture.random(4, 3, 0.5, 7);
        long[] seeds = {1, 2, 3, 4};
        for (Process p : new Process[] {EDM, VP, DDPM}) {
            EulerMaruyama sampler = new EulerMaruyama(p);
            for (int steps : new int[] {2, 3, 10, 33}) {
                double[] sigmas = grid(p, steps);
                CountingDenoiser counted = new CountingDenoiser(mixture);
                sampler.sample(counted, sigmas, BatchNoise.latents(seeds, mixture.dim(), sigmas[0]),
                        BatchNoise.samplerNoise(seeds, mixture.dim()));
                assertEquals(sampler.nfe(steps), counted.calls(), p.name() + ", " + steps + " steps");
                assertEquals(steps, counted.calls());
            }
            // a grid that stops short of σ = 0 costs one call per step too
            CountingDenoiser counted = new CountingDenoiser(mixture);
            sampler.sample(counted, new double[] {3, 1, 0.5}, BatchNoise.latents(seeds, mixture.dim(), 3),
                    BatchNoise.samplerNoise(seeds, mixture.dim()));
            assertEquals(2, counted.calls());
        }
        assertEquals(10, new EulerMaruyama(EDM).stepsForNfe(10));
        assertEquals("euler-maruyama", new EulerMaruyama(VP).describe());
        assertTrue(new EulerMaruyama(VP).stochastic());
    }

    @Test
    void refusesAMissingProcess() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EulerMaruyama(null));
        assertTrue(e.getMessage().contains("process = null"), e.getMessage());
    }
}
