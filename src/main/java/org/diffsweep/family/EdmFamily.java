package org.diffsweep.family;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.diffsweep.diffusion.ConditionalDenoiser;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.Guided;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.BetaSchedule;
import org.diffsweep.diffusion.ModelTime;
import org.diffsweep.diffusion.Prediction;
import org.diffsweep.diffusion.PredictionDenoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.io.Store;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.Network;
import org.diffsweep.sampler.Options;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.sampler.Samplers;
import org.diffsweep.schedule.ClampedGrid;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.PendingFileGrid;
import org.diffsweep.schedule.TimeGrid;
import org.diffsweep.schedule.TimeGrids;

/**
 * The EDM family (docs/samplers.md): processes in (s, σ) form ({@code edm}, {@code vp}, {@code vp-discrete}), the
 * state is the sample x̂, models are denoisers D(x̂; σ) or raw ε-, v- or x₀-networks, grids are noise levels σ.
 */
public final class EdmFamily implements Family {

    private static final long serialVersionUID = 1L;

    /** The process names this family parses. */
    public static final Set<String> PROCESSES = Set.of("edm", "vp", "vp-discrete");

    private final Process process;
    /** Where score tables and schedules are read from (the driver's; not shipped to executors). */
    private final transient Store store;

    public EdmFamily(Process process) {
        this(process, Store.local());
    }

    private EdmFamily(Process process, Store store) {
        this.process = process;
        this.store = store;
    }

    @Override
    public EdmFamily using(Store store) {
        return new EdmFamily(process, store);
    }

    /** The store the family reads its files from (the local file system after deserialisation). */
    public Store store() {
        return store == null ? Store.local() : store;
    }

    /** The process of a config's {@code process} mapping (name and options). */
    public static EdmFamily parse(String name, Options o) {
        Process p = switch (name) {
            case "edm" -> new EdmProcess(o.number("sigma_min", EdmProcess.DEFAULT_SIGMA_MIN),
                    o.number("sigma_max", EdmProcess.DEFAULT_SIGMA_MAX));
            case "vp" -> new VpProcess(o.number("beta_d", 19.9), o.number("beta_min", 0.1), o.number("eps_t", 1e-3));
            case "vp-discrete" -> discrete(o);
            default -> throw new IllegalArgumentException("process '" + name + "' is not of the EDM family");
        };
        o.requireAllUsed();
        return new EdmFamily(p);
    }

    /**
     * The vp-discrete process of a config's options: {@code beta_schedule} (diffusers' names, default linear),
     * {@code beta_start}, {@code beta_end} (defaults 1e-4, 0.02, diffusers' too; not for squaredcos_cap_v2),
     * {@code steps} or its diffusers name {@code num_train_timesteps} (default 1000), and {@code table_dtype}:
     * float64 (default) or float32, the ᾱ table as diffusers builds it.
     */
    private static DdpmProcess discrete(Options o) {
        BetaSchedule schedule = BetaSchedule.of(o.text("beta_schedule", "linear"));
        if (!schedule.usesBetaRange() && (o.has("beta_start") || o.has("beta_end"))) {
            throw new IllegalArgumentException("process vp-discrete: beta_start/beta_end given with beta_schedule "
                    + schedule.configName() + ", which does not use them, expected neither (or a linear schedule)");
        }
        if (o.has("steps") && o.has("num_train_timesteps")) {
            throw new IllegalArgumentException("process vp-discrete: both steps and num_train_timesteps given, "
                    + "expected one of them (the same number of training steps)");
        }
        int steps = o.has("num_train_timesteps") ? o.integer("num_train_timesteps", 1000) : o.integer("steps", 1000);
        String table = o.text("table_dtype", "float64");
        if (!table.equals("float64") && !table.equals("float32")) {
            throw new IllegalArgumentException("process vp-discrete: table_dtype '" + table
                    + "', expected float64 or float32 (alpha_bar built as diffusers builds it)");
        }
        return new DdpmProcess(schedule, o.number("beta_start", 1e-4), o.number("beta_end", 0.02), steps,
                table.equals("float32"));
    }

