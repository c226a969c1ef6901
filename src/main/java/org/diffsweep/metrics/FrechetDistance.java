package org.diffsweep.metrics;

import org.diffsweep.linalg.Lapack;

/**
 * Fréchet distance between two Gaussians (FID, docs/statistics.md), in float64, with LAPACK kernels.
 *
 * <p>FID = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr sqrt(Σ₁^½ Σ₂ Σ₁^½). For any factor B with B Bᵀ = Σ₁, the
 * symmetric matrix M = Bᵀ Σ₂ B has the eigenvalues of Σ₁^½ Σ₂ Σ₁^½ (both are those of Σ₂ Σ₁), so the last
 * term is Σ sqrt(max(ω_i, 0)) over M's eigenvalues ω: one factorisation of Σ₁, two matrix products and an
 * eigenvalues-only decomposition, no matrix square root. B is the Cholesky factor when Σ₁ is positive
 * definite, else V Λ₊^½ from Σ₁'s eigendecomposition (negative eigenvalues clamped to 0), so rank-deficient
 * covariances (n ≤ D) stay exact.
 */
public final class FrechetDistance {

    private FrechetDistance() {
    }

    /**
     * FID between {@code a} and {@code b}. Finite for rank-deficient covariances; may come out a round-off
     * amount below 0 for identical inputs.
     *
     * @throws IllegalArgumentException if the dimensions differ
     */
    public static double between(Gaussian a, Gaussian b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("Gaussians differ in dimension: " + a.dim() + " vs " + b.dim());
        }
        return new To(a).from(b);
    }

    /**
     * tr sqrt(Σ_A^½ Σ_B Σ_A^½) for D×D row-major covariances.
     *
     * @throws IllegalArgumentException if either array does not hold d*d values
     */
    public static double traceSqrtProduct(double[] covA, double[] covB, int d) {
        if (d <= 0 || covA.length != (long) d * d || covB.length != (long) d * d) {
            throw new IllegalArgumentException("covariances must hold d*d values for d = " + d + ", got "
                    + covA.length + " and " + covB.length);
        }
        return traceSqrt(Lapack.symmetricEigenvalues(product(factor(covA, d), covB, d), d));
    }

    /**
     * FID and its first-order change with the other covariance: FID(μ, Σ + Δ) ≈ fid + tr Δ − 2⟨G, Δ⟩ for
     * symmetric Δ, where ⟨G, Δ⟩ = Σ_ij G_ij Δ_ij (the mean term stays exact: callers evaluate it directly).
     *
     * @param traceSqrt tr sqrt(Σ_fixed^½ Σ Σ_fixed^½)
     * @param gradient  G = ½·B M^{-½} Bᵀ, the derivative of that trace with respect to Σ (D×D, symmetric)
     */
    public record Linearised(double fid, double traceSqrt, double[] gradient) {
    }

    /**
     * The distance to a fixed Gaussian, with the fixed side factorised once: {@link #from} then costs two D×D
     * products and one eigenvalues-only decomposition.
     */
    public static final class To implements java.io.Serializable {
        private static final long serialVersionUID = 2L;
        private final int dim;
        private final double trace;
        private final double[] mean;
        private final double[] basis;

        public To(Gaussian fixed) {
            this.dim = fixed.dim();
            this.mean = fixed.mean();
            double[] cov = fixed.cov();
            this.trace = FrechetDistance.trace(cov, dim);
            this.basis = factor(cov, dim);
        }

        /** The dimension D. */
        public int dim() {
            return dim;
        }

        /** The fixed side's mean, a copy. */
        public double[] mean() {
            return mean.clone();
        }

        /** tr Σ of the fixed side. */
        public double trace() {
            return trace;
        }

        /** FID between {@code x} and the fixed Gaussian. */
        public double from(Gaussian x) {
            double[] cov = check(x).cov();
            int d = dim;
            return meanTerm(x.mean(), mean) + FrechetDistance.trace(cov, d) + trace
                    - 2 * traceSqrt(Lapack.symmetricEigenvalues(product(basis, cov, d), d));
        }

        /**
         * FID between {@code x} and the fixed Gaussian, with its gradient in x's covariance
         * ({@link Linearised}). Eigenvalues of M below {@code d·ε·max ω} count as 0 and leave G.
         */
        public Linearised linearised(Gaussian x) {
            double[] cov = check(x).cov();
            int d = dim;
            Lapack.Eigen eig = Lapack.symmetricEigen(product(basis, cov, d), d);
            double[] w = eig.values();
            double ts = traceSqrt(w);
            double cutoff = w[d - 1] * d * Math.ulp(1.0);
            // Y = B W Ω^{-1/4} over the kept eigenvalues; G = ½ Y Yᵀ.
            double[] y = Lapack.multiply(basis, false, eig.vectors(), false, d, d, d);
            for (int k = 0; k < d; k++) {
                double s = w[k] > cutoff ? Math.pow(w[k], -0.25) : 0.0;
                for (int i = 0; i < d; i++) {
                    y[i * d + k] *= s;
                }
            }
            double[] g = Lapack.multiply(y, false, y, true, d, d, d);
            for (int i = 0; i < g.length; i++) {
                g[i] *= 0.5;
            }
            double fid = meanTerm(x.mean(), mean) + FrechetDistance.trace(cov, d) + trace - 2 * ts;
            return new Linearised(fid, ts, g);
        }

        private Gaussian check(Gaussian x) {
            if (x.dim() != dim) {
                throw new IllegalArgumentException("Gaussians differ in dimension: " + x.dim() + " vs " + dim);
            }
            return x;
        }
    }

    static double meanTerm(double[] muA, double[] muB) {
        double m = 0;
        for (int i = 0; i < muA.length; i++) {
            double diff = muA[i] - muB[i];
            m += diff * diff;
        }
        return m;
    }

    /** B with B Bᵀ = Σ: the lower Cholesky factor, or V Λ₊^½ when Σ is not positive definite. */
    private static double[] factor(double[] cov, int d) {
        double[] l = Lapack.cholesky(cov, d);
        if (l != null) {
            return l;
        }
        Lapack.Eigen eig = Lapack.symmetricEigen(cov, d);
        double[] b = eig.vectors();
        for (int k = 0; k < d; k++) {
            double scale = Math.sqrt(Math.max(eig.values()[k], 0));
            for (int i = 0; i < d; i++) {
                b[i * d + k] *= scale;
            }
        }
        return b;
    }

    /** M = Bᵀ Σ B. */
    private static double[] product(double[] basis, double[] cov, int d) {
        double[] sigmaB = Lapack.multiply(cov, false, basis, false, d, d, d);
        return Lapack.multiply(basis, true, sigmaB, false, d, d, d);
    }

    private static double traceSqrt(double[] eigenvalues) {
        double t = 0;
        for (double w : eigenvalues) {
            t += Math.sqrt(Math.max(w, 0));
        }
        return t;
    }

    static double trace(double[] cov, int d) {
        double t = 0;
        for (int i = 0; i < d; i++) {
            t += cov[i * d + i];
        }
        return t;
    }
}
