/**
 * Core (docs/architecture.md): analytic models and a loaded network as one call ({@link org.diffsweep.model.Network});
 * a config's model reaches it as a {@link org.diffsweep.model.ModelKind}. Names no configuration, family, Spark or DJL
 * class: DJL lives in {@code model.djl} alone.
 */
package org.diffsweep.model;
