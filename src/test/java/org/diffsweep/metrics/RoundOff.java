package org.diffsweep.metrics;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Round-off bounds and exact references for the numeric tests, so that they assert what the arithmetic
 * guarantees for <em>any</em> summation order (any BLAS kernel, tiling, FMA or thread count) instead of what
 * one machine happened to produce.
 *
 * <p>Notation (Higham, Accuracy and Stability of Numerical Algorithms, §3.1): u = 2⁻⁵³ is the unit round-off of
 * float64 and γ_k = k·u / (1 − k·u). A sum of k terms, added in any order and grouping, is off by at most
 * γ_{k−1}·Σ|terms|; an inner product of length k, with or without fused multiply-adds, by γ_k·Σ|xᵢyᵢ|.
 */
public final class RoundOff {

    /** The unit round-off of float64, 2⁻⁵³. */
    static final double U = Math.ulp(1.0) / 2;

    private RoundOff() {
    }

    /**
     * How far two FIDs of the same two Gaussians can be apart when they differ only in the symmetric eigensolver
     * that takes the eigenvalues ω of M = Bᵀ Σ B (FrechetDistance's eigenvalues-only route, and the linearised
     * route's eigendecomposition with vectors), for any BLAS kernel or summation order:
     * <ul>
     *   <li>both routes start from the same bits of M (the same sums, the same products on fixed tiles), and
     *       everything else in the FID (mean term, traces) is the same bits too: FID = R − 2T, T = Σ √max(ω, 0);</li>
     *   <li>LAPACK's symmetric eigensolvers are backward stable: the computed ω are the exact eigenvalues of
     *       M + E with ‖E‖₂ ≤ p(d)·u·‖M‖₂ (LAPACK Users' Guide, 3rd ed., §4.7.1), where Householder
     *       tridiagonalisation gives p(d) = O(d²) at worst (Higham 2002, §19.3); taken as γ_{8d²+8}·‖M‖_F. By
     *       Weyl each route's i-th eigenvalue is within that of M's, so the two routes' are within
     *       e = 2γ_{8d²+8}·‖M‖_F of each other;</li>
     *   <li>clamping at 0 moves nothing further apart, and for a, b ≥ 0, |√a − √b| ≤ min(√|a − b|, |a − b|/√a);
     *       each T sums d roots, in the same order, within γ_{d−1}·T of their exact sum;</li>
     *   <li>FID = fl(R − 2T) adds u·|FID| per route.</li>
     * </ul>
     * Hence |FID − FID'| ≤ 2·(Σ_i min(√e, e/√ω_i⁺) + 2γ_d·T) + 2u·|FID| + O(u²), which twice that covers.
     *
     * @param omega one route's eigenvalues of M ({@link FrechetDistance.To#productEigenvalues})
     * @param fid   one route's FID
     */
    public static double eigensolverFidBound(double[] omega, double fid) {
        int d = omega.length;
        double frobenius = 0;
        double t = 0;
        for (double w : omega) {
            frobenius += w * w;
            t += Math.sqrt(Math.max(w, 0));
        }
        double e = 2 * gamma(8L * d * d + 8) * Math.sqrt(frobenius);
        double roots = 0;
        for (double w : omega) {
            double a = Math.max(w, 0);
            roots += Math.min(Math.sqrt(e), a > 0 ? e / Math.sqrt(a) : Double.POSITIVE_INFINITY);
        }
        return 2 * (2 * (roots + 2 * gamma(d) * t) + 2 * U * Math.abs(fid));
    }

    /** γ_k = k·u / (1 − k·u). */
    public static double gamma(long k) {
        double ku = k * U;
        if (ku >= 0.5) {
            throw new IllegalArgumentException("γ_" + k + " is not a useful bound");
        }
        return ku / (1 - ku);
    }

