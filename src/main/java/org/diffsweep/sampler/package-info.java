/**
 * Core (docs/architecture.md): the EDM family's samplers, by name and options ({@link org.diffsweep.sampler.Samplers},
 * {@link org.diffsweep.sampler.Options}), and what any family's sampler reports ({@link org.diffsweep.sampler.Stepping}).
 * A sampler sees a process and a denoiser, never the family that built it. Pure Java.
 */
package org.diffsweep.sampler;
