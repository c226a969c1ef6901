package org.diffsweep.schedule;

import java.util.Map;
import org.diffsweep.diffusion.Process;

/** The grids of docs/grids.md, built from a name and its options. */
public final class TimeGrids {

    public static final String NAMES = "edm, loglinear, time-uniform, time-quadratic, ddpm-quadratic, file";

    private TimeGrids() {
    }

    /**
     * Builds a grid by name on a process's σ range.
     *
     * @param options grid options: {@code rho} (edm), {@code kappa} (time-quadratic),
     *                {@code sigma_min}/{@code sigma_max} (edm, loglinear; default the process's range)
     */
    public static TimeGrid of(String name, Map<String, Double> options, Process process) {
        double sigmaMin = options.getOrDefault("sigma_min", process.sigmaMin());
        double sigmaMax = options.getOrDefault("sigma_max", process.sigmaMax());
        return switch (name) {
            case "edm" -> new EdmGrid(sigmaMin, sigmaMax, options.getOrDefault("rho", 7.0));
            case "loglinear" -> new LogLinearGrid(sigmaMin, sigmaMax);
            case "time-uniform" -> new PowerTimeGrid(process, 1.0, "time-uniform");
            case "time-quadratic" -> new PowerTimeGrid(process, options.getOrDefault("kappa", 2.0), "time-quadratic");
            case "ddpm-quadratic" -> new DdpmQuadraticGrid(process);
            case "file" -> throw new IllegalArgumentException("grid 'file' needs a path: use FileGrid.read");
            default -> throw new IllegalArgumentException("unknown grid '" + name + "', expected one of: " + NAMES);
        };
    }

    /** Appends σ = 0 to {@code n} levels. */
    static double[] withZero(double[] levels) {
        double[] out = java.util.Arrays.copyOf(levels, levels.length + 1);
        out[levels.length] = 0.0;
        return out;
    }

    static void requireSteps(int steps, int min, String grid) {
        if (steps < min) {
            throw new IllegalArgumentException(grid + ": " + steps + " steps, expected at least " + min);
        }
    }

    static void requireRange(double sigmaMin, double sigmaMax, String grid) {
        if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException(grid + ": sigma_min = " + sigmaMin + ", sigma_max = " + sigmaMax
                    + ", expected 0 < sigma_min < sigma_max < infinity");
        }
    }
}