    /**
     * Per entry (D×D, row-major), how far {@link FeatureStats#covariance()} of the n rows, accumulated centred
     * at {@code shift} in any order, can be from the exact covariance of the rows. With z = f − c computed
     * exactly, P_ij = Σ|z_i z_j|, A_i = Σ|z_i| and Q_ij = A_i A_j / n:
     * <ul>
     *   <li>centring y = fl(f − c) = z(1 + η), |η| ≤ u, and S' = Σ y_i y_j in any order (SYRK tiles, chunks,
     *       merges): |S' − Σ z_i z_j| ≤ (γ_n + 2u)·P ≤ γ_{n+2}·P;</li>
     *   <li>s' = Σ y: |s' − Σz| ≤ γ_n·A, so δ' = fl(s'/n) is within γ_{n+1}·A/n of δ = Σz/n, and
     *       T' = fl(fl(n·δ'_i)·δ'_j) within (2γ_{n+1} + γ_2 + O(u²))·Q of n·δ_iδ_j;</li>
     *   <li>C' = fl(fl(S' − T')·fl(1/(n−1))) adds at most γ_3·|S' − T'|/(n − 1).</li>
     * </ul>
     * Hence |C' − C| ≤ (1 + γ_3)(γ_{n+2}·P + (2γ_{n+1} + γ_2)·Q)/(n − 1) + γ_3·|C|, which
     * γ_{2n+8}·(P + Q)/(n − 1) + γ_3·|C| bounds. P and Q are computed here in float64, off by a relative γ_n,
     * which the doubled n covers. Valid for shift 0 (plain sums) as well.
     *
     * @param exactCov the exact covariance, or a reference within a few u of it (only its size enters)
     */
    static double[] covarianceBound(double[] rows, int n, int d, double[] shift, double[] exactCov) {
        double[][] pa = absoluteSums(rows, n, d, shift);
        double[] p = pa[0];
        double[] a = pa[1];
        double g = gamma(2L * n + 8);
        double g3 = gamma(3);
        double[] bound = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double q = a[i] * a[j] / n;
                bound[i * d + j] = g * (p[i * d + j] + q) / (n - 1) + g3 * Math.abs(exactCov[i * d + j]);
            }
        }
        return bound;
    }

    /**
     * Per entry, how far {@link FeatureStats#sumOuter()} (Σ f fᵀ rebuilt from sums centred at c as
     * S + c sᵀ + s cᵀ + n c cᵀ) can be from the exact Σ f fᵀ, for any summation order: each of the four terms
     * is within γ_{n+8} of its size, so the bound is γ_{n+8}·(P_ij + |c_i|A_j + A_i|c_j| + n|c_i c_j|) with
     * P and A as in {@link #covarianceBound}. With c = 0 this is the plain inner-product bound γ_{n+8}·P.
     */
    static double[] sumOuterBound(double[] rows, int n, int d, double[] shift) {
        double[][] pa = absoluteSums(rows, n, d, shift);
        double[] p = pa[0];
        double[] a = pa[1];
        double g = gamma(n + 8L);
        double[] bound = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double ci = Math.abs(shift[i]);
                double cj = Math.abs(shift[j]);
                bound[i * d + j] = g * (p[i * d + j] + ci * a[j] + a[i] * cj + n * ci * cj);
            }
        }
        return bound;
    }

    /**
     * P_ij = Σ|z_i z_j| (D×D) and A_i = Σ|z_i| (D) over the n rows, z = f − c: the sizes the round-off bounds
     * scale with.
     */
    private static double[][] absoluteSums(double[] rows, int n, int d, double[] shift) {
        double[] p = new double[d * d];
        double[] a = new double[d];
        double[] z = new double[d];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                z[i] = Math.abs(rows[r * d + i] - shift[i]);
                a[i] += z[i];
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    p[i * d + j] += z[i] * z[j];
                }
            }
        }
        return new double[][] {p, a};
    }

    /** The exact covariance (÷ n − 1) of n float64 rows, in exact decimal arithmetic, rounded once to float64. */
    static double[] exactCovariance(double[] rows, int n, int d) {
        BigDecimal[] s = new BigDecimal[d];
        BigDecimal[] ss = new BigDecimal[d * d];
        java.util.Arrays.fill(s, BigDecimal.ZERO);
        java.util.Arrays.fill(ss, BigDecimal.ZERO);
        BigDecimal[] row = new BigDecimal[d];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                row[i] = new BigDecimal(rows[r * d + i]);
                s[i] = s[i].add(row[i]);
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    ss[i * d + j] = ss[i * d + j].add(row[i].multiply(row[j]));
                }
            }
        }
        BigDecimal bn = BigDecimal.valueOf(n);
        BigDecimal denominator = bn.multiply(BigDecimal.valueOf(n - 1L));
        double[] cov = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                // (n Σ f_i f_j − Σ f_i Σ f_j) / (n (n − 1)), exact up to the final division
                BigDecimal num = bn.multiply(ss[i * d + j]).subtract(s[i].multiply(s[j]));
                double c = num.divide(denominator, MathContext.DECIMAL128).doubleValue();
                cov[i * d + j] = c;
                cov[j * d + i] = c;
            }
        }
        return cov;
    }

    /** The exact mean of n float64 rows, rounded once to float64. */
    static double[] exactMean(double[] rows, int n, int d) {
        double[] mean = new double[d];
        for (int i = 0; i < d; i++) {
            BigDecimal s = BigDecimal.ZERO;
            for (int r = 0; r < n; r++) {
                s = s.add(new BigDecimal(rows[r * d + i]));
            }
            mean[i] = s.divide(BigDecimal.valueOf(n), MathContext.DECIMAL128).doubleValue();
        }
        return mean;
    }

    /** Exact Σ f fᵀ of n float64 rows (D×D, row-major), rounded once to float64. */
    static double[] exactSumOuter(double[] rows, int n, int d) {
        double[] out = new double[d * d];
        BigDecimal[] row = new BigDecimal[d];
        BigDecimal[] ss = new BigDecimal[d * d];
        java.util.Arrays.fill(ss, BigDecimal.ZERO);
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                row[i] = new BigDecimal(rows[r * d + i]);
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    ss[i * d + j] = ss[i * d + j].add(row[i].multiply(row[j]));
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                out[i * d + j] = ss[i * d + j].doubleValue();
                out[j * d + i] = out[i * d + j];
            }
        }
        return out;
    }

    /** Asserts |actual − expected| ≤ bound entry by entry, naming the first entry that is not. */
    static void assertWithin(double[] expected, double[] actual, double[] bound, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what + ": length");
        for (int k = 0; k < expected.length; k++) {
            double err = Math.abs(actual[k] - expected[k]);
            if (!(err <= bound[k])) {
                org.junit.jupiter.api.Assertions.fail(what + ": entry " + k + " is " + actual[k] + ", expected "
                        + expected[k] + " within the round-off bound " + bound[k] + " (off by " + err + ")");
            }
        }
    }
}
