package org.diffsweep.diffusion;

/** Counts model calls, so that the NFE a sampler declares is checked against the calls it made. */
public final class CountingDenoiser implements Denoiser {

    private final Denoiser inner;
    private int calls;

    public CountingDenoiser(Denoiser inner) {
        this.inner = inner;
    }

    @Override
    public int dim() {
        return inner.dim();
    }

    @Override
    public double[] denoise(double[] x, int batch, double sigma) {
        calls++;
        return inner.denoise(x, batch, sigma);
    }

    @Override
    public String id() {
        return inner.id();
    }

    public int calls() {
        return calls;
    }
}
