package org.diffsweep.family;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.model.GaussianMixture;

/**
 * A sampler family (docs/families.md): a process with its parameters, the layout of its state, the adapters that
 * turn a config's model into what its samplers call, its samplers and grids, and the projection from its state
 * to the sample. The layers above (config, jobs, Spark) see a family only through this interface and
 * {@link Cell}: they plan, seed, sample, store features and measure every family alike.
 */
public interface Family extends Serializable {

    /** The family's name: {@code edm} (processes in (s, σ) form) or {@code psld}. */
    String name();

    /** The process with all its parameters, as manifests and outputs record it. */
    String process();

    /** The network outputs this family's models may declare (a config's {@code model.output}); first the default. */
    List<String> outputs();

    /**
     * The model a task samples with: the family's exact model of an analytic mixture, or its adapter around a
     * network.
     *
     * @throws IllegalArgumentException naming the model and what was expected, if the family cannot use it
     */
    SampleModel model(ModelSource source);

    /**
     * One forward pass on a batch of one, so that a network that does not fit the family (wrong channel count,
     * wrong output shape) is refused before any work is planned.
     *
     * @throws IllegalArgumentException naming the model and what was expected
     */
    void probe(SampleModel model);

    /**
     * The same family reading the files its samplers and grids name (score tables, schedules) from {@code store},
     * with their paths qualified by it. Families that read no files return themselves.
     */
    default Family using(org.diffsweep.io.Store store) {
        return this;
    }

    /** A sampler from its config name and options ({@code analytic}: the mixture if the model is one, else null). */
    Part sampler(String name, Map<String, Object> options, GaussianMixture analytic);

    /** A time grid from its config name and options. */
    Part grid(String name, Map<String, Object> options);

    /**
     * A sampler on a grid at an NFE budget.
     *
     * @throws IllegalArgumentException if the budget does not fit the sampler on the grid
     */
    Cell cell(Part sampler, Part grid, int nfeRequested);


    /** The first line of an exception's innermost message (a network's own words, which name it). */
    static String rootLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = String.valueOf(t.getMessage());
        return msg.lines().findFirst().orElse(msg);
    }

    /** A parsed sampler or grid: its description (as configs and outputs name it) and the family's own object. */
    record Part(String description, Serializable value) implements Serializable {
    }
}
