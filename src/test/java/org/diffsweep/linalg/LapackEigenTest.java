package org.diffsweep.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The symmetric eigendecomposition against a matrix of known spectrum: A = H Λ H with H = I − 2uuᵀ/uᵀu a
 * Householder reflection (orthogonal and symmetric), so A's eigenvalues are Λ's and its eigenvectors H's columns.
 * Bounds are those of a backward-stable solver: |λ̂ − λ| ≤ c·d·ε·‖A‖, ‖AV − VΛ̂‖ and ‖VᵀV − I‖ of the same order.
 */
class LapackEigenTest {

    @Test
    void eigenpairsOfAMatrixWithKnownSpectrum() {
        int d = 300;
        SplittableRandom rng = new SplittableRandom(7);
        double[] u = new double[d];
        double uu = 0;
        for (int i = 0; i < d; i++) {
            u[i] = rng.nextGaussian();
            uu += u[i] * u[i];
        }
        double[] lambda = new double[d];
        for (int i = 0; i < d; i++) {
            lambda[i] = i < 3 ? 0 : Math.exp(rng.nextGaussian()); // three zero eigenvalues: a rank-deficient case
        }
        double[] h = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                h[i * d + j] = (i == j ? 1 : 0) - 2 * u[i] * u[j] / uu;
            }
        }
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += h[i * d + k] * lambda[k] * h[k * d + j];
                }
                a[i * d + j] = s;
            }
        }
        double norm = Arrays.stream(lambda).max().orElseThrow();
        double tol = 10 * d * Math.ulp(1.0) * norm;
        Lapack.Eigen e = Lapack.symmetricEigen(a, d);
        double[] sorted = lambda.clone();
        Arrays.sort(sorted);
        for (int k = 0; k < d; k++) {
            assertEquals(sorted[k], e.values()[k], tol, "eigenvalue " + k);
        }
        assertTrue(Arrays.equals(Lapack.symmetricEigenvalues(a, d), Lapack.symmetricEigenvalues(a, d)));
        double[] v = e.vectors();
        double residual = 0;
        double orthogonality = 0;
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double av = 0;
                double vv = 0;
                for (int j = 0; j < d; j++) {
                    av += a[i * d + j] * v[k * d + j];
                    vv += v[i * d + j] * v[k * d + j];
                }
                residual = Math.max(residual, Math.abs(av - e.values()[k] * v[k * d + i]));
                orthogonality = Math.max(orthogonality, Math.abs(vv - (i == k ? 1 : 0)));
            }
        }
        assertTrue(residual <= tol, "max |AV − VΛ| " + residual + " above " + tol);
        assertTrue(orthogonality <= 10 * d * Math.ulp(1.0), "max |VᵀV − I| " + orthogonality);
        // only the upper triangle is read: garbage below the diagonal changes nothing
        double[] upper = a.clone();
        for (int i = 1; i < d; i++) {
            for (int j = 0; j < i; j++) {
                upper[i * d + j] = Double.NaN;
            }
        }
        assertArrayEquals(e.values(), Lapack.symmetricEigen(upper, d).values());
        assertArrayEquals(e.vectors(), Lapack.symmetricEigen(upper, d).vectors());
        assertArrayEquals(Lapack.symmetricEigenvalues(a, d), Lapack.symmetricEigenvalues(upper, d));
        // the eigenvalues-only route agrees within the same bound
        double[] only = Lapack.symmetricEigenvalues(a, d);
        for (int k = 0; k < d; k++) {
            assertEquals(e.values()[k], only[k], 2 * tol, "eigenvalue " + k + " of the two drivers");
        }
    }

    /**
     * The Cholesky factor: lower triangular, L Lᵀ = A within a backward-stable bound (|L Lᵀ − A| ≤ c·d·ε·‖A‖), only
     * A's lower triangle read, and null for a matrix that is not positive definite.
     */
    @Test
    void choleskyFactorReproducesItsMatrixFromTheLowerTriangle() {
        int d = 200;
        SplittableRandom rng = new SplittableRandom(11);
        double[] x = new double[d * (d + 20)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d + 20; k++) {
                    s += x[i * (d + 20) + k] * x[j * (d + 20) + k];
                }
                a[i * d + j] = s;
            }
        }
        double norm = 0;
        for (double v : a) {
            norm = Math.max(norm, Math.abs(v));
        }
        double[] lowerOnly = a.clone();
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                lowerOnly[i * d + j] = Double.NaN;
            }
        }
        double[] l = Lapack.cholesky(lowerOnly, d);
        assertArrayEquals(l, Lapack.cholesky(a, d), "the upper triangle is not read");
        double worst = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                if (j > i) {
                    assertEquals(0.0, l[i * d + j], "L[" + i + "][" + j + "] above the diagonal");
                }
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += l[i * d + k] * l[j * d + k];
                }
                worst = Math.max(worst, Math.abs(s - a[i * d + j]));
            }
        }
        assertTrue(worst <= 10 * d * Math.ulp(1.0) * norm, "max |L Lᵀ − A| " + worst);
        double[] indefinite = a.clone();
        indefinite[5 * d + 5] = -1;
        assertEquals(null, Lapack.cholesky(indefinite, d));
    }

    /**
     * Above one tile of eigenvectors ({@link Lapack#EIGEN_TILE}), the tiled back-transformation: the same bits on one
     * thread as on two, and the backward-stable bounds ‖AV − VΛ‖ ≤ c·d·ε·‖A‖, ‖VᵀV − I‖ ≤ c·d·ε.
     */
    @Test
    void tiledEigenvectorsAreTheSameBitsOnAnyThreadCountAndAccurate() {
        int d = 2 * Lapack.EIGEN_TILE + 76;
        SplittableRandom rng = new SplittableRandom(13);
        double[] x = new double[d * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian() * Math.exp(-(i % d) / 200.0);
        }
        double[] a = Lapack.multiply(x, false, x, true, d, d, d);
        int before = Lapack.parallelism();
        Lapack.Eigen one;
        Lapack.Eigen two;
        try {
            Lapack.parallelism(1);
            one = Lapack.symmetricEigen(a, d);
            Lapack.parallelism(2);
            two = Lapack.symmetricEigen(a, d);
        } finally {
            Lapack.parallelism(before);
        }
        assertArrayEquals(one.values(), two.values());
        assertArrayEquals(one.vectors(), two.vectors(), "the eigenvectors' bits depend on the thread count");
        double norm = Math.abs(one.values()[d - 1]);
        double[] v = one.vectors();
        // rows of v are eigenvectors: A Vᵀ against Vᵀ Λ, and V Vᵀ against I
        double[] av = Lapack.multiply(a, false, v, true, d, d, d);
        double[] vv = Lapack.multiply(v, false, v, true, d, d, d);
        double residual = 0;
        double orthogonality = 0;
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                residual = Math.max(residual, Math.abs(av[i * d + k] - one.values()[k] * v[k * d + i]));
                orthogonality = Math.max(orthogonality, Math.abs(vv[i * d + k] - (i == k ? 1 : 0)));
            }
        }
        assertTrue(residual <= 10 * d * Math.ulp(1.0) * norm, "max |AV − VΛ| " + residual);
        assertTrue(orthogonality <= 10 * d * Math.ulp(1.0), "max |VᵀV − I| " + orthogonality);
        double[] only = Lapack.symmetricEigenvalues(a, d);
        for (int k = 0; k < d; k++) {
            assertEquals(only[k], one.values()[k], 20 * d * Math.ulp(1.0) * norm, "eigenvalue " + k);
        }
    }
}
