package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/**
 * A sampler integrates from σ_0 down a grid σ_0 &gt; … &gt; σ_N, in x̂-space with σ as time (docs/samplers.md).
 *
 * <p>It works on a whole batch at once, calls the model once per NFE with the whole batch, keeps whatever
 * history of model outputs a multistep method needs inside one {@link #sample} call, and takes every random
 * draw from the per-seed {@link BatchNoise}. Arithmetic is float64. Its name, noise and cost per step count are
 * {@link Stepping}'s.
 */
public interface Sampler extends Stepping {

    /** Model calls for a grid of {@code steps} steps (grids end at σ = 0). */
    @Override
    int nfe(int steps);

    /**
     * Runs the sampler.
     *
     * @param model  the denoiser
     * @param sigmas the grid, strictly decreasing, N + 1 levels
     * @param x      the batch at σ_0, row-major ({@code noise.batch()} rows of {@code model.dim()}); not modified
     * @param noise  the per-seed streams for any noise the sampler injects
     * @return the batch at σ_N
     */
    double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise);
}
