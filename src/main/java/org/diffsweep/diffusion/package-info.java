/**
 * Core (docs/architecture.md): processes in (s, σ) form, denoisers, ε-models and the model a cell samples with
 * ({@link org.diffsweep.diffusion.SampleModel}). Pure Java; names no family, configuration, job, Spark or DJL class.
 */
package org.diffsweep.diffusion;
