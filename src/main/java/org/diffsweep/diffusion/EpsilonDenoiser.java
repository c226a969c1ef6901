package org.diffsweep.diffusion;

/**
 * An ε-prediction model seen as a denoiser (docs/conventions.md): for x̂ and σ, t = t(σ), the model gets x = s(t)·x̂
 * and its time input, and D = x̂ − σ·ε_θ(s·x̂, time(t)). The ε case of {@link PredictionDenoiser}.
 */
public final class EpsilonDenoiser implements Denoiser {

    private final PredictionDenoiser inner;

    public EpsilonDenoiser(EpsilonModel model, Process process, ModelTime time) {
        RawModel raw = new RawModel() {
            @Override
            public int dim() {
                return model.dim();
            }

            @Override
            public double[] predict(double[] x, int batch, double modelTime) {
                return model.epsilon(x, batch, modelTime);
            }

            @Override
            public String id() {
                return model.id();
            }
        };
        this.inner = new PredictionDenoiser(raw, process, Prediction.EPSILON, time, false);
    }

    @Override
    public int dim() {
        return inner.dim();
    }

    @Override
    public double[] denoise(double[] xHat, int batch, double sigma) {
        return inner.denoise(xHat, batch, sigma);
    }

    @Override
    public String id() {
        return inner.id();
    }
}
