package org.diffsweep.stats;

import org.diffsweep.diffusion.Denoiser;

/**
 * A denoiser that passes every call through to a model and hands (level, input, output) to {@link #record}, so that
 * statistics are collected while any sampler runs, from exactly the states it evaluates.
 *
 * <p>The level is found by exact match of the call's σ with the grid: a sampler evaluates the model at its grid
 * levels σ_0 … σ_{L−1} (the last level is never evaluated). Each level must be evaluated exactly once per run:
 * a call at a σ off the grid (a stochastic sampler's σ̂), at the last level, or twice at one level (Heun's
 * corrector) is refused, since it would mix states that are not the trajectory's states at that level.
 */
abstract class GridRecorder implements Denoiser {

    private final Denoiser model;
    private final double[] sigmas;
    private final boolean[] seen;
    private final String what;

    /**
     * @param sigmas the sampler's grid, strictly decreasing; levels 0 … length − 2 are evaluated
     * @param what   the statistic, for messages
     */
    GridRecorder(Denoiser model, double[] sigmas, String what) {
        this.model = model;
        this.sigmas = sigmas.clone();
        this.seen = new boolean[sigmas.length - 1];
        this.what = what;
    }

    /** Records the model's output {@code denoised} at level {@code level} for the batch {@code x}. */
    abstract void record(int level, double[] x, double[] denoised, int batch);

    /** The wrapped model. */
    Denoiser model() {
        return model;
    }

    @Override
    public int dim() {
        return model.dim();
    }

    @Override
    public String id() {
        return model.id();
    }

    @Override
    public double[] denoise(double[] x, int batch, double sigma) {
        int level = level(sigma);
        if (level < 0 || level == seen.length) {
            throw new IllegalStateException(what + ": the sampler evaluated the model at sigma = " + sigma
                    + (level < 0 ? ", which is not a level of the grid" : ", the grid's last level")
                    + ", expected one call at each of its levels sigma_0 .. sigma_" + (seen.length - 1)
                    + " (a deterministic sampler with one model call per step: euler, deis, ipndm, dpmpp-2m)");
        }
        if (seen[level]) {
            throw new IllegalStateException(what + ": the sampler evaluated the model twice at sigma_" + level + " = "
                    + sigma + ", expected one call per level (a sampler with one model call per step)");
        }
        seen[level] = true;
        double[] denoised = model.denoise(x, batch, sigma);
        record(level, x, denoised, batch);
        return denoised;
    }

    /** Checks, after a run, that every level was evaluated. */
    void requireAllSeen(String sampler) {
        for (int i = 0; i < seen.length; i++) {
            if (!seen[i]) {
                throw new IllegalStateException(what + ": sampler " + sampler + " never evaluated the model at sigma_"
                        + i + " = " + sigmas[i] + ", expected one call at each level but the last");
            }
        }
    }

    /** The index of σ in the decreasing grid, or −1 if it is not one of its levels exactly. */
    private int level(double sigma) {
        int lo = 0;
        int hi = sigmas.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sigmas[mid] == sigma) {
                return mid;
            }
            if (sigmas[mid] > sigma) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -1;
    }
}
