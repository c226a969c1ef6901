package org.diffsweep.psld;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffsweep.family.Cell;
import org.diffsweep.family.Family;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.rng.SeedStream;
import org.junit.jupiter.api.Test;

/**
 * Every PSLD sampler on the exact oracle: model calls equal the declared NFE, the samples converge to the data as
 * NFE grows (Fréchet distance to the mixture's exact mean and covariance, down to the finite-sample floor of exact
 * draws), the flow ODE converges to a high-accuracy solution of the same ODE at first order, λ_s &lt; 1 leaves a
 * bias, and a seed's sample does not depend on its batch.
 */
class PsldSamplerTest {

    static final PsldFamily FAMILY = new PsldFamily(PsldProcessTest.CIFAR);
    /** Two dimensions whose components differ across them. */
    static final GaussianMixture MIX2 = new GaussianMixture(new double[] {0.3, 0.7},
            new double[][] {{-0.6, 0.4}, {0.5, -0.2}}, new double[][] {{0.04, 0.2}, {0.1, 0.01}});
    static final GaussianMixture MIX1 = new GaussianMixture(new double[] {0.5, 0.25, 0.25},
            new double[][] {{-0.7}, {0.2}, {0.8}}, new double[][] {{0.01}, {0.05}, {0.02}});

    static final List<Map<String, Object>> SAMPLERS = List.of(Map.of("name", "euler-maruyama"), Map.of("name", "sscs"),
            Map.of("name", "splitting", "scheme", "OBA", "variant", "naive"),
            Map.of("name", "splitting", "scheme", "OBA", "variant", "reduced"),
            Map.of("name", "splitting", "scheme", "BAO", "variant", "naive"),
            Map.of("name", "splitting", "scheme", "BAO", "variant", "reduced"),
            Map.of("name", "splitting", "scheme", "OBAB", "variant", "naive"),
            Map.of("name", "splitting", "scheme", "OBAB", "variant", "reduced"),
            Map.of("name", "splitting", "scheme", "BAOAB", "variant", "naive"),
            Map.of("name", "splitting", "scheme", "BAOAB", "variant", "reduced"));

    static Family.Part sampler(Map<String, Object> spec, GaussianMixture mix) {
        Map<String, Object> options = new java.util.HashMap<>(spec);
        options.remove("name");
        return FAMILY.sampler((String) spec.get("name"), options, mix);
    }

