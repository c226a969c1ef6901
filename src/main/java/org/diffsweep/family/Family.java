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
     * Why a network with this declared output and time convention cannot be used with the family's process (v on a
     * process that is not variance-preserving, a DDPM step index without a discrete process), or null if it can.
     * The config refuses such a model before anything runs.
     *
     * @param time the declared time convention, or null
     */
    default String modelRefusal(String output, String time) {
        return null;
    }

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


    /**
     * The first line of an exception's innermost message (a network's own words, which name it); for a TorchScript
     * interpreter's error, whose first line only says that one failed, its last line (the error itself).
     */
    static String rootLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = String.valueOf(t.getMessage());
        List<String> lines = msg.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty()) {
            return t.getClass().getSimpleName();
        }
        if (lines.get(0).startsWith("The following operation failed in the TorchScript interpreter")) {
            for (int i = lines.size() - 1; i > 0; i--) {
                if (lines.get(i).matches("^[A-Za-z.]*(Error|Exception): .*")) {
                    return lines.get(i);
                }
            }
        }
        return lines.get(0);
    }

    /** Samples per probe: more than one, so that a network that only takes a batch of one is found by the probe. */
    int PROBE_BATCH = 2;

    /**
     * A probe's input: {@code n} fixed values of a prior sample at noise level {@code scale} (standard normals from
     * a fixed seed, times scale), so that a network is probed on what it will see, not on zeros.
     */
    static double[] probeInput(int n, double scale) {
        java.util.Random r = new java.util.Random(20240607L);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = scale * r.nextGaussian();
        }
        return x;
    }

    /**
     * What a failed probe on a batch of {@code batch} says: the network's own line, and whether it runs on a batch
     * of one ({@code single}), as a network traced for batch 1 does.
     */
    static String probeFailure(RuntimeException e, int batch, Runnable single) {
        String line = rootLine(e);
        try {
            single.run();
        } catch (RuntimeException alsoAtOne) {
            return line;
        }
        return "runs on a batch of 1 but fails on a batch of " + batch + " (" + line + "), expected a network that "
                + "takes any batch size";
    }

    /** Refuses a probe's output with a value that is not finite, naming the model, where and how many. */
    static void requireFinite(String id, double[] out, int batch, String at) {
        int bad = 0;
        int first = -1;
        for (int i = 0; i < out.length; i++) {
            if (!Double.isFinite(out[i])) {
                bad++;
                first = first < 0 ? i : first;
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException("model " + id + ": returned " + out[first] + " for " + bad + " of "
                    + out.length + " values of a probe batch of " + batch + " at " + at + ", expected finite values");
        }
    }

    /**
     * Largest difference allowed between a row computed in a batch and the same row alone, relative to
     * max(1, max |output|): the same float32 network on the same input may only sum in another order with another
     * batch size (a few float32 ulps per layer: 1e-6 to 1e-5 measured on the checkpoint fixtures), while an engine
     * that computes a batch wrongly is off by 0.1 and more (docs/checkpoints.md).
     */
    double BATCH_CONSISTENCY_REL = 1e-3;

    /** A network whose rows depend on the batch they are computed in (a wrong kernel, or a batch-mixing network). */
    final class BatchDependentOutput extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BatchDependentOutput(String message) {
            super(message);
        }
    }

    /**
     * Refuses a probe whose rows differ from the same rows computed alone ({@code alone.apply(r)}, a batch of one)
     * by more than {@link #BATCH_CONSISTENCY_REL}, naming the model, the row and the difference.
     */
    static void requireRowsAsAlone(String id, double[] out, int batch, java.util.function.IntFunction<double[]> alone,
                                   String at) {
        int dim = out.length / batch;
        for (int r = 0; r < batch; r++) {
            double[] single = alone.apply(r);
            double scale = 1;
            double worst = 0;
            for (int j = 0; j < dim; j++) {
                scale = Math.max(scale, Math.abs(single[j]));
                worst = Math.max(worst, Math.abs(out[r * dim + j] - single[j]));
            }
            if (!(worst <= BATCH_CONSISTENCY_REL * scale)) {
                throw new BatchDependentOutput("model " + id + ": row " + r + " of a probe batch of " + batch + " at "
                        + at + " differs from the same row alone by " + String.format("%.3g", worst) + " (max |output| "
                        + String.format("%.3g", scale) + "), expected the same values to float32 round-off (an engine "
                        + "or network whose rows depend on their batch)");
            }
        }
    }

    /** A parsed sampler or grid: its description (as configs and outputs name it) and the family's own object. */
    record Part(String description, Serializable value) implements Serializable {
    }
}
