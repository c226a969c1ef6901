package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.diffsweep.diffusion.CountingDenoiser;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.Process;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Deis.Variant;
import org.diffsweep.schedule.TimeGrids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DEIS / DEIS-SN coefficients, equivalences, refusals and model-call accounting; iPNDM's accounting. */
class DeisTest {

    static final int BATCH = 8;
    static final GaussianMixture MIXTURE = GaussianMixture.random(8, 16, 0.5, 2024);
    static final EdmProcess EDM = new EdmProcess();
    static final VpProcess VP = new VpProcess();
    static final DdpmProcess DDPM = new DdpmProcess();

    /** A process with the grid DEIS uses on it: edm ρ=7, time-quadratic, ddpm-quadratic (all ending at 0). */
    record Setting(Process process, double[] grid) {
    }

    /** For 1 step (below the edm and time-quadratic grids' minimum of 2), hand-written one-step grids. */
    static Setting[] settings(int steps) {
        if (steps < 2) {
            return new Setting[] {
                new Setting(EDM, new double[] {80, 0}),
                new Setting(VP, new double[] {VP.sigmaMax(), 0}),
                new Setting(DDPM, TimeGrids.of("ddpm-quadratic", Map.of(), DDPM).sigmas(1)),
                new Setting(VP, new double[] {VP.sigmaMax(), VP.sigmaMin()}),
            };
        }
        return new Setting[] {
            new Setting(EDM, TimeGrids.of("edm", Map.of(), EDM).sigmas(steps)),
            new Setting(VP, TimeGrids.of("time-quadratic", Map.of(), VP).sigmas(steps)),
            new Setting(DDPM, TimeGrids.of("ddpm-quadratic", Map.of(), DDPM).sigmas(steps)),
            // and one that does not end at 0
            new Setting(VP, Arrays.copyOf(TimeGrids.of("time-quadratic", Map.of(), VP).sigmas(steps + 1),
                    steps + 1)),
        };
    }

    static double[] latents(double sigma0) {
        long[] seeds = new long[BATCH];
        for (int i = 0; i < BATCH; i++) {
            seeds[i] = 77 + i;
        }
        return BatchNoise.latents(seeds, MIXTURE.dim(), sigma0);
    }

    static double[] run(Sampler s, Setting set) {
        return s.sample(MIXTURE, set.grid, latents(set.grid[0]),
                BatchNoise.samplerNoise(new long[BATCH], MIXTURE.dim()));
    }

