package org.diffsweep.model.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
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
        int dim = dim();
        double[] out = new double[x.length];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            float[] xs = new float[b * dim];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) x[start * dim + i];
            }
            float[] sig = new float[b];
            java.util.Arrays.fill(sig, (float) sigma);
            float[] d = net.call(m -> {
                var xa = m.create(xs, new Shape(b, chw[0], chw[1], chw[2]));
                xa.setName("x");
                var sa = m.create(sig, new Shape(b));
                sa.setName("sigma");
                return new NDList(xa, sa);
            }, o -> DjlNet.single(net.label(), o, (long) b * dim));
            for (int i = 0; i < d.length; i++) {
                out[start * dim + i] = d[i];
            }
        }
        return out;
    }
}
