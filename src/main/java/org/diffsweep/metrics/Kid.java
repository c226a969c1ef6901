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
 *
 * <p><b>Standard error over draws of the seeds.</b> The spread over subsets ({@code sd}) is the spread of one
 * subset's estimate for the features at hand, not the error of the KID over draws of the seeds. That error comes from
 * the delete-a-group jackknife over the same contiguous seed groups as FID's ({@link JackknifeFid#group}): θ₍g₎ is the
 * KID with the generated rows of group g removed from every subset (the subsets and the real features held fixed;
 * MMD²ᵤ is unbiased at any subset size, so a subset of m − m_g generated rows estimates the same MMD²). From one
 * pass over each subset's kernel sums: with r_i = Σ_{j≠i} k(y_i, y_j), c_i = Σ_x k(x, y_i), W_g the within-group
 * pairs of Y and m' = m − m_g,
 * <pre>
 *   θ₍g₎,s = Σ_{i≠j} K_XX / (m(m−1)) + (Σ_{i≠j} K_YY − 2 Σ_{i∈g} r_i + W_g) / (m'(m'−1)) − 2 (Σ K_XY − Σ_{i∈g} c_i) / (m m')
 * </pre>
 * and θ₍g₎ is the mean of θ₍g₎,s over subsets; SE = √((G − 1)/G · Σ (θ₍g₎ − θ̄)²). Every config uses the same
 * seeds, subsets and groups, so a paired difference KID_A − KID_B gets its SE from the per-group differences
 * ({@link #difference}), as FID's does.
 */
public final class Kid {

    private Kid() {
    }

    /**
     * The mean and spread of the per-subset estimates, and the seed-group jackknife.
     *
     * @param sd        population standard deviation of the per-subset estimates
     * @param se        the jackknife standard error over draws of the seeds (NaN with fewer than 2 groups, or a
     *                  subset that would keep fewer than 2 generated rows without a group)
     * @param leaveOut  KID with each seed group's generated rows left out, in group order (for paired differences)
     */
    public record Result(double mean, double sd, int subsets, int subsetSize, double se, java.util.List<Double> leaveOut)
            implements java.io.Serializable {

        /** The number of jackknife groups. */
        public int groups() {
            return leaveOut.size();
        }
    }

    /** A paired difference A − B over the same seeds, subsets and groups, with its jackknife SE. */
    public record Difference(double difference, double se) {
    }

    /**
     * KID_A − KID_B of two configs measured on the same seeds with the same subsets, and its SE from the per-group
     * differences θ_A₍g₎ − θ_B₍g₎.
     */
    public static Difference difference(Result a, Result b) {
        return new Difference(a.mean() - b.mean(), JackknifeFid.differenceStandardError(unbox(a.leaveOut()),
                unbox(b.leaveOut())));
    }

    private static double[] unbox(java.util.List<Double> v) {
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
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

    /**
     * MMD²ᵤ of one pair of subsets and, for each of {@code groups} groups, the estimate with the generated rows of
     * that group removed (see the class comment); element 0 is the full estimate, element 1 + g group g's.
     *
     * @param yGroup the group of each generated row of the subset, in [0, groups)
     */
    public static double[] mmd2LeaveGroupOut(double[] x, double[] y, int m, int dim, int[] yGroup, int groups) {
        double xx = symmetricOffDiagonalSum(x, m, dim);
        double[] rowSum = new double[m];   // r_i = Σ_{j≠i} k(y_i, y_j)
        double[] within = new double[groups]; // W_g = Σ_{i≠j, both in g} k(y_i, y_j)
        double[] cross = new double[m];    // c_i = Σ_x k(x, y_i)
        for (int i0 = 0; i0 < m; i0 += TILE) {
            int bi = Math.min(TILE, m - i0);
            double[] yi = java.util.Arrays.copyOfRange(y, i0 * dim, (i0 + bi) * dim);
            for (int j0 = 0; j0 < m; j0 += TILE) {
                int bj = Math.min(TILE, m - j0);
                double[] yj = java.util.Arrays.copyOfRange(y, j0 * dim, (j0 + bj) * dim);
                double[] gram = Lapack.multiply(yi, false, yj, true, bi, dim, bj);
                for (int i = 0; i < bi; i++) {
                    double r = 0;
                    int gi = yGroup[i0 + i];
                    for (int j = 0; j < bj; j++) {
                        if (i0 + i != j0 + j) {
                            double kv = kernel(gram[i * bj + j], dim);
                            r += kv;
                            if (yGroup[j0 + j] == gi) {
                                within[gi] += kv;
                            }
                        }
                    }
                    rowSum[i0 + i] += r;
                }
                double[] xj = java.util.Arrays.copyOfRange(x, j0 * dim, (j0 + bj) * dim);
                double[] xy = Lapack.multiply(xj, false, yi, true, bj, dim, bi);
                for (int a = 0; a < bj; a++) {
                    for (int i = 0; i < bi; i++) {
                        cross[i0 + i] += kernel(xy[a * bi + i], dim);
                    }
                }
            }
        }
        double yy = 0;
        double xy = 0;
        double[] groupRow = new double[groups];
        double[] groupCross = new double[groups];
        int[] count = new int[groups];
        for (int i = 0; i < m; i++) {
            yy += rowSum[i];
            xy += cross[i];
            groupRow[yGroup[i]] += rowSum[i];
            groupCross[yGroup[i]] += cross[i];
            count[yGroup[i]]++;
        }
        double xxTerm = xx / ((double) m * (m - 1));
        double[] out = new double[1 + groups];
        out[0] = xxTerm + yy / ((double) m * (m - 1)) - 2 * xy / ((double) m * m);
        for (int g = 0; g < groups; g++) {
            long k = m - count[g];
            out[1 + g] = k < 2 ? Double.NaN : xxTerm + (yy - 2 * groupRow[g] + within[g]) / ((double) k * (k - 1))
                    - 2 * (xy - groupCross[g]) / ((double) m * k);
        }
        return out;
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

    /** Mean and population standard deviation of per-subset estimates (no jackknife: se NaN, no groups). */
    public static Result summarise(double[] estimates, int subsetSize) {
        return summarise(estimates, new double[0][], subsetSize);
    }

    /**
     * Mean and population standard deviation of per-subset estimates, and the jackknife from each subset's
     * leave-group-out estimates ({@code leaveOut[s][g]}).
     */
    public static Result summarise(double[] estimates, double[][] leaveOut, int subsetSize) {
        double mean = 0;
        for (double e : estimates) {
            mean += e;
        }
        mean /= estimates.length;
        double ss = 0;
        for (double e : estimates) {
            ss += (e - mean) * (e - mean);
        }
        int groups = leaveOut.length == 0 ? 0 : leaveOut[0].length;
        double[] theta = new double[groups];
        java.util.List<Double> boxed = new java.util.ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            for (double[] l : leaveOut) {
                theta[g] += l[g];
            }
            theta[g] /= leaveOut.length;
            boxed.add(theta[g]);
        }
        double se = groups < 2 ? Double.NaN : JackknifeFid.standardError(theta);
        return new Result(mean, Math.sqrt(ss / estimates.length), estimates.length, subsetSize, se,
                java.util.List.copyOf(boxed));
    }

    /** The seed group of each generated row of a subset (rows are seed offsets, cut as FID cuts them). */
    static int[] groupsOf(int[] idx, long nGenerated, int groups) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = JackknifeFid.group(idx[i], nGenerated, groups);
        }
        return out;
    }

    /**
     * KID of two sets held in memory (the Spark job distributes the configs instead), with the jackknife over
     * {@link JackknifeFid#groups} seed groups of the generated rows (row i is seed offset i).
     */
    public static Result of(double[] real, long nReal, double[] generated, long nGenerated, int dim, int subsets,
                            int subsetSize, long seed) {
        check(nReal, nGenerated, subsetSize, subsets);
        int groups = JackknifeFid.groups(nGenerated);
        double[] est = new double[subsets];
        double[][] leave = new double[subsets][];
        for (int s = 0; s < subsets; s++) {
            int[] yi = subset(nGenerated, subsetSize, seed, s, 1);
            double[] all = mmd2LeaveGroupOut(rows(real, subset(nReal, subsetSize, seed, s, 0), dim),
                    rows(generated, yi, dim), subsetSize, dim, groupsOf(yi, nGenerated, groups), groups);
            est[s] = all[0];
            leave[s] = java.util.Arrays.copyOfRange(all, 1, all.length);
        }
        return summarise(est, groups < 2 ? new double[0][] : leave, subsetSize);
    }

    /**
     * KID of two sets of float features held in memory (as the sweep stores them): the same subsets and the same
     * numbers as {@link #of(double[], long, double[], long, int, int, int, long)} on the widened values.
     */
    public static Result of(float[] real, long nReal, float[] generated, long nGenerated, int dim, int subsets,
                            int subsetSize, long seed) {
        check(nReal, nGenerated, subsetSize, subsets);
        int groups = JackknifeFid.groups(nGenerated);
        double[] est = new double[subsets];
        double[][] leave = new double[subsets][];
        for (int s = 0; s < subsets; s++) {
            int[] yi = subset(nGenerated, subsetSize, seed, s, 1);
            double[] all = mmd2LeaveGroupOut(rows(real, subset(nReal, subsetSize, seed, s, 0), dim),
                    rows(generated, yi, dim), subsetSize, dim, groupsOf(yi, nGenerated, groups), groups);
            est[s] = all[0];
            leave[s] = java.util.Arrays.copyOfRange(all, 1, all.length);
        }
        return summarise(est, groups < 2 ? new double[0][] : leave, subsetSize);
    }

    /** Heap bytes one KID subset pair holds at subset size m and dimension D (rows, and two kernel tiles). */
    public static long heapBytes(int subsetSize, int dim) {
        long tile = Math.min(TILE, subsetSize);
        return 8L * (2L * subsetSize * dim + 2 * tile * dim + 2 * tile * tile);
    }
}
