package org.diffsweep.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.sampler.Heun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corrector cost L(σ, σ') = σ'²·E_{x~p_σ}‖score(x; σ') − score(x; σ)‖² (docs/offline-statistics.md) against its
 * closed form on a Gaussian, merging, and the cost-curve file.
 *
 * <p>Closed form for data N(0, v·I) in D dimensions: p_σ = N(0, (v + σ²)I) and score(x; σ) = −x/(v + σ²), so
 * score(x; σ') − score(x; σ) = x·(1/(v + σ²) − 1/(v + σ'²)) = x·(σ'² − σ²)/((v + σ²)(v + σ'²)), and with
 * E‖x‖² = D(v + σ²):
 * <pre>
 *   L(σ, σ') = D·σ'²·(σ² − σ'²)² / ((v + σ²)·(v + σ'²)²).
 * </pre>
 * Each sample's cost is a constant times ‖x‖² ~ (v + σ²)·χ²_D, so its relative standard deviation is √(2/D) and
 * the estimator's standard error is L·√(2/(D·n)).
 */
class CorrectorCostTest {

    static final double V = 0.25;
    static final int DIM = 16;
    static final GaussianMixture GAUSSIAN = gaussian(V, DIM);

    static GaussianMixture gaussian(double v, int dim) {
        double[] variances = new double[dim];
        Arrays.fill(variances, v);
        return new GaussianMixture(new double[] {1}, new double[][] {new double[dim]}, new double[][] {variances});
    }

    static double closedForm(double s, double t) {
        return DIM * t * t * Math.pow(s * s - t * t, 2) / ((V + s * s) * Math.pow(V + t * t, 2));
    }

    static long[] seeds(long from, int n) {
        return LongStream.range(from, from + n).toArray();
    }

