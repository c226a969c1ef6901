package org.diffsweep.schedule;

import java.io.Serializable;

/**
 * What a sweep plans with, of any family's grid: its name and its levels for a step count, in the family's time
 * (noise levels σ for {@link TimeGrid}s, the PSLD family's reverse times τ).
 */
public interface StepGrid extends Serializable {

    /** Name and parameters as written in configs and outputs, e.g. {@code edm(rho=7)}. */
    String describe();

    /** The N + 1 levels of an N-step grid, in the grid's own time. */
    double[] levels(int steps);

    /** What {@link #levels} holds, as metadata names it: {@code sigmas} or {@code tau}. */
    String levelsName();
}
