package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.DpmSolverPlusPlus2M;
import org.diffsweep.sampler.Euler;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.TimeGrids;
import org.junit.jupiter.api.Test;

/**
 * ε-prediction conventions: an ε-model built from the exact mixture (it sees x = s·x̂ and its own time input,
 * as DDPM networks do) gives, through {@link EpsilonDenoiser}, the same samples as the mixture's denoiser.
 */
class EpsilonDenoiserTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(4, 6, 0.5, 11);

    /** ε_θ(x, time) of the exact mixture under a process and time convention, written independently. */
    record MixtureEpsilon(Process process, ModelTime time) implements EpsilonModel {
        @Override
        public int dim() {
            return MIXTURE.dim();
        }

        @Override
        public double[] epsilon(double[] x, int batch, double modelTime) {
            double t = time.inverse(process, modelTime);
            double sigma = process.sigma(t);
            double s = process.scale(t);
            double[] xHat = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xHat[i] = x[i] / s;
            }
            double[] d = MIXTURE.denoise(xHat, batch, sigma);
            double[] eps = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                eps[i] = (xHat[i] - d[i]) / sigma;
            }
            return eps;
        }
    }

    static void assertSameSamples(Process process, ModelTime time, String grid, Sampler sampler) {
        double[] sigmas = TimeGrids.of(grid, Map.of(), process).sigmas(12);
        long[] seeds = {1, 2, 3, 4, 5};
        double[] x0 = BatchNoise.latents(seeds, MIXTURE.dim(), sigmas[0]);
        double[] direct = sampler.sample(MIXTURE, sigmas, x0, BatchNoise.samplerNoise(seeds, MIXTURE.dim()));
        EpsilonDenoiser viaEps = new EpsilonDenoiser(new MixtureEpsilon(process, time), process, time);
        double[] eps = sampler.sample(viaEps, sigmas, x0, BatchNoise.samplerNoise(seeds, MIXTURE.dim()));
        for (int i = 0; i < direct.length; i++) {
            assertEquals(direct[i], eps[i], 1e-9, process.name() + "/" + grid + " value " + i);
        }
    }

    @Test
    void discreteDdpmWithStepIndexTime() {
        DdpmProcess ddpm = new DdpmProcess();
        assertSameSamples(ddpm, ModelTime.DDPM_INDEX, "ddpm-quadratic", new Euler());
        assertSameSamples(ddpm, ModelTime.DDPM_INDEX, "ddpm-quadratic", new DpmSolverPlusPlus2M());
    }

    @Test
    void continuousVpWith999t() {
        VpProcess vp = new VpProcess();
        assertSameSamples(vp, ModelTime.VP_SCALED_999, "time-quadratic", new Euler());
        assertSameSamples(vp, ModelTime.VP_SCALED_999, "time-uniform", new DpmSolverPlusPlus2M());
    }

    @Test
    void timeConventionsMatchTheSpec() {
        DdpmProcess ddpm = new DdpmProcess();
        assertEquals(999, ModelTime.DDPM_INDEX.of(ddpm, 1.0), 1e-9);
        assertEquals(0, ModelTime.DDPM_INDEX.of(ddpm, 0.001), 1e-9);
        assertEquals(499.5, ModelTime.VP_SCALED_999.of(new VpProcess(), 0.5), 1e-12);
        assertEquals(ModelTime.DDPM_INDEX, ModelTime.defaultFor(ddpm));
        assertThrows(IllegalArgumentException.class, () -> ModelTime.DDPM_INDEX.of(new VpProcess(), 0.5));
    }

    @Test
    void theDenoiserFormIsXMinusSigmaEps() {
        // D = x̂ − σ·ε with the model fed s·x̂: checked on one value by hand
        DdpmProcess ddpm = new DdpmProcess();
        EpsilonModel constant = new EpsilonModel() {
            @Override
            public int dim() {
                return 1;
            }

            @Override
            public double[] epsilon(double[] x, int batch, double modelTime) {
                return new double[] {x[0] + modelTime};
            }
        };
        double sigma = ddpm.sigma(0.5);
        double s = ddpm.scale(0.5);
        double d = new EpsilonDenoiser(constant, ddpm, ModelTime.DDPM_INDEX).denoise(new double[] {2}, 1, sigma)[0];
        assertEquals(2 - sigma * (s * 2 + 499), d, 1e-9);
    }
}
