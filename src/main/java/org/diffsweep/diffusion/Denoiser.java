package org.diffsweep.diffusion;

/**
 * A model as the samplers see it: D(x̂; σ) ≈ E[x_0 | x̂], in the unscaled variable x̂ = x / s (docs/conventions.md).
 *
 * <p>A batch is {@code batch} flattened samples of {@link #dim()} values each, stored row-major in one
 * array. All samples of a call share one noise level σ. Implementations must treat rows independently,
 * so that a sample's result does not depend on which other samples share its batch.
 */
public interface Denoiser extends SampleModel {

    /** Number of values in one flattened sample. */
    @Override
    int dim();

    /**
     * Denoises a batch.
     *
     * @param x     {@code batch * dim()} values, row-major; not modified
     * @param batch number of samples in {@code x}
     * @param sigma noise level, &gt; 0
     * @return the denoised batch, a new array of the same layout
     */
    double[] denoise(double[] x, int batch, double sigma);

    /** A short human-readable identity, written into every output this model produces. */
    @Override
    default String id() {
        return getClass().getSimpleName();
    }
}
