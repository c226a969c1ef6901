package org.diffsweep.schedule;

import org.diffsweep.diffusion.Process;

/**
 * DEIS-SN's grid on a discrete DDPM (docs/grids.md): τ_k = (k/N)², k = N … 0, mapped through σ(τ); the last step
 * goes to τ = 0, where σ = 0. Defined for processes whose time runs over [0, 1] (vp-discrete, vp).
 */
public record DdpmQuadraticGrid(Process process) implements TimeGrid {

    public DdpmQuadraticGrid {
        if (!(process.tMax() == 1.0) || process.sigma(0) != 0) {
            throw new IllegalArgumentException("ddpm-quadratic grid: process " + process.name()
                    + " does not run over time [0, 1] with sigma(0) = 0, expected vp-discrete or vp");
        }
    }

    @Override
    public String describe() {
        return "ddpm-quadratic(" + process.name() + ")";
    }

    @Override
    public int minSteps() {
        return 1;
    }

    @Override
    public double[] sigmas(int steps) {
        TimeGrids.requireSteps(steps, minSteps(), "ddpm-quadratic grid");
        double[] s = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            double k = steps - i;
            s[i] = process.sigma((k / steps) * (k / steps));
        }
        s[steps] = 0;
        return s;
    }
}
