package org.diffsweep.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GaussianMixtureTest {

    // The 2-D mixture most tests use, written out so the tests can compute with it independently.
    private static final double[] W = {0.5, 0.3, 0.2};
    private static final double[][] MU = {{-2, 0}, {2, 1}, {0, -2.5}};
    private static final double[][] V = {{1, 0.5}, {0.3, 1.5}, {0.8, 0.2}};
    /** Σ_k w_k μ_k, by hand. */
    private static final double[] MIXTURE_MEAN = {-0.4, -0.2};
    private static final GaussianMixture GMM = new GaussianMixture(W, MU, V);

    private static final int PRIOR_DRAWS = 200_000;
    private static double[][] prior;
    private static int[] priorComponent;

    /** Prior draws for the Monte-Carlo test, from W, MU, V directly rather than from GMM.sample. */
    @BeforeAll
    static void drawPrior() {
        SplittableRandom rng = new SplittableRandom(20240611L);
        prior = new double[PRIOR_DRAWS][2];
        priorComponent = new int[PRIOR_DRAWS];
        for (int i = 0; i < PRIOR_DRAWS; i++) {
            double u = rng.nextDouble();
            int k = u < W[0] ? 0 : u < W[0] + W[1] ? 1 : 2;
            priorComponent[i] = k;
            for (int d = 0; d < 2; d++) {
                prior[i][d] = MU[k][d] + Math.sqrt(V[k][d]) * rng.nextGaussian();
            }
        }
    }

    /**
     * Self-normalised importance sampling of E[x₀ | x̂] with the prior as proposal and weights
     * N(x̂; x₀, σ²I); the delta-method standard error is √(Σ w_i² (x₀ᵢ − est)²) / Σ w_i.
     */
    @ParameterizedTest(name = "sigma={0} x=({1},{2}) mixed={3}")
    @CsvSource({
        "0.3, -2.0,  0.3, false",
        "1.0, -2.0,  0.3, false",
        "3.0, -2.0,  0.3, true",
        "0.3,  0.5,  0.6, true",
        "1.0,  0.5,  0.6, true",
        "3.0,  0.5,  0.6, true",
        "0.3, -0.8, -1.5, true",
        "1.0, -0.8, -1.5, true",
        "3.0, -0.8, -1.5, true",
    })
    void denoiserMatchesMonteCarloPosteriorMean(double sigma, double x, double y, boolean mixed) {
        double[] xHat = {x, y};
        double[] weight = new double[PRIOR_DRAWS]; // first log N(x̂; x₀ᵢ, σ²I) + const, then exp of that
        double maxLogWeight = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < PRIOR_DRAWS; i++) {
            double dx = xHat[0] - prior[i][0];
            double dy = xHat[1] - prior[i][1];
            weight[i] = -(dx * dx + dy * dy) / (2 * sigma * sigma);
            maxLogWeight = Math.max(maxLogWeight, weight[i]);
        }
        double sumW = 0;
        double[] weightedSum = new double[2];
        double[] componentShare = new double[3];
        for (int i = 0; i < PRIOR_DRAWS; i++) {
            double w = Math.exp(weight[i] - maxLogWeight);
            weight[i] = w;
            sumW += w;
            weightedSum[0] += w * prior[i][0];
            weightedSum[1] += w * prior[i][1];
            componentShare[priorComponent[i]] += w;
        }
        double[] denoised = GMM.denoise(xHat, 1, sigma);
        for (int d = 0; d < 2; d++) {
            double est = weightedSum[d] / sumW;
            double se2 = 0;
            for (int i = 0; i < PRIOR_DRAWS; i++) {
                double r = weight[i] * (prior[i][d] - est);
                se2 += r * r;
            }
            double se = Math.sqrt(se2) / sumW;
            assertTrue(se < 0.02, "standard error " + se + " too large for a meaningful test");
            assertTrue(Math.abs(denoised[d] - est) < 4 * se,
                    "dim " + d + ": D = " + denoised[d] + ", Monte-Carlo " + est + " ± " + se);
        }
        double topShare = Arrays.stream(componentShare).max().orElseThrow() / sumW;
        if (mixed) {
            assertTrue(topShare < 0.8, "posterior not mixed: top component carries " + topShare);
        } else {
            assertTrue(topShare > 0.95, "posterior not dominated by one component: " + topShare);
        }
    }

    /** Tweedie: D(x̂; σ) = x̂ + σ² ∇ log p_σ(x̂), with ∇ by central differences of the density summed naively. */
    @ParameterizedTest(name = "sigma={0} x=({1},{2})")
    @CsvSource({
        "0.1, -2.0,  0.3", "0.1, 0.5, 0.6", "0.1, -0.8, -1.5",
        "1.0, -2.0,  0.3", "1.0, 0.5, 0.6", "1.0, -0.8, -1.5",
        "3.0, -2.0,  0.3", "3.0, 0.5, 0.6", "3.0, -0.8, -1.5",
    })
    void denoiserSatisfiesTweedieFormula(double sigma, double x, double y) {
        double[] xHat = {x, y};
        double[] score = scoreByFiniteDifferences(xHat, sigma);
        double[] denoised = GMM.denoise(xHat, 1, sigma);
        for (int d = 0; d < 2; d++) {
            assertEquals(xHat[d] + sigma * sigma * score[d], denoised[d], 1e-8, "dim " + d);
        }
    }

    @Test
    void largeSigmaGivesMixtureMeanAtRateOneOverSigmaSquared() {
        for (double[] xHat : new double[][] {{-2, 0.3}, {0.5, 0.6}, {4, -3}}) {
            double far = distance(GMM.denoise(xHat, 1, 1e3), MIXTURE_MEAN);
            double nearer = distance(GMM.denoise(xHat, 1, 1e2), MIXTURE_MEAN);
            assertTrue(far < 1e-4, "|D − mean| = " + far + " at sigma = 1e3, expected < 1e-4");
            assertEquals(100, nearer / far, 1, "error ratio between sigma = 1e2 and 1e3, expected ≈ 100");
        }
    }

    /** D(x̂) − x̂ = σ² ∇ log p_σ(x̂) → σ² ∇ log p₀(x̂): the gap shrinks 100× per 10× smaller σ. */
    @Test
    void smallSigmaGivesIdentityWithSigmaSquaredGap() {
        for (double[] xHat : new double[][] {{-1.7, 0.3}, {2.3, 0.5}, {0.1, -2.4}}) {
            double[] gapLarger = minus(GMM.denoise(xHat, 1, 1e-2), xHat);
            double[] gapSmaller = minus(GMM.denoise(xHat, 1, 1e-3), xHat);
            double norm = Math.hypot(gapSmaller[0], gapSmaller[1]);
            assertTrue(norm < 1e-5, "|D(x̂) − x̂| = " + norm + " at sigma = 1e-3");
            assertEquals(100, Math.hypot(gapLarger[0], gapLarger[1]) / norm, 1,
                    "gap ratio between sigma = 1e-2 and 1e-3, expected ≈ 100");
            double[] cleanScore = scoreByFiniteDifferences(xHat, 0);
            for (int d = 0; d < 2; d++) {
                assertEquals(cleanScore[d], gapSmaller[d] / 1e-6, 1e-4 * Math.abs(cleanScore[d]) + 1e-8, "dim " + d);
            }
        }
    }

    @Test
    void oneComponentIsTheGaussianClosedForm() {
        double[] mu = {1, -2, 0.5, 3};
        double[] v = {0.5, 2, 1e-3, 10};
        GaussianMixture single = new GaussianMixture(new double[] {7}, new double[][] {mu}, new double[][] {v});
        double[] rows = {0, 0, 0, 0, 1.5, -1, 0.4, -3, 1e3, -1e3, 1e3, 7, 1, -2, 0.5, 3};
        for (double sigma : new double[] {1e-4, 0.1, 1, 10, 1e3}) {
            double[] denoised = single.denoise(rows, 4, sigma);
            for (int i = 0; i < rows.length; i++) {
                int d = i % 4;
                double expected = mu[d] + v[d] / (v[d] + sigma * sigma) * (rows[i] - mu[d]);
                assertEquals(expected, denoised[i], 1e-14 * Math.max(1, Math.abs(expected)),
                        "sigma " + sigma + ", value " + i);
            }
        }
    }

    @Test
    void meanAndCovarianceMatchSamples() {
        GaussianMixture gmm = new GaussianMixture(new double[] {0.2, 0.5, 0.3},
                new double[][] {{1, 2, -1}, {-1, 0, 0.5}, {2, -1, 1}},
                new double[][] {{0.5, 1, 2}, {1, 0.3, 0.7}, {2, 1.5, 0.4}});
        assertArrayEquals(new double[] {0.3, 0.1, 0.35}, gmm.mean(), 1e-15);
        int n = 400_000;
        double[][] x = new double[n][];
        SplittableRandom rng = new SplittableRandom(7);
        double[] sampleMean = new double[3];
        for (int i = 0; i < n; i++) {
            x[i] = gmm.sample(rng);
            for (int d = 0; d < 3; d++) {
                sampleMean[d] += x[i][d] / n;
            }
        }
        double[] cov = gmm.covariance();
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                assertEquals(cov[a * 3 + b], cov[b * 3 + a], 0, "covariance not symmetric");
                double sum = 0;
                double sumSquares = 0;
                for (double[] s : x) {
                    double p = (s[a] - sampleMean[a]) * (s[b] - sampleMean[b]);
                    sum += p;
                    sumSquares += p * p;
                }
                double entry = sum / n;
                double se = Math.sqrt((sumSquares / n - entry * entry) / n);
                assertEquals(cov[a * 3 + b], entry, 5 * se, "covariance[" + a + "][" + b + "]");
                if (a == b) {
                    assertEquals(gmm.mean()[a], sampleMean[a], 5 * Math.sqrt(entry / n), "mean[" + a + "]");
                }
            }
        }
    }

    /** Far from every mean, every N(x̂; μ_k, ·) underflows; log-sum-exp must still pick the right component. */
    @Test
    void finiteAndCorrectFarFromAllComponents() {
        for (double[] xHat : new double[][] {{1e3, 1e3}, {-1e3, 0}, {0, -1e3}}) {
            for (double sigma : new double[] {1e-4, 1e-3, 1, 1e3}) {
                double[] denoised = GMM.denoise(xHat, 1, sigma);
                assertTrue(Double.isFinite(denoised[0]) && Double.isFinite(denoised[1]),
                        Arrays.toString(denoised) + " at sigma " + sigma);
            }
            double sigma = 1e-3;
            double[] logDensity = new double[3];
            for (int k = 0; k < 3; k++) {
                logDensity[k] = Math.log(W[k]);
                for (int d = 0; d < 2; d++) {
                    double t = V[k][d] + sigma * sigma;
                    double r = xHat[d] - MU[k][d];
                    logDensity[k] -= 0.5 * (Math.log(2 * Math.PI * t) + r * r / t);
                }
            }
            int k = 0;
            for (int c = 1; c < 3; c++) {
                k = logDensity[c] > logDensity[k] ? c : k;
            }
            double[] sorted = logDensity.clone();
            Arrays.sort(sorted);
            assertTrue(sorted[2] < -745, "test point not far enough for exp to underflow");
            assertTrue(sorted[2] - sorted[1] > 50, "test point has no clearly nearest component");
            double[] denoised = GMM.denoise(xHat, 1, sigma);
            for (int d = 0; d < 2; d++) {
                double expected = MU[k][d] + V[k][d] / (V[k][d] + sigma * sigma) * (xHat[d] - MU[k][d]);
                assertEquals(expected, denoised[d], 1e-12 * Math.abs(expected), "dim " + d);
            }
        }
    }

    @Test
    void rowsAreDenoisedIndependently() {
        double[] batch = {-2, 0.3, 0.5, 0.6, 1e3, 1e3, -0.8, -1.5, 0, 0};
        double[] untouched = batch.clone();
        for (double sigma : new double[] {1e-2, 1, 1e2}) {
            double[] all = GMM.denoise(batch, 5, sigma);
            for (int row = 0; row < 5; row++) {
                double[] alone = GMM.denoise(Arrays.copyOfRange(batch, 2 * row, 2 * row + 2), 1, sigma);
                assertArrayEquals(alone, Arrays.copyOfRange(all, 2 * row, 2 * row + 2), "row " + row);
            }
        }
        assertArrayEquals(untouched, batch, "input modified");
        assertEquals(0, GMM.denoise(new double[0], 0, 1).length);
    }

    @Test
    void randomIsDeterministicPerSeed() {
        GaussianMixture a = GaussianMixture.random(4, 3, 0.5, 42);
        GaussianMixture b = GaussianMixture.random(4, 3, 0.5, 42);
        assertEquals(a.id(), b.id());
        assertArrayEquals(a.weights(), b.weights());
        assertArrayEquals(a.means(), b.means());
        assertArrayEquals(a.variances(), b.variances());
        assertNotEquals(a.id(), GaussianMixture.random(4, 3, 0.5, 43).id());
        assertNotEquals(a.id(), GaussianMixture.random(4, 3, 0.6, 42).id());
        assertTrue(a.id().matches("gmm-4x3-[0-9a-f]{12}"), a.id());
    }

    /** As documented: mean 0 and (1/D) trace(covariance) = sigmaData², checked exactly and by sampling. */
    @ParameterizedTest(name = "K={0} D={1} sigmaData={2}")
    @CsvSource({"1, 1, 1.0", "3, 2, 0.5", "8, 1, 2.0", "5, 16, 1.0", "10, 64, 0.5"})
    void randomHasTheDocumentedScale(int components, int dim, double sigmaData) {
        GaussianMixture gmm = GaussianMixture.random(components, dim, sigmaData, 1000L + components + dim);
        double[] cov = gmm.covariance();
        double trace = 0;
        for (int d = 0; d < dim; d++) {
            trace += cov[d * dim + d];
            assertEquals(0, gmm.mean()[d], 1e-12 * sigmaData, "mean[" + d + "]");
        }
        assertEquals(sigmaData * sigmaData, trace / dim, 1e-12 * sigmaData * sigmaData);
        // Pooled E[x²] over all coordinates of independent samples, with its standard error.
        int n = 20_000;
        SplittableRandom rng = new SplittableRandom(3);
        double sum = 0;
        double sumSquares = 0;
        for (int i = 0; i < n; i++) {
            double squaredNorm = 0;
            for (double value : gmm.sample(rng)) {
                squaredNorm += value * value;
            }
            sum += squaredNorm / dim;
            sumSquares += (squaredNorm / dim) * (squaredNorm / dim);
        }
        double meanSquare = sum / n;
        double se = Math.sqrt((sumSquares / n - meanSquare * meanSquare) / n);
        assertEquals(sigmaData * sigmaData, meanSquare, 5 * se, "pooled second moment");
    }

    @ParameterizedTest(name = "K={0} D={1}")
    @CsvSource({"3, 2", "8, 1", "5, 16", "10, 64"})
    void randomComponentsAreSeparatedAndVaried(int components, int dim) {
        GaussianMixture gmm = GaussianMixture.random(components, dim, 1.0, 99);
        double[][] mu = gmm.means();
        double[] flatVariances = Arrays.stream(gmm.variances()).flatMapToDouble(Arrays::stream).toArray();
        double maxVariance = Arrays.stream(flatVariances).max().orElseThrow();
        double minVariance = Arrays.stream(flatVariances).min().orElseThrow();
        for (int j = 0; j < components; j++) {
            for (int k = 0; k < j; k++) {
                assertTrue(distance(mu[j], mu[k]) >= 6 * Math.sqrt(maxVariance),
                        "components " + j + " and " + k + " closer than 6 stds");
            }
        }
        assertTrue(maxVariance / minVariance <= 10 && maxVariance / minVariance > 3,
                "variance ratio " + maxVariance / minVariance + ", expected in (3, 10]");
        double[] w = gmm.weights();
        assertEquals(components, Arrays.stream(w).distinct().count(), "weights not all different");
        assertEquals(1, Arrays.stream(w).sum(), 1e-15);
    }

    @Test
    void idIdentifiesTheMixture() {
        assertTrue(GMM.id().matches("gmm-3x2-[0-9a-f]{12}"), GMM.id());
        assertEquals(GMM.id(), new GaussianMixture(new double[] {5, 3, 2}, MU, V).id(), "same mixture");
        double[][] nudged = {V[0].clone(), V[1].clone(), V[2].clone()};
        nudged[2][1] = Math.nextUp(nudged[2][1]);
        assertNotEquals(GMM.id(), new GaussianMixture(W, MU, nudged).id());
    }

    @Test
    void survivesSerialization() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(GMM);
        }
        GaussianMixture copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (GaussianMixture) in.readObject();
        }
        assertEquals(GMM.id(), copy.id());
        double[] x = {0.5, 0.6, -2, 0.3};
        assertArrayEquals(GMM.denoise(x, 2, 0.7), copy.denoise(x, 2, 0.7));
    }

    @Test
    void badParametersAreRefusedWithTheirValue() {
        double[][] twoMeans = {{0, 0}, {1, 1}};
        double[][] twoVariances = {{1, 1}, {1, 1}};
        assertRefused("gmm component 1: weight = -0.5, expected finite and > 0",
                () -> new GaussianMixture(new double[] {1, -0.5}, twoMeans, twoVariances));
        assertRefused("gmm component 0: weight = Infinity, expected finite and > 0",
                () -> new GaussianMixture(new double[] {Double.POSITIVE_INFINITY, 1}, twoMeans, twoVariances));
        assertRefused("gmm component 1: variance[1] = -0.1, expected finite and > 0",
                () -> new GaussianMixture(new double[] {1, 1}, twoMeans, new double[][] {{1, 1}, {1, -0.1}}));
        assertRefused("gmm component 0: variance[0] = 0.0, expected finite and > 0",
                () -> new GaussianMixture(new double[] {1, 1}, twoMeans, new double[][] {{0, 1}, {1, 1}}));
        assertRefused("gmm component 0: mean[1] = NaN, expected finite",
                () -> new GaussianMixture(new double[] {1, 1}, new double[][] {{0, Double.NaN}, {1, 1}},
                        twoVariances));
        assertRefused("gmm component 1: mean has 3 values, expected 2 (the dim of component 0's mean)",
                () -> new GaussianMixture(new double[] {1, 1}, new double[][] {{0, 0}, {1, 1, 1}}, twoVariances));
        assertRefused("gmm component 1: variance has 1 values, expected 2 (the dim of component 0's mean)",
                () -> new GaussianMixture(new double[] {1, 1}, twoMeans, new double[][] {{1, 1}, {1}}));
        assertRefused("gmm: 3 weights, 2 means and 2 variances, expected one mean and one variance per weight",
                () -> new GaussianMixture(new double[] {1, 1, 1}, twoMeans, twoVariances));
        assertRefused("gmm: 0 weights, expected at least one component",
                () -> new GaussianMixture(new double[0], new double[0][], new double[0][]));
        assertRefused("gmm: weights sum to Infinity, expected a finite sum",
                () -> new GaussianMixture(new double[] {Double.MAX_VALUE, Double.MAX_VALUE}, twoMeans, twoVariances));
        assertRefused("gmm denoise: sigma = 0.0, expected finite and > 0", () -> GMM.denoise(new double[2], 1, 0));
        assertRefused("gmm denoise: sigma = NaN, expected finite and > 0",
                () -> GMM.denoise(new double[2], 1, Double.NaN));
        assertRefused("gmm denoise: x has 3 values, expected batch * dim = 2 * 2",
                () -> GMM.denoise(new double[3], 2, 1));
        assertRefused("gmm random: components = 0, dim = 2, expected both >= 1",
                () -> GaussianMixture.random(0, 2, 1, 1));
        assertRefused("gmm random: sigmaData = -1.0, expected finite and > 0",
                () -> GaussianMixture.random(2, 2, -1, 1));
    }

    @Test
    void accessorsReturnCopies() {
        GMM.weights()[0] = 99;
        GMM.means()[0][0] = 99;
        GMM.variances()[0][0] = 99;
        assertArrayEquals(W, GMM.weights(), 1e-15);
        assertArrayEquals(MU, GMM.means());
        assertArrayEquals(V, GMM.variances());
        assertEquals(3, GMM.components());
        assertEquals(2, GMM.dim());
    }

    private static void assertRefused(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    /** ∇ log p_σ at x̂ by central differences, p_σ = Σ_k w_k Π_d N(x̂_d; μ_kd, v_kd + σ²) summed directly. */
    private static double[] scoreByFiniteDifferences(double[] xHat, double sigma) {
        double h = 1e-5;
        double[] score = new double[2];
        for (int d = 0; d < 2; d++) {
            double[] up = xHat.clone();
            double[] down = xHat.clone();
            up[d] += h;
            down[d] -= h;
            score[d] = (Math.log(density(up, sigma)) - Math.log(density(down, sigma))) / (2 * h);
        }
        return score;
    }

    private static double density(double[] x, double sigma) {
        double p = 0;
        for (int k = 0; k < 3; k++) {
            double term = W[k];
            for (int d = 0; d < 2; d++) {
                double t = V[k][d] + sigma * sigma;
                term *= Math.exp(-0.5 * (x[d] - MU[k][d]) * (x[d] - MU[k][d]) / t) / Math.sqrt(2 * Math.PI * t);
            }
            p += term;
        }
        return p;
    }

    private static double[] minus(double[] a, double[] b) {
        return new double[] {a[0] - b[0], a[1] - b[1]};
    }

    private static double distance(double[] a, double[] b) {
        double squared = 0;
        for (int d = 0; d < a.length; d++) {
            squared += (a[d] - b[d]) * (a[d] - b[d]);
        }
        return Math.sqrt(squared);
    }
}
