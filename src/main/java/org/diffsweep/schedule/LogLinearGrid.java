package org.diffsweep.schedule;

/** log σ uniform from σ_max to σ_min over N levels, then σ_N = 0. */
public record LogLinearGrid(double sigmaMin, double sigmaMax) implements TimeGrid {

    public LogLinearGrid {
        TimeGrids.requireRange(sigmaMin, sigmaMax, "loglinear grid");
    }

    @Override
    public String describe() {
        return "loglinear(sigma_min=" + EdmGrid.fmt(sigmaMin) + ",sigma_max=" + EdmGrid.fmt(sigmaMax) + ")";
    }

    @Override
    public int minSteps() {
        return 2;
    }

    @Override
    public double[] sigmas(int steps) {
        TimeGrids.requireSteps(steps, minSteps(), "loglinear grid");
        double la = Math.log(sigmaMax);
        double lb = Math.log(sigmaMin);
        double[] levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = Math.exp(la + (double) i / (steps - 1) * (lb - la));
        }
        levels[0] = sigmaMax;
        levels[steps - 1] = sigmaMin;
        return TimeGrids.withZero(levels);
    }
}
