package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.rng.BatchNoise;

/**
 * Euler–Maruyama on the reverse SDE of the model's own process, stepped in the process's time t (docs/samplers.md).
 *
 * <p>For x = s(t)·(x_0 + σ(t)·n) the forward SDE is dx = f(t)·x dt + g(t) dw with (EDM eq. 4 rearranged)
 *
 * <pre>
 *   f = ṡ/s,     g² = 2·s²·σ·σ̇,
 * </pre>
 *
 * its reverse is dx = [f·x − g²·∇_x log p_t(x)] dt + g dw̄, and the model gives the score through
 * ∇_x log p_t(x) = (s·D(x/s; σ) − x)/(s²σ²). From t_i = t(σ_i) to t_{i+1} = t(σ_{i+1}) (so Δt &lt; 0), with
 * f, g, s, σ and the score all taken at t_i (Itô, left point):
 *
 * <pre>
 *   x_{i+1} = x_i + [f·x_i − g²·∇log p_t(x_i)]·(t_{i+1} − t_i) + g·sqrt(t_i − t_{i+1})·n_i,   n_i ~ N(0, I)
 * </pre>
 *
 * <p>The state is x = s·x̂ inside; the input is x̂ at σ_0 and the result x̂ = x/s at σ_N. A step to σ = 0 is
 * not an SDE step (t(0) may lie outside the process's range and the score is undefined there): it is the
 * probability-flow Euler step in x̂, x̂ + (0 − σ)·ε(x̂; σ), which is exactly the Tweedie denoiser
 * x̂_N = D(x̂_{N−1}; σ_{N−1}), without noise, as EDM's samplers end.
 *
 * <p>One model call per step, so N steps cost N NFE. Noise: every SDE step draws one standard-normal vector
 * from each row's own seed stream (the final step to σ = 0 draws none), so a sample depends on its seed alone.
 */
public final class EulerMaruyama implements Sampler {

    private static final long serialVersionUID = 1L;

    private final Process process;

    /** @param process the process the model was trained on; its t ↔ σ map, s, σ̇ and ṡ define the SDE */
    public EulerMaruyama(Process process) {
        if (process == null) {
            throw new IllegalArgumentException("euler-maruyama: process = null, expected a diffusion process");
        }
        this.process = process;
    }

    public Process process() {
        return process;
    }

    @Override
    public String describe() {
        return "euler-maruyama";
    }

    @Override
    public boolean stochastic() {
        return true;
    }

    @Override
    public int nfe(int steps) {
        return steps;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] xHat, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, xHat, noise.batch());
        int batch = noise.batch();
        int last = sigmas.length - 1;
        double[] x = times(xHat, process.scaleAtSigma(sigmas[0]));
        for (int i = 0; i < last; i++) {
            double sigma = sigmas[i];
            double t = process.time(sigma);
            double s = process.scale(t);
            if (sigmas[i + 1] == 0) {
                return model.denoise(over(x, s), batch, sigma); // x̂ + (0 − σ)·ε(x̂; σ) = D(x̂; σ)
            }
            double dt = process.time(sigmas[i + 1]) - t;
            double f = process.scaleDerivative(t) / s;
            double g2 = 2 * s * s * sigma * process.sigmaDerivative(t);
            double[] d = model.denoise(over(x, s), batch, sigma);
            double[] n = noise.next();
            double noiseScale = Math.sqrt(g2 * -dt);
            double[] next = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                double score = (s * d[j] - x[j]) / (s * s * sigma * sigma);
                next[j] = x[j] + (f * x[j] - g2 * score) * dt + noiseScale * n[j];
            }
            x = next;
        }
        return over(x, process.scaleAtSigma(sigmas[last]));
    }

    /** x = s·x̂. */
    private static double[] times(double[] v, double s) {
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = v[j] * s;
        }
        return out;
    }

    /** x̂ = x/s. */
    private static double[] over(double[] v, double s) {
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = v[j] / s;
        }
        return out;
    }
}
