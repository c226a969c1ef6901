package org.diffsweep.model.djl;

import org.diffsweep.diffusion.Denoiser;

/**
 * A denoiser network {@code (x[B,C,H,W], sigma[B]) -> D[B,C,H,W]} (EDM preconditioning inside the export), as
 * the core's {@link Denoiser}: float64 samples are rounded to float32 at the boundary, and batches larger than
 * {@code maxBatch} are split into several forward passes.
 */
public final class DjlDenoiser implements Denoiser {

    private final DjlNet net;
    private final int[] chw;
    private final int maxBatch;
    private final String id;

    public DjlDenoiser(DjlNet net, int[] chw, int maxBatch, String id) {
        this.net = net;
        this.chw = chw.clone();
        this.maxBatch = maxBatch;
        this.id = id;
    }

    @Override
    public int dim() {
        return chw[0] * chw[1] * chw[2];
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public double[] denoise(double[] x, int batch, double sigma) {
        return net.samplewise(x, batch, chw, maxBatch, sigma, "sigma");
    }
}
