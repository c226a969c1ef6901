package org.diffsweep.diffusion;

/**
 * An ε-prediction model seen as a denoiser (docs/conventions.md): for x̂ and σ, t = t(σ), the model gets x = s(t)·x̂
 * and its time input, and D = x̂ − σ·ε_θ(s·x̂, time(t)).
 */
public final class EpsilonDenoiser implements Denoiser {

    private final EpsilonModel model;
    private final Process process;
    private final ModelTime time;

    public EpsilonDenoiser(EpsilonModel model, Process process, ModelTime time) {
        this.model = model;
        this.process = process;
        this.time = time;
    }

    @Override
    public int dim() {
        return model.dim();
    }

    @Override
    public double[] denoise(double[] xHat, int batch, double sigma) {
        double t = process.time(sigma);
        double s = process.scale(t);
        double[] x = new double[xHat.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = s * xHat[i];
        }
        double[] eps = model.epsilon(x, batch, time.of(process, t));
        double[] d = new double[xHat.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = xHat[i] - sigma * eps[i];
        }
        return d;
    }

    @Override
    public String id() {
        return model.id();
    }
}
