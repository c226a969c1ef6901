package org.diffsweep.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.family.Cell;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.SampleExport;
import org.diffsweep.spark.SeedBlock;
import org.diffsweep.spark.SweepLayout;

/**
 * The {@code plan} command: what {@code sweep} would run, without running it. No Spark job starts and nothing is
 * written; the only work is a short probe of the model on the driver, for a rough time estimate.
 */
public final class PlanJob {

    private PlanJob() {
    }

    /**
     * One config's share of the plan.
     *
     * @param networkCalls network evaluations of one sample each: {@link SweepPoint#networkCalls()} × seeds
     * @param batchCalls   network passes of up to {@code batch_size} samples its blocks still to run make
     */
    public record ConfigPlan(SweepPoint point, int blocks, int committed, long modelCalls, long networkCalls,
                             long batchCalls) {
    }

    /**
     * The counts of a plan.
     *
     * @param modelCalls   Σ over configs of NFE × seeds: denoiser evaluations of one sample each
     * @param networkCalls Σ over configs of network calls × seeds: network evaluations of one sample each, as the
     *                     sweep makes them (a guided config at w ≠ 1 evaluates two branches per denoiser call: its
     *                     model on 2B rows with the null label, or its model and its guide; {@code network_calls} in
     *                     the fid table)
     * @param batchCalls   network passes of up to {@code batch_size} samples that the blocks still to run make (a
     *                     pass of 2B rows counts as two)
     * @param exportOnly   committed blocks that are sampled again to export their samples
     */
    public record Plan(List<ConfigPlan> configs, int blocks, int committed, int exportOnly, long modelCalls,
                       long modelCallsToRun, long networkCalls, long batchCalls, boolean complete) {
    }

    /**
     * Prints the plan of a config: checks what the sweep would read (model, detector, reference) as {@code sweep}
     * does, counts the plan against the output, and times a short probe of the model unless the sweep is complete.
     */
    public static Plan run(SweepConfig config, Configuration conf, java.io.PrintStream out) throws IOException {
        // One libtorch thread for the probe, as a local sweep runs one task per core (the estimate divides by the
        // cores); the engine reads this when it starts (here, loading the model), so it is put back afterwards.
        boolean setThreads = System.getProperty("ai.djl.pytorch.num_threads") == null;
        if (setThreads) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        Plan plan;
        double perCall;
        try {
            config = org.diffsweep.spark.ModelFiles.resolve(config, conf);
            SweepJob.validateOnDriver(config, conf);
            plan = plan(config, conf);
            perCall = plan.complete() ? Double.NaN : secondsPerBatchCall(config, conf);
        } finally {
            if (setThreads) {
                System.clearProperty("ai.djl.pytorch.num_threads");
            }
        }
        out.print(format(config, plan, perCall, Runtime.getRuntime().availableProcessors()));
        out.flush();
        return plan;
    }

