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

    /** The k-NN radii² of an in-memory set (rows n×D). */
    public static double[] radii(double[] x, int n, int dim, int k) {
        if (k < 1 || k >= n) {
            throw new IllegalArgumentException("precision/recall k = " + k + " with n = " + n
                    + ", expected 1 <= k < n");
        }
        return radii(smallest(squaredDistances(x, n, x, n, dim), n, n, k + 1), k);
    }

    /** Precision: the fraction of generated rows inside the real manifold (real radii). */
    public static double precision(double[] real, int nReal, double[] realRadii2, double[] generated, int nGen,
                                   int dim) {
        return inside(margin(squaredDistances(generated, nGen, real, nReal, dim), nGen, nReal, realRadii2, 0));
    }

    /** Precision and recall of two in-memory sets (the Spark job tiles the same computation). */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k) {
        double[] rr = radii(real, nReal, dim, k);
        double[] rg = radii(generated, nGen, dim, k);
        double precision = precision(real, nReal, rr, generated, nGen, dim);
        double recall = precision(generated, nGen, rg, real, nReal, dim);
        return new Result(precision, recall, k, nReal, nGen);
    }
}
