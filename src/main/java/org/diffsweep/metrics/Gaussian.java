package org.diffsweep.metrics;

import java.io.Serializable;

/**
 * An immutable Gaussian summary of features (docs/statistics.md): mean μ (D values), covariance Σ (D×D, row-major)
 * and the sample count n it was estimated from, where n = 0 means "exact" (no sample size, e.g. imported
 * reference statistics). Arrays are copied on the way in and out.
 */
public final class Gaussian implements Serializable {

    private static final long serialVersionUID = 1L;

    private final double[] mean;
    private final double[] cov;
    private final long n;
    /** Σ's lower Cholesky factor, when whoever made this Gaussian has computed it already; null otherwise. */
    private final transient double[] lowerFactor;

    /**
     * @param mean μ, D &gt; 0 finite values
     * @param cov  Σ, D*D finite values, row-major
     * @param n    sample count, &gt;= 0 (0 = exact)
     */
    public Gaussian(double[] mean, double[] cov, long n) {
        this(mean, cov, n, null);
    }

    /**
     * As above, with Σ's lower Cholesky factor (row-major, zeros above the diagonal) as {@link
     * org.diffsweep.linalg.Lapack#cholesky} computes it from {@code cov}, so that {@link FrechetDistance.To} does not
     * factorise Σ again; not copied.
     */
    Gaussian(double[] mean, double[] cov, long n, double[] lowerFactor) {
        if (mean == null || mean.length == 0) {
            throw new IllegalArgumentException("mean must hold D > 0 values");
        }
        int d = mean.length;
        if (cov == null || cov.length != (long) d * d) {
            throw new IllegalArgumentException("cov must hold D*D = " + ((long) d * d) + " values for D = " + d
                    + ", got " + (cov == null ? "null" : cov.length));
        }
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0 (0 = exact), got " + n);
        }
        requireFinite("mean", mean);
        requireFinite("cov", cov);
        this.mean = mean.clone();
        this.cov = cov.clone();
        this.n = n;
        if (lowerFactor != null && lowerFactor.length != cov.length) {
            throw new IllegalArgumentException("Cholesky factor of " + lowerFactor.length + " values, expected "
                    + cov.length);
        }
        this.lowerFactor = lowerFactor;
    }

    /** Σ's lower Cholesky factor if it came with this Gaussian (not a copy: read only), else null. */
    double[] knownLowerFactor() {
        return lowerFactor;
    }

    /** μ and unbiased Σ of {@code stats}, with n = its count (at least 2). */
    public static Gaussian of(FeatureStats stats) {
        return new Gaussian(stats.mean(), stats.covariance(), stats.count());
    }

    /** Dimension D. */
    public int dim() {
        return mean.length;
    }

    /** μ, a copy. */
    public double[] mean() {
        return mean.clone();
    }

    /** Σ, a D×D row-major copy. */
    public double[] cov() {
        return cov.clone();
    }

    /** Sample count, 0 for exact statistics. */
    public long n() {
        return n;
    }

    private static void requireFinite(String name, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is not finite: " + values[i]);
            }
        }
    }
}
