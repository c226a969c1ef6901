package org.diffsweep.schedule;

/** EDM's grid: σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i &lt; N, σ_N = 0. */
public record EdmGrid(double sigmaMin, double sigmaMax, double rho) implements TimeGrid {

    public EdmGrid {
        TimeGrids.requireRange(sigmaMin, sigmaMax, "edm grid");
        if (!(rho > 0) || Double.isInfinite(rho)) {
            throw new IllegalArgumentException("edm grid: rho = " + rho + ", expected a finite value > 0");
        }
    }

    @Override
    public String describe() {
        return "edm(rho=" + fmt(rho) + ",sigma_min=" + fmt(sigmaMin) + ",sigma_max=" + fmt(sigmaMax) + ")";
    }

    /** Two steps at least: the formula needs two non-zero levels, σ_max and σ_min. */
    @Override
    public int minSteps() {
        return 2;
    }

    @Override
    public double[] sigmas(int steps) {
        TimeGrids.requireSteps(steps, minSteps(), "edm grid");
        double a = Math.pow(sigmaMax, 1 / rho);
        double b = Math.pow(sigmaMin, 1 / rho);
        double[] levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = Math.pow(a + (double) i / (steps - 1) * (b - a), rho);
        }
        levels[0] = sigmaMax;
        levels[steps - 1] = sigmaMin;
        return TimeGrids.withZero(levels);
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