    static long[] seeds(int n) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = i;
        }
        return s;
    }

    static double fid(double[] x, GaussianMixture mix) {
        FeatureStats st = new FeatureStats(mix.dim());
        st.addBatch(x, x.length / mix.dim());
        return FrechetDistance.between(Gaussian.of(st), new Gaussian(mix.mean(), mix.covariance(), 0));
    }

    /** The Fréchet distance of n exact draws, averaged over replicates: what a perfect sampler scores. */
    static double floor(GaussianMixture mix, int n) {
        double sum = 0;
        for (int r = 0; r < 4; r++) {
            double[] x = new double[n * mix.dim()];
            for (int i = 0; i < n; i++) {
                var rng = SeedStream.generator(i + 1_000_000L * (r + 1), SeedStream.DATA);
                java.util.random.RandomGenerator g = rng::nextLong;
                System.arraycopy(mix.sample(g), 0, x, i * mix.dim(), mix.dim());
            }
            sum += fid(x, mix);
        }
        return sum / 4;
    }

    @Test
    void modelCallsEqualTheDeclaredNfe() {
        PsldOracle oracle = new PsldOracle(MIX2, PsldProcessTest.CIFAR);
        List<Map<String, Object>> all = new ArrayList<>(SAMPLERS);
        all.add(Map.of("name", "pf-euler"));
        for (Map<String, Object> spec : all) {
            Family.Part s = sampler(spec, MIX2);
            for (int nfe : new int[] {5, 9, 20, 21}) {
                Cell c = FAMILY.cell(s, FAMILY.grid("uniform", Map.of()), nfe);
                assertTrue(c.nfe() <= nfe, s.description());
                assertEquals(c.nfe(), c.sample(oracle, seeds(3)).calls(), s.description() + " at " + nfe);
            }
        }
        PsldProcess p = PsldProcessTest.CIFAR;
        assertEquals(2 * 10 + 1, new Splitting(p, "OBA", false, 1).nfe(10));
        assertEquals(10 + 1, new Splitting(p, "OBA", true, 1).nfe(10));
        assertEquals(4 * 10 + 1, new Splitting(p, "BAOAB", false, 1).nfe(10));
        assertEquals(10 + 2, new Splitting(p, "BAOAB", true, 1).nfe(10));
        assertEquals(10 + 1, new PsldEulerMaruyama(p).nfe(10));
        assertEquals(10 + 1, new Sscs(p).nfe(10));
    }

    @Test
    void everyStochasticSamplerConvergesToTheDataOnTwoAndOneDimensionalMixtures() {
        for (GaussianMixture mix : new GaussianMixture[] {MIX2, MIX1}) {
            int n = 8000;
            double floor = floor(mix, n);
            PsldOracle oracle = new PsldOracle(mix, PsldProcessTest.CIFAR);
            for (Map<String, Object> spec : SAMPLERS) {
                Family.Part s = sampler(spec, mix);
                double coarse = fid(FAMILY.cell(s, FAMILY.grid("uniform", Map.of()), 10).sample(oracle, seeds(n))
                        .samples(), mix);
                double fine = fid(FAMILY.cell(s, FAMILY.grid("quadratic", Map.of()), 300).sample(oracle, seeds(n))
                        .samples(), mix);
                assertTrue(fine < 4 * floor, s.description() + " on " + mix.dim() + "-d: FID " + fine + " at 300 NFE, "
                        + "floor " + floor);
                assertTrue(coarse > 3 * fine, s.description() + ": FID " + coarse + " at 10 NFE vs " + fine + " at 300");
            }
        }
    }

    @Test
    void reducedOneCallSplittingBeatsNaiveAtEqualNfe() {
        int n = 8000;
        PsldOracle oracle = new PsldOracle(MIX2, PsldProcessTest.CIFAR);
        for (int nfe : new int[] {20, 50}) {
            double naive = fid(FAMILY.cell(sampler(SAMPLERS.get(2), MIX2), FAMILY.grid("uniform", Map.of()), nfe)
                    .sample(oracle, seeds(n)).samples(), MIX2);
            double reduced = fid(FAMILY.cell(sampler(SAMPLERS.get(3), MIX2), FAMILY.grid("uniform", Map.of()), nfe)
                    .sample(oracle, seeds(n)).samples(), MIX2);
            assertTrue(reduced < naive / 3, "OBA at " + nfe + " NFE: reduced " + reduced + ", naive " + naive);
        }
    }

    @Test
    void lambdaBelowOneLeavesABiasThatMoreStepsDoNotRemove() {
        int n = 20_000;
        PsldOracle oracle = new PsldOracle(MIX2, PsldProcessTest.CIFAR);
        double floor = floor(MIX2, n);
        Family.Part exact = sampler(Map.of("name", "splitting", "scheme", "OBA", "variant", "reduced"), MIX2);
        Family.Part damped = sampler(Map.of("name", "splitting", "scheme", "OBA", "variant", "reduced",
                "lambda_s", 0.5), MIX2);
        double one = fid(FAMILY.cell(exact, FAMILY.grid("quadratic", Map.of()), 400).sample(oracle, seeds(n))
                .samples(), MIX2);
        double half200 = fid(FAMILY.cell(damped, FAMILY.grid("quadratic", Map.of()), 200).sample(oracle, seeds(n))
                .samples(), MIX2);
        double half400 = fid(FAMILY.cell(damped, FAMILY.grid("quadratic", Map.of()), 400).sample(oracle, seeds(n))
                .samples(), MIX2);
        assertTrue(half400 > 5 * floor && half400 > 3 * one, "lambda_s 0.5: " + half400 + ", lambda_s 1: " + one
                + ", floor " + floor);
        assertTrue(half400 > half200 / 2, "the bias stays: " + half200 + " at 200 NFE, " + half400 + " at 400");
    }

    /** The flow ODE's fixed-step Euler against RK4 with 16,000 steps from the same latents: first order (RMS error). */
    @Test
    void flowOdeConvergesAtFirstOrderToAHighAccuracySolution() {
        PsldProcess p = PsldProcessTest.CIFAR;
        PsldOracle oracle = new PsldOracle(MIX2, p);
        int n = 64;
        long[] seeds = seeds(n);
        PsldCell probe = (PsldCell) FAMILY.cell(sampler(Map.of("name", "pf-euler"), MIX2),
                FAMILY.grid("uniform", Map.of()), 11);
        double[] reference = rk4Flow(p, oracle, probe.prior(seeds, 2), n, 16000);
        double previous = Double.NaN;
        for (int steps : new int[] {200, 400, 800, 1600}) {
            Cell c = FAMILY.cell(sampler(Map.of("name", "pf-euler"), MIX2), FAMILY.grid("uniform", Map.of()), steps + 1);
            double[] x = c.sample(oracle, seeds).samples();
            double err = 0;
            for (int i = 0; i < x.length; i++) {
                err += (x[i] - reference[i]) * (x[i] - reference[i]);
            }
            err = Math.sqrt(err / x.length);
            if (!Double.isNaN(previous)) {
                double ratio = previous / err;
                assertTrue(ratio > 1.7 && ratio < 2.3, "error ratio " + ratio + " at " + steps + " steps");
            }
            previous = err;
        }
        assertTrue(previous < 0.05, "max error at 400 steps: " + previous);
    }

    private static double[] rk4Flow(PsldProcess p, PsldOracle oracle, double[] z, int n, int steps) {
        double span = PsldProcess.T - p.eps();
        double h = span / steps;
        java.util.function.BiFunction<double[], Double, double[]> f = (y, tau) -> p.reverseDrift(y,
                oracle.score(y, n, PsldProcess.T - tau), 2, PsldProcess.T - tau, 0.5);
        for (int k = 0; k < steps; k++) {
            double tau = k * h;
            double[] k1 = f.apply(z, tau);
            double[] k2 = f.apply(add(z, k1, h / 2), tau + h / 2);
            double[] k3 = f.apply(add(z, k2, h / 2), tau + h / 2);
            double[] k4 = f.apply(add(z, k3, h), tau + h);
            for (int i = 0; i < z.length; i++) {
                z[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
        }
        double[] last = p.reverseDrift(z, oracle.score(z, n, p.eps()), 2, p.eps(), 0.5);
        double[] x = new double[n * 2];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < 2; i++) {
                x[r * 2 + i] = z[r * 4 + i] + p.eps() * last[r * 4 + i];
            }
        }
        return x;
    }

    private static double[] add(double[] y, double[] k, double h) {
        double[] out = y.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += h * k[i];
        }
        return out;
    }

    @Test
    void aSeedsSampleDoesNotDependOnItsBatch() {
        PsldOracle oracle = new PsldOracle(MIX2, PsldProcessTest.CIFAR);
        List<Map<String, Object>> all = new ArrayList<>(SAMPLERS);
        all.add(Map.of("name", "pf-euler"));
        for (Map<String, Object> spec : all) {
            Cell c = FAMILY.cell(sampler(spec, MIX2), FAMILY.grid("quadratic", Map.of()), 12);
            double[] whole = c.sample(oracle, new long[] {5, 6, 7, 8, 9}).samples();
            double[] parts = new double[whole.length];
            System.arraycopy(c.sample(oracle, new long[] {5, 6}).samples(), 0, parts, 0, 4);
            System.arraycopy(c.sample(oracle, new long[] {7}).samples(), 0, parts, 4, 2);
            System.arraycopy(c.sample(oracle, new long[] {8, 9}).samples(), 0, parts, 6, 4);
            assertArrayEquals(whole, parts, c.sampler());
        }
    }

    @Test
    void thePriorsPositionIsTheEdmFamilysLatentOfTheSameSeed() {
        PsldCell c = (PsldCell) FAMILY.cell(sampler(Map.of("name", "sscs"), MIX2), FAMILY.grid("uniform", Map.of()), 5);
        long[] seeds = {3, 4};
        double[] z = c.prior(seeds, 2);
        double[] edm = BatchNoise.latents(seeds, 2, 1.0);
        assertEquals(edm[0], z[0], 0);
        assertEquals(edm[1], z[1], 0);
        assertEquals(edm[2], z[4], 0);
    }

    /**
     * The driver's probe refuses a PSLD network whose rows depend on the batch they are computed in (as a wrong
     * batched kernel of the engine makes them, docs/checkpoints.md), naming the model and the row; a network whose
     * rows are the same alone passes.
     */
    @Test
    void theProbeRefusesANetworkWhoseRowsDependOnTheirBatch() {
        FAMILY.probe(new PsldModel() {
            @Override
            public int dim() {
                return 2;
            }

            @Override
            public double[] epsilon(double[] z, int batch, double t) {
                return z.clone();
            }
        });
        PsldModel mixing = new PsldModel() {
            @Override
            public int dim() {
                return 2;
            }

            @Override
            public String id() {
                return "mixing.pt";
            }

            @Override
            public double[] epsilon(double[] z, int batch, double t) {
                double[] out = z.clone();
                for (int i = 0; i < out.length; i++) {
                    out[i] *= batch;
                }
                return out;
            }
        };
        Family.BatchDependentOutput e = assertThrows(Family.BatchDependentOutput.class, () -> FAMILY.probe(mixing));
        assertTrue(e.getMessage().startsWith("model mixing.pt: row 0 of a probe batch of 2 at t = 0.5 differs"),
                e.getMessage());
    }
}
