package org.diffsweep.psld;

import java.io.Serializable;
import org.diffsweep.model.GaussianMixture;

/**
 * The exact PSLD model of a Gaussian mixture with diagonal components (docs/psld.md): data x_0 ~ Σ_k w_k
 * N(μ_k, diag(s_k²)) and m_0 ~ N(0, κM) independent, so p_t(z | k) is Gaussian per (x_i, m_i) pair, with the
 * kernel's mean and covariance. Its score is exact in closed form; as a "network" it returns ε̂ = −Lᵀs with the
 * HSM kernel's factor, so that the samplers' ε → score path returns the exact score.
 */
public final class PsldOracle implements PsldModel, Serializable {

    private static final long serialVersionUID = 1L;

    private final GaussianMixture mixture;
    private final PsldProcess process;

    public PsldOracle(GaussianMixture mixture, PsldProcess process) {
        this.mixture = mixture;
        this.process = process;
    }

    @Override
    public int dim() {
        return mixture.dim();
    }

    @Override
    public String id() {
        return mixture.id() + "+psld";
    }

    public GaussianMixture mixture() {
        return mixture;
    }

    @Override
    public double[] epsilon(double[] z, int batch, double t) {
        double[] s = score(z, batch, t);
        process.epsilonFromScore(s, dim(), t);
        return s;
    }

    /** The exact score ∇_z log p_t(z), same layout as z. */
    public double[] score(double[] z, int batch, double t) {
        Pairs p = new Pairs(t);
        int d = dim();
        int k = mixture.components();
        double[] out = new double[z.length];
        double[] logw = new double[k];
        for (int r = 0; r < batch; r++) {
            int row = r * 2 * d;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                logw[c] = p.logDensity(c, z, row);
                max = Math.max(max, logw[c]);
            }
            double total = 0;
            for (int c = 0; c < k; c++) {
                logw[c] = Math.exp(logw[c] - max);
                total += logw[c];
            }
            for (int c = 0; c < k; c++) {
                double resp = logw[c] / total;
                for (int i = 0; i < d; i++) {
                    int q = c * d + i;
                    double dx = z[row + i] - p.meanX[q];
                    double dm = z[row + d + i] - p.meanM[q];
                    out[row + i] -= resp * (p.pxx[q] * dx + p.pxm[q] * dm);
                    out[row + d + i] -= resp * (p.pxm[q] * dx + p.pmm[q] * dm);
                }
            }
        }
        return out;
    }

    /** log p_t(z) of one row (for tests: its gradient is the score). */
    public double logDensity(double[] z, double t) {
        Pairs p = new Pairs(t);
        double max = Double.NEGATIVE_INFINITY;
        double[] lw = new double[mixture.components()];
        for (int c = 0; c < lw.length; c++) {
            lw[c] = p.logDensity(c, z, 0);
            max = Math.max(max, lw[c]);
        }
        double sum = 0;
        for (double v : lw) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    /** Per component and dimension at time t: the pair's mean, its precision and log-normaliser. */
    private final class Pairs {
        final double[] meanX;
        final double[] meanM;
        final double[] pxx;
        final double[] pxm;
        final double[] pmm;
        final double[] logNorm;

        Pairs(double t) {
            int d = dim();
            int k = mixture.components();
            double[] a = process.meanMatrix(t);
            meanX = new double[k * d];
            meanM = new double[k * d];
            pxx = new double[k * d];
            pxm = new double[k * d];
            pmm = new double[k * d];
            logNorm = new double[k];
            double smm0 = process.kappa() * process.mass();
            for (int c = 0; c < k; c++) {
                double ln = Math.log(mixture.weights()[c]);
                for (int i = 0; i < d; i++) {
                    int q = c * d + i;
                    double mu = mixture.means()[c][i];
                    meanX[q] = a[0] * mu;
                    meanM[q] = a[2] * mu;
                    double[] cov = process.covariance(t, mixture.variances()[c][i], smm0);
                    double det = cov[0] * cov[2] - cov[1] * cov[1];
                    pxx[q] = cov[2] / det;
                    pxm[q] = -cov[1] / det;
                    pmm[q] = cov[0] / det;
                    ln -= 0.5 * Math.log(det) + Math.log(2 * Math.PI);
                }
                logNorm[c] = ln;
            }
        }

        double logDensity(int c, double[] z, int row) {
            int d = dim();
            double q2 = 0;
            for (int i = 0; i < d; i++) {
                int q = c * d + i;
                double dx = z[row + i] - meanX[q];
                double dm = z[row + d + i] - meanM[q];
                q2 += pxx[q] * dx * dx + 2 * pxm[q] * dx * dm + pmm[q] * dm * dm;
            }
            return logNorm[c] - 0.5 * q2;
        }
    }
}
