package org.diffsweep.diffusion;

/**
 * An ε-prediction model (DDPM, DDPM++): it sees the scaled state x = s·x̂ and its own time input, and predicts
 * the noise ε. {@link EpsilonDenoiser} turns it into the {@link Denoiser} the samplers see.
 */
public interface EpsilonModel {

    int dim();

    /**
     * @param x         {@code batch * dim()} values of the scaled state x = s(t)·x̂, row-major
     * @param modelTime the model's own time input (see {@link ModelTime})
     * @return ε_θ, same layout
     */
    double[] epsilon(double[] x, int batch, double modelTime);

    default String id() {
        return getClass().getSimpleName();
    }
}
