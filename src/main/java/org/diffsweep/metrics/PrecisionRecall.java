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
 */
public final class PrecisionRecall {

    private PrecisionRecall() {
    }

    /** Precision and recall, with the k and the set sizes they were measured at. */
    public record Result(double precision, double recall, int k, long nReal, long nGenerated)
            implements java.io.Serializable {
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
        double[] y = Kid.rows(generated, sample(nGen, samples, seed, 1), dim);
        return of(x, sr, y, sg, dim, k);
    }

    /** Heap bytes precision and recall hold at {@code samples} rows a set and dimension D. */
    public static long heapBytes(int samples, int dim) {
        long tile = Math.min(TILE, samples);
        return 8L * (4L * samples * dim + 2 * samples + 3 * tile * tile);
    }
}
