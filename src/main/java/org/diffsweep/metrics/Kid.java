package org.diffsweep.metrics;

import java.util.SplittableRandom;
import org.diffsweep.linalg.Lapack;

/**
 * Kernel Inception Distance (docs/metrics.md): the unbiased estimate of the squared maximum mean discrepancy between
 * the real and the generated features under the cubic polynomial kernel k(x, y) = (x·y / D + 1)³, averaged over
 * random subsets of equal size m drawn without replacement from each set. The spread reported is the standard
 * deviation of the per-subset estimates (population form, as torch-fidelity reports it).
 *
 * <p>Per subset, with K the kernel matrices of the subsets X (real) and Y (generated):
 * MMD²ᵤ = Σ_{i≠j} K_XX / (m(m−1)) + Σ_{i≠j} K_YY / (m(m−1)) − 2 Σ K_XY / m². Each Gram matrix is one BLAS product.
 * Subsets are chosen by a stream keyed by (seed, subset index) alone, so any subset can be computed anywhere, in any
 * order, with the same result.
 */
public final class Kid {

    private Kid() {
    }

    /** The mean and spread of the per-subset estimates. */
    public record Result(double mean, double sd, int subsets, int subsetSize) implements java.io.Serializable {
    }

    /**
     * Refuses a subset size the sets cannot give.
     *
     * @throws IllegalArgumentException naming the sizes
     */
    public static void check(long nReal, long nGenerated, int subsetSize, int subsets) {
        if (subsets < 1) {
            throw new IllegalArgumentException("KID subsets = " + subsets + ", expected at least 1");
        }
        if (subsetSize < 2) {
            throw new IllegalArgumentException("KID subset size " + subsetSize + ", expected at least 2");
        }
        if (subsetSize > nReal || subsetSize > nGenerated) {
            throw new IllegalArgumentException("KID subset size " + subsetSize + " is larger than the sets (real n = "
                    + nReal + ", generated n = " + nGenerated + "), expected a subset size at most "
                    + Math.min(nReal, nGenerated));
        }
    }

    /**
     * The indices of subset {@code index}: {@code m} distinct indices of [0, n), from a stream keyed by the seed, the
     * subset index and which set ({@code role}: 0 real, 1 generated) alone.
     */
    public static int[] subset(long n, int m, long seed, int index, int role) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 2L + role);
        // Floyd's algorithm: m distinct values of [0, n) without an n-sized array.
        java.util.LinkedHashSet<Integer> chosen = new java.util.LinkedHashSet<>();
        for (long j = n - m; j < n; j++) {
            int t = (int) rng.nextLong(j + 1);
            if (!chosen.add(t)) {
                chosen.add((int) j);
            }
        }
        int[] out = new int[m];
        int i = 0;
        for (int v : chosen) {
            out[i++] = v;
        }
        java.util.Arrays.sort(out);
        return out;
    }

    /**
     * MMD²ᵤ of one pair of subsets.
     *
     * @param x m×D real features, row-major
     * @param y m×D generated features, row-major
     */
    public static double mmd2(double[] x, double[] y, int m, int dim) {
        double xx = offDiagonalKernelSum(Lapack.multiply(x, false, x, true, m, dim, m), m, dim);
        double yy = offDiagonalKernelSum(Lapack.multiply(y, false, y, true, m, dim, m), m, dim);
        double[] gxy = Lapack.multiply(x, false, y, true, m, dim, m);
        double xy = 0;
        for (double g : gxy) {
            xy += kernel(g, dim);
        }
        return (xx + yy) / ((double) m * (m - 1)) - 2 * xy / ((double) m * m);
    }

    /** k from an inner product: (g / D + 1)³. */
    static double kernel(double innerProduct, int dim) {
        double s = innerProduct / dim + 1;
        return s * s * s;
    }

    private static double offDiagonalKernelSum(double[] gram, int m, int dim) {
        double sum = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i != j) {
                    sum += kernel(gram[i * m + j], dim);
                }
            }
        }
        return sum;
    }

    /** Rows {@code idx} of an n×D matrix. */
    public static double[] rows(double[] features, int[] idx, int dim) {
        double[] out = new double[idx.length * dim];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(features, idx[i] * dim, out, i * dim, dim);
        }
        return out;
    }

    /** The estimate of one subset from the two whole sets in memory. */
    public static double subsetEstimate(double[] real, long nReal, double[] generated, long nGenerated, int dim,
                                        int subsetSize, long seed, int index) {
        double[] x = rows(real, subset(nReal, subsetSize, seed, index, 0), dim);
        double[] y = rows(generated, subset(nGenerated, subsetSize, seed, index, 1), dim);
        return mmd2(x, y, subsetSize, dim);
    }

    /** Mean and population standard deviation of per-subset estimates. */
    public static Result summarise(double[] estimates, int subsetSize) {
        double mean = 0;
        for (double e : estimates) {
            mean += e;
        }
        mean /= estimates.length;
        double ss = 0;
        for (double e : estimates) {
            ss += (e - mean) * (e - mean);
        }
        return new Result(mean, Math.sqrt(ss / estimates.length), estimates.length, subsetSize);
    }

    /** KID of two sets held in memory (the Spark job distributes the subsets instead). */
    public static Result of(double[] real, long nReal, double[] generated, long nGenerated, int dim, int subsets,
                            int subsetSize, long seed) {
        check(nReal, nGenerated, subsetSize, subsets);
        double[] est = new double[subsets];
        for (int s = 0; s < subsets; s++) {
            est[s] = subsetEstimate(real, nReal, generated, nGenerated, dim, subsetSize, seed, s);
        }
        return summarise(est, subsetSize);
    }
}
