package org.diffsweep.metrics;

import org.diffsweep.linalg.Lapack;

/**
 * Fréchet distance between two Gaussians (FID, docs/statistics.md), in float64, with LAPACK kernels.
 *
 * <p>FID = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr sqrt(Σ₁^½ Σ₂ Σ₁^½). For any factor B with B Bᵀ = Σ₁, the
 * symmetric matrix M = Bᵀ Σ₂ B has the eigenvalues of Σ₁^½ Σ₂ Σ₁^½ (both are those of Σ₂ Σ₁), so the last
 * term is Σ sqrt(max(ω_i, 0)) over M's eigenvalues ω: one factorisation of Σ₁, two matrix products and an
 * eigenvalues-only decomposition, no matrix square root. The products skip the Cholesky factor's zeros and
 * compute M's upper triangle only. B is the Cholesky factor when Σ₁ is positive
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
        Factor f = factor(covA, d);
        return traceSqrt(Lapack.symmetricEigenvalues(product(f.basis(), f.lower(), covB, d), d));
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
        private static final long serialVersionUID = 3L;
        private final int dim;
        private final double trace;
        private final double[] mean;
        private final double[] basis;
        private final boolean lower;

        public To(Gaussian fixed) {
            this.dim = fixed.dim();
            this.mean = fixed.mean();
            double[] cov = fixed.cov();
            this.trace = FrechetDistance.trace(cov, dim);
            // A factor the Gaussian came with is shared, not copied: neither it nor this class ever writes to it.
            double[] known = fixed.knownLowerFactor();
            Factor f = known != null ? new Factor(known, true) : factor(cov, dim);
            this.basis = f.basis();
            this.lower = f.lower();
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
                    - 2 * traceSqrt(Lapack.symmetricEigenvalues(product(basis, lower, cov, d), d));
        }

        /**
         * The eigenvalues, ascending, of M = Bᵀ Σ_x B as {@link #from} computes them (eigenvalues only): the FID's
         * square-root term is Σ √max(ω, 0) over them. For round-off bounds.
         */
        public double[] productEigenvalues(Gaussian x) {
            return Lapack.symmetricEigenvalues(product(basis, lower, check(x).cov(), dim), dim);
        }

        /**
         * FID between {@code x} and the fixed Gaussian, with its gradient in x's covariance
         * ({@link Linearised}). Eigenvalues of M below {@code d·ε·max ω} count as 0 and leave G.
         */
        public Linearised linearised(Gaussian x) {
            double[] cov = check(x).cov();
            int d = dim;
            Lapack.Eigen eig = Lapack.symmetricEigen(product(basis, lower, cov, d), d);
            double[] w = eig.values();
            double ts = traceSqrt(w);
            double cutoff = w[d - 1] * d * Math.ulp(1.0);
            // Y = B W Ω^{-1/4} over the kept eigenvalues; G = ½ Y Yᵀ (its upper triangle, mirrored). The
            // eigenvectors are the rows of Z = Wᵀ: each row is scaled in place and Y = B Zᵀ, with no transposed copy.
            double[] z = eig.vectors();
            for (int k = 0; k < d; k++) {
                double s = w[k] > cutoff ? Math.pow(w[k], -0.25) : 0.0;
                for (int i = 0; i < d; i++) {
                    z[k * d + i] *= s;
                }
            }
            double[] g;
            try (Lapack.Matrix mb = Lapack.Matrix.of(basis, d, d);
                 Lapack.Matrix mz = Lapack.Matrix.of(z, d, d);
                 Lapack.Matrix my = Lapack.multiply(mb, false, lower, mz, true, false, false);
                 Lapack.Matrix yy = Lapack.multiply(my, false, false, my, true, false, true)) {
                g = yy.toArray();
            }
            symmetrise(g, d, 0.5);
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

    /** A factor B with B Bᵀ = Σ; {@code lower}: B is lower triangular. */
    private record Factor(double[] basis, boolean lower) {
    }

    /** B with B Bᵀ = Σ: the lower Cholesky factor, or V Λ₊^½ when Σ is not positive definite. */
    private static Factor factor(double[] cov, int d) {
        double[] l = Lapack.cholesky(cov, d);
        if (l != null) {
            return new Factor(l, true);
        }
        Lapack.Eigen eig = Lapack.symmetricEigen(cov, d);
        double[] z = eig.vectors();
        double[] b = new double[d * d];
        for (int k = 0; k < d; k++) {
            // column k of B is eigenvector k (row k of z) times √λ_k
            double scale = Math.sqrt(Math.max(eig.values()[k], 0));
            for (int i = 0; i < d; i++) {
                b[i * d + k] = z[k * d + i] * scale;
            }
        }
        return new Factor(b, false);
    }

    /**
     * M = Bᵀ Σ B, symmetric: Σ B, then the upper triangle of Bᵀ (Σ B), mirrored; with B lower triangular the
     * products skip B's zeros (about 1.7 d³ multiply-adds instead of 4 d³).
     */
    private static double[] product(double[] basis, boolean lower, double[] cov, int d) {
        double[] m;
        try (Lapack.Matrix b = Lapack.Matrix.of(basis, d, d);
             Lapack.Matrix s = Lapack.Matrix.of(cov, d, d);
             Lapack.Matrix sb = Lapack.multiply(s, false, false, b, false, lower, false);
             Lapack.Matrix bsb = Lapack.multiply(b, true, lower, sb, false, false, true)) {
            m = bsb.toArray();
        }
        symmetrise(m, d, 1.0);
        return m;
    }

    /** Scales the upper triangle of the d×d {@code a} by {@code scale} and copies it onto the lower one. */
    private static void symmetrise(double[] a, int d, double scale) {
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                double v = a[i * d + j] * scale;
                a[i * d + j] = v;
                a[j * d + i] = v;
            }
        }
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
