package org.diffsweep.family;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.sampler.Stepping;
import org.diffsweep.schedule.StepGrid;

/**
 * One cell of a sweep as its family runs it: a sampler on a grid with a step count. A Spark task asks it for the
 * samples of a batch of seeds; everything random about a sample comes from streams keyed by its seed alone.
 */
public interface Cell extends Serializable {

    /** The sampler, as the family built it. */
    Stepping samplerObject();

    /** The grid, as the family built it. */
    StepGrid gridObject();

    int nfeRequested();

    /** Steps taken: the most whose cost fits the budget. */
    int steps();

    /** The sampler's description, e.g. {@code heun} or {@code splitting(OBA,reduced,lambda_s=1)}. */
    default String sampler() {
        return samplerObject().describe();
    }

    /** The grid's description. */
    default String grid() {
        return gridObject().describe();
    }

    /** Model calls per sample, exactly. */
    default int nfe() {
        return samplerObject().nfe(steps());
    }

    /** Whether the sampler injects noise. */
    default boolean stochastic() {
        return samplerObject().stochastic();
    }

    /** The grid's levels in the family's time (σ for the EDM family, reverse time τ for PSLD). */
    default double[] levels() {
        return gridObject().levels(steps());
    }

    /** What {@link #levels()} holds, as metadata names it: {@code sigmas} or {@code tau}. */
    default String levelsName() {
        return gridObject().levelsName();
    }

    /**
     * Samples a batch.
     *
     * @param model the family's model ({@link Family#model})
     * @param seeds one per sample
     * @return the samples, row-major ({@code seeds.length} rows of {@code model.dim()}), and the model calls made
     *         per sample
     */
    Sampled sample(SampleModel model, long[] seeds);

    /**
     * Samples a batch conditioned on class labels and guided ({@link Conditioning}); with
     * {@link Conditioning#NONE}, {@link #sample(SampleModel, long[])}.
     *
     * @throws IllegalArgumentException from a family that takes no labels or guidance
     */
    default Sampled sample(SampleModel model, long[] seeds, Conditioning conditioning) {
        if (conditioning.isNone()) {
            return sample(model, seeds);
        }
        throw new IllegalArgumentException(sampler() + ": this family takes no class labels or guidance");
    }

    /** Statistics the cell needs made before it can run (score tables, schedules); empty when none. */
    default List<Need> needs() {
        return List.of();
    }

    /** The same cell with every statistic it needed read from its now-made file. */
    default Cell withNeedsMet() {
        return this;
    }

    /** The files of offline statistics the cell reads (score tables, schedules), as their paths; empty when none. */
    default List<String> statisticsFiles() {
        return List.of();
    }

    /** What a manifest should record about the statistics the cell reads (their content hashes). */
    default Map<String, String> provenance() {
        return Map.of();
    }

    /**
     * Refuses statistics measured on another model.
     *
     * @throws IllegalArgumentException naming the statistic, the model it was made for and this one
     */
    default void requireMadeFor(String modelId) {
    }

    /**
     * A batch of samples, the model calls (denoiser evaluations, the NFE) each took, and the network evaluations
     * behind them (twice the calls for a guided config at w ≠ 1).
     */
    record Sampled(double[] samples, int calls, long networkCalls) {
        public Sampled(double[] samples, int calls) {
            this(samples, calls, calls);
        }
    }
}
