package org.diffsweep.metrics;

import java.io.Serializable;

/**
 * Mergeable float64 sums of feature vectors of dimension D (SPEC §6): the count n, Σf (D values) and
 * Σffᵀ (D×D, row-major).
 *
 * <p>The adders update only the upper triangle of Σffᵀ; every reader first mirrors it onto the lower
 * triangle, so what leaves this class is always full and symmetric. Not thread-safe.
 */
public final class FeatureStats implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int dim;
    private long n;
    private final double[] sum;
    private final double[] sumOuter;

    /** Empty statistics for vectors of {@code dim} values. */
    public FeatureStats(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dim must be > 0, got " + dim);
        }
        this.dim = dim;
        this.sum = new double[dim];
        this.sumOuter = new double[Math.multiplyExact(dim, dim)];
    }

    /**
     * Rebuilds statistics from raw sums, as returned by {@link #count()}, {@link #sum()} and
     * {@link #sumOuter()}; the arrays are copied.
     */
    public FeatureStats(long n, double[] sum, double[] sumOuter) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (sum == null || sum.length == 0) {
            throw new IllegalArgumentException("sum must hold D > 0 values");
        }
        int d = sum.length;
        if (sumOuter == null || sumOuter.length != (long) d * d) {
            throw new IllegalArgumentException("sumOuter must hold D*D = " + ((long) d * d) + " values for D = "
                    + d + ", got " + (sumOuter == null ? "null" : sumOuter.length));
        }
        this.dim = d;
        this.n = n;
        this.sum = sum.clone();
        this.sumOuter = sumOuter.clone();
    }

    /** Dimension D of the vectors. */
    public int dim() {
        return dim;
    }

    /** Number of vectors added. */
    public long count() {
        return n;
    }

    /** Adds one vector of D values. */
    public void add(float[] f) {
        checkLength(f.length, 1);
        double[] row = new double[dim];
        for (int i = 0; i < dim; i++) {
            row[i] = f[i];
        }
        addBatch(row, 1);
    }

    /** Adds one vector of D values. */
    public void add(double[] f) {
        checkLength(f.length, 1);
        addBatch(f, 1);
    }

    /** Adds {@code batch} vectors stored row-major in {@code rows} ({@code batch * D} values). */
    public void addBatch(double[] rows, int batch) {
        if (batch < 0) {
            throw new IllegalArgumentException("batch must be >= 0, got " + batch);
        }
        checkLength(rows.length, batch);
        for (int r = 0; r < batch; r++) {
            int off = r * dim;
            for (int i = 0; i < dim; i++) {
                sum[i] += rows[off + i];
            }
        }
        // Row i of Σffᵀ stays in cache while every vector of the batch updates it.
        for (int i = 0; i < dim; i++) {
            int outRow = i * dim;
            for (int r = 0; r < batch; r++) {
                int off = r * dim;
                double fi = rows[off + i];
                for (int j = i; j < dim; j++) {
                    sumOuter[outRow + j] += fi * rows[off + j];
                }
            }
        }
        n += batch;
    }

    /** Adds {@code other} into this and returns this. */
    public FeatureStats merge(FeatureStats other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge stats of dim " + other.dim + " into stats of dim " + dim);
        }
        for (int i = 0; i < dim; i++) {
            sum[i] += other.sum[i];
            for (int j = i; j < dim; j++) {
                sumOuter[i * dim + j] += other.sumOuter[i * dim + j];
            }
        }
        n += other.n;
        return this;
    }

    /** Σf, a copy of D values. */
    public double[] sum() {
        return sum.clone();
    }

    /** Σffᵀ, a full symmetric D×D copy, row-major. */
    public double[] sumOuter() {
        mirrorUpper();
        return sumOuter.clone();
    }

    /** μ = Σf / n. */
    public double[] mean() {
        if (n < 1) {
            throw new IllegalStateException("mean needs at least 1 vector, have " + n);
        }
        double[] mu = new double[dim];
        for (int i = 0; i < dim; i++) {
            mu[i] = sum[i] / n;
        }
        return mu;
    }

    /** Unbiased covariance Σ = (Σffᵀ − n·μμᵀ) / (n − 1), D×D row-major. */
    public double[] covariance() {
        if (n < 2) {
            throw new IllegalStateException("covariance needs at least 2 vectors, have " + n);
        }
        double[] mu = mean();
        double[] cov = new double[dim * dim];
        double scale = 1.0 / (n - 1);
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++) {
                double c = (sumOuter[i * dim + j] - n * mu[i] * mu[j]) * scale;
                cov[i * dim + j] = c;
                cov[j * dim + i] = c;
            }
        }
        return cov;
    }

    private void mirrorUpper() {
        for (int i = 0; i < dim; i++) {
            for (int j = i + 1; j < dim; j++) {
                sumOuter[j * dim + i] = sumOuter[i * dim + j];
            }
        }
    }

    private void checkLength(int length, int batch) {
        if (length != (long) batch * dim) {
            throw new IllegalArgumentException("expected " + batch + " x " + dim + " = " + ((long) batch * dim)
                    + " values, got " + length);
        }
    }
}