    /** States drawn exactly from p_σ: the estimator alone against the closed form, within 4 standard errors. */
    @Test
    void gaussianClosedFormFromExactStates() {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 101);
        CorrectorCost cost = new CorrectorCost(grid, DIM);
        SplittableRandom rng = new SplittableRandom(5);
        int n = 4000;
        StringBuilder report = new StringBuilder("corrector cost, N(0, 0.25 I) in 16 dims, exact states, n = "
                + n + ":");
        double worst = 0;
        for (int j = 0; j < cost.intervals(); j++) {
            double sd = Math.sqrt(V + grid[j] * grid[j]);
            double[] x = new double[n * DIM];
            for (int k = 0; k < x.length; k++) {
                x[k] = sd * rng.nextGaussian();
            }
            cost.add(j, GAUSSIAN, x, n);
            double exact = closedForm(grid[j], grid[j + 1]);
            double se = cost.standardError(j);
            double exactSe = exact * Math.sqrt(2.0 / (DIM * n));
            assertEquals(exact, cost.cost(j), 4 * se, "interval " + j + " sigma " + grid[j]);
            assertEquals(exactSe, se, 0.1 * exactSe, "standard error at interval " + j);
            worst = Math.max(worst, Math.abs(cost.cost(j) - exact) / se);
            if (j % 20 == 0 || j == cost.intervals() - 1) {
                report.append(String.format("%n  sigma %-9.4g -> %-9.4g closed form %.6e  estimate %.6e ± %.2e"
                        + "  (z = %+.2f)", grid[j], grid[j + 1], exact, cost.cost(j), se,
                        (cost.cost(j) - exact) / se));
            }
        }
        report.append(String.format("%n  largest |z| over %d intervals: %.2f", cost.intervals(), worst));
        System.out.println(report);
    }

    /**
     * States of Euler trajectories (the estimator of docs/offline-statistics.md, as the schedule job runs it). For this
     * linear ODE an Euler step multiplies x by 1 + (σ_{j+1} − σ_j)·σ_j/(v + σ_j²), so x_j = c_j·x_0 with x_0 = σ_0·n
     * and E‖x_j‖² = D·c_j²·σ_0² exactly: the estimator must match that expectation within 4 standard errors. Its ratio
     * to the p_σ closed form (E‖x‖² = D(v + σ²)) is Euler's discretisation bias, reported.
     */
    @Test
    void gaussianClosedFormAlongEulerTrajectories() {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 201);
        int n = 2000;
        CorrectorCost cost = CorrectorCost.collect(GAUSSIAN, grid, seeds(0, n));
        StringBuilder report = new StringBuilder("corrector cost along 200 Euler steps, n = " + n + ":");
        double c = 1;
        double worstBias = 0;
        for (int j = 0; j < cost.intervals(); j++) {
            double s = grid[j];
            double t = grid[j + 1];
            double factor = 1 / (V + s * s) - 1 / (V + t * t);
            double expected = t * t * factor * factor * DIM * c * c * grid[0] * grid[0];
            double exact = closedForm(s, t);
            assertEquals(n, cost.samples(j));
            assertEquals(expected, cost.cost(j), 4 * cost.standardError(j), "interval " + j + " sigma " + s);
            worstBias = Math.max(worstBias, Math.abs(expected / exact - 1));
            if (j % 40 == 0 || j == cost.intervals() - 1) {
                report.append(String.format("%n  sigma %-9.4g estimate %.6e ± %.2e  Euler-state expectation %.6e"
                        + "  p_sigma closed form %.6e (bias %+.2e)", s, cost.cost(j), cost.standardError(j),
                        expected, exact, expected / exact - 1));
            }
            c *= 1 + (t - s) * s / (V + s * s);
        }
        double bias1000 = eulerBias(CorrectorCost.edmLevels(0.002, 80, 7, 1001));
        report.append(String.format("%n  largest |Euler bias| %.2e at 200 steps, %.2e at 1000 steps", worstBias,
                bias1000));
        System.out.println(report);
        assertEquals(worstBias, eulerBias(grid), 1e-9);
        assertTrue(worstBias < 0.03 && bias1000 < 0.006, "Euler bias " + worstBias + ", " + bias1000);
    }

    /** max_j |E‖x_j‖² on Euler's trajectory / E_{p_σ_j}‖x‖² − 1| = max_j |c_j²σ_0² / (v + σ_j²) − 1|, j &lt; M. */
    static double eulerBias(double[] grid) {
        double c = 1;
        double worst = 0;
        for (int j = 0; j + 1 < grid.length; j++) {
            worst = Math.max(worst, Math.abs(c * c * grid[0] * grid[0] / (V + grid[j] * grid[j]) - 1));
            c *= 1 + (grid[j + 1] - grid[j]) * grid[j] / (V + grid[j] * grid[j]);
        }
        return worst;
    }

    /** Seeds split 1, 2 and 4 ways (one shard serialized): identical sums, bit for bit. */
    @Test
    void shardsMergeBitForBit() throws Exception {
        GaussianMixture mixture = GaussianMixture.random(8, 16, 0.5, 2024);
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 81);
        long[] all = seeds(500, 16);
        CorrectorCost whole = CorrectorCost.collect(mixture, grid, all);
        for (int ways : new int[] {2, 4}) {
            CorrectorCost merged = new CorrectorCost(grid, mixture.dim());
            int size = all.length / ways;
            for (int w = ways - 1; w >= 0; w--) {
                CorrectorCost shard = CorrectorCost.collect(mixture, grid, Arrays.copyOfRange(all, w * size,
                        (w + 1) * size));
                merged.merge(w == 0 ? roundTrip(shard) : shard);
            }
            assertArrayEquals(whole.costs(), merged.costs(), 0, ways + " ways");
            assertArrayEquals(whole.standardErrors(), merged.standardErrors(), 0, ways + " ways");
            assertEquals(all.length, merged.samples(0));
            assertArrayEquals(ScoreOptimalSchedule.of(whole).sigmas(12), ScoreOptimalSchedule.of(merged).sigmas(12),
                    0, "the schedule from merged shards");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> whole.merge(new CorrectorCost(Arrays.copyOf(grid, 80), mixture.dim())));
        assertTrue(e.getMessage().contains("expected the same grid"), e.getMessage());
    }

    static CorrectorCost roundTrip(CorrectorCost c) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (CorrectorCost) in.readObject();
        }
    }

    @Test
    void writesTheCostCurve(@TempDir Path dir) throws Exception {
        double[] grid = CorrectorCost.edmLevels(0.002, 80, 7, 21);
        CorrectorCost cost = CorrectorCost.collect(GAUSSIAN, grid, seeds(0, 8));
        Path file = dir.resolve("cost.csv");
        try (java.io.OutputStream o = Files.newOutputStream(file)) {
            cost.writeCsv(o, file.toString(), Map.of("model", GAUSSIAN.id()));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals("# model: " + GAUSSIAN.id(), lines.get(0));
        int header = lines.indexOf("sigma,sigma_next,cost,se,count,lambda");
        assertTrue(header > 0, lines.toString());
        assertEquals(20, lines.size() - header - 1);
        double[] lambda = ScoreOptimalSchedule.pathLength(cost.costs());
        for (int j = 0; j < 20; j++) {
            String[] cells = lines.get(header + 1 + j).split(",");
            assertEquals(grid[j], Double.parseDouble(cells[0]), 0);
            assertEquals(grid[j + 1], Double.parseDouble(cells[1]), 0);
            assertEquals(cost.cost(j), Double.parseDouble(cells[2]), 0);
            assertEquals(cost.standardError(j), Double.parseDouble(cells[3]), 0);
            assertEquals(8, Long.parseLong(cells[4]));
            assertEquals(lambda[j + 1], Double.parseDouble(cells[5]), 0);
        }
        // read back: the same curve, bit for bit, so a schedule can be remade from the file alone
        CorrectorCost.Curve back;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            back = CorrectorCost.readCsv(in, file.toString());
        }
        assertArrayEquals(grid, back.sigmas(), 0);
        assertArrayEquals(cost.costs(), back.costs(), 0);
        assertArrayEquals(cost.standardErrors(), back.standardErrors(), 0);
        assertArrayEquals(cost.curve().counts(), back.counts());
        assertEquals(Map.of("model", GAUSSIAN.id()), back.metadata());
        assertArrayEquals(ScoreOptimalSchedule.of(cost).sigmas(7),
                ScoreOptimalSchedule.of(back.sigmas(), back.costs()).sigmas(7), 0);
        // a file cut short or edited is refused, naming it
        String text = Files.readString(file);
        for (String[] bad : new String[][] {
                {text.substring(0, text.lastIndexOf('\n', text.length() - 2) + 1), "19 rows, intervals '20'"},
                {text.replace("diffsweep-corrector-cost-1", "other"), "format 'other'"},
                {text.replace("sigma,sigma_next", "s,sigma_next"), "header 's,sigma_next"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CorrectorCost.readCsv(new java.io.ByteArrayInputStream(
                            bad[0].getBytes(java.nio.charset.StandardCharsets.UTF_8)), "c.csv"));
            assertTrue(e.getMessage().startsWith("cost curve c.csv: ") && e.getMessage().contains(bad[1]),
                    e.getMessage());
        }
    }

    @Test
    void refusesBadGridsAndSamplers() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new CorrectorCost(new double[] {80, 1, 0}, DIM));
        assertTrue(zero.getMessage().contains("last sigma = 0.0, expected > 0"), zero.getMessage());
        IllegalStateException heun = assertThrows(IllegalStateException.class,
                () -> CorrectorCost.collect(GAUSSIAN, new Heun(), new double[] {80, 10, 1, 0.1}, seeds(0, 2)));
        assertTrue(heun.getMessage().contains("evaluated the model"), heun.getMessage());
    }
}
