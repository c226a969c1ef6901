package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/**
 * DPM-Solver++(2M) (Lu et al. 2022; docs/samplers.md; as in k-diffusion's {@code sample_dpmpp_2m}). With λ = −ln σ and
 * h = λ_{i+1} − λ_i:
 * <pre>
 *   x̂_{i+1} = (σ_{i+1}/σ_i)·x̂_i − expm1(−h)·D̃
 *   D̃ = D_i                                       on the first step and on a step to σ = 0 (where x̂ becomes D_i)
 *   D̃ = (1 + 1/(2r))·D_i − (1/(2r))·D_{i−1}       otherwise, r = h_{i−1}/h
 * </pre>
 * One model call per step.
 */
public final class DpmSolverPlusPlus2M implements Sampler {

    private static final long serialVersionUID = 1L;

    @Override
    public String describe() {
        return "dpmpp-2m";
    }

    @Override
    public int nfe(int steps) {
        return steps;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, x, noise.batch());
        double[] previous = null;
        double hPrevious = 0;
        for (int i = 0; i + 1 < sigmas.length; i++) {
            double[] d = model.denoise(x, noise.batch(), sigmas[i]);
            if (sigmas[i + 1] == 0) {
                x = d;
                break;
            }
            double h = Math.log(sigmas[i]) - Math.log(sigmas[i + 1]);
            double[] dTilde = d;
            if (previous != null) {
                double r = hPrevious / h;
                double a = 1 + 1 / (2 * r);
                double b = 1 / (2 * r);
                dTilde = new double[d.length];
                for (int k = 0; k < d.length; k++) {
                    dTilde[k] = a * d[k] - b * previous[k];
                }
            }
            double ratio = sigmas[i + 1] / sigmas[i];
            double c = -Math.expm1(-h);
            double[] next = new double[x.length];
            for (int k = 0; k < x.length; k++) {
                next[k] = ratio * x[k] + c * dTilde[k];
            }
            x = next;
            previous = d;
            hPrevious = h;
        }
        return x;
    }
}
