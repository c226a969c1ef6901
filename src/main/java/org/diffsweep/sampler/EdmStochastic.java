package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/**
 * EDM's stochastic sampler (Karras et al. 2022, Algorithm 2; docs/samplers.md), in x̂-space with σ as time. On a grid
 * σ_0 &gt; … &gt; σ_N of N steps, step i is
 *
 * <pre>
 *   γ_i = min(S_churn / N, √2 − 1)   if S_tmin ≤ σ_i ≤ S_tmax,   else 0
 *   σ̂_i = σ_i·(1 + γ_i)
 *   x̂   ← x̂_i + sqrt(σ̂_i² − σ_i²) · S_noise · n_i,        n_i ~ N(0, I)
 *   x̂_{i+1} = Heun step of dx̂/dσ = ε(x̂; σ) from σ̂_i to σ_{i+1}   (Euler alone when σ_{i+1} = 0)
 * </pre>
 *
 * <p>N steps ending at σ = 0 cost 2N − 1 model calls, as {@link Heun}. With S_churn = 0 (or no σ_i inside
 * [S_tmin, S_tmax]) no noise is added and the result is exactly Heun's.
 *
 * <p>Noise: as in Algorithm 2, one standard-normal vector n_i is drawn from every row's own seed stream at
 * <em>every</em> step, whether or not γ_i &gt; 0, and used only when γ_i &gt; 0. So each seed draws exactly N
 * vectors and step i always uses that seed's i-th vector: a sample depends on its seed alone, and changing
 * S_churn, S_tmin or S_tmax changes which draws are used but never shifts the draws of the other steps.
 */
public final class EdmStochastic implements Sampler {

    private static final long serialVersionUID = 1L;

    /** EDM's cap on γ_i: σ̂ never exceeds √2·σ_i, i.e. at most as much new noise variance as there was. */
    static final double MAX_GAMMA = Math.sqrt(2) - 1;

    private final double sChurn;
    private final double sTmin;
    private final double sTmax;
    private final double sNoise;

    /**
     * @param sChurn total churn, finite and &ge; 0 (γ_i = min(S_churn/N, √2 − 1))
     * @param sTmin  lowest σ_i that gets churn, finite and &ge; 0
     * @param sTmax  highest σ_i that gets churn, &ge; S_tmin (may be +∞)
     * @param sNoise scale of the added noise, finite and &gt; 0
     * @throws IllegalArgumentException naming the first bad value
     */
    public EdmStochastic(double sChurn, double sTmin, double sTmax, double sNoise) {
        if (!(sChurn >= 0 && sChurn < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("edm-stochastic: S_churn = " + sChurn + ", expected a finite value >= 0");
        }
        if (!(sTmin >= 0 && sTmin < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("edm-stochastic: S_tmin = " + sTmin + ", expected a finite value >= 0");
        }
        if (!(sTmax >= sTmin)) {
            throw new IllegalArgumentException("edm-stochastic: S_tmax = " + sTmax + " with S_tmin = " + sTmin
                    + ", expected S_tmin <= S_tmax");
        }
        if (!(sNoise > 0 && sNoise < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("edm-stochastic: S_noise = " + sNoise + ", expected a finite value > 0");
        }
        this.sChurn = sChurn;
        this.sTmin = sTmin;
        this.sTmax = sTmax;
        this.sNoise = sNoise;
    }

    /** EDM's defaults: S_churn 0, S_tmin 0, S_tmax +∞, S_noise 1 (deterministic, equal to Heun). */
    public EdmStochastic() {
        this(0, 0, Double.POSITIVE_INFINITY, 1);
    }

    @Override
    public String describe() {
        return "edm-stochastic(S_churn=" + fmt(sChurn) + ",S_tmin=" + fmt(sTmin) + ",S_tmax=" + fmt(sTmax)
                + ",S_noise=" + fmt(sNoise) + ")";
    }

    /** Noise is injected only when S_churn &gt; 0; with S_churn = 0 this is {@link Heun}. */
    @Override
    public boolean stochastic() {
        return sChurn > 0;
    }

    @Override
    public int nfe(int steps) {
        return 2 * steps - 1;
    }

    /** γ_i for noise level σ_i on a grid of N steps. */
    double gamma(double sigma, int steps) {
        return sigma >= sTmin && sigma <= sTmax ? Math.min(sChurn / steps, MAX_GAMMA) : 0;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, x, noise.batch());
        int steps = sigmas.length - 1;
        for (int i = 0; i < steps; i++) {
            double[] n = noise.next(); // one draw per step, used or not
            double sigma = sigmas[i];
            double gamma = gamma(sigma, steps);
            double sigmaHat = sigma;
            if (gamma > 0) {
                sigmaHat = sigma * (1 + gamma);
                x = Ode.step(x, Math.sqrt(sigmaHat * sigmaHat - sigma * sigma) * sNoise, n);
            }
            x = Heun.step(model, x, noise.batch(), sigmaHat, sigmas[i + 1]);
        }
        return x;
    }

    /** Integers without a fraction, +∞ as {@code inf}, anything else as Java prints it. */
    static String fmt(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return "inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
