package org.diffsweep.stats;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.TimeGrid;

/**
 * Score-optimal schedules (Williams et al. 2024, Algorithm 1 "UpdateSchedule"; docs/offline-statistics.md) from the
 * corrector cost L_j = L(σ_j, σ_{j+1}) on a fine grid σ_0 &gt; … &gt; σ_M &gt; 0:
 * <pre>
 *   Λ_0 = 0,   Λ_{j+1} = Λ_j + √L_j           (the cumulative path length; Λ_M the total)
 *   σ*_i = Λ⁻¹(i · Λ_M / (N − 1)),   i = 0 … N − 1,   then σ*_N = 0
 * </pre>
 * so every step but the last carries an equal share Λ_M/(N − 1) of the path length.
 *
 * <p><b>N steps = N + 1 levels.</b> A schedule for a sampler of N steps has the form of the grids in docs/grids.md:
 * N + 1 levels, the first σ_max = σ_0, the last nonzero one σ_{N−1} = σ_min = σ_M, then σ_N = 0. So
 * Algorithm 1 places N levels over N − 1 equal-length intervals from σ_max to σ_min, and 0 is appended;
 * the step from σ_min to 0 carries no corrector cost (L(σ, 0) is not defined: the score at σ = 0 is not).
 * This matches the {@code edm} grid, whose formula also divides by N − 1, so "N steps" of either grid cost the
 * same NFE and span the same σ range and can be compared directly. (Dividing by N instead, i = 0 … N with
 * Λ_M/N and then σ = 0 appended, would give N + 2 levels, i.e. N + 1 steps.)
 *
 * <p><b>Λ⁻¹</b> is the monotone cubic ({@link MonotoneCubic}, Fritsch–Carlson) through the points (Λ_j, σ_j),
 * as in docs/offline-statistics.md. Interpolating log σ instead was tried and measured on a Gaussian, where Λ is known
 * in closed form (ScoreOptimalScheduleTest): with edm (ρ = 7 and 3) and log-uniform fine grids its interpolation
 * error is about twice that of interpolating σ (e.g. 3.8e-6 vs 1.9e-6 relative in σ* at M = 200, N = 10), so σ
 * it is. Either is far below the error of the path length itself: Λ_j sums chord costs L(σ_j, σ_{j+1}), the
 * expectation taken at the interval's start, a first-order rule, so the schedule is within O(1/M) of the
 * continuum optimum (about 1.6/M relative in σ* on that Gaussian: 0.8% at M = 200, 0.16% at M = 1000).
 * A monotone interpolant of positive values stays within [σ_{j+1}, σ_j], so σ* &gt; 0. The end points are set
 * exactly (σ*_0 = σ_0, σ*_{N−1} = σ_M).
 */
public final class ScoreOptimalSchedule {

    private final double[] sigmas;
    private final double[] lambda;
    private final boolean logSigma;
    private final MonotoneCubic inverse;

    private ScoreOptimalSchedule(double[] sigmas, double[] costs, boolean logSigma) {
        TimeGrid.requireDecreasing(sigmas, "score-optimal schedule: fine grid");
        if (costs.length != sigmas.length - 1) {
            throw new IllegalArgumentException("score-optimal schedule: " + costs.length + " costs for "
                    + sigmas.length + " levels, expected one per interval (" + (sigmas.length - 1) + ")");
        }
        if (!(sigmas[sigmas.length - 1] > 0)) {
            throw new IllegalArgumentException("score-optimal schedule: last sigma = " + sigmas[sigmas.length - 1]
                    + ", expected > 0 (the fine grid leaves sigma = 0 out)");
        }
        this.sigmas = sigmas.clone();
        this.lambda = pathLength(costs);
        this.logSigma = logSigma;
        double[] y = new double[sigmas.length];
        for (int j = 0; j < y.length; j++) {
            y[j] = logSigma ? Math.log(sigmas[j]) : sigmas[j];
        }
        this.inverse = new MonotoneCubic(lambda, y);
    }

    /** The schedule from estimated costs (Λ⁻¹ interpolating σ). */
    public static ScoreOptimalSchedule of(CorrectorCost cost) {
        return of(cost.sigmas(), cost.costs());
    }

    /**
     * The schedule from a fine grid and its interval costs.
     *
     * @param sigmas σ_0 &gt; … &gt; σ_M &gt; 0
     * @param costs  L_0 … L_{M−1}, finite and &gt; 0 (a zero cost would make Λ flat and Λ⁻¹ undefined)
     */
    public static ScoreOptimalSchedule of(double[] sigmas, double[] costs) {
        return new ScoreOptimalSchedule(sigmas, costs, false);
    }

    /** As {@link #of(double[], double[])}, interpolating log σ instead of σ (tests compare the two). */
    static ScoreOptimalSchedule interpolatingLogSigma(double[] sigmas, double[] costs) {
        return new ScoreOptimalSchedule(sigmas, costs, true);
    }

