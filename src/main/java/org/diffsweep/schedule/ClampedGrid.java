package org.diffsweep.schedule;

/**
 * A grid whose non-zero levels are clamped into the model's noise range [σ_min, σ_max]: a level above σ_max
 * becomes σ_max, a positive one below σ_min becomes σ_min; the final 0 stays. The description says so, so every
 * table and manifest that names the grid shows the clamp.
 *
 * @param grid     the grid as configured
 * @param sigmaMin the smallest noise level the model takes
 * @param sigmaMax the largest
 */
public record ClampedGrid(TimeGrid grid, double sigmaMin, double sigmaMax) implements TimeGrid {

    /** Relative slack before a level counts as outside the range (grids computed through σ(t) round). */
    static final double SLACK = 1e-9;

    /** {@code grid} itself when none of its levels for {@code steps} steps leaves the range; else the clamp. */
    public static TimeGrid ifNeeded(TimeGrid grid, int steps, double sigmaMin, double sigmaMax) {
        return outside(grid.sigmas(steps), sigmaMin, sigmaMax) ? new ClampedGrid(grid, sigmaMin, sigmaMax) : grid;
    }

    static boolean outside(double[] s, double sigmaMin, double sigmaMax) {
        for (int i = 0; i < s.length; i++) {
            if (s[i] > sigmaMax * (1 + SLACK) || (s[i] > 0 && s[i] < sigmaMin * (1 - SLACK))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String describe() {
        return grid.describe() + " clamped to [" + EdmGrid.fmt(sigmaMin) + ", " + EdmGrid.fmt(sigmaMax) + "]";
    }

    @Override
    public int minSteps() {
        return grid.minSteps();
    }

    /**
     * @throws IllegalArgumentException if clamping makes two levels equal (the grid has more than one level
     *                                  outside the range at one end)
     */
    @Override
    public double[] sigmas(int steps) {
        double[] s = grid.sigmas(steps);
        for (int i = 0; i < s.length; i++) {
            if (s[i] > 0) {
                s[i] = Math.min(sigmaMax, Math.max(sigmaMin, s[i]));
            }
        }
        try {
            TimeGrid.requireDecreasing(s, describe() + " at " + steps + " steps");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (more than one level lies outside the model's "
                    + "noise range; narrow the grid's range)");
        }
        return s;
    }
}
