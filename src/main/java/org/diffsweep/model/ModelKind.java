package org.diffsweep.model;

/**
 * A model as the core sees a config's description of it: its type as configs name it ({@code gmm}, {@code djl}),
 * and the analytic mixture when it is one. The core builds and samples analytic models from it ({@link Models})
 * without knowing how configs are written.
 */
public interface ModelKind {

    /** The model's type, as errors name it. */
    String type();

    /** The analytic mixture, or null for a network. */
    GaussianMixture mixture();
}
