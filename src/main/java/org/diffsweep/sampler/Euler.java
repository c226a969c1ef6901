package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;

/** Euler on the probability-flow ODE (= DDIM): x̂_{i+1} = x̂_i + (σ_{i+1} − σ_i)·ε(x̂_i; σ_i). N steps, N NFE. */
public final class Euler implements Sampler {

    private static final long serialVersionUID = 1L;

    @Override
    public String describe() {
        return "euler";
    }

    @Override
    public int nfe(int steps) {
        return steps;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, x, noise.batch());
        for (int i = 0; i + 1 < sigmas.length; i++) {
            double[] eps = Ode.epsilon(model, x, noise.batch(), sigmas[i]);
            x = Ode.step(x, sigmas[i + 1] - sigmas[i], eps);
        }
        return x;
    }
}
