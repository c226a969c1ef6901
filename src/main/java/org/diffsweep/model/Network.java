package org.diffsweep.model;

/**
 * A loaded network as one call: a float32 batch {@code [B, C, H, W]} and one scalar per sample (a noise level or a
 * time) in, a batch of the same layout out. Families wrap it into the model their samplers call.
 */
public interface Network {

    /** Values per sample, C·H·W. */
    int dim();

    String id();

    /**
     * @param x      {@code batch * dim()} values, row-major; rounded to float32 at the boundary
     * @param scalar the scalar input of every sample of the batch
     * @return the output, same layout, in float64
     */
    double[] call(double[] x, int batch, double scalar);
}
