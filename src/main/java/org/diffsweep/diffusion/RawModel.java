package org.diffsweep.diffusion;

/**
 * A network without preconditioning (DDPM, DDPM++, diffusers' UNet2DModel): it sees the scaled state x = s·x̂ and
 * its own time input, and predicts ε, v or x₀ ({@link Prediction}). {@link PredictionDenoiser} turns it into the
 * {@link Denoiser} the samplers see.
 */
public interface RawModel {

    int dim();

    /**
     * @param x         {@code batch * dim()} values of the scaled state x = s(t)·x̂, row-major
     * @param modelTime the model's own time input (see {@link ModelTime}); an integer where the network takes one
     * @return the prediction, same layout
     */
    double[] predict(double[] x, int batch, double modelTime);

    default String id() {
        return getClass().getSimpleName();
    }
}
