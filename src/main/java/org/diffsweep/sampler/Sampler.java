package org.diffsweep.sampler;

import java.io.Serializable;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/**
 * A sampler integrates from σ_0 down a grid σ_0 &gt; … &gt; σ_N, in x̂-space with σ as time (docs/samplers.md).
 *
 * <p>It works on a whole batch at once, calls the model once per NFE with the whole batch, keeps whatever
 * history of model outputs a multistep method needs inside one {@link #sample} call, and takes every random
 * draw from the per-seed {@link BatchNoise}. Arithmetic is float64.
 */
public interface Sampler extends Serializable {

    /** Name and options as written in configs and outputs, e.g. {@code heun}. */
    String describe();

    /** Whether the sampler injects noise (then it solves an SDE, and has no pathwise ODE error). */
    default boolean stochastic() {
        return false;
    }

    /** Model calls for a grid of {@code steps} steps (grids end at σ = 0). */
    int nfe(int steps);

    /** The fewest steps this sampler can take. */
    default int minSteps() {
        return 1;
    }

    /**
     * The most steps whose cost fits a budget of {@code nfe} model calls.
     *
     * @throws IllegalArgumentException if even {@link #minSteps()} steps cost more than {@code nfe}
     */
    default int stepsForNfe(int nfe) {
        if (nfe < nfe(minSteps())) {
            throw new IllegalArgumentException(describe() + ": nfe = " + nfe + ", expected at least "
                    + nfe(minSteps()) + " (" + minSteps() + " step" + (minSteps() > 1 ? "s" : "") + ")");
        }
        int steps = minSteps();
        while (nfe(steps + 1) <= nfe) {
            steps++;
        }
        return steps;
    }

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