    /** Counts the plan of a config against what its output already holds. */
    public static Plan plan(SweepConfig config, Configuration conf) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(conf);
        Set<String> committed = SweepJob.committedBlocks(fs, layout);
        List<SeedBlock> all = SeedBlock.plan(config);
        Set<SeedBlock> toExport = new java.util.HashSet<>(SampleExport.missing(fs, layout, config, all));
        List<ConfigPlan> configs = new ArrayList<>();
        int blocks = 0;
        int done = 0;
        int exportOnly = 0;
        long calls = 0;
        long callsToRun = 0;
        long networkCalls = 0;
        long batchCalls = 0;
        for (SweepPoint p : config.points()) {
            int n = 0;
            int c = 0;
            long batches = 0;
            for (SeedBlock b : all) {
                if (!b.configId().equals(p.id())) {
                    continue;
                }
                n++;
                boolean isCommitted = committed.contains(blockKey(layout, b));
                c += isCommitted ? 1 : 0;
                boolean runs = !isCommitted || toExport.contains(b);
                exportOnly += isCommitted && runs ? 1 : 0;
                if (runs) {
                    batches += (b.size() + config.batchSize() - 1) / config.batchSize();
                    callsToRun += (long) p.nfe() * b.size();
                }
            }
            long pCalls = (long) p.nfe() * config.seedCount();
            long pNetwork = (long) p.networkCalls() * config.seedCount();
            // each denoiser call of a batch is one network pass of B rows, or two (a guided config at w ≠ 1)
            long pPasses = batches * p.networkCalls();
            configs.add(new ConfigPlan(p, n, c, pCalls, pNetwork, pPasses));
            blocks += n;
            done += c;
            calls += pCalls;
            networkCalls += pNetwork;
            batchCalls += pPasses;
        }
        boolean complete = done == blocks && toExport.isEmpty();
        return new Plan(configs, blocks, done, exportOnly, calls, callsToRun, networkCalls, batchCalls, complete);
    }

    /**
     * Seconds per forward pass of {@code batch_size} samples on the driver, from sampling one batch with the cheapest
     * config unguided (one network pass per denoiser call; after one pass to warm up), or NaN when no config can run
     * yet (statistics still to be made).
     */
    public static double secondsPerBatchCall(SweepConfig config, Configuration conf) {
        SweepPoint cheapest = null;
        for (SweepPoint p : config.points()) {
            if (p.cell().needs().isEmpty() && (cheapest == null || p.nfe() < cheapest.nfe())) {
                cheapest = p;
            }
        }
        if (cheapest == null) {
            return Double.NaN;
        }
        SampleModel model = ModelCache.model(config.model(), config.family(), new HadoopConf(conf));
        int batch = (int) Math.min(config.batchSize(), config.seedCount());
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) {
            seeds[i] = config.seedStart() + i;
        }
        Cell cell = cheapest.cell();
        // The first passes include loading and the network's own warm-up (TorchScript optimises after a few
        // calls): keep the fastest of a few timed runs, within about ten seconds.
        double best = Double.POSITIVE_INFINITY;
        long start = System.nanoTime();
        for (int run = 0; run < 6 && (run < 2 || (System.nanoTime() - start) / 1e9 < 10); run++) {
            long t0 = System.nanoTime();
            // the main model's time per network pass, given the seeds' labels (the plan counts a guided config's two)
            cell.sample(model, seeds, new org.diffsweep.family.Conditioning(config.labelsOf(seeds), null, null));
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / cheapest.nfe());
        }
        return best;
    }

    /** The plan as text: a table of configs, then blocks, model calls and, when {@code secondsPerCall} is a number, a rough time. */
    public static String format(SweepConfig config, Plan plan, double secondsPerCall, int cores) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("plan %s: %d configs, output %s%n%n", config.name(), plan.configs().size(),
                config.output()));
        s.append("| config_id | sampler | grid | NFE requested | NFE used | steps | blocks committed | model calls "
                + "| network calls |\n");
        s.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (ConfigPlan c : plan.configs()) {
            SweepPoint p = c.point();
            s.append(String.format("| %s | %s | %s | %d | %d | %d | %d / %d | %d | %d |%n", p.id(), p.sampler(),
                    p.grid(), p.nfeRequested(), p.nfe(), p.steps(), c.committed(), c.blocks(), c.modelCalls(),
                    c.networkCalls()));
        }
        long end = config.seedStart() + config.seedCount() - 1;
        s.append(String.format("%nseeds %d–%d (%d) in blocks of %d: %d blocks per config, %d in all; %d committed, "
                + "%d to run%n", config.seedStart(), end, config.seedCount(), config.blockSize(),
                plan.configs().isEmpty() ? 0 : plan.configs().get(0).blocks(), plan.blocks(), plan.committed(),
                plan.blocks() - plan.committed()));
        if (plan.exportOnly() > 0) {
            s.append(String.format("export: %d committed blocks will be sampled again to export their samples%n",
                    plan.exportOnly()));
        }
        s.append(String.format("model calls (Σ NFE × seeds): %d in all, %d still to run; network calls (two per model "
                + "call of a guided config at w ≠ 1): %d in all; %d network passes of up to %d samples to run%n",
                plan.modelCalls(), plan.modelCallsToRun(), plan.networkCalls(), plan.batchCalls(),
                config.batchSize()));
        if (plan.complete()) {
            s.append("every block is committed: sweep would sample nothing\n");
        } else if (Double.isNaN(secondsPerCall)) {
            s.append("time: no estimate (every config needs statistics still to be made)\n");
        } else {
            double seconds = plan.batchCalls() * secondsPerCall / Math.max(1, cores);
            s.append(String.format("time, a rough estimate: %.3g s per forward pass of %d samples on this machine "
                    + "× %d passes / %d cores ≈ %s (sampling only: no detector, Spark start-up or I/O; another "
                    + "machine or cluster differs)%n", secondsPerCall, config.batchSize(), plan.batchCalls(), cores,
                    duration(seconds)));
        }
        return s.toString();
    }

    /** A duration as the plan prints it. */
    public static String duration(double seconds) {
        if (seconds < 120) {
            return String.format("%.1f s", seconds);
        }
        if (seconds < 7200) {
            return String.format("%.1f min", seconds / 60);
        }
        return String.format("%.1f h", seconds / 3600);
    }

    private static String blockKey(SweepLayout layout, SeedBlock b) {
        org.apache.hadoop.fs.Path p = layout.block(b.configId(), b.seedStart(), b.seedEnd());
        return p.getParent().getName() + "/" + p.getName();
    }
}