    /** max |a − b| / max |b|. */
    static double relDiff(double[] a, double[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - b[i]));
            den = Math.max(den, Math.abs(b[i]));
        }
        return num / den;
    }

    @Test
    void orderOneIsEuler() {
        for (Setting set : settings(12)) {
            double[] euler = run(new Euler(), set);
            for (Variant v : Variant.values()) {
                Deis deis = new Deis(1, v, set.process);
                double d = relDiff(run(deis, set), euler);
                assertTrue(d < 1e-12, deis + " on " + set.process.name() + " differs from euler by " + d);
            }
        }
    }

    /** Order 1, r ≡ 1: C_{i,0} = ∫ dσ = σ_{i+1} − σ_i in closed form. */
    @Test
    void orderOneCoefficientsAreTheStep() {
        for (Setting set : settings(25)) {
            for (Variant v : Variant.values()) {
                double[][] c = new Deis(1, v, set.process).coefficients(set.grid);
                assertEquals(set.grid.length - 1, c.length);
                for (int i = 0; i < c.length; i++) {
                    double h = set.grid[i + 1] - set.grid[i];
                    assertEquals(h, c[i][0], 1e-14 * Math.abs(h), v + " " + set.process.name() + " step " + i);
                }
            }
        }
    }

    /**
     * Two independent facts about every row of C with r ≡ 1: the Lagrange basis sums to 1, so Σ_j C_{i,j} =
     * σ_{i+1} − σ_i; and for rhoab order 2 the basis is linear in σ, so C has a closed form:
     * ∫_a^b (σ − p)/(q − p) dσ = ((b − p)² − (a − p)²) / (2(q − p)).
     */
    @Test
    void coefficientsSumToTheStepAndMatchTheLinearClosedForm() {
        for (Setting set : settings(15)) {
            for (Variant v : Variant.values()) {
                double[][] c = new Deis(3, v, set.process).coefficients(set.grid);
                for (int i = 0; i < c.length; i++) {
                    double h = set.grid[i + 1] - set.grid[i];
                    assertEquals(h, c[i][0] + c[i][1] + c[i][2], 1e-13 * Math.abs(h), v + " step " + i);
                }
            }
            double[] s = set.grid;
            double[][] c = new Deis(2, Variant.RHOAB, set.process).coefficients(s);
            for (int i = 1; i < c.length; i++) {
                double a = s[i];
                double b = s[i + 1];
                double p = s[i - 1]; // ℓ_0 is 1 at σ_i, 0 at σ_{i−1}
                double q = s[i];
                double c0 = ((b - p) * (b - p) - (a - p) * (a - p)) / (2 * (q - p));
                double c1 = (b - a) - c0;
                assertEquals(c0, c[i][0], 1e-13 * Math.abs(b - a), "step " + i);
                assertEquals(c1, c[i][1], 1e-13 * Math.abs(b - a), "step " + i);
            }
        }
    }

    /**
     * Gauss–Legendre at 16 nodes per piece (the default) already sits at machine precision: 32 nodes agree to
     * 1e-14 of each step's size, on every setting, with r ≡ 1 and with a DDPM-time table (vp-discrete: 1e-12, see
     * below). With 4 nodes, tab on vp is off by 1e-13 to 1e-6 (so the comparison can fail); the geometric split
     * towards σ = 0 does most of the work, so 4 nodes are already exact elsewhere.
     */
    @Test
    void quadratureIsConvergedAtTheDefaultNodeCount(@TempDir Path dir) throws Exception {
        ScoreScale table = ScoreScale.fromCsv(writeTauTable(dir), DDPM);
        for (int steps : new int[] {1, 2, 3, 10, 50}) {
            for (Setting set : settings(steps)) {
                for (Variant v : Variant.values()) {
                    ScoreScale r = set.process == DDPM ? table : ScoreScale.constant();
                    String name = r.isConstant() ? "deis" : "deis-sn";
                    double[][] c16 = new Deis(3, v, set.process, r, name, 16).coefficients(set.grid);
                    double[][] c32 = new Deis(3, v, set.process, r, name, 32).coefficients(set.grid);
                    double[][] c4 = new Deis(3, v, set.process, r, name, 4).coefficients(set.grid);
                    double worst = 0;
                    double worst4 = 0;
                    for (int i = 0; i < c16.length; i++) {
                        double h = Math.abs(set.grid[i + 1] - set.grid[i]);
                        for (int j = 0; j < 3; j++) {
                            worst = Math.max(worst, Math.abs(c16[i][j] - c32[i][j]) / h);
                            worst4 = Math.max(worst4, Math.abs(c4[i][j] - c32[i][j]) / h);
                        }
                    }
                    String what = v + " " + set.process.name() + " " + steps + " steps";
                    // vp-discrete: its time τ(σ) is computed through ᾱ = 1/(1 + σ²), and 1 − ᾱ cancels as σ → 0
                    // (τ(σ(τ)) is off by 4e-12 relative at τ = 4e-4, 6e-10 at τ = 1e-6): that rounding noise in u,
                    // not the quadrature, sets the last steps' agreement (2e-13 at 50 steps, with 4 nodes too).
                    double limit = set.process == DDPM ? 1e-12 : 1e-14;
                    assertTrue(worst < limit, what + ": 16 and 32 nodes differ by " + worst);
                    if (steps >= 2 && v == Variant.TAB && set.process == VP) {
                        assertTrue(worst4 > 1e-14, what + ": 4 nodes already agree to " + worst4);
                    }
                }
            }
        }
    }

    /** r(τ) = 0.8 − 0.25·exp(−τ/0.02) at τ = k/1000 (docs/offline-statistics.md's shape: ≈ 0.8, 0.55 at τ = 0). */
    static double tauTable(double tau) {
        return 0.8 - 0.25 * Math.exp(-tau / 0.02);
    }

    static Path writeTauTable(Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("# synthetic norm-stats table\nt,sigma,r,se,count\n");
        for (int k = 1000; k >= 0; k--) {
            double tau = k / 1000.0;
            csv.append(tau).append(',').append(DDPM.sigma(tau)).append(',').append(tauTable(tau)).append(",0.001,256\n");
        }
        return Files.writeString(dir.resolve("tau-table.csv"), csv.toString());
    }

    /** The test's own r(τ): linear between the table's points in τ. */
    static double tauTableInterpolated(double tau) {
        int k = Math.min((int) Math.floor(tau * 1000), 999);
        double f = tau * 1000 - k;
        return tauTable(k / 1000.0) + f * (tauTable((k + 1) / 1000.0) - tauTable(k / 1000.0));
    }

    /**
     * The reference's quadrature: a left Riemann sum in τ with M points per step,
     * C_{i,j} ≈ Σ_{m<M} r(τ_m)·ℓ_j(τ_m)·σ'(τ_m)·Δ, τ_m = τ_i + m·Δ, Δ = (τ_{i+1} − τ_i)/M ("left" in the
     * direction of integration, so τ = 0 itself is never evaluated), with σ' = dσ/dτ from the process and ℓ_j
     * the Lagrange basis in τ through τ_i, τ_{i−1}, τ_{i−2}.
     */
    static double riemann(double[] tau, int i, int j, int q, int points, boolean table) {
        double delta = (tau[i + 1] - tau[i]) / points;
        double sum = 0;
        for (int m = 0; m < points; m++) {
            double t = tau[i] + m * delta;
            double l = 1;
            for (int k = 0; k <= q; k++) {
                if (k != j) {
                    l *= (t - tau[i - k]) / (tau[i - j] - tau[i - k]);
                }
            }
            sum += (table ? tauTableInterpolated(t) : 1) * l * DDPM.sigmaDerivative(t);
        }
        return sum * delta;
    }

    /**
     * Against the reference's 10,000-point left Riemann sum in τ, on the discrete DDPM with τ_k = (k/N)², N = 10,
     * order 3 tab, r ≡ 1 (deis) and a τ table (deis-sn). Doubling the points halves the sum's error on every
     * step but the last (error ∝ 1/M), and our value lies where that extrapolates; on the last step, down to
     * τ = 0, σ'(τ) ∝ τ^{−1/2} and the sum's error only shrinks by √2 (∝ M^{−1/2}).
     */
    @Test
    void coefficientsAgreeWithTheReferenceRiemannSum(@TempDir Path dir) throws Exception {
        int n = 10;
        double[] tau = new double[n + 1];
        double[] sigma = new double[n + 1];
        for (int k = 0; k <= n; k++) {
            double f = (double) (n - k) / n;
            tau[k] = f * f;
            sigma[k] = DDPM.sigma(tau[k]);
        }
        ScoreScale table = ScoreScale.fromCsv(writeTauTable(dir), DDPM);
        double worstInterior = 0;
        double worstLast = 0;
        for (boolean withTable : new boolean[] {false, true}) {
            Deis deis = withTable ? new Deis(3, Variant.TAB, DDPM, table, "deis-sn") : new Deis(3, Variant.TAB, DDPM);
            double[][] c = deis.coefficients(sigma);
            for (int i = 0; i < n; i++) {
                int q = Math.min(2, i);
                for (int j = 0; j <= q; j++) {
                    double s1 = riemann(tau, i, j, q, 10_000, withTable);
                    double s2 = riemann(tau, i, j, q, 20_000, withTable);
                    double e1 = s1 - c[i][j];
                    double e2 = s2 - c[i][j];
                    double h = Math.abs(sigma[i + 1] - sigma[i]);
                    String what = deis + " C[" + i + "][" + j + "] = " + c[i][j] + ", sums " + s1 + ", " + s2;
                    System.out.printf("%s step %d j %d: C %.12e  rel err of 10k sum %.2e  ratio %.3f%n",
                            deis.describe(), i, j, c[i][j], e1 / h, e1 / e2);
                    if (i < n - 1) {
                        // 1/M, up to the O(1/M) jitter of σ' and r's kinks (ratios seen: 1.97–2.15)
                        assertEquals(2.0, e1 / e2, 0.25, what);
                        worstInterior = Math.max(worstInterior, Math.abs(e1) / h);
                    } else {
                        assertEquals(Math.sqrt(2), e1 / e2, 0.1, what);
                        worstLast = Math.max(worstLast, Math.abs(e1) / h);
                    }
                }
            }
        }
        System.out.printf("10,000-point Riemann sum: relative error up to %.2e (interior steps), %.2e (last step)%n",
                worstInterior, worstLast);
        assertTrue(worstInterior < 2e-4 && worstLast < 1e-2, worstInterior + " " + worstLast);
    }

    /** A constant table cancels: deis-sn with r ≡ 0.8 is deis. */
    @Test
    void constantTableIsPlainDeis(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("flat.csv"), "sigma,r\n150,0.8\n0,0.8\n");
        for (Setting set : settings(12)) {
            ScoreScale flat = ScoreScale.fromCsv(csv, set.process);
            for (int order = 1; order <= 3; order++) {
                for (Variant v : Variant.values()) {
                    Deis sn = new Deis(order, v, set.process, flat, "deis-sn");
                    double d = relDiff(run(sn, set), run(new Deis(order, v, set.process), set));
                    assertTrue(d < 1e-12, sn + " on " + set.process.name() + " differs from deis by " + d);
                }
            }
        }
    }

    @Test
    void describesItself(@TempDir Path dir) throws Exception {
        assertEquals("deis(order=3,variant=tab)", new Deis(3, Variant.TAB, VP).describe());
        assertEquals("deis(order=2,variant=rhoab)", new Deis(2, Variant.of("rhoab"), EDM).describe());
        Path csv = Files.writeString(dir.resolve("cifar.csv"), "sigma,r\n80,0.8\n0.002,0.6\n");
        assertEquals("deis-sn(order=3,variant=tab,norm=cifar.csv)",
                new Deis(3, Variant.TAB, EDM, ScoreScale.fromCsv(csv, EDM), "deis-sn").describe());
        assertEquals("ipndm", new Ipndm().describe());
    }

    @Test
    void refusesBadSettings(@TempDir Path dir) throws Exception {
        assertMessage(() -> new Deis(0, Variant.TAB, VP), "deis: order = 0, expected 1 to 4");
        assertMessage(() -> new Deis(5, Variant.TAB, VP), "deis: order = 5, expected 1 to 4");
        assertMessage(() -> Variant.of("tAB"), "deis: variant = 'tAB', expected tab or rhoab");
        assertMessage(() -> new Deis(2, Variant.TAB, VP, ScoreScale.constant(), "dies"),
                "deis: name = 'dies', expected deis or deis-sn");
        ScoreScale table = ScoreScale.fromCsv(Files.writeString(dir.resolve("t.csv"), "sigma,r\n1,0.8\n0,0.5\n"), VP);
        assertMessage(() -> new Deis(2, Variant.TAB, VP, table, "deis"),
                "deis: score table t.csv given, expected none (r = 1)");
        for (Sampler s : new Sampler[] {new Deis(3, Variant.TAB, VP), new Ipndm()}) {
            assertMessage(() -> s.sample(MIXTURE, new double[] {80, 10, 10, 0}, latents(80),
                    BatchNoise.samplerNoise(new long[BATCH], MIXTURE.dim())),
                    "sigma[2] = 10.0 after sigma[1] = 10.0, expected a strictly decreasing grid");
        }
        assertMessage(() -> new Deis(3, Variant.RHOAB, EDM).coefficients(new double[] {1, 2, 0}),
                "deis(order=3,variant=rhoab) grid: sigma[1] = 2.0 after sigma[0] = 1.0, expected a strictly decreasing");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "message has several lines: " + e.getMessage());
    }

    @Test
    void makesTheModelCallsItDeclares(@TempDir Path dir) throws Exception {
        ScoreScale flat = ScoreScale.fromCsv(Files.writeString(dir.resolve("f.csv"), "sigma,r\n0,0.8\n200,0.7\n"),
                VP);
        for (int steps : new int[] {1, 2, 3, 4, 10}) {
            for (Setting set : settings(steps)) {
                for (Sampler s : new Sampler[] {new Ipndm(), new Deis(1, Variant.TAB, set.process),
                        new Deis(2, Variant.RHOAB, set.process), new Deis(3, Variant.TAB, set.process),
                        new Deis(3, Variant.TAB, set.process, flat, "deis-sn")}) {
                    CountingDenoiser counted = new CountingDenoiser(MIXTURE);
                    s.sample(counted, set.grid, latents(set.grid[0]),
                            BatchNoise.samplerNoise(new long[BATCH], MIXTURE.dim()));
                    int gridSteps = set.grid.length - 1;
                    assertEquals(s.nfe(gridSteps), counted.calls(), s + " at " + gridSteps + " steps");
                    assertEquals(gridSteps, counted.calls(), s + " at " + gridSteps + " steps");
                }
            }
        }
        assertEquals(10, new Deis(3, Variant.TAB, VP).stepsForNfe(10));
        assertEquals(7, new Ipndm().stepsForNfe(7));
    }

    /** The table is kept for the grid it was computed for, and recomputed for another. */
    @Test
    void coefficientsFollowTheGrid() {
        Deis deis = new Deis(3, Variant.TAB, VP);
        double[] a = TimeGrids.of("time-quadratic", Map.of(), VP).sigmas(10);
        double[] b = TimeGrids.of("time-quadratic", Map.of(), VP).sigmas(11);
        double[][] ca = deis.coefficients(a);
        double[][] cb = deis.coefficients(b);
        assertEquals(11, cb.length);
        assertTrue(Arrays.deepEquals(ca, deis.coefficients(a)));
        assertTrue(Arrays.deepEquals(ca, new Deis(3, Variant.TAB, VP).coefficients(a)));
    }
}
