package org.diffsweep.model.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
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
        int dim = dim();
        double[] out = new double[x.length];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            float[] xs = new float[b * dim];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) x[start * dim + i];
            }
            float[] t = new float[b];
            java.util.Arrays.fill(t, (float) modelTime);
            float[] e = net.call(m -> {
                var xa = m.create(xs, new Shape(b, chw[0], chw[1], chw[2]));
                xa.setName("x");
                var ta = m.create(t, new Shape(b));
                ta.setName("t");
                return new NDList(xa, ta);
            }, o -> DjlNet.single(net.label(), o, (long) b * dim));
            for (int i = 0; i < e.length; i++) {
                out[start * dim + i] = e[i];
            }
        }
        return out;
    }
}
