package org.diffsweep.psld;

import org.diffsweep.diffusion.SampleModel;

/**
 * A PSLD model as the samplers call it: ε̂(z, t) on rows z = (x, m) of 2·{@link #dim()} values (x then m, as a
 * network sees them stacked on channels), at forward time t. {@link #dim()} is the sample's size, x alone.
 */
public interface PsldModel extends SampleModel {

    /**
     * @param z     {@code batch} rows of x then m, row-major; not modified
     * @param t     forward time, in [ε, T]
     * @return ε̂, same layout
     */
    double[] epsilon(double[] z, int batch, double t);
}
