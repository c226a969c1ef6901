package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/**
 * Heun's second-order method (EDM Algorithm 1, σ(t) = t, s = 1): an Euler predictor
 * x̃ = x̂_i + h·ε_i, then the trapezoidal corrector x̂_{i+1} = x̂_i + h·½(ε_i + ε(x̃; σ_{i+1})), h = σ_{i+1} − σ_i;
 * no corrector on a step to σ = 0. N steps ending at 0 cost 2N − 1 NFE.
 */
public final class Heun implements Sampler {

    private static final long serialVersionUID = 1L;

    @Override
    public String describe() {
        return "heun";
    }

    @Override
    public int nfe(int steps) {
        return 2 * steps - 1;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, x, noise.batch());
        for (int i = 0; i + 1 < sigmas.length; i++) {
            x = step(model, x, noise.batch(), sigmas[i], sigmas[i + 1]);
        }
        return x;
    }

    /** One Heun step from σ to σ' (Euler alone when σ' = 0). */
    static double[] step(Denoiser model, double[] x, int batch, double sigma, double sigmaNext) {
        double h = sigmaNext - sigma;
        double[] eps = Ode.epsilon(model, x, batch, sigma);
        double[] predicted = Ode.step(x, h, eps);
        if (sigmaNext == 0) {
            return predicted;
        }
        double[] epsNext = Ode.epsilon(model, predicted, batch, sigmaNext);
        return Ode.step(x, h, Ode.average(eps, epsNext));
    }
}
