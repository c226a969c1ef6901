package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;

/** The probability-flow ODE dx̂/dσ = ε(x̂; σ), ε = (x̂ − D(x̂; σ))/σ (docs/samplers.md), and small vector helpers. */
final class Ode {

    private Ode() {
    }

    /** ε(x̂; σ) for a batch: one model call. */
    static double[] epsilon(Denoiser model, double[] x, int batch, double sigma) {
        double[] d = model.denoise(x, batch, sigma);
        double[] eps = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            eps[i] = (x[i] - d[i]) / sigma;
        }
        return eps;
    }

    /** x + h·v, a new array. */
    static double[] step(double[] x, double h, double[] v) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] + h * v[i];
        }
        return out;
    }

    /** ½(a + b), a new array. */
    static double[] average(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = 0.5 * (a[i] + b[i]);
        }
        return out;
    }

    static void checkShapes(Denoiser model, double[] sigmas, double[] x, int batch) {
        org.diffsweep.schedule.TimeGrid.requireDecreasing(sigmas, "sampler grid");
        if (x.length != batch * model.dim()) {
            throw new IllegalArgumentException("sampler input has " + x.length + " values, expected batch " + batch
                    + " × dim " + model.dim());
        }
    }
}
