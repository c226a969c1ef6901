package org.diffsweep.model.djl;

import org.diffsweep.diffusion.EpsilonModel;

/**
 * An ε-prediction network {@code (x[B,C,H,W], t[B]) -> eps[B,C,H,W]} (DDPM, DDPM++), as the core's
 * {@link EpsilonModel}; {@link org.diffsweep.diffusion.EpsilonDenoiser} makes it a denoiser.
 */
public final class DjlEpsilonModel implements EpsilonModel {

    private final DjlNet net;
    private final int[] chw;
    private final int maxBatch;
    private final String id;

    public DjlEpsilonModel(DjlNet net, int[] chw, int maxBatch, String id) {
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
    public double[] epsilon(double[] x, int batch, double modelTime) {
        return net.samplewise(x, batch, chw, maxBatch, modelTime, "t");
    }
}
