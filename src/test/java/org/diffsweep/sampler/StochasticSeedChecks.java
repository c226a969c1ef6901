package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/** Checks shared by the tests of the stochastic samplers. */
final class StochasticSeedChecks {

    private StochasticSeedChecks() {
    }

    /** D(x; σ) = v/(v + σ²)·x, the exact denoiser of one-dimensional N(0, v) data. */
    static Denoiser gaussian(double v) {
        return new Denoiser() {
            @Override
            public int dim() {
                return 1;
            }

            @Override
            public double[] denoise(double[] x, int batch, double sigma) {
                double[] d = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    d[i] = v / (v + sigma * sigma) * x[i];
                }
                return d;
            }
        };
    }

    static double[] run(Sampler sampler, Denoiser model, double[] sigmas, long[] seeds) {
        double[] x = BatchNoise.latents(seeds, model.dim(), sigmas[0]);
        return sampler.sample(model, sigmas, x, BatchNoise.samplerNoise(seeds, model.dim()));
    }

    static double[] row(double[] batch, int r, int dim) {
        return Arrays.copyOfRange(batch, r * dim, (r + 1) * dim);
    }

    /**
     * Seed 5's sample is bitwise the same alone, in a batch, at another position of another batch and twice in
     * one batch; and two seeds started from the same latent end apart, so the sampler noise is really drawn
     * per seed.
     */
    static void noiseDependsOnTheSeedAlone(Sampler sampler, Denoiser model, double[] sigmas) {
        int dim = model.dim();
        double[] alone = run(sampler, model, sigmas, new long[] {5});
        double[] batchA = run(sampler, model, sigmas, new long[] {5, 3, 9});
        double[] batchB = run(sampler, model, sigmas, new long[] {9, 3, 5, 17, 5});
        assertArrayEquals(alone, row(batchA, 0, dim), "seed 5 first of three");
        assertArrayEquals(alone, row(batchB, 2, dim), "seed 5 third of five");
        assertArrayEquals(alone, row(batchB, 4, dim), "seed 5 again, last of five");
        assertArrayEquals(row(batchA, 2, dim), row(batchB, 0, dim), "seed 9 in two positions");

        // seeds 5 and 6 from seed 5's latent: only the sampler noise differs
        double[] latent = BatchNoise.latents(new long[] {5}, dim, sigmas[0]);
        double[] x = new double[2 * dim];
        System.arraycopy(latent, 0, x, 0, dim);
        System.arraycopy(latent, 0, x, dim, dim);
        double[] pair = sampler.sample(model, sigmas, x, BatchNoise.samplerNoise(new long[] {5, 6}, dim));
        assertArrayEquals(alone, row(pair, 0, dim), "seed 5 from its own latent");
        for (int j = 0; j < dim; j++) {
            assertTrue(pair[j] != pair[dim + j], "seeds 5 and 6 agree in entry " + j + " from the same latent");
        }
    }
}
