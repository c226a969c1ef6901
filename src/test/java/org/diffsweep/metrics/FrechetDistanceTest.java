package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {

    // ---- helpers -------------------------------------------------------------------------------------

    private static double[] gaussianVector(Random rng, int d, double scale) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = scale * rng.nextGaussian();
        }
        return v;
    }

    /** A A ᵀ / d + ridge·I for a random d×d A: symmetric positive definite, well conditioned. */
    private static double[] randomSpd(Random rng, int d, double ridge) {
        DMatrixRMaj a = DMatrixRMaj.wrap(d, d, gaussianVector(rng, d * d, 1));
        DMatrixRMaj c = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(a, a, c);
        CommonOps_DDRM.scale(1.0 / d, c);
        for (int i = 0; i < d; i++) {
            c.add(i, i, ridge);
        }
        return c.data;
    }

    /** Q diag(eigs) Qᵀ. */
    private static double[] conjugate(DMatrixRMaj q, double[] eigs) {
        int d = eigs.length;
        DMatrixRMaj qd = q.copy();
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                qd.unsafe_set(i, k, q.unsafe_get(i, k) * eigs[k]);
            }
        }
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(qd, q, out);
        return out.data;
    }

    private static DMatrixRMaj randomOrthogonal(Random rng, int d) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(d, d);
        assertTrue(qr.decompose(DMatrixRMaj.wrap(d, d, gaussianVector(rng, d * d, 1))));
        return qr.getQ(null, false);
    }

    private static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }

    private static double trace(double[] m, int d) {
        double t = 0;
        for (int i = 0; i < d; i++) {
            t += m[i * d + i];
        }
        return t;
    }

    private static double[] diagonal(double[] values) {
        int d = values.length;
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            m[i * d + i] = values[i];
        }
        return m;
    }

    private static double[] positive(Random rng, int d) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = 0.05 + 3 * rng.nextDouble();
        }
        return v;
    }

    /** ‖Δμ‖² + Σ (√a_i − √b_i)², FID of Gaussians whose covariances share eigenvectors. */
    private static double commutingClosedForm(double[] muA, double[] muB, double[] eigA, double[] eigB) {
        double fid = squaredDistance(muA, muB);
        for (int i = 0; i < eigA.length; i++) {
            double diff = Math.sqrt(eigA[i]) - Math.sqrt(eigB[i]);
            fid += diff * diff;
        }
        return fid;
    }

    private static void assertRelClose(double expected, double actual, double rel) {
        assertEquals(expected, actual, rel * Math.abs(expected), () -> "relative error "
                + Math.abs(actual - expected) / Math.abs(expected));
    }

    // ---- closed forms --------------------------------------------------------------------------------

    @Test
    void diagonalCovariancesMatchClosedForm() {
        Random rng = new Random(21);
        int d = 10;
        double[] muA = gaussianVector(rng, d, 1);
        double[] muB = gaussianVector(rng, d, 1);
        double[] a = positive(rng, d);
        double[] b = positive(rng, d);
        double fid = FrechetDistance.between(new Gaussian(muA, diagonal(a), 0), new Gaussian(muB, diagonal(b), 0));
        assertRelClose(commutingClosedForm(muA, muB, a, b), fid, 1e-12);
    }

    @Test
    void commutingCovariancesMatchClosedForm() {
        Random rng = new Random(22);
        int d = 12;
        DMatrixRMaj q = randomOrthogonal(rng, d);
        double[] muA = gaussianVector(rng, d, 1);
        double[] muB = gaussianVector(rng, d, 1);
        double[] a = positive(rng, d);
        double[] b = positive(rng, d);
        double fid = FrechetDistance.between(new Gaussian(muA, conjugate(q, a), 100),
                new Gaussian(muB, conjugate(q, b), 100));
        assertRelClose(commutingClosedForm(muA, muB, a, b), fid, 1e-10);
    }

    @Test
    void nonCommuting2x2MatchesClosedForm() {
        Random rng = new Random(23);
        for (int trial = 0; trial < 20; trial++) {
            double[] muA = gaussianVector(rng, 2, 1);
            double[] muB = gaussianVector(rng, 2, 1);
            double[] s1 = randomSpd(rng, 2, 0.05);
            double[] s2 = randomSpd(rng, 2, 0.05);
            double det1 = s1[0] * s1[3] - s1[1] * s1[2];
            double det2 = s2[0] * s2[3] - s2[1] * s2[2];
            double trProduct = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
            double expected = squaredDistance(muA, muB) + trace(s1, 2) + trace(s2, 2)
                    - 2 * Math.sqrt(trProduct + 2 * Math.sqrt(det1 * det2));
            double fid = FrechetDistance.between(new Gaussian(muA, s1, 0), new Gaussian(muB, s2, 0));
            assertRelClose(expected, fid, 1e-10);
        }
    }

    @Test
    void rankOneCovariancesMatchClosedForm() {
        Random rng = new Random(24);
        int d = 16;
        double[] u = gaussianVector(rng, d, 1);
        double[] v = gaussianVector(rng, d, 1);
        double[] muA = gaussianVector(rng, d, 1);
        double[] muB = gaussianVector(rng, d, 1);
        double[] uu = new double[d * d];
        double[] vv = new double[d * d];
        double uv = 0;
        double uNorm2 = 0;
        double vNorm2 = 0;
        for (int i = 0; i < d; i++) {
            uv += u[i] * v[i];
            uNorm2 += u[i] * u[i];
            vNorm2 += v[i] * v[i];
            for (int j = 0; j < d; j++) {
                uu[i * d + j] = u[i] * u[j];
                vv[i * d + j] = v[i] * v[j];
            }
        }
        // tr sqrt((uuᵀ)^½ vvᵀ (uuᵀ)^½) = |uᵀv|.
        double expected = squaredDistance(muA, muB) + uNorm2 + vNorm2 - 2 * Math.abs(uv);
        double fid = FrechetDistance.between(new Gaussian(muA, uu, 0), new Gaussian(muB, vv, 0));
        assertTrue(Double.isFinite(fid));
        assertRelClose(Math.abs(uv), FrechetDistance.traceSqrtProduct(uu, vv, d), 1e-6);
        assertRelClose(expected, fid, 1e-6);
        // the same closed form with either side fixed (decomposed once)
        assertRelClose(expected, new FrechetDistance.To(new Gaussian(muB, vv, 0)).from(new Gaussian(muA, uu, 0)), 1e-6);
        assertRelClose(expected, new FrechetDistance.To(new Gaussian(muA, uu, 0)).from(new Gaussian(muB, vv, 0)), 1e-6);
    }

    /** A fixed reference, decomposed once, gives what {@code between} gives, for several inputs in a row. */
    @Test
    void fixedReferenceMatchesBetween() {
        Random rng = new Random(27);
        int d = 24;
        Gaussian ref = new Gaussian(gaussianVector(rng, d, 1), randomSpd(rng, d, 0.1), 0);
        FrechetDistance.To to = new FrechetDistance.To(ref);
        for (int trial = 0; trial < 5; trial++) {
            Gaussian x = new Gaussian(gaussianVector(rng, d, 1), randomSpd(rng, d, 0.01), 0);
            assertRelClose(FrechetDistance.between(x, ref), to.from(x), 1e-9);
        }
        assertThrows(IllegalArgumentException.class,
                () -> to.from(new Gaussian(new double[3], new double[9], 0)));
    }

    // ---- structural properties -----------------------------------------------------------------------

    @Test
    void symmetricInItsArguments() {
        Random rng = new Random(25);
        int d = 20;
        Gaussian a = new Gaussian(gaussianVector(rng, d, 1), randomSpd(rng, d, 0.1), 0);
        Gaussian b = new Gaussian(gaussianVector(rng, d, 1), randomSpd(rng, d, 0.1), 0);
        assertRelClose(FrechetDistance.between(a, b), FrechetDistance.between(b, a), 1e-9);
    }

    @Test
    void zeroForIdenticalStatistics() {
        Random rng = new Random(26);
        int d = 20;
        Gaussian a = new Gaussian(gaussianVector(rng, d, 1), randomSpd(rng, d, 0.1), 0);
        double fid = FrechetDistance.between(a, a);
        assertTrue(Math.abs(fid) < 1e-9, "FID of identical Gaussians: " + fid);
    }

    @Test
    void rankDeficientCovarianceIsFiniteSymmetricAndMatchesSingularValues() {
        Random rng = new Random(27);
        int d = 16;
        int n = 5;
        double[] rows = gaussianVector(rng, n * d, 1);
        FeatureStats stats = new FeatureStats(d);
        stats.addBatch(rows, n);
        Gaussian sample = Gaussian.of(stats);
        double[] ones = new double[d];
        Arrays.fill(ones, 1);
        Gaussian reference = new Gaussian(new double[d], diagonal(ones), 0);

        double fid = FrechetDistance.between(sample, reference);
        double swapped = FrechetDistance.between(reference, sample);
        assertTrue(Double.isFinite(fid) && fid >= -1e-9, "FID " + fid);
        assertRelClose(fid, swapped, 1e-6);

        // Independent route: against I, tr sqrt(Σ) = Σ s_i / √(n−1), s_i the singular values of the centred data.
        double[] mu = stats.mean();
        DMatrixRMaj centred = new DMatrixRMaj(n, d);
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                centred.unsafe_set(r, i, rows[r * d + i] - mu[i]);
            }
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, d, false, false, true);
        assertTrue(svd.decompose(centred));
        double traceSqrt = 0;
        for (double s : svd.getSingularValues()) {
            traceSqrt += s / Math.sqrt(n - 1);
        }
        double expected = squaredDistance(mu, new double[d]) + trace(sample.cov(), d) + d - 2 * traceSqrt;
        assertRelClose(expected, fid, 1e-6);
    }

    @Test
    void negativeEigenvaluesAreClampedToZero() {
        // A slightly indefinite input (e.g. float32 round-off in imported statistics): diag(4, −1e-3) has
        // tr sqrt = 2 against I, whichever side it is on; taking |λ| instead would add √1e-3.
        double[] indefinite = {4, 0, 0, -1e-3};
        double[] identity = {1, 0, 0, 1};
        assertEquals(2.0, FrechetDistance.traceSqrtProduct(indefinite, identity, 2), 1e-14);
        assertEquals(2.0, FrechetDistance.traceSqrtProduct(identity, indefinite, 2), 1e-14);
    }

    @Test
    void matchesNonSymmetricProductRouteIn64Dimensions() {
        Random rng = new Random(28);
        int d = 64;
        double[] s1 = randomSpd(rng, d, 0.01);
        double[] s2 = randomSpd(rng, d, 0.01);
        Gaussian a = new Gaussian(gaussianVector(rng, d, 1), s1, 0);
        Gaussian b = new Gaussian(gaussianVector(rng, d, 1), s2, 0);

        // tr sqrt(Σ₁Σ₂) from the eigenvalues of the non-symmetric product (real and positive, being similar
        // to Σ₁^½ Σ₂ Σ₁^½), by EJML's general eigen solver.
        DMatrixRMaj product = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(DMatrixRMaj.wrap(d, d, s1), DMatrixRMaj.wrap(d, d, s2), product);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, false);
        assertTrue(eig.decompose(product));
        double traceSqrt = 0;
        for (int k = 0; k < d; k++) {
            Complex_F64 lambda = eig.getEigenvalue(k);
            assertTrue(lambda.real > 0 && Math.abs(lambda.imaginary) < 1e-9 * lambda.real, "eigenvalue " + lambda);
            traceSqrt += Math.sqrt(lambda.real);
        }
        double expected = squaredDistance(a.mean(), b.mean()) + trace(s1, d) + trace(s2, d) - 2 * traceSqrt;

        assertRelClose(traceSqrt, FrechetDistance.traceSqrtProduct(s1, s2, d), 1e-8);
        assertRelClose(expected, FrechetDistance.between(a, b), 1e-8);
    }

    @Test
    void linearisedGradientMatchesCentralDifferences() {
        Random rng = new Random(41);
        int d = 12;
        double[] mean = new double[d];
        Gaussian x = new Gaussian(mean, randomSpd(rng, d, 0.5), 100);
        // a positive definite fixed side (Cholesky) and a rank-5 one (eigendecomposition)
        double[] lowRank = new double[d * d];
        for (int k = 0; k < 5; k++) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) {
                v[i] = rng.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    lowRank[i * d + j] += v[i] * v[j];
                }
            }
        }
        for (double[] fixedCov : new double[][] {randomSpd(rng, d, 0.3), lowRank}) {
            FrechetDistance.To to = new FrechetDistance.To(new Gaussian(new double[d], fixedCov, 0));
            FrechetDistance.Linearised lin = to.linearised(x);
            // The same FID by two eigensolvers (values only, and values with vectors) of the same M = Bᵀ Σ B:
            // each is backward stable, within p(d)·u·‖M‖ of M's eigenvalues, taken here as γ_{10d²}·‖M‖, with
            // ‖M‖ ≤ tr M = tr(Σ_fixed Σ) ≤ tr Σ_fixed · tr Σ. The square root is ½-Hölder, |√a₊ − √b₊| ≤ √|a − b|,
            // so near-zero eigenvalues (the rank-5 side has seven) can differ by √(2γ‖M‖) each in their square
            // roots, whichever kernel reduced M: |Δ FID| ≤ 2·d·√(2·γ_{10d²}·tr Σ_fixed·tr Σ). A wrong term in
            // the linearised FID costs O(1).
            double bound = 2 * d * Math.sqrt(2 * RoundOff.gamma(10L * d * d) * FrechetDistance.trace(fixedCov, d)
                    * FrechetDistance.trace(x.cov(), d));
            assertEquals(to.from(x), lin.fid(), bound);
            double[] delta = randomSpd(rng, d, 0.0);
            double predicted = 0;
            for (int i = 0; i < d; i++) {
                predicted += delta[i * d + i];
                for (int j = 0; j < d; j++) {
                    predicted -= 2 * lin.gradient()[i * d + j] * delta[i * d + j];
                }
            }
            double h = 1e-5;
            double[] plus = x.cov();
            double[] minus = x.cov();
            for (int i = 0; i < plus.length; i++) {
                plus[i] += h * delta[i];
                minus[i] -= h * delta[i];
            }
            // The rank-5 side's M = Bᵀ Σ B has seven eigenvalues that are exactly 0 for every Σ; in floating point
            // they are round-off of either sign (~1e-16), whose square roots (~1e-8) over 2h would swamp the
            // difference, by an amount that depends on the eigensolver's kernel. The difference is taken of the
            // FID with those (below d·ε·max ω, the cutoff the linearisation uses) counted as the zeros they are.
            java.util.function.ToDoubleFunction<Gaussian> fid = g -> {
                double[] w = to.productEigenvalues(g);
                double cutoff = w[d - 1] * d * Math.ulp(1.0);
                double roundOff = 0;
                for (double v : w) {
                    roundOff += v <= cutoff ? Math.sqrt(Math.max(v, 0)) : 0;
                }
                return to.from(g) + 2 * roundOff;
            };
            double central = (fid.applyAsDouble(new Gaussian(mean, plus, 100))
                    - fid.applyAsDouble(new Gaussian(mean, minus, 100))) / (2 * h);
            assertRelClose(central, predicted, 1e-6);
        }
    }

    @Test
    void dimensionMismatchIsRefused() {
        Gaussian a = new Gaussian(new double[3], diagonal(new double[] {1, 1, 1}), 0);
        Gaussian b = new Gaussian(new double[4], diagonal(new double[] {1, 1, 1, 1}), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(a, b));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.traceSqrtProduct(new double[9], new double[16], 3));
    }
}