    /**
     * The EDM family of a config, for the jobs that only it has (norm-stats, schedule, oracle).
     *
     * @throws IllegalArgumentException naming the job and the config's process otherwise
     */
    public static EdmFamily require(Family family, String job) {
        if (family instanceof EdmFamily edm) {
            return edm;
        }
        throw new IllegalArgumentException(job + " works on the EDM family's processes (edm, vp, vp-discrete), "
                + "found process " + family.process());
    }

    public Process processObject() {
        return process;
    }

    /** A schedule file, as the config names it and qualified, read through the family's store. */
    FileGrid readGridNow(String path, String qualified) {
        try {
            return FileGrid.parse(store().readLines(qualified), path).withLocation(qualified);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("grid file " + qualified + ": no such file");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("grid file " + qualified + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** A schedule file: read if it exists, else pending (the schedule job makes it first). */
    private TimeGrid readGrid(String path, String qualified) {
        boolean exists;
        try {
            exists = store().exists(qualified);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("grid file " + qualified + ": cannot read (" + e.getMessage() + ")");
        }
        return exists ? readGridNow(path, qualified) : new PendingFileGrid(path, qualified);
    }

    /** The EDM model a task built ({@link #model}), as the samplers of this family call it. */
    public Denoiser denoiser(SampleModel model) {
        if (model instanceof ConditionalDenoiser c && c.classes() > 0 && !(model instanceof Denoiser)) {
            throw new IllegalArgumentException("model " + model.id() + " is class-conditional, expected labels");
        }
        return (Denoiser) model;
    }

    /**
     * The denoiser a batch samples with: the model given each row's label, guided when the config is:
     * D = D_u + w·(D_c − D_u) with D_u the model's null label (one call on 2B rows), or a guide network given the same
     * labels (autoguidance) or none (an unconditional guide). Without labels or guidance, {@link #denoiser(SampleModel)}.
     */
    public Denoiser denoiser(SampleModel model, Conditioning c) {
        if (c.isNone()) {
            return denoiser(model);
        }
        boolean conditional = model instanceof ConditionalDenoiser cd && cd.classes() > 0;
        if (conditional && c.labels() == null) {
            throw new IllegalArgumentException("model " + model.id() + " is class-conditional, expected labels");
        }
        Denoiser main = conditional ? ((ConditionalDenoiser) model).given(c.labels()) : denoiser(model);
        if (c.guidance() == null) {
            return main;
        }
        if (c.guide() == null) {
            if (!conditional) {
                throw new IllegalArgumentException("model " + model.id() + " is unconditional, expected a guide for "
                        + "guidance");
            }
            return Guided.nullLabel((ConditionalDenoiser) model, c.labels(), c.guidance());
        }
        Denoiser guide = c.guide() instanceof ConditionalDenoiser g && g.classes() > 0
                ? g.given(c.labels()) : denoiser(c.guide());
        return Guided.twoModels(main, guide, c.guidance());
    }

    /** The sampler and σ levels of one of this family's cells. */
    public static EdmCell cell(Cell cell) {
        return (EdmCell) cell;
    }

    /** The grid the norm-stats job measures on: edm (ρ = 7) for the edm process, uniform in time otherwise. */
    public TimeGrid normStatsGrid() {
        return TimeGrids.of(process.name().equals("edm") ? "edm" : "time-uniform", Map.of(), process);
    }

    @Override
    public String name() {
        return "edm";
    }

    @Override
    public String process() {
        return process.toString();
    }

    /** denoiser, epsilon and sample on every process; v on the variance-preserving ones (vp, vp-discrete). */
    @Override
    public List<String> outputs() {
        return process.variancePreserving() ? List.of("denoiser", "epsilon", "v", "sample")
                : List.of("denoiser", "epsilon", "sample");
    }

    @Override
    public String modelRefusal(String output, String time) {
        if (!List.of("epsilon", "v", "sample").contains(output)) {
            return null;
        }
        String refusal = Prediction.of(output).refusal(process);
        if (refusal == null && time != null) {
            refusal = ModelTime.of(time).refusal(process);
        }
        return refusal;
    }

    @Override
    public SampleModel model(ModelSource source) {
        if (source.mixture() != null) {
            return source.mixture();
        }
        int channels = source.shape()[0];
        if (source.labels() != null) {
            return conditional(source, channels);
        }
        if (source.output().equals("denoiser")) {
            return source.network(channels, "x", "sigma").asDenoiser();
        }
        if (!List.of("epsilon", "v", "sample").contains(source.output())) {
            throw new IllegalArgumentException("model " + source.id() + ": output '" + source.output()
                    + "' does not fit process " + name() + ", expected one of " + outputs());
        }
        Network net = source.network(channels, "x", "t");
        return new PredictionDenoiser(net.asRawModel(), process, Prediction.of(source.output()),
                ModelTime.of(source.time()), "int64".equals(source.timeDtype()));
    }

    /** A class-conditional network as a conditional denoiser: bound to labels, wrapped as an unlabelled one is. */
    private SampleModel conditional(ModelSource source, int channels) {
        org.diffsweep.model.LabelInput in = source.labels();
        if (source.output().equals("denoiser")) {
            Network net = source.network(channels, "x", "sigma");
            return ConditionalDenoiser.of(net.dim(), net.id(), in.count(), in.hasNull(),
                    labels -> net.withLabels(labels).asDenoiser());
        }
        if (!List.of("epsilon", "v", "sample").contains(source.output())) {
            throw new IllegalArgumentException("model " + source.id() + ": output '" + source.output()
                    + "' does not fit process " + name() + ", expected one of " + outputs());
        }
        Network net = source.network(channels, "x", "t");
        ModelTime time = ModelTime.of(source.time());
        Prediction prediction = Prediction.of(source.output());
        boolean int64 = "int64".equals(source.timeDtype());
        return ConditionalDenoiser.of(net.dim(), net.id(), in.count(), in.hasNull(),
                labels -> new PredictionDenoiser(net.withLabels(labels).asRawModel(), process, prediction, time,
                        int64));
    }

    /**
     * A class-conditional model's probe: the first and the last class, and the null label when it has one, on a batch
     * of two, so that a label count or encoding the network does not take is refused before any work.
     */
    private void probeLabels(ConditionalDenoiser c, String describe) {
        int k = c.classes();
        List<int[]> probes = new java.util.ArrayList<>(List.of(new int[] {0, k - 1}));
        if (c.hasNull()) {
            probes.add(ConditionalDenoiser.nulls(PROBE_BATCH));
        }
        for (int[] labels : probes) {
            Denoiser d = c.given(labels);
            double sigma = process.sigmaMax();
            double[] x = Family.probeInput(PROBE_BATCH * d.dim(), sigma);
            double[] out;
            try {
                out = d.denoise(x, PROBE_BATCH, sigma);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("model " + c.id() + ": labels " + describe + " with label(s) "
                        + java.util.Arrays.toString(labels).replace("-1", "null") + " failed in the network ("
                        + Family.rootLine(e) + "), expected the label count and encoding the network takes");
            }
            if (out.length != PROBE_BATCH * d.dim()) {
                throw new IllegalArgumentException("model " + c.id() + ": returned " + out.length + " values for a "
                        + "batch of " + PROBE_BATCH + ", expected " + PROBE_BATCH * d.dim());
            }
            String at = "sigma = " + sigma + ", labels " + java.util.Arrays.toString(labels).replace("-1", "null");
            Family.requireFinite(c.id(), out, PROBE_BATCH, at);
            Family.requireRowsAsAlone(c.id(), out, PROBE_BATCH, r -> c.given(new int[] {labels[r]}).denoise(
                    java.util.Arrays.copyOfRange(x, r * d.dim(), (r + 1) * d.dim()), 1, sigma), at);
        }
    }

    @Override
    public void probe(SampleModel model) {
        if (model instanceof ConditionalDenoiser c && c.classes() > 0 && !(model instanceof Denoiser)) {
            probeLabels(c, "(" + c.classes() + " classes)");
            return;
        }
        Denoiser d = denoiser(model);
        for (double sigma : new double[] {process.sigmaMax(), process.sigmaMin()}) {
            double[] x = Family.probeInput(PROBE_BATCH * d.dim(), sigma);
            double[] out;
            try {
                out = d.denoise(x, PROBE_BATCH, sigma);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(Family.probeFailure(e, PROBE_BATCH, () -> d.denoise(
                        java.util.Arrays.copyOf(x, d.dim()), 1, sigma)));
            }
            if (out.length != PROBE_BATCH * d.dim()) {
                throw new IllegalArgumentException("model " + d.id() + ": returned " + out.length + " values for a "
                        + "batch of " + PROBE_BATCH + ", expected " + PROBE_BATCH * d.dim());
            }
            Family.requireFinite(d.id(), out, PROBE_BATCH, "sigma = " + sigma);
            Family.requireRowsAsAlone(d.id(), out, PROBE_BATCH, r -> d.denoise(java.util.Arrays.copyOfRange(x,
                    r * d.dim(), (r + 1) * d.dim()), 1, sigma), "sigma = " + sigma);
        }
    }

    /** Samples per probe: more than one, so that a network that only takes a batch of one is found here. */
    static final int PROBE_BATCH = Family.PROBE_BATCH;

    @Override
    public Part sampler(String name, Map<String, Object> options, GaussianMixture analytic) {
        Sampler s = Samplers.of(name, options, process, analytic, store());
        return new Part(s.describe(), s);
    }

    @Override
    public Part grid(String name, Map<String, Object> options) {
        Options o = new Options("grid " + name, options);
        TimeGrid grid;
        if (name.equals("file") || name.startsWith("file:")) {
            String path = name.equals("file") ? o.text("path", null) : name.substring("file:".length());
            if (path == null) {
                throw new IllegalArgumentException("grid file: path missing, expected a schedule CSV");
            }
            grid = readGrid(path, store().qualify(path));
        } else {
            Set<String> keys = switch (name) {
                case "edm" -> Set.of("rho", "sigma_min", "sigma_max");
                case "loglinear" -> Set.of("sigma_min", "sigma_max");
                case "time-uniform", "ddpm-quadratic" -> Set.of();
                case "time-quadratic" -> Set.of("kappa");
                default -> throw new IllegalArgumentException("unknown grid '" + name + "', expected one of: "
                        + TimeGrids.NAMES);
            };
            Map<String, Double> numbers = new HashMap<>();
            for (String key : keys) {
                if (o.has(key)) {
                    numbers.put(key, o.number(key, Double.NaN));
                }
            }
            grid = TimeGrids.of(name, numbers, process);
        }
        o.requireAllUsed();
        return new Part(grid.describe(), grid);
    }

    @Override
    public Cell cell(Part sampler, Part grid, int nfeRequested) {
        return cell((Sampler) sampler.value(), (TimeGrid) grid.value(), nfeRequested);
    }

    /**
     * The cell for a budget, with the grid clamped into the process's noise range [σ_min, σ_max] (the model's)
     * where its levels for that step count leave it ({@link ClampedGrid}; the grid's description then says so).
     * A {@link PendingFileGrid} is taken as it is: its levels are checked once the schedule is made.
     */
    EdmCell cell(Sampler sampler, TimeGrid grid, int nfeRequested) {
        int steps = sampler.stepsForNfe(nfeRequested);
        if (!(grid instanceof PendingFileGrid)) {
            if (steps >= grid.minSteps()) {
                grid = ClampedGrid.ifNeeded(grid, steps, process.sigmaMin(), process.sigmaMax());
            }
            int gridMin = grid.minSteps();
            if (steps < gridMin) {
                throw new IllegalArgumentException(sampler.describe() + " on " + grid.describe() + ": nfe = "
                        + nfeRequested + " gives " + steps + " step(s), expected at least " + gridMin
                        + " steps (nfe >= " + sampler.nfe(gridMin) + ")");
            }
            grid.sigmas(steps);
        }
        return new EdmCell(this, sampler, grid, nfeRequested, steps, sampler.nfe(steps));
    }


    @Override
    public String toString() {
        return process.toString();
    }
}
