package org.diffsweep.metrics;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/** Fréchet distance between two Gaussians (FID, SPEC §6), in float64. */
public final class FrechetDistance {

    private FrechetDistance() {
    }

    /**
     * FID = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr sqrt(Σ₁^½ Σ₂ Σ₁^½) (SPEC §6). Finite for rank-deficient
     * covariances; may come out a round-off amount below 0 for identical inputs.
     *
     * @throws IllegalArgumentException if the dimensions differ
     */
    public static double between(Gaussian a, Gaussian b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("Gaussians differ in dimension: " + a.dim() + " vs " + b.dim());
        }
        int d = a.dim();
        double[] muA = a.mean();
        double[] muB = b.mean();
        double[] covA = a.cov();
        double[] covB = b.cov();
        return meanTerm(muA, muB) + trace(covA, d) + trace(covB, d) - 2 * traceSqrtProduct(covA, covB, d);
    }

    /**
     * tr sqrt(Σ_A^½ Σ_B Σ_A^½) for D×D row-major covariances, by symmetric eigendecompositions (SPEC §6).
     *
     * <p>With Σ_A = V Λ Vᵀ (negative eigenvalues clamped to 0) and B = V Λ^½, the matrix Bᵀ Σ_B B equals
     * Vᵀ (Σ_A^½ Σ_B Σ_A^½) V, so it has the same eigenvalues λ_i and saves one D³ product. It is
     * symmetrised, and the result is Σ sqrt(max(λ_i, 0)).
     *
     * @throws IllegalArgumentException if either array does not hold d*d values
     */
    public static double traceSqrtProduct(double[] covA, double[] covB, int d) {
        if (d <= 0 || covA.length != (long) d * d || covB.length != (long) d * d) {
            throw new IllegalArgumentException("covariances must hold d*d values for d = " + d + ", got "
                    + covA.length + " and " + covB.length);
        }
        return traceSqrtProduct(basis(covA, d), covB, d);
    }

    /**
     * The distance to a fixed Gaussian, with its eigendecomposition done once: {@link #between}(x, it) for many x
     * costs one eigenvalues-only decomposition and two D×D products each, instead of a full decomposition too.
     * FID is symmetric, tr sqrt(Σ_A^½ Σ_B Σ_A^½) = tr sqrt(Σ_B^½ Σ_A Σ_B^½), so the fixed side may be either.
     */
    public static final class To {
        private final Gaussian fixed;
        private final double trace;
        private final DMatrixRMaj basis;

        public To(Gaussian fixed) {
            this.fixed = fixed;
            this.trace = trace(fixed.cov(), fixed.dim());
            this.basis = basis(fixed.cov(), fixed.dim());
        }

        /** FID between {@code x} and the fixed Gaussian. */
        public double from(Gaussian x) {
            int d = fixed.dim();
            if (x.dim() != d) {
                throw new IllegalArgumentException("Gaussians differ in dimension: " + x.dim() + " vs " + d);
            }
            double[] cov = x.cov();
            return meanTerm(x.mean(), fixed.mean()) + trace(cov, d) + trace
                    - 2 * traceSqrtProduct(basis, cov, d);
        }
    }

    private static double meanTerm(double[] muA, double[] muB) {
        double m = 0;
        for (int i = 0; i < muA.length; i++) {
            double diff = muA[i] - muB[i];
            m += diff * diff;
        }
        return m;
    }

    /** B = V Λ^½ for Σ_A = V Λ Vᵀ, negative eigenvalues clamped to 0. */
    private static DMatrixRMaj basis(double[] covA, int d) {
        DMatrixRMaj sigmaA = symmetrised(DMatrixRMaj.wrap(d, d, covA.clone()));
        EigenDecomposition_F64<DMatrixRMaj> eigA = symmetricEig(sigmaA, d, true);
        DMatrixRMaj basis = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double scale = Math.sqrt(Math.max(eigA.getEigenvalue(k).real, 0));
            DMatrixRMaj v = eigA.getEigenVector(k);
            for (int i = 0; i < d; i++) {
                basis.unsafe_set(i, k, v.data[i] * scale);
            }
        }
        return basis;
    }

    /** Σ sqrt(max(λ_i, 0)) over the eigenvalues of Bᵀ Σ_B B. */
    private static double traceSqrtProduct(DMatrixRMaj basis, double[] covB, int d) {
        DMatrixRMaj sigmaBBasis = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(DMatrixRMaj.wrap(d, d, covB), basis, sigmaBBasis);
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(basis, sigmaBBasis, m);

        EigenDecomposition_F64<DMatrixRMaj> eigM = symmetricEig(symmetrised(m), d, false);
        double traceSqrt = 0;
        for (int k = 0; k < d; k++) {
            traceSqrt += Math.sqrt(Math.max(eigM.getEigenvalue(k).real, 0));
        }
        return traceSqrt;
    }

    private static double trace(double[] cov, int d) {
        double t = 0;
        for (int i = 0; i < d; i++) {
            t += cov[i * d + i];
        }
        return t;
    }

    /** (M + Mᵀ)/2, in place. */
    private static DMatrixRMaj symmetrised(DMatrixRMaj m) {
        int d = m.numRows;
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double avg = 0.5 * (m.unsafe_get(i, j) + m.unsafe_get(j, i));
                m.unsafe_set(i, j, avg);
                m.unsafe_set(j, i, avg);
            }
        }
        return m;
    }

    private static EigenDecomposition_F64<DMatrixRMaj> symmetricEig(DMatrixRMaj m, int d, boolean vectors) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, vectors, true);
        if (!eig.decompose(m)) {
            throw new ArithmeticException("symmetric eigendecomposition of a " + d + "x" + d + " matrix did not converge");
        }
        return eig;
    }
}
