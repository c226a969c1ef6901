package org.diffsweep.model.djl;

import org.diffsweep.diffusion.EpsilonModel;
import org.diffsweep.model.Network;

/**
 * A network {@code (x[B,C,H,W], scalar[B]) -> out[B,C,H,W]} as one call: an ε-prediction network (DDPM, DDPM++,
 * PSLD's 2C-channel ε) as the core's {@link EpsilonModel}, or any such network as a family's {@link Network}.
 * float64 values are rounded to float32 at the boundary; batches larger than {@code maxBatch} are split.
 */
public final class DjlNetwork implements EpsilonModel, Network {

    private final DjlNet net;
    private final int[] chw;
    private final int maxBatch;
    private final String id;
    private final String inputName;
    private final String scalarName;

    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id) {
        this(net, chw, maxBatch, id, "x", "t");
    }

    /** @param inputName, scalarName the names of its two inputs (ONNX binds by name) */
    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id, String inputName, String scalarName) {
        this.net = net;
        this.chw = chw.clone();
        this.maxBatch = maxBatch;
        this.id = id;
        this.inputName = inputName;
        this.scalarName = scalarName;
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
        return call(x, batch, modelTime);
    }

    @Override
    public double[] call(double[] x, int batch, double scalar) {
        return net.samplewise(x, batch, chw, maxBatch, scalar, inputName, scalarName);
    }
}
