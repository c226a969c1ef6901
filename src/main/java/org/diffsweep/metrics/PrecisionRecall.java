package org.diffsweep.metrics;

import java.util.Arrays;
import org.diffsweep.linalg.Lapack;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019; docs/metrics.md). Each set's manifold is the union of
 * balls around its points, each ball's radius the distance to that point's k-th nearest neighbour within its own
 * set. Precision is the fraction of generated points inside the real manifold; recall the fraction of real points
 * inside the generated manifold. The roles are not symmetric: {@link #precision} takes the real set's radii, never
 * the generated set's.
 *
 * <p>Everything is built from tiles: the squared distances between a block of query rows and a block of reference
 * rows (one BLAS product), reduced per query row to a mergeable summary (the k smallest distances, for radii; the
 * smallest distance minus radius, for membership). Tiles of any size, merged in any order, give the same result, so
 * the Spark job distributes the 50,000 × 50,000 pairs as blocks.
 *
 * <p><b>Standard errors over draws of the seeds</b> come from the delete-a-group jackknife over FID's contiguous seed
 * groups of the generated rows ({@link JackknifeFid#group}; the real subsample held fixed), computed exactly in the
 * same tile passes ({@link #of(double[], int, double[], int, int, int, int[], int)}). Leaving group g out of the
 * generated subsample, precision₍g₎ is the fraction of the remaining generated rows inside the (unchanged) real
 * manifold. Recall₍g₎ needs the generated manifold without group g, whose radii grow where a k-th neighbour was in
 * g: each generated row keeps its k + 1 smallest distances to each group separately, so its radius without any one
 * group is a merge of the others' lists; each real row then keeps, per left-out group, its smallest margin over the
 * remaining generated rows with those radii.
 */
public final class PrecisionRecall {

    private PrecisionRecall() {
    }

    /**
     * Precision and recall, with the k and the set sizes they were measured at, and their jackknife over seed groups
     * (SEs NaN and leave-out lists empty when not computed or with fewer than 2 groups).
     */
    public record Result(double precision, double recall, int k, long nReal, long nGenerated, double precisionSe,
                         double recallSe, java.util.List<Double> precisionLeaveOut, java.util.List<Double> recallLeaveOut)
            implements java.io.Serializable {

        /** Without a jackknife. */
        public Result(double precision, double recall, int k, long nReal, long nGenerated) {
            this(precision, recall, k, nReal, nGenerated, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of());
        }
    }

    /**
     * Squared Euclidean distances between rows of {@code q} (nq×D) and rows of {@code r} (nr×D), nq×nr row-major:
     * ‖q‖² + ‖r‖² − 2 q·r, clamped at 0.
     */
    public static double[] squaredDistances(double[] q, int nq, double[] r, int nr, int dim) {
        double[] g = Lapack.multiply(q, false, r, true, nq, dim, nr);
        double[] qq = squaredNorms(q, nq, dim);
        double[] rr = squaredNorms(r, nr, dim);
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nr; j++) {
                double d = qq[i] + rr[j] - 2 * g[i * nr + j];
                g[i * nr + j] = d > 0 ? d : 0;
            }
        }
        return g;
    }

    static double[] squaredNorms(double[] x, int n, int dim) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int d = 0; d < dim; d++) {
                double v = x[i * dim + d];
                s += v * v;
            }
            out[i] = s;
        }
        return out;
    }

    /**
     * Per query row, the {@code keep} smallest squared distances of a tile, ascending (nq × keep). A query row that
     * is also a reference row (radii within one set) sees itself at distance 0, so radii keep k + 1 and take the
     * last.
     */
    public static double[] smallest(double[] tile, int nq, int nr, int keep) {
        double[] out = new double[nq * keep];
        Arrays.fill(out, Double.POSITIVE_INFINITY);
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nr; j++) {
                insert(out, i * keep, keep, tile[i * nr + j]);
            }
        }
        return out;
    }

    /** Merges two per-row lists of the {@code keep} smallest values (each ascending) into one. */
    public static double[] mergeSmallest(double[] a, double[] b, int keep) {
        double[] out = a.clone();
        int rows = a.length / keep;
        for (int i = 0; i < rows; i++) {
            for (int t = 0; t < keep; t++) {
                double v = b[i * keep + t];
                if (v >= out[i * keep + keep - 1]) {
                    break;
                }
                insert(out, i * keep, keep, v);
            }
        }
        return out;
    }

    private static void insert(double[] list, int from, int keep, double v) {
        int last = from + keep - 1;
        if (!(v < list[last])) {
            return;
        }
        int p = last;
        while (p > from && list[p - 1] > v) {
            list[p] = list[p - 1];
            p--;
        }
        list[p] = v;
    }

    /**
     * The radii² of a set from its per-row k + 1 smallest squared distances to the whole set (itself included, at
     * distance 0): the last of each row.
     */
    public static double[] radii(double[] smallestKPlus1, int k) {
        int rows = smallestKPlus1.length / (k + 1);
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = smallestKPlus1[i * (k + 1) + k];
        }
        return out;
    }

    /**
     * Per query row of a tile, min over the tile's reference rows j of (d²(q, r_j) − radius_j²): the row is inside
     * the reference manifold when the minimum over all tiles is ≤ 0.
     */
    public static double[] margin(double[] tile, int nq, int nr, double[] radii2, int radiiFrom) {
        double[] out = new double[nq];
        Arrays.fill(out, Double.POSITIVE_INFINITY);
        for (int i = 0; i < nq; i++) {
            double m = Double.POSITIVE_INFINITY;
            for (int j = 0; j < nr; j++) {
                double v = tile[i * nr + j] - radii2[radiiFrom + j];
                if (v < m) {
                    m = v;
                }
            }
            out[i] = m;
        }
        return out;
    }

    /** The fraction of rows whose margin is ≤ 0. */
    public static double inside(double[] margins) {
        long n = 0;
        for (double m : margins) {
            if (m <= 0) {
                n++;
            }
        }
        return (double) n / margins.length;
    }

    /** Rows per tile: the distances are computed {@value}×{@value} at a time (8 MiB), whatever the set sizes. */
    public static final int TILE = 1024;

    /** The rows of an n×D matrix cut into tiles of {@link #TILE} rows. */
    private static double[][] tiles(double[] x, int n, int dim) {
        double[][] out = new double[(n + TILE - 1) / TILE][];
        for (int t = 0; t < out.length; t++) {
            int from = t * TILE;
            out[t] = Arrays.copyOfRange(x, from * dim, Math.min(n, from + TILE) * dim);
        }
        return out;
    }

    private static int rowsOf(double[] tile, int dim) {
        return tile.length / dim;
    }

    /** Refuses a k the set cannot give. */
    public static void check(int k, long n, String role) {
        if (k < 1 || k >= n) {
            throw new IllegalArgumentException("precision/recall k = " + k + " with " + role + " n = " + n
                    + ", expected 1 <= k < n");
        }
    }

    /**
     * The k-NN radii² of an in-memory set (rows n×D), tile by tile: per query tile, the k + 1 smallest distances of
     * each reference tile merged into one list.
     */
    public static double[] radii(double[] x, int n, int dim, int k) {
        check(k, n, "the set's");
        double[][] t = tiles(x, n, dim);
        double[] out = new double[n];
        for (int qi = 0; qi < t.length; qi++) {
            int nq = rowsOf(t[qi], dim);
            double[] merged = null;
            for (double[] r : t) {
                int nr = rowsOf(r, dim);
                double[] part = smallest(squaredDistances(t[qi], nq, r, nr, dim), nq, nr, k + 1);
                merged = merged == null ? part : mergeSmallest(merged, part, k + 1);
            }
            System.arraycopy(radii(merged, k), 0, out, qi * TILE, nq);
        }
        return out;
    }

    /**
     * The fraction of query rows inside the manifold of the reference rows (their radii²), tile by tile.
     */
    public static double inside(double[] query, int nq, double[] reference, int nr, double[] radii2, int dim) {
        double[][] rt = tiles(reference, nr, dim);
        double[][] qt = tiles(query, nq, dim);
        long in = 0;
        for (double[] q : qt) {
            int bq = rowsOf(q, dim);
            double[] m = new double[bq];
            Arrays.fill(m, Double.POSITIVE_INFINITY);
            for (int ri = 0; ri < rt.length; ri++) {
                int br = rowsOf(rt[ri], dim);
                double[] part = margin(squaredDistances(q, bq, rt[ri], br, dim), bq, br, radii2, ri * TILE);
                for (int i = 0; i < bq; i++) {
                    m[i] = Math.min(m[i], part[i]);
                }
            }
            for (double v : m) {
                if (v <= 0) {
                    in++;
                }
            }
        }
        return (double) in / nq;
    }

    /** Precision: the fraction of generated rows inside the real manifold (real radii). */
    public static double precision(double[] real, int nReal, double[] realRadii2, double[] generated, int nGen,
                                   int dim) {
        return inside(generated, nGen, real, nReal, realRadii2, dim);
    }

    /** Precision and recall of two in-memory sets, tile by tile. */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k) {
        check(k, nReal, "real");
        check(k, nGen, "generated");
        double[] rr = radii(real, nReal, dim, k);
        double[] rg = radii(generated, nGen, dim, k);
        double precision = precision(real, nReal, rr, generated, nGen, dim);
        double recall = precision(generated, nGen, rg, real, nReal, dim);
        return new Result(precision, recall, k, nReal, nGen);
    }

    /** The rows a set of n contributes to precision and recall: {@code samples} of them, at most n. */
    public static int sampleSize(long n, int samples) {
        return (int) Math.min(n, samples);
    }

    /**
     * The seeded subsample of a set (role 0 real, 1 generated): {@link #sampleSize} distinct rows, ascending, from
     * a stream keyed by (seed, role), apart from every KID subset's.
     */
    public static int[] sample(long n, int samples, long seed, int role) {
        return Kid.subset(n, sampleSize(n, samples), seed, -1, role);
    }

    /**
     * Precision and recall of two sets of float features (as the sweep stores them) on a seeded subsample of at
     * most {@code samples} rows of each; the result's n are the subsample sizes.
     */
    public static Result of(float[] real, long nReal, float[] generated, long nGen, int dim, int k, int samples,
                            long seed) {
        int sr = sampleSize(nReal, samples);
        int sg = sampleSize(nGen, samples);
        check(k, sr, "real");
        check(k, sg, "generated");
        double[] x = Kid.rows(real, sample(nReal, samples, seed, 0), dim);
        int[] yi = sample(nGen, samples, seed, 1);
        double[] y = Kid.rows(generated, yi, dim);
        int groups = JackknifeFid.groups(nGen);
        return of(x, sr, y, sg, dim, k, Kid.groupsOf(yi, nGen, groups), groups);
    }

    /**
     * Precision and recall of two in-memory sets, and their delete-a-group jackknife over the generated rows' groups
     * ({@code genGroup[i]} in [0, groups)); the precision and recall are those of
     * {@link #of(double[], int, double[], int, int, int)}, to the bit. A group whose removal leaves k or fewer
     * generated rows makes the SEs NaN.
     */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k, int[] genGroup,
                            int groups) {
        check(k, nReal, "real");
        check(k, nGen, "generated");
        if (groups < 2) {
            return of(real, nReal, generated, nGen, dim, k);
        }
        int[] count = new int[groups];
        for (int g : genGroup) {
            count[g]++;
        }
        double[] rr = radii(real, nReal, dim, k);
        double[][] gt = tiles(generated, nGen, dim);
        double[][] rt = tiles(real, nReal, dim);
        // Generated radii: per row, the k + 1 smallest distances to each group's rows, merged as needed.
        int keep = k + 1;
        double[] rg = new double[nGen];
        double[][] rgOut = new double[groups][nGen]; // radius² of row i without group g (unused when i is in g)
        for (int qi = 0; qi < gt.length; qi++) {
            int nq = rowsOf(gt[qi], dim);
            double[] perGroup = new double[nq * groups * keep];
            Arrays.fill(perGroup, Double.POSITIVE_INFINITY);
            double[] merged = null;
            for (int ri = 0; ri < gt.length; ri++) {
                int nr = rowsOf(gt[ri], dim);
                double[] tile = squaredDistances(gt[qi], nq, gt[ri], nr, dim);
                double[] part = smallest(tile, nq, nr, keep);
                merged = merged == null ? part : mergeSmallest(merged, part, keep);
                for (int i = 0; i < nq; i++) {
                    for (int j = 0; j < nr; j++) {
                        insert(perGroup, (i * groups + genGroup[ri * TILE + j]) * keep, keep, tile[i * nr + j]);
                    }
                }
            }
            double[] full = radii(merged, k);
            double[] others = new double[keep];
            for (int i = 0; i < nq; i++) {
                int row = qi * TILE + i;
                rg[row] = full[i];
                for (int g = 0; g < groups; g++) {
                    if (g == genGroup[row]) {
                        continue;
                    }
                    Arrays.fill(others, Double.POSITIVE_INFINITY);
                    for (int h = 0; h < groups; h++) {
                        if (h != g) {
                            for (int t = 0; t < keep; t++) {
                                double v = perGroup[(i * groups + h) * keep + t];
                                if (!(v < others[keep - 1])) {
                                    break;
                                }
                                insert(others, 0, keep, v);
                            }
                        }
                    }
                    rgOut[g][row] = others[keep - 1];
                }
            }
        }
        // Precision: each generated row inside the real manifold or not; leaving a group out drops its rows.
        boolean[] genInside = new boolean[nGen];
        for (int qi = 0; qi < gt.length; qi++) {
            int bq = rowsOf(gt[qi], dim);
            double[] m = new double[bq];
            Arrays.fill(m, Double.POSITIVE_INFINITY);
            for (int ri = 0; ri < rt.length; ri++) {
                int br = rowsOf(rt[ri], dim);
                double[] part = margin(squaredDistances(gt[qi], bq, rt[ri], br, dim), bq, br, rr, ri * TILE);
                for (int i = 0; i < bq; i++) {
                    m[i] = Math.min(m[i], part[i]);
                }
            }
            for (int i = 0; i < bq; i++) {
                genInside[qi * TILE + i] = m[i] <= 0;
            }
        }
        long in = 0;
        long[] inByGroup = new long[groups];
        for (int i = 0; i < nGen; i++) {
            if (genInside[i]) {
                in++;
                inByGroup[genGroup[i]]++;
            }
        }
        double precision = (double) in / nGen;
        // Recall: each real row's margin over all generated rows, and over the rows outside each group g with the
        // radii they have without g.
        long recalled = 0;
        long[] recalledOut = new long[groups];
        for (double[] q : rt) {
            int bq = rowsOf(q, dim);
            double[] m = new double[bq];
            double[] mOut = new double[bq * groups];
            Arrays.fill(m, Double.POSITIVE_INFINITY);
            Arrays.fill(mOut, Double.POSITIVE_INFINITY);
            for (int ri = 0; ri < gt.length; ri++) {
                int br = rowsOf(gt[ri], dim);
                double[] tile = squaredDistances(q, bq, gt[ri], br, dim);
                double[] part = margin(tile, bq, br, rg, ri * TILE);
                for (int i = 0; i < bq; i++) {
                    m[i] = Math.min(m[i], part[i]);
                    for (int j = 0; j < br; j++) {
                        int row = ri * TILE + j;
                        double d2 = tile[i * br + j];
                        int own = genGroup[row];
                        for (int g = 0; g < groups; g++) {
                            if (g != own) {
                                double v = d2 - rgOut[g][row];
                                if (v < mOut[i * groups + g]) {
                                    mOut[i * groups + g] = v;
                                }
                            }
                        }
                    }
                }
            }
            for (int i = 0; i < bq; i++) {
                if (m[i] <= 0) {
                    recalled++;
                }
                for (int g = 0; g < groups; g++) {
                    if (mOut[i * groups + g] <= 0) {
                        recalledOut[g]++;
                    }
                }
            }
        }
        double recall = (double) recalled / nReal;
        double[] pOut = new double[groups];
        double[] rOut = new double[groups];
        java.util.List<Double> pList = new java.util.ArrayList<>();
        java.util.List<Double> rList = new java.util.ArrayList<>();
        boolean defined = true;
        for (int g = 0; g < groups; g++) {
            defined &= nGen - count[g] > k;
            pOut[g] = (double) (in - inByGroup[g]) / (nGen - count[g]);
            rOut[g] = (double) recalledOut[g] / nReal;
            pList.add(pOut[g]);
            rList.add(rOut[g]);
        }
        if (!defined) {
            return new Result(precision, recall, k, nReal, nGen);
        }
        return new Result(precision, recall, k, nReal, nGen, JackknifeFid.standardError(pOut),
                JackknifeFid.standardError(rOut), java.util.List.copyOf(pList), java.util.List.copyOf(rList));
    }

    /** A paired difference A − B of precision or recall over the same seed groups, with its jackknife SE. */
    public static Kid.Difference difference(double a, java.util.List<Double> aOut, double b,
                                            java.util.List<Double> bOut) {
        double[] d = new double[aOut.size()];
        if (bOut.size() != d.length) {
            throw new IllegalArgumentException("jackknife: " + aOut.size() + " and " + bOut.size()
                    + " groups, expected the same seed groups for both configs");
        }
        for (int g = 0; g < d.length; g++) {
            d[g] = aOut.get(g) - bOut.get(g);
        }
        return new Kid.Difference(a - b, JackknifeFid.standardError(d));
    }

    /** Heap bytes precision and recall hold at {@code samples} rows a set and dimension D. */
    public static long heapBytes(int samples, int dim) {
        long tile = Math.min(TILE, samples);
        int groups = JackknifeFid.DEFAULT_GROUPS;
        // rows, radii, tiles; and the jackknife's radii without each group and per-group neighbour lists
        return 8L * (4L * samples * dim + 2 * samples + 3 * tile * tile + (long) groups * samples
                + tile * groups * 16L + tile * groups);
    }
}
