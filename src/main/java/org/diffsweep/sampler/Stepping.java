package org.diffsweep.sampler;

import java.io.Serializable;

/**
 * What a sweep plans with, of any family's sampler: its name, whether it injects noise, and what its steps cost in
 * model calls. The EDM family's {@link Sampler}s and the PSLD family's samplers are both this.
 */
public interface Stepping extends Serializable {

    /** Name and options as written in configs and outputs, e.g. {@code heun}. */
    String describe();

    /** Whether the sampler injects noise (then it solves an SDE, and has no pathwise ODE error). */
    default boolean stochastic() {
        return false;
    }

    /** Model calls for a grid of {@code steps} steps. */
    int nfe(int steps);

    /** The fewest steps this sampler can take. */
    default int minSteps() {
        return 1;
    }

    /**
     * The most steps whose cost fits a budget of {@code nfe} model calls.
     *
     * @throws IllegalArgumentException if even {@link #minSteps()} steps cost more than {@code nfe}
     */
    default int stepsForNfe(int nfe) {
        if (nfe < nfe(minSteps())) {
            throw new IllegalArgumentException(describe() + ": nfe = " + nfe + ", expected at least "
                    + nfe(minSteps()) + " (" + minSteps() + " step" + (minSteps() > 1 ? "s" : "") + ")");
        }
        int steps = minSteps();
        while (nfe(steps + 1) <= nfe) {
            steps++;
        }
        return steps;
    }
}
