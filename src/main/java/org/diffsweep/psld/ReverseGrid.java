package org.diffsweep.psld;

import org.diffsweep.schedule.StepGrid;

/**
 * A reverse-time grid for n steps: τ_k = (T − ε)·k/n ({@code uniform}) or (T − ε)·[1 − ((n − k)/n)²]
 * ({@code quadratic}, dense near forward time ε).
 *
 * @param name uniform or quadratic
 * @param eps  the process's ε
 */
public record ReverseGrid(String name, double eps) implements StepGrid {

    public static final String NAMES = "uniform, quadratic";

    public ReverseGrid {
        if (!name.equals("uniform") && !name.equals("quadratic")) {
            throw new IllegalArgumentException("unknown grid '" + name + "', expected one of: " + NAMES);
        }
    }

    @Override
    public String describe() {
        return name + "(psld)";
    }

    /** n + 1 reverse times from 0 to T − ε. */
    public double[] taus(int steps) {
        double span = PsldProcess.T - eps;
        double[] tau = new double[steps + 1];
        for (int k = 0; k <= steps; k++) {
            double u = (double) k / steps;
            tau[k] = name.equals("uniform") ? span * u : span * (1 - (1 - u) * (1 - u));
        }
        tau[steps] = span;
        return tau;
    }

    /** The reverse times ({@link #taus}). */
    @Override
    public double[] levels(int steps) {
        return taus(steps);
    }

    @Override
    public String levelsName() {
        return "tau";
    }
}
