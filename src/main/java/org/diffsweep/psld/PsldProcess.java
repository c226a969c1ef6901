package org.diffsweep.psld;

import java.io.Serializable;
import java.util.Locale;

/**
 * Phase Space Langevin Diffusion (docs/psld.md): the forward SDE on z = (x, m), every (x_i, m_i) pair alike,
 *
 * <pre>
 *   dx = (β/2)(M⁻¹m − Γx) dt + √(βΓ) dw_x,     dm = (β/2)(−x − νm) dt + √(βMν) dw_m,
 * </pre>
 *
 * with β(t) = β_min + t(β_max − β_min), B(t) = ∫₀ᵗ β, critical damping M⁻¹ = (Γ − ν)²/4 and T = 1. Networks are
 * trained with the HSM kernel (m_0 = 0 with variance κM) and predict ε with z_t = μ_t + Lε.
 *
 * @param betaMin β(0)
 * @param betaMax β(1)
 * @param gamma   Γ, the position friction
 * @param nu      ν, the momentum friction
 * @param kappa   κ: the momentum's initial variance is κM
 * @param eps     the last forward time sampled before the denoising step
 */
public record PsldProcess(double betaMin, double betaMax, double gamma, double nu, double kappa, double eps)
        implements Serializable {

    /** The end of forward time. */
    public static final double T = 1.0;
    /** Added to Σxx and Σmm of the HSM kernel before its Cholesky factor, as the networks were trained. */
    public static final double JITTER = 1e-9;

    public PsldProcess {
        require(betaMin > 0 && Double.isFinite(betaMin), "beta_min", betaMin, "> 0");
        require(betaMax > 0 && Double.isFinite(betaMax), "beta_max", betaMax, "> 0");
        require(gamma > 0 && Double.isFinite(gamma), "gamma", gamma, "> 0");
        require(nu > gamma && Double.isFinite(nu), "nu", nu, "> gamma (" + gamma + ")");
        require(kappa >= 0 && Double.isFinite(kappa), "kappa", kappa, ">= 0");
        require(eps > 0 && eps < T, "eps", eps, "in (0, 1)");
    }

    private static void require(boolean ok, String key, double v, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("process psld: " + key + " = " + v + ", expected " + expected);
        }
    }

    /** M⁻¹ = (Γ − ν)²/4 (critical damping). */
    public double massInverse() {
        return (gamma - nu) * (gamma - nu) / 4;
    }

    /** M. */
    public double mass() {
        return 1 / massInverse();
    }

    public double beta(double t) {
        return betaMin + t * (betaMax - betaMin);
    }

    /** B(t) = ∫₀ᵗ β. */
    public double integratedBeta(double t) {
        return betaMin * t + 0.5 * (betaMax - betaMin) * t * t;
    }

    /** μ_t = A(t)·(x_0, m_0) per pair: {A_xx, A_xm, A_mx, A_mm}. */
    public double[] meanMatrix(double t) {
        double b = integratedBeta(t);
        double e = Math.exp(-(nu + gamma) * b / 4);
        return new double[] {e * (1 + (nu - gamma) * b / 4), e * massInverse() * b / 2, -e * b / 2,
                e * (1 + (gamma - nu) * b / 4)};
    }

    /**
     * The kernel's covariance {Σxx, Σxm, Σmm} at t from initial variances Σxx0 and Σmm0 (no cross term), exact.
     */
    public double[] covariance(double t, double sxx0, double smm0) {
        double b = integratedBeta(t);
        double mi = massInverse();
        double m = mass();
        double g = gamma - nu;
        double grow = Math.expm1((nu + gamma) * b / 2);
        double e = Math.exp(-(nu + gamma) * b / 2);
        double xx = e * (sxx0 * (1 - g * b / 2 + mi * b * b / 4) + smm0 * mi * mi * b * b / 4 + grow + g * b / 2
                - mi * b * b / 2);
        double xm = e * (sxx0 * (g * b * b / 8 - b / 2) + smm0 * (mi * g * b * b / 8 + mi * b / 2) - g * b * b / 4);
        double mm = e * (sxx0 * b * b / 4 + smm0 * (1 + g * b / 2 + mi * b * b / 4) + m * grow - m * g * b / 2
                - b * b / 2);
        return new double[] {xx, xm, mm};
    }

    /** The HSM kernel's covariance (Σxx0 = 0, Σmm0 = κM) with the jitter on its diagonal. */
    public double[] hsmCovariance(double t) {
        double[] c = covariance(t, 0, kappa * mass());
        c[0] += JITTER;
        c[2] += JITTER;
        return c;
    }

    /** The lower Cholesky factor {L_xx, L_mx, L_mm} of a 2×2 covariance {a, b, c}. */
    public static double[] cholesky(double[] cov) {
        double l11 = Math.sqrt(cov[0]);
        double l21 = cov[1] / l11;
        return new double[] {l11, l21, Math.sqrt(cov[2] - l21 * l21)};
    }

    /**
     * The score from a network's ε at forward time t, in place: s = −L⁻ᵀε with L the HSM kernel's factor. Rows
     * of {@code z} hold x then m, {@code dim} values each.
     */
    public void scoreFromEpsilon(double[] eps, int dim, double t) {
        double[] l = cholesky(hsmCovariance(t));
        double ix = 1 / l[0];
        double cross = l[1] / (l[0] * l[2]);
        double im = 1 / l[2];
        for (int row = 0; row < eps.length; row += 2 * dim) {
            for (int i = 0; i < dim; i++) {
                double ex = eps[row + i];
                double em = eps[row + dim + i];
                eps[row + i] = -ex * ix + cross * em;
                eps[row + dim + i] = -em * im;
            }
        }
    }

    /** The inverse of {@link #scoreFromEpsilon}: ε = −Lᵀs, in place. */
    public void epsilonFromScore(double[] score, int dim, double t) {
        double[] l = cholesky(hsmCovariance(t));
        for (int row = 0; row < score.length; row += 2 * dim) {
            for (int i = 0; i < dim; i++) {
                double sx = score[row + i];
                double sm = score[row + dim + i];
                score[row + i] = -(l[0] * sx + l[1] * sm);
                score[row + dim + i] = -l[2] * sm;
            }
        }
    }

    /**
     * The reverse drift at forward time t from a state and its score, per pair:
     * [(β/2)(Γx − M⁻¹m) + w·βΓ s_x, (β/2)(x + νm) + w·βMν s_m] with w = 1 for the reverse SDE and ½ for the
     * probability-flow ODE.
     */
    public double[] reverseDrift(double[] z, double[] score, int dim, double t, double w) {
        double beta = beta(t);
        double mi = massInverse();
        double cx = w * beta * gamma;
        double cm = w * beta * mass() * nu;
        double[] f = new double[z.length];
        for (int row = 0; row < z.length; row += 2 * dim) {
            for (int i = 0; i < dim; i++) {
                double x = z[row + i];
                double m = z[row + dim + i];
                f[row + i] = beta / 2 * (gamma * x - mi * m) + cx * score[row + i];
                f[row + dim + i] = beta / 2 * (x + nu * m) + cm * score[row + dim + i];
            }
        }
        return f;
    }

    /** The reverse SDE's noise scales per unit √dτ: {√(βΓ), √(βMν)} at forward time t. */
    public double[] reverseNoise(double t) {
        double beta = beta(t);
        return new double[] {Math.sqrt(beta * gamma), Math.sqrt(beta * mass() * nu)};
    }

    /**
     * The exact Ornstein–Uhlenbeck piece of the reverse drift (linear part (β/2)[[−Γ, −M⁻¹], [1, −ν]] with the
     * reverse SDE's noise) over an interval whose integrated β is {@code dB}: {mean A_xx, A_xm, A_mx, A_mm, then
     * Σxx, Σxm, Σmm (jitter on the diagonal)}.
     */
    public double[] ouStep(double dB) {
        double e4 = Math.exp(-(nu + gamma) * dB / 4);
        double e2 = Math.exp(-(nu + gamma) * dB / 2);
        double mi = massInverse();
        double g = gamma - nu;
        double grow = Math.expm1((nu + gamma) * dB / 2);
        return new double[] {e4 * (1 - g * dB / 4), -e4 * mi * dB / 2, e4 * dB / 2, e4 * (1 + g * dB / 4),
                e2 * (grow + g * dB / 2 - mi * dB * dB / 2) + JITTER, e2 * g * dB * dB / 4,
                e2 * (mass() * grow - mass() * g * dB / 2 - dB * dB / 2) + JITTER};
    }

    /** B(T − τ) − B(T − τ − δ): the integrated β over reverse times [τ, τ + δ]. */
    public double reverseIntegratedBeta(double tau, double delta) {
        return integratedBeta(T - tau) - integratedBeta(T - tau - delta);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "psld(beta_min=%s,beta_max=%s,gamma=%s,nu=%s,kappa=%s,eps=%s)",
                num(betaMin), num(betaMax), num(gamma), num(nu), num(kappa), num(eps));
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
