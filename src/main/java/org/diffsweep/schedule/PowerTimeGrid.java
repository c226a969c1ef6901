package org.diffsweep.schedule;

import org.diffsweep.diffusion.Process;

/**
 * Uniform in t^{1/κ} from the process's T to ε_t, mapped through σ(t) (docs/grids.md): κ = 1 is
 * {@code time-uniform}, κ = 2 is DEIS's quadratic {@code time-quadratic}:
 * t_i = (T^{1/κ} + i/(N−1)·(ε_t^{1/κ} − T^{1/κ}))^κ, i = 0…N−1, so the N non-zero levels run from σ(T) to
 * σ(ε_t); then σ_N = 0 is appended as in every grid, the step to it being the sampler's last.
 */
public record PowerTimeGrid(Process process, double kappa, String name) implements TimeGrid {

    public PowerTimeGrid {
        if (!(kappa > 0) || Double.isInfinite(kappa)) {
            throw new IllegalArgumentException(name + " grid: kappa = " + kappa + ", expected a finite value > 0");
        }
    }

    @Override
    public String describe() {
        return kappa == 1 ? name + "(" + process.name() + ")"
                : name + "(kappa=" + EdmGrid.fmt(kappa) + "," + process.name() + ")";
    }

    @Override
    public int minSteps() {
        return 2;
    }

    /**
     * N steps: N − 1 intervals of the power grid between T and ε_t (N levels), then σ = 0, matching the
     * other grids' convention that N steps give N + 1 levels with the last one 0.
     */
    @Override
    public double[] sigmas(int steps) {
        TimeGrids.requireSteps(steps, minSteps(), name + " grid");
        double a = Math.pow(process.tMax(), 1 / kappa);
        double b = Math.pow(process.tMin(), 1 / kappa);
        double[] levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = process.sigma(Math.pow(a + (double) i / (steps - 1) * (b - a), kappa));
        }
        return TimeGrids.withZero(levels);
    }
}
