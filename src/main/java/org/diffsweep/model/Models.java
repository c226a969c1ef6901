package org.diffsweep.model;

import org.diffsweep.config.ModelSpec;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.metrics.Gaussian;

/** Builds models from their config descriptions. */
public final class Models {

    private Models() {
    }

    public static Denoiser build(ModelSpec spec) {
        if (spec.mixture() != null) {
            return spec.mixture();
        }
        throw new IllegalArgumentException("model type '" + spec.type() + "' cannot be built, expected 'gmm'");
    }

    /** The exact distribution of an analytic model's samples (n = 0: exact, not estimated). */
    public static Gaussian exactReference(ModelSpec spec) {
        if (spec.mixture() == null) {
            throw new IllegalArgumentException("model type '" + spec.type() + "' has no exact statistics");
        }
        return new Gaussian(spec.mixture().mean(), spec.mixture().covariance(), 0);
    }
}
