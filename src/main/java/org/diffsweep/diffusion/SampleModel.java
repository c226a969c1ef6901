package org.diffsweep.diffusion;

/** A model as a family's samplers call it; the layers above only need its sample size and identity. */
public interface SampleModel {

    /** Values in one flattened sample (the projection of the family's state to the sample). */
    int dim();

    /** A short identity, written into every output the model produces. */
    default String id() {
        return getClass().getSimpleName();
    }
}
