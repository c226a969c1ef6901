package org.diffsweep.model.djl;

import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EpsilonModel;
import org.diffsweep.model.LabelInput;
import org.diffsweep.model.Network;

/**
 * A per-sample network {@code (x[B,C,H,W], scalar[B]) -> out[B,C,H,W]} loaded by DJL, as the core's
 * {@link Network}: a denoiser (EDM preconditioning inside the export, scalar σ), an ε-prediction network (DDPM,
 * DDPM++, scalar t) or PSLD's 2C-channel ε network. float64 values are rounded to float32 at the boundary;
 * batches larger than {@code maxBatch} are split into several forward passes. The scalar is a float32 tensor, or an
 * int64 tensor for a network that takes an integer step index (the core rounds it first).
 */
public final class DjlNetwork implements Network {

    private final DjlNet net;
    private final int[] chw;
    private final int maxBatch;
    private final String id;
    private final String inputName;
    private final String scalarName;
    private final boolean int64Scalar;
    private final LabelInput labels;

    /**
     * @param inputName, scalarName the names of its two inputs (ONNX binds by name)
     * @param int64Scalar           pass the scalar as an int64 tensor (it must then be an integer), else float32
     */
    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id, String inputName, String scalarName,
                      boolean int64Scalar) {
        this(net, chw, maxBatch, id, inputName, scalarName, int64Scalar, null);
    }

    /**
     * A class-conditional network when {@code labels} is not null: a third input {@code class_labels}, one-hot
     * float32 [B, K] (EDM) or int64 [B] (diffusers), as {@code labels} declares.
     */
    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id, String inputName, String scalarName,
                      LabelInput labels) {
        this(net, chw, maxBatch, id, inputName, scalarName, false, labels);
    }

    /** Both: the time tensor's type and the label input. */
    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id, String inputName, String scalarName,
                      boolean int64Scalar, LabelInput labels) {
        this.int64Scalar = int64Scalar;
        this.labels = labels;
        this.net = net;
        this.chw = chw.clone();
        this.maxBatch = maxBatch;
        this.id = id;
        this.inputName = inputName;
        this.scalarName = scalarName;
    }

    /** A network with a float32 scalar. */
    public DjlNetwork(DjlNet net, int[] chw, int maxBatch, String id, String inputName, String scalarName) {
        this(net, chw, maxBatch, id, inputName, scalarName, false);
    }

    /** A denoiser network {@code (x, sigma) -> D} as the core's {@link Denoiser}. */
    public static Denoiser denoiser(DjlNet net, int[] chw, int maxBatch, String id) {
        return new DjlNetwork(net, chw, maxBatch, id, "x", "sigma").asDenoiser();
    }

    /** An ε-prediction network {@code (x, t) -> ε} as the core's {@link EpsilonModel}. */
    public static EpsilonModel epsilonModel(DjlNet net, int[] chw, int maxBatch, String id) {
        return new DjlNetwork(net, chw, maxBatch, id, "x", "t").asEpsilonModel();
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
    public double[] call(double[] x, int batch, double scalar) {
        if (labels != null) {
            throw new IllegalStateException("network " + id + " is class-conditional (" + labels.describe()
                    + "), expected a call with labels");
        }
        return net.samplewise(x, batch, chw, maxBatch, scalar, inputName, scalarName, int64Scalar);
    }

    @Override
    public LabelInput labelInput() {
        return labels;
    }

    @Override
    public double[] call(double[] x, int batch, double scalar, int[] rowLabels) {
        if (labels == null) {
            return Network.super.call(x, batch, scalar, rowLabels);
        }
        if (rowLabels.length != batch) {
            throw new IllegalArgumentException("network " + id + ": " + rowLabels.length + " labels for a batch of "
                    + batch + ", expected one per row");
        }
        return net.samplewise(x, batch, chw, maxBatch, scalar, inputName, scalarName, int64Scalar, labels,
                rowLabels);
    }
}
