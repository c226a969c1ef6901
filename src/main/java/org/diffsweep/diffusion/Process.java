package org.diffsweep.diffusion;

/**
 * A diffusion process in (s, σ) form (docs/conventions.md, Processes): x_t = s(t)·(x_0 + σ(t)·n), n ~ N(0, I).
 *
 * <p>Samplers work in the unscaled variable x̂ = x / s with σ as their time; the process supplies the map
 * between its own time t and σ, the scale s, and its default σ range for time grids.
 */
public interface Process extends java.io.Serializable {

    /** Name as written in configs: {@code edm}, {@code vp}, {@code vp-discrete}. */
    String name();

    /**
     * Whether the process is variance-preserving: s² · (1 + σ²) = 1, i.e. x_t = α·x₀ + σ_VP·n with α = s and
     * σ_VP = s·σ, α² + σ_VP² = 1 (vp, vp-discrete). The v parameterisation is defined on these only.
     */
    default boolean variancePreserving() {
        return false;
    }

    /** σ(t). */
    double sigma(double t);

    /** t(σ), the inverse of {@link #sigma(double)}. */
    double time(double sigma);

    /** s(t). */
    double scale(double t);

    /** dσ/dt. */
    double sigmaDerivative(double t);

    /** ds/dt. */
    double scaleDerivative(double t);

    /** Process time at the start of sampling (largest noise). */
    double tMax();

    /** Process time at the end of sampling (smallest non-zero noise). */
    double tMin();

    default double sigmaMax() {
        return sigma(tMax());
    }

    default double sigmaMin() {
        return sigma(tMin());
    }

    /** s as a function of σ, s(t(σ)). */
    default double scaleAtSigma(double sigma) {
        return scale(time(sigma));
    }
}
