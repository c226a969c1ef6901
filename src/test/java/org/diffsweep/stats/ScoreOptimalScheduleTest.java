package org.diffsweep.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.LongStream;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.TimeGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Score-optimal schedules (docs/offline-statistics.md): equal cost per step on the exact mixture, the continuum optimum
 * of a Gaussian, the N-steps convention against the edm grid, and the FileGrid format.
 *
 * <p>For N(0, v·I) in D dimensions the cost of a small step is L(σ, σ − h) ≈ 4D·σ⁴h²/(v + σ²)³ (from the closed
 * form in CorrectorCostTest), so the continuum path length from σ_max is
 * Λ(σ) = 2√D·[F(σ_max) − F(σ)] with F(s) = asinh(s/√v) − s/√(v + s²), and the exact score-optimal
 * schedule solves Λ(σ*_i) = i·Λ(σ_min)/(N − 1).
 */
class ScoreOptimalScheduleTest {

    static final double V = CorrectorCostTest.V;
    static final int DIM = CorrectorCostTest.DIM;

    static double continuumLength(double s) {
        return 2 * Math.sqrt(DIM) * (f(80) - f(s));
    }

    static double f(double s) {
        double r = s / Math.sqrt(V);
        return Math.log(r + Math.sqrt(1 + r * r)) - s / Math.sqrt(V + s * s);
    }

