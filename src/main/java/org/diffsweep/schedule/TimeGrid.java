package org.diffsweep.schedule;

/**
 * A time grid (docs/grids.md): for N steps, N + 1 noise levels σ_0 > σ_1 > … > σ_N, the last one 0.
 */
public interface TimeGrid extends StepGrid {

    /**
     * The noise levels for {@code steps} steps.
     *
     * @throws IllegalArgumentException if {@code steps} is below {@link #minSteps()}
     */
    double[] sigmas(int steps);

    /** The noise levels ({@link #sigmas}). */
    @Override
    default double[] levels(int steps) {
        return sigmas(steps);
    }

    @Override
    default String levelsName() {
        return "sigmas";
    }

    /** The fewest steps this grid can produce. */
    default int minSteps() {
        return 1;
    }

    /** Checks that a grid strictly decreases and ends at a non-negative value. */
    static void requireDecreasing(double[] sigmas, String what) {
        if (sigmas.length < 2) {
            throw new IllegalArgumentException(what + ": " + sigmas.length + " noise levels, expected at least 2");
        }
        for (int i = 0; i < sigmas.length; i++) {
            if (!Double.isFinite(sigmas[i]) || sigmas[i] < 0) {
                throw new IllegalArgumentException(what + ": sigma[" + i + "] = " + sigmas[i]
                        + ", expected a finite value >= 0");
            }
            if (i > 0 && !(sigmas[i] < sigmas[i - 1])) {
                throw new IllegalArgumentException(what + ": sigma[" + i + "] = " + sigmas[i] + " after sigma["
                        + (i - 1) + "] = " + sigmas[i - 1] + ", expected a strictly decreasing grid");
            }
        }
    }
}
