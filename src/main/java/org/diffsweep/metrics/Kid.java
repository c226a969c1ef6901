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
 * MMD²ᵤ = Σ_{i≠j} K_XX / (m(m−1)) + Σ_{i≠j} K_YY / (m(m−1)) − 2 Σ K_XY / m². The Gram matrices are BLAS
 * products computed in tiles of {@value #TILE} rows, so no m×m matrix is held.
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
     * Rows per tile of the kernel sums: the Gram matrices are computed {@value}×{@value} at a time (8 MiB each), so
     * memory stays bounded for any subset size.
     */
    public static final int TILE = 1024;

    /**
     * MMD²ᵤ of one pair of subsets, its kernel sums computed tile by tile (see {@link #TILE}).
     *
     * @param x m×D real features, row-major
     * @param y m×D generated features, row-major
     */
    public static double mmd2(double[] x, double[] y, int m, int dim) {
        double xx = symmetricOffDiagonalSum(x, m, dim);
        double yy = symmetricOffDiagonalSum(y, m, dim);
        double xy = 0;
        for (int i0 = 0; i0 < m; i0 += TILE) {
            int bi = Math.min(TILE, m - i0);
            double[] xi = java.util.Arrays.copyOfRange(x, i0 * dim, (i0 + bi) * dim);
            for (int j0 = 0; j0 < m; j0 += TILE) {
                int bj = Math.min(TILE, m - j0);
                double[] yj = java.util.Arrays.copyOfRange(y, j0 * dim, (j0 + bj) * dim);
                for (double g : Lapack.multiply(xi, false, yj, true, bi, dim, bj)) {
                    xy += kernel(g, dim);
                }
            }
        }
        return (xx + yy) / ((double) m * (m - 1)) - 2 * xy / ((double) m * m);
    }

    /** k from an inner product: (g / D + 1)³. */
    static double kernel(double innerProduct, int dim) {
        double s = innerProduct / dim + 1;
        return s * s * s;
    }

    /** Σ_{i≠j} k(x_i, x_j) by tiles: each off-diagonal tile pair once, counted twice (k is symmetric). */
    private static double symmetricOffDiagonalSum(double[] x, int m, int dim) {
        double sum = 0;
        for (int i0 = 0; i0 < m; i0 += TILE) {
            int bi = Math.min(TILE, m - i0);
            double[] xi = java.util.Arrays.copyOfRange(x, i0 * dim, (i0 + bi) * dim);
            for (int j0 = i0; j0 < m; j0 += TILE) {
                int bj = Math.min(TILE, m - j0);
                if (j0 == i0) {
                    double[] gram = Lapack.multiply(xi, false, xi, true, bi, dim, bi);
                    for (int i = 0; i < bi; i++) {
                        for (int j = 0; j < bi; j++) {
                            if (i != j) {
                                sum += kernel(gram[i * bi + j], dim);
                            }
                        }
                    }
                } else {
                    double[] xj = java.util.Arrays.copyOfRange(x, j0 * dim, (j0 + bj) * dim);
                    double block = 0;
                    for (double g : Lapack.multiply(xi, false, xj, true, bi, dim, bj)) {
                        block += kernel(g, dim);
                    }
                    sum += 2 * block;
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

    /** Rows {@code idx} of an n×D matrix of floats, widened. */
    public static double[] rows(float[] features, int[] idx, int dim) {
        double[] out = new double[idx.length * dim];
        for (int i = 0; i < idx.length; i++) {
            int from = idx[i] * dim;
            for (int d = 0; d < dim; d++) {
                out[i * dim + d] = features[from + d];
            }
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

    /**
     * KID of two sets of float features held in memory (as the sweep stores them): the same subsets and the same
     * numbers as {@link #of(double[], long, double[], long, int, int, int, long)} on the widened values.
     */
    public static Result of(float[] real, long nReal, float[] generated, long nGenerated, int dim, int subsets,
                            int subsetSize, long seed) {
        check(nReal, nGenerated, subsetSize, subsets);
        double[] est = new double[subsets];
        for (int s = 0; s < subsets; s++) {
            double[] x = rows(real, subset(nReal, subsetSize, seed, s, 0), dim);
            double[] y = rows(generated, subset(nGenerated, subsetSize, seed, s, 1), dim);
            est[s] = mmd2(x, y, subsetSize, dim);
        }
        return summarise(est, subsetSize);
    }

    /** Heap bytes one KID subset pair holds at subset size m and dimension D (rows, and two kernel tiles). */
    public static long heapBytes(int subsetSize, int dim) {
        long tile = Math.min(TILE, subsetSize);
        return 8L * (2L * subsetSize * dim + 2 * tile * dim + 2 * tile * tile);
    }
}