    /** The exact continuum schedule's nonzero levels, by bisection in log σ. */
    static double[] continuumSchedule(int steps) {
        double total = continuumLength(0.002);
        double[] s = new double[steps];
        for (int i = 0; i < steps; i++) {
            double target = total * i / (steps - 1);
            double lo = Math.log(0.002);
            double hi = Math.log(80);
            for (int it = 0; it < 200; it++) {
                double mid = 0.5 * (lo + hi);
                if (continuumLength(Math.exp(mid)) > target) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            s[i] = Math.exp(0.5 * (lo + hi));
        }
        return s;
    }

    static double[] exactCosts(double[] grid) {
        double[] c = new double[grid.length - 1];
        for (int j = 0; j < c.length; j++) {
            c[j] = CorrectorCostTest.closedForm(grid[j], grid[j + 1]);
        }
        return c;
    }

    static double maxRelative(double[] a, double[] b, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(a[i] / b[i] - 1));
        }
        return m;
    }

    /**
     * Gaussian, exact chord costs: the schedule converges to the continuum optimum as O(1/M) (Λ sums chord costs
     * with the expectation at each interval's start, a first-order rule), and the interpolation of Λ⁻¹ adds
     * orders of magnitude less. Interpolating σ (the choice) against log σ, with the interpolation alone isolated
     * by giving both the exact Λ(σ_j) at the fine-grid points.
     */
    @Test
    void gaussianScheduleConvergesToTheContinuumOptimum() {
        StringBuilder report = new StringBuilder("score-optimal schedule of N(0, 0.25 I), 16 dims, edm(7) fine grid:");
        for (int steps : new int[] {10, 50}) {
            double[] exact = continuumSchedule(steps);
            for (int m : new int[] {200, 1000}) {
                double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, m + 1);
                double[] s = ScoreOptimalSchedule.of(grid, exactCosts(grid)).sigmas(steps);
                double err = maxRelative(s, exact, 0, steps);
                // the interpolation alone: exact continuum Λ at the fine-grid points
                double[] lambda = new double[m + 1];
                for (int j = 1; j <= m; j++) {
                    lambda[j] = continuumLength(grid[j]);
                }
                double[] logs = Arrays.stream(grid).map(Math::log).toArray();
                MonotoneCubic bySigma = new MonotoneCubic(lambda, grid);
                MonotoneCubic byLog = new MonotoneCubic(lambda, logs);
                double errSigma = 0;
                double errLog = 0;
                for (int i = 1; i < steps - 1; i++) {
                    double target = Math.min(lambda[m], lambda[m] * i / (steps - 1));
                    errSigma = Math.max(errSigma, Math.abs(bySigma.value(target) / exact[i] - 1));
                    errLog = Math.max(errLog, Math.abs(Math.exp(byLog.value(target)) / exact[i] - 1));
                }
                report.append(String.format("%n  N %2d M %4d: schedule vs continuum optimum %.2e (x M = %.2f);"
                        + " interpolation alone: sigma %.2e, log sigma %.2e", steps, m, err, err * m, errSigma,
                        errLog));
                assertTrue(err < 2.5 / m, "N " + steps + " M " + m + ": " + err);
                assertTrue(errSigma < 2e-5 && errSigma < err / 100, "interpolation error " + errSigma);
                assertTrue(errSigma < errLog, "sigma " + errSigma + " vs log sigma " + errLog);
            }
        }
        System.out.println(report);
    }

    /**
     * The N-steps convention: when Λ is linear in σ^{1/ρ} (costs L_j = (σ_j^{1/ρ} − σ_{j+1}^{1/ρ})²), equal steps
     * in Λ are equal steps in σ^{1/ρ}, and the N-step schedule is the edm grid of N steps, level for level.
     */
    @Test
    void reproducesTheEdmGridOfTheSameSteps() {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 1001);
        double[] costs = new double[1000];
        for (int j = 0; j < costs.length; j++) {
            costs[j] = Math.pow(Math.pow(grid[j], 1 / 7.0) - Math.pow(grid[j + 1], 1 / 7.0), 2);
        }
        ScoreOptimalSchedule schedule = ScoreOptimalSchedule.of(grid, costs);
        double worst = 0;
        for (int steps : new int[] {2, 3, 10, 18, 79}) {
            double[] s = schedule.sigmas(steps);
            double[] edm = new EdmGrid(0.002, 80, 7).sigmas(steps);
            assertEquals(steps + 1, s.length);
            assertEquals(80, s[0], 0);
            assertEquals(0.002, s[steps - 1], 0);
            assertEquals(0, s[steps], 0);
            worst = Math.max(worst, maxRelative(s, edm, 0, steps));
            assertTrue(maxRelative(s, edm, 0, steps) < 1e-6, steps + " steps: " + Arrays.toString(s));
        }
        System.out.printf("score-optimal schedule with edm-shaped costs vs edm grid: max relative difference %.2e%n",
                worst);
        assertArrayEquals(new double[] {80, 0.002, 0}, schedule.sigmas(2), 0);
    }

    /**
     * Equal cost per step on the exact mixture (K = 8, D = 16). The schedule (N = 10) comes from costs on a
     * 400-interval edm fine grid along 1024 Euler trajectories (seeds A). Then every step of the schedule is
     * re-measured on its own: split into 100 log-uniform sub-intervals, costs estimated along new trajectories on
     * that grid (1024 other seeds C), the step's path length ΔΛ_i = Σ√L over its sub-intervals. The shares
     * ΔΛ_i / mean(ΔΛ) must all be 1, within
     * <ul>
     *   <li>4·(relative error of A's and of C's path length over the step), each bounded by
     *       Σ SE_j/(2√L_j) / Σ √L_j (the delta method, taking the sub-interval estimates as perfectly correlated,
     *       as they share trajectories: an upper bound), plus</li>
     *   <li>the discretisation: the two grids sum chord costs over different intervals (first order in the step);
     *       this allowance is twice the largest |share − 1| of the same procedure on the Gaussian with its exact
     *       costs, where there is no sampling error.</li>
     * </ul>
     */
    @Test
    void equalCostPerStepOnTheMixture() {
        GaussianMixture mixture = GaussianMixture.random(8, 16, 0.5, 2024);
        int steps = 10;
        int sub = 100;
        double[] fine = CorrectorCost.edmLevels(0.002, 80, 7, 401);
        CorrectorCost a = CorrectorCost.collect(mixture, fine, LongStream.range(0, 1024).toArray());
        double[] s = ScoreOptimalSchedule.of(a).sigmas(steps);
        double[] subGrid = refine(s, sub);
        CorrectorCost c = CorrectorCost.collect(mixture, subGrid, LongStream.range(1_000_000, 1_001_024).toArray());
        double[] length = new double[steps - 1];
        double[] relC = new double[steps - 1];
        for (int i = 0; i < steps - 1; i++) {
            double se = 0;
            for (int k = i * sub; k < (i + 1) * sub; k++) {
                length[i] += Math.sqrt(c.cost(k));
                se += c.standardError(k) / (2 * Math.sqrt(c.cost(k)));
            }
            relC[i] = se / length[i];
        }
        double mean = Arrays.stream(length).average().orElseThrow();
        // the Gaussian analogue, exact costs: the discretisation alone
        double[] gaussianFine = CorrectorCost.edmLevels(0.002, 80, 7, 401);
        double[] gs = ScoreOptimalSchedule.of(gaussianFine, exactCosts(gaussianFine)).sigmas(steps);
        double[] gSub = refine(gs, sub);
        double[] gCosts = exactCosts(gSub);
        double[] gLength = new double[steps - 1];
        for (int i = 0; i < steps - 1; i++) {
            for (int k = i * sub; k < (i + 1) * sub; k++) {
                gLength[i] += Math.sqrt(gCosts[k]);
            }
        }
        double gMean = Arrays.stream(gLength).average().orElseThrow();
        double discretisation = 0;
        for (double g : gLength) {
            discretisation = Math.max(discretisation, Math.abs(g / gMean - 1));
        }
        StringBuilder report = new StringBuilder(String.format("equal cost per step, mixture, N = %d "
                + "(Gaussian discretisation spread %.2e):", steps, discretisation));
        double spread = 0;
        for (int i = 0; i < steps - 1; i++) {
            double se = 0;
            double len = 0;
            for (int j = 0; j < a.intervals(); j++) {
                if (fine[j] <= s[i] && fine[j + 1] >= s[i + 1]) {
                    se += a.standardError(j) / (2 * Math.sqrt(a.cost(j)));
                    len += Math.sqrt(a.cost(j));
                }
            }
            double relA = se / len;
            double share = length[i] / mean;
            double tolerance = 4 * (relA + relC[i]) + 2 * discretisation;
            spread = Math.max(spread, Math.abs(share - 1));
            report.append(String.format("%n  step %d sigma %-8.4g -> %-8.4g share %.5f  (rel SE bounds A %.4f,"
                    + " C %.4f; tolerance %.4f)", i, s[i], s[i + 1], share, relA, relC[i], tolerance));
            assertEquals(1, share, tolerance, "step " + i);
        }
        report.append(String.format("%n  largest |share - 1| = %.2e", spread));
        System.out.println(report);
    }

    /** The schedule's nonzero levels, each interval split into {@code sub} log-uniform sub-intervals. */
    static double[] refine(double[] schedule, int sub) {
        int steps = schedule.length - 1;
        double[] g = new double[(steps - 1) * sub + 1];
        for (int i = 0; i < steps - 1; i++) {
            g[i * sub] = schedule[i];
            for (int k = 1; k < sub; k++) {
                g[i * sub + k] = Math.exp(Math.log(schedule[i])
                        + (double) k / sub * (Math.log(schedule[i + 1]) - Math.log(schedule[i])));
            }
        }
        g[g.length - 1] = schedule[steps - 1];
        return g;
    }

    /** Strictly decreasing even for N far beyond the fine grid's M, and for very uneven costs. */
    @Test
    void levelsKeepTheGridShapeOnUnevenCosts() {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 51);
        double[] costs = new double[50];
        for (int j = 0; j < costs.length; j++) {
            costs[j] = j % 7 == 3 ? 1e6 : j % 5 == 0 ? 1e-12 : 1;
        }
        ScoreOptimalSchedule schedule = ScoreOptimalSchedule.of(grid, costs);
        for (int steps : new int[] {2, 5, 50, 2000}) {
            double[] s = schedule.sigmas(steps);
            TimeGrid.requireDecreasing(s, steps + " steps");
            assertEquals(80, s[0], 0);
            assertEquals(0.002, s[steps - 1], 0);
            assertEquals(0, s[steps], 0);
        }
        double[] lambda = schedule.lambda();
        assertEquals(0, lambda[0], 0);
        assertEquals(lambda[50], schedule.totalLength(), 0);
        for (int j = 0; j <= 50; j++) {
            assertEquals(grid[j], schedule.sigmaAt(lambda[j]), 0, "through the points exactly");
        }
    }

    @Test
    void writesFileGridsThatReadBackExactly(@TempDir Path dir) throws Exception {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 201);
        ScoreOptimalSchedule schedule = ScoreOptimalSchedule.of(grid, exactCosts(grid));
        Path file = dir.resolve("schedule.csv");
        int[] steps = {2, 10, 35};
        try (java.io.OutputStream o = Files.newOutputStream(file)) {
            schedule.write(o, file.toString(), steps, Map.of("model", "gaussian"));
        }
        String text = Files.readString(file);
        assertTrue(text.startsWith("# model: gaussian\n# construction: score-optimal"), text);
        assertTrue(text.contains("\nsteps,index,sigma\n2,0,80.0\n2,1,0.002\n2,2,0.0\n10,0,80.0\n"), text);
        FileGrid read = FileGrid.read(file);
        for (int n : steps) {
            assertArrayEquals(schedule.sigmas(n), read.sigmas(n), 0, n + " steps");
        }
        assertEquals(2, read.minSteps());
        java.io.ByteArrayOutputStream refused = new java.io.ByteArrayOutputStream();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreOptimalSchedule.writeFileGrid(refused, "bad.csv",
                        Map.of(3, new double[] {80, 1, 0.1, 0.01}), Map.of()));
        assertTrue(e.getMessage().contains("schedule file bad.csv (steps 3)")
                && e.getMessage().contains("last sigma = 0.01, expected 0"), e.getMessage());
        assertEquals(0, refused.size(), "nothing written for a refused schedule");
    }

    @Test
    void refusesBadCostsAndSteps() {
        double[] grid = {80, 10, 1, 0.1};
        Object[][] cases = {
            {new double[] {1, 0, 1}, "cost[1] = 0.0, expected finite and > 0"},
            {new double[] {1, -1, 1}, "cost[1] = -1.0"},
            {new double[] {1, Double.NaN, 1}, "cost[1] = NaN"},
            {new double[] {1, 1}, "2 costs for 4 levels, expected one per interval (3)"},
        };
        for (Object[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ScoreOptimalSchedule.of(grid, (double[]) c[0]));
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
        }
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> ScoreOptimalSchedule.of(new double[] {80, 1, 0}, new double[] {1, 1}));
        assertTrue(zero.getMessage().contains("last sigma = 0.0, expected > 0"), zero.getMessage());
        ScoreOptimalSchedule s = ScoreOptimalSchedule.of(grid, new double[] {1, 1, 1});
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> s.sigmas(1));
        assertTrue(one.getMessage().contains("1 steps, expected at least 2"), one.getMessage());
    }
}