    /** Λ_0 = 0, Λ_{j+1} = Λ_j + √L_j: M + 1 values for M costs. */
    public static double[] pathLength(double[] costs) {
        double[] lambda = new double[costs.length + 1];
        for (int j = 0; j < costs.length; j++) {
            if (!(costs[j] > 0 && costs[j] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("score-optimal schedule: cost[" + j + "] = " + costs[j]
                        + ", expected finite and > 0 (a zero cost makes the path length flat, its inverse undefined)");
            }
            lambda[j + 1] = lambda[j] + Math.sqrt(costs[j]);
        }
        return lambda;
    }

    /** Λ_0 … Λ_M (a copy). */
    public double[] lambda() {
        return lambda.clone();
    }

    /** The fine grid σ_0 … σ_M (a copy). */
    public double[] fineGrid() {
        return sigmas.clone();
    }

    /** Λ_M, the total path length. */
    public double totalLength() {
        return lambda[lambda.length - 1];
    }

    /** Λ⁻¹(ℓ) for 0 ≤ ℓ ≤ Λ_M: σ_0 and σ_M exactly at the ends. */
    public double sigmaAt(double length) {
        if (length == 0) {
            return sigmas[0];
        }
        if (length == totalLength()) {
            return sigmas[sigmas.length - 1];
        }
        double v = inverse.value(length);
        return logSigma ? Math.exp(v) : v;
    }

    /**
     * The schedule for a sampler of N steps: N + 1 levels σ_0, Λ⁻¹(i·Λ_M/(N − 1)) for 0 &lt; i &lt; N − 1, σ_M, 0
     * (class comment).
     *
     * @param steps N ≥ 2
     * @throws IllegalStateException if the levels are not strictly decreasing (N far beyond the fine grid's M)
     */
    public double[] sigmas(int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("score-optimal schedule: " + steps
                    + " steps, expected at least 2 (sigma_max, sigma_min and 0)");
        }
        double total = totalLength();
        double[] s = new double[steps + 1];
        s[0] = sigmas[0];
        for (int i = 1; i < steps - 1; i++) {
            s[i] = sigmaAt(Math.min(total, total * i / (steps - 1)));
        }
        s[steps - 1] = sigmas[sigmas.length - 1];
        s[steps] = 0;
        try {
            TimeGrid.requireDecreasing(s, "score-optimal schedule of " + steps + " steps");
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage() + " (the fine grid has " + (sigmas.length - 1)
                    + " intervals; use a finer one)");
        }
        return s;
    }

    /**
     * Writes the schedules for the given step counts in {@link FileGrid}'s format: the caller's metadata and the
     * schedule's own (format, interpolation, fine grid size and range, total path length) as
     * {@code # key: value} lines, the header {@code steps,index,sigma}, and N + 1 rows per step count N.
     *
     * @param name the file it goes to, for messages
     */
    public void write(OutputStream out, String name, int[] steps, Map<String, String> metadata) throws IOException {
        Map<Integer, double[]> schedules = new TreeMap<>();
        for (int n : steps) {
            schedules.put(n, sigmas(n));
        }
        Map<String, String> all = new LinkedHashMap<>(
                Metadata.userEntries(metadata, "schedule file " + name, "construction", "interpolation",
                        "fine_grid", "path_length"));
        all.put("construction", "score-optimal (corrector cost), Algorithm 1: N levels sigma_max..sigma_min at "
                + "equal path length, then 0");
        all.put("interpolation", (logSigma ? "log sigma" : "sigma") + " vs Lambda, monotone cubic (Fritsch-Carlson)");
        all.put("fine_grid", (sigmas.length - 1) + " intervals from " + sigmas[0] + " to "
                + sigmas[sigmas.length - 1]);
        all.put("path_length", Double.toString(totalLength()));
        writeFileGrid(out, name, schedules, all);
    }

    /**
     * Writes schedules in {@link FileGrid}'s CSV format (UTF-8): {@code # key: value} lines, the header
     * {@code steps,index,sigma}, then for each step count N (increasing) its N + 1 levels in order. Everything is
     * checked before the first byte is written.
     *
     * @param name      the file it goes to, for messages
     * @param schedules step count N → N + 1 levels, strictly decreasing, ending at 0
     * @throws IllegalArgumentException naming the file if a schedule or the metadata is not valid
     */
    public static void writeFileGrid(OutputStream out, String name, Map<Integer, double[]> schedules,
                                     Map<String, String> metadata) throws IOException {
        StringBuilder text = new StringBuilder();
        Metadata.write(text, metadata, "schedule file " + name);
        text.append("steps,index,sigma\n");
        for (Map.Entry<Integer, double[]> e : new TreeMap<>(schedules).entrySet()) {
            double[] s = e.getValue();
            String what = "schedule file " + name + " (steps " + e.getKey() + ")";
            if (s.length != e.getKey() + 1) {
                throw new IllegalArgumentException(what + ": " + s.length + " levels, expected steps + 1");
            }
            TimeGrid.requireDecreasing(s, what);
            if (s[s.length - 1] != 0) {
                throw new IllegalArgumentException(what + ": last sigma = " + s[s.length - 1] + ", expected 0");
            }
            for (int i = 0; i < s.length; i++) {
                text.append(e.getKey()).append(',').append(i).append(',').append(s[i]).append('\n');
            }
        }
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ScoreOptimalSchedule(" + (sigmas.length - 1) + " intervals, Lambda = " + totalLength() + ")";
    }
}
