package org.diffsweep.diffusion;

/**
 * A raw network seen as a denoiser (docs/conventions.md): for x̂ and σ it takes the process time t = t(σ), feeds the
 * network x = s(t)·x̂ and its time input m(t, σ) (rounded to the nearest integer, halves to even, for a network
 * that takes an integer step index), and turns the prediction into D(x̂; σ) ({@link Prediction#denoised}).
 * All of it is float64; only the network call itself is float32.
 */
public final class PredictionDenoiser implements Denoiser {

    private final RawModel model;
    private final Process process;
    private final ModelTime time;
    private final boolean integerTime;
    private final Prediction prediction;

    /**
     * @throws IllegalArgumentException if the prediction or the time convention does not apply to the process, or
     *                                  an integer time is asked of a convention that is not a step index
     */
    public PredictionDenoiser(RawModel model, Process process, Prediction prediction, ModelTime time,
                              boolean integerTime) {
        String refusal = prediction.refusal(process);
        if (refusal == null) {
            refusal = time.refusal(process);
        }
        if (refusal == null && integerTime && !time.isStepIndex()) {
            refusal = "an integer (int64) time input needs a step index time (ddpm-index or ddpm-index-log-sigma), "
                    + "found " + time.configName();
        }
        if (refusal != null) {
            throw new IllegalArgumentException("model " + model.id() + ": " + refusal);
        }
        this.model = model;
        this.process = process;
        this.time = time;
        this.integerTime = integerTime;
        this.prediction = prediction;
    }

    /** The model's time input at σ (rounded for an integer input). */
    public double modelTime(double sigma) {
        double m = time.of(process, process.time(sigma), sigma);
        return integerTime ? Math.rint(m) : m;
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
        double m = time.of(process, t, sigma);
        double[] out = model.predict(x, batch, integerTime ? Math.rint(m) : m);
        return prediction.denoised(out, xHat, x, s, sigma);
    }

    @Override
    public String id() {
        return model.id();
    }
}
