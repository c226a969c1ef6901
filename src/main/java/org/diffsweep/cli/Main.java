package org.diffsweep.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.OracleJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.Spark;
import org.diffsweep.jobs.SweepJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diffsweep}: the command line. Every job is a subcommand and also a spark-submit entry point
 * ({@code --class org.diffsweep.cli.Main <jar> sweep conf.yaml}).
 *
 * <p>Exit codes: 0 done, 2 bad input (one line on stderr naming the bad value), 1 a failure while running.
 */
@Command(name = "diffsweep", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Evaluates diffusion-model samplers at scale on Apache Spark.",
        subcommands = {Main.Run.class, Main.Sweep.class, Main.Fid.class, Main.Metrics.class, Main.Distance.class, Main.Oracle.class, Main.RefStats.class, Main.NormStatsCommand.class,
                Main.Schedule.class, Main.Bench.class, Main.BenchFid.class, Main.Plan.class, Main.Report.class, Listing.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) {
        // The local fid stage's start-up work (FidJob.warmUp) overlaps the command line's parsing too when started
        // here, before it; Fid.starting() would start it after.
        String command = java.util.Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
        if (command.equals("fid") && !java.util.Arrays.asList(args).contains("--spark")) {
            FidJob.warmUp();
        }
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code. */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs a command line with the given streams for picocli's messages and returns its exit code. */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException) {
                cmd.getErr().println("diffsweep: error: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            cmd.getErr().println("diffsweep: failed: " + rootMessage(e));
            if (System.getenv("DIFFSWEEP_TRACE") != null) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("(set DIFFSWEEP_TRACE=1 for the stack trace)");
            }
            return 1;
        });
        return cli.execute(args);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            if (t instanceof ConfigException || t instanceof org.diffsweep.spark.BlockRunner.BlockFailure
                    || namesTheCloudFailure(t)) {
                break;
            }
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /**
     * A file system's exception around a cloud SDK's: S3A's names the operation and the path (s3a://bucket/key)
     * and quotes the SDK's, which names neither ("S3Exception: Forbidden (Service: S3, Status Code: 403)").
     */
    private static boolean namesTheCloudFailure(Throwable t) {
        return t instanceof java.io.IOException && t.getCause().getClass().getName().startsWith("software.amazon.awssdk.");
    }

    /**
     * A config as the driver reads it: every path it names qualified on the driver's Hadoop file systems (relative
     * paths in the file against the folder that holds it), {@code --out} too (a relative one against the working
     * directory), before anything is planned.
     */
    static SweepConfig loadConfig(Path file, String out) {
        org.diffsweep.spark.HadoopStore store = new org.diffsweep.spark.HadoopStore(
                org.diffsweep.spark.HadoopStore.driverConf());
        SweepConfig c = SweepConfig.load(file, store);
        if (out != null) {
            c = c.withOutput(qualifyOut(store, out));
        }
        LocalOutput.requireWritable(c.output());
        return c;
    }

    /** {@code --master}, which every Spark job takes. */
    static class MasterOption {
        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master. Default: spark.master from spark-submit or -Dspark.master, else local[*].")
        String url;
    }

    /** A sweep YAML and where its outputs go, for the commands that run without Spark. */
    static class ConfigFile {
        @Parameters(index = "0", paramLabel = "CONFIG", description = "The sweep's YAML file (see conf/).")
        Path config;

        @Option(names = "--out", paramLabel = "DIR", description = "Output directory. Default: the config's.")
        String out;

        SweepConfig load() {
            return loadConfig(config, out);
        }
    }

    /** Options every job takes. */
    static class JobOptions {
        @Parameters(index = "0", paramLabel = "CONFIG", description = "The sweep's YAML file (see conf/).")
        Path config;

        @Option(names = "--out", paramLabel = "DIR",
                description = "Output directory (local path or any Hadoop URI: hdfs://, s3a://). "
                        + "Default: the config's 'output', else runs/<name>.")
        String out;

        @CommandLine.Mixin
        MasterOption master = new MasterOption();

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
                description = "Spark partitions for the sweep. Default 0: one per seed block.")
        int partitions;

        SweepConfig load() {
            if (partitions < 0) {
                throw new ConfigException("--partitions " + partitions + ", expected 0 (one per block) or more");
            }
            return loadConfig(config, out);
        }

        SparkSession spark(String job, SweepConfig c) {
            return Spark.session("diffsweep " + job + " " + c.name(), master.url);
        }
    }

    /**
     * A job on a sweep YAML with {@link JobOptions}: it loads the config, checks that the offline statistics it
     * reads are made (unless it makes them itself), then runs.
     */
    abstract static class JobCommand implements Callable<Integer> {
        @CommandLine.Mixin
        JobOptions options = new JobOptions();

        /** Whether the job only reads the config's offline statistics (so they must exist before it starts). */
        boolean readsStatistics() {
            return true;
        }

        abstract void run(SweepConfig c) throws Exception;

        /** Called before the config is read: start-up work that may overlap reading it. */
        void starting() {
        }

        @Override
        public Integer call() throws Exception {
            starting();
            SweepConfig c = options.load();
            if (readsStatistics()) {
                c.requireStatisticsMade();
            }
            run(c);
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Sweep then FID (then KID and precision/recall when the config has metrics:) from one "
                    + "YAML, skipping a stage whose complete output already exists.")
    static final class Run extends JobCommand {

        @Override
        boolean readsStatistics() {
            return false;
        }

        @Override
        void run(SweepConfig c) throws Exception {
            long t0 = System.nanoTime();
            SparkSession spark = options.spark("run", c);
            RunJob.run(spark, c, options.partitions);
            System.out.printf("run %s: %.1f s in all%n", c.name(), (System.nanoTime() - t0) / 1e9);
        }
    }

    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Samples every config × seed block of the YAML and writes the features as Parquet "
                    + "(resumes: committed blocks are not recomputed).")
    static final class Sweep extends JobCommand {

        @Override
        void run(SweepConfig c) throws Exception {
            SweepJob.run(options.spark("sweep", c), c, options.partitions);
        }
    }

    @Command(name = "fid", mixinStandardHelpOptions = true,
            description = "Reduces a finished sweep's features to FID per config; writes Parquet, CSV and "
                    + "Markdown under <out>/fid and prints the table.")
    static final class Fid extends JobCommand {

        @Option(names = "--spark", description = "Reduce as Spark tasks even on a local master (by default a local "
                + "master reduces in this JVM without starting Spark: the same numbers, seconds sooner).")
        boolean spark;

        @Override
        void starting() {
            if (!spark && localCores(options.master.url) > 0) {
                FidJob.warmUp();
            }
        }

        @Override
        void run(SweepConfig c) throws Exception {
            int cores = spark ? 0 : localCores(options.master.url);
            if (cores > 0) {
                FidJob.runLocal(org.diffsweep.spark.HadoopStore.driverConf(), c, cores);
            } else {
                FidJob.run(options.spark("fid", c), c);
            }
        }
    }

    /**
     * The cores of a local master ({@code --master}, else spark.master as spark-submit or -D sets it, else
     * local[*]): local → 1, local[N] or local[N,F] → N, local[*] → all; 0 for a cluster master.
     */
    static int localCores(String master) {
        String m = master != null ? master : System.getProperty("spark.master", "local[*]");
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?")
                .matcher(m.trim());
        if (!local.matches()) {
            return 0;
        }
        if (local.group(1) == null) {
            return 1;
        }
        return local.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
                : Math.max(1, Integer.parseInt(local.group(1)));
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Writes <out>/report/index.html from a finished run's files: the FID (and KID, P&R) tables "
                    + "with their spread, the paired differences, the plots, each config's sample grid, the offline "
                    + "statistics' plots and the provenance, in one self-contained page (images embedded). 'run' "
                    + "writes it too.")
    static final class Report extends JobCommand {

        @Override
        boolean readsStatistics() {
            return false;
        }

        @Override
        void run(SweepConfig c) throws Exception {
            SparkSession spark = options.spark("report", c);
            org.diffsweep.jobs.ReportJob.run(spark.sparkContext().hadoopConfiguration(), c);
        }
    }

    @Command(name = "metrics", mixinStandardHelpOptions = true,
            description = "KID and precision/recall of a finished sweep's features against real features (the "
                    + "config's metrics: and reference_features: keys); writes <out>/metrics/metrics.{csv,md} and "
                    + "prints the table.")
    static final class Metrics extends JobCommand {

        @Override
        void run(SweepConfig c) throws Exception {
            org.diffsweep.jobs.MetricsJob.run(options.spark("metrics", c), c);
        }
    }

    @Command(name = "distance", mixinStandardHelpOptions = true,
            description = "How far each config's samples are from an anchor sweep's (one high-NFE config of the same "
                    + "model, detector and seeds) on the same seed, in the detector's features: the integration error "
                    + "on a real network. Writes <out>/distance/distance.{md,csv} and prints the table.")
    static final class Distance extends JobCommand {

        @Option(names = "--anchor", required = true, paramLabel = "ANCHOR.yaml",
                description = "The anchor sweep's YAML: one config (e.g. DEIS order 3 at 250 NFE), already run.")
        Path anchor;

        @Override
        boolean readsStatistics() {
            return false; // checked below, after the anchor is read, for this config and the anchor's
        }

        @Override
        void run(SweepConfig c) throws Exception {
            SweepConfig a = loadConfig(anchor, null);
            c.requireStatisticsMade();
            a.requireStatisticsMade();
            org.diffsweep.jobs.DistanceJob.run(options.spark("distance", c), c, a);
        }
    }

    @Command(name = "oracle", mixinStandardHelpOptions = true,
            description = "For an analytic model: the integration error of every ODE sampler of the YAML against a "
                    + "high-accuracy solution of the same ODE from the same latents, per NFE; writes "
                    + "<out>/oracle/oracle.{md,csv,png} and prints the table. Runs on this machine, without Spark.")
    static final class Oracle implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigFile file = new ConfigFile();

        @Option(names = "--seeds", paramLabel = "N", defaultValue = "64",
                description = "How many of the config's seeds to integrate (default ${DEFAULT-VALUE}).")
        int seeds;

        @Option(names = "--tolerance", paramLabel = "TOL", defaultValue = "1e-10",
                description = "Tolerance of the reference ODE solver (default ${DEFAULT-VALUE}).")
        double tolerance;

        @Option(names = "--dump", paramLabel = "FILE.json",
                description = "Also write the mixture, seeds, and per config the sigma grid, latents, samples and "
                        + "reference solution (float64 JSON), to compare with other implementations on the same inputs.")
        Path dump;

        @Override
        public Integer call() throws Exception {
            if (seeds < 1) {
                throw new ConfigException("--seeds " + seeds + ", expected at least 1");
            }
            if (!(tolerance > 0 && tolerance < 1e-3)) {
                throw new ConfigException("--tolerance " + tolerance + ", expected 0 < tolerance < 1e-3");
            }
            SweepConfig c = file.load();
            OracleJob.run(c, seeds, tolerance, new org.apache.hadoop.conf.Configuration(), dump);
            return 0;
        }
    }

    @Command(name = "ref-stats", mixinStandardHelpOptions = true,
            description = "Reference statistics of a data set: images -> detector features -> mu, sigma (.npz, "
                    + "readable by pytorch-fid, EDM and clean-fid), the raw float64 sums (Parquet) and metadata (JSON). "
                    + "Several detectors in one pass: repeat --detector, --dim and --out, in the same order.")
    static final class RefStats implements Callable<Integer> {
        @Option(names = "--data", required = true, paramLabel = "PATH",
                description = "IDX images file (MNIST family, .gz allowed), a folder or .zip of PNGs (EDM's "
                        + "dataset_tool), a CIFAR-10 binary batch, or an .npz of uint8 images [N,H,W,C] (arr_0, as "
                        + "ADM's reference batches and EDM's and this tool's export store them); any Hadoop path.")
        String data;

        @Option(names = "--format", paramLabel = "FMT", description = "idx, png, cifar10 or npz (default: from the "
                + "path).")
        String format;

        @Option(names = "--detector", paramLabel = "MODEL",
                description = "Detector network (.pt or .onnx): uint8 [B,3,H,W] -> features [B,D]; repeat it for "
                        + "several detectors in one pass. Default: none, the features are the pixels in [-1, 1].")
        java.util.List<String> detectors = new java.util.ArrayList<>();

        @Option(names = "--dim", paramLabel = "D", description = "The detector's feature dimension, one per --detector "
                + "in order (default: the one each file states: 2048 for NVIDIA's inception-2015-12-05 interface, the "
                + "metadata of tools/detectors builds).")
        java.util.List<Integer> dims = new java.util.ArrayList<>();

        @Option(names = "--batch", paramLabel = "B", defaultValue = "256",
                description = "Images per forward pass (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Use only the first N images (default: all).")
        long limit;

        @Option(names = "--out", required = true, paramLabel = "FILE.npz",
                description = "Where to write the .npz (X.parquet and X.json beside it): a local path or any Hadoop "
                        + "URI (file:, hdfs://, s3a://); one per --detector, in order.")
        java.util.List<String> outs = new java.util.ArrayList<>();

        @Option(names = "--keep", paramLabel = "N", defaultValue = "0",
                description = "Also keep the features of a seeded sample of N images (all if N >= their count) as "
                        + "X.features.parquet, the real set of KID and precision/recall (default: none).")
        long keep;

        @CommandLine.Mixin
        MasterOption master = new MasterOption();

        @Override
        public Integer call() throws Exception {
            if (detectors.isEmpty() && !dims.isEmpty()) {
                throw new ConfigException("--dim without --detector, expected --dim only beside a --detector");
            }
            if (!dims.isEmpty() && dims.size() != detectors.size()) {
                throw new ConfigException("--detector and --dim do not pair up: " + detectors.size() + " --detector, "
                        + dims.size() + " --dim, expected one --dim per --detector, or none for detector files that "
                        + "state it");
            }
            for (Integer dim : dims) {
                if (dim == null || dim < 1) {
                    throw new ConfigException("--dim " + dim + ", expected the detector's feature dimension (>= 1), or"
                            + " no --dim for a detector file that states it");
                }
            }
            int wanted = Math.max(1, detectors.size());
            if (outs.size() != wanted) {
                throw new ConfigException("--out given " + outs.size() + " times, expected one .npz per detector ("
                        + wanted + ")");
            }
            if (batch < 1 || limit < 0) {
                throw new ConfigException("--batch " + batch + " / --limit " + limit + ", expected batch >= 1, limit >= 0");
            }
            if (keep < 0) {
                throw new ConfigException("--keep " + keep + ", expected 0 (none) or more images");
            }
            org.diffsweep.spark.HadoopStore store = new org.diffsweep.spark.HadoopStore(
                    org.diffsweep.spark.HadoopStore.driverConf());
            java.util.List<String> npz = new java.util.ArrayList<>();
            for (String out : outs) {
                npz.add(qualifyOut(store, out));
                org.diffsweep.jobs.RefStatsJob.checkOutput(store.conf(), npz.get(npz.size() - 1));
            }
            java.util.List<org.diffsweep.config.NetSpec> dets = new java.util.ArrayList<>();
            for (int i = 0; i < detectors.size(); i++) {
                dets.add(new org.diffsweep.config.NetSpec("detector", detectors.get(i), null, "detector", null,
                        dims.isEmpty() ? 0 : dims.get(i), batch, null));
            }
            if (dets.isEmpty()) {
                dets.add(null);
            }
            org.diffsweep.jobs.RefStatsJob.runAll(Spark.session("diffsweep ref-stats", master.url), data, format,
                    dets, limit, npz, keep);
            return 0;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Throughput of a denoiser network: raw DJL forward passes vs the sampler loop vs a whole "
                    + "Spark sweep vs the same Euler loop in Python torch, side by side in one run, at the same batch "
                    + "size and threads (images x NFE per second).")
    static final class Bench implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "FILE", defaultValue = "models/fmnist-edm-denoiser.pt",
                description = "Denoiser network (x, sigma) -> D (default ${DEFAULT-VALUE}).")
        Path model;

        @Option(names = "--shape", paramLabel = "C,H,W", defaultValue = "1,28,28", split = ",",
                description = "Sample shape (default ${DEFAULT-VALUE}).")
        int[] shape;

        @Option(names = "--batch", defaultValue = "256", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--nfe", defaultValue = "20", description = "Model calls per round (default ${DEFAULT-VALUE}).")
        int nfe;

        @Option(names = "--rounds", defaultValue = "5", description = "Rounds (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--python", paramLabel = "PYTHON", description = "A python3 with torch for the torch loop "
                + "beside diffsweep's (default: target/venv/bin/python3, /usr/bin/python3 or python3, the first with "
                + "torch; 'none' skips it).")
        String python;

        @Override
        public Integer call() throws Exception {
            if (shape.length != 3 || batch < 1 || nfe < 2 || rounds < 1) {
                throw new ConfigException("bench: --shape C,H,W, --batch >= 1, --nfe >= 2, --rounds >= 1 expected");
            }
            if (!java.nio.file.Files.isRegularFile(model)) {
                throw new ConfigException("bench: model " + model + " not found");
            }
            String py = python == null ? org.diffsweep.jobs.FidBench.findPython("import torch")
                    : python.equals("none") ? null : python;
            org.diffsweep.jobs.BenchJob.run(Spark.session("diffsweep bench", "local[1]"), model, shape, batch, nfe,
                    rounds, py);
            return 0;
        }
    }

    @Command(name = "bench-fid", mixinStandardHelpOptions = true,
            description = "The fid stage at Inception scale on a synthetic sweep (deterministic pseudo-features, no "
                    + "model): one config's statistics and FID side by side with pytorch-fid's numpy/scipy code, then "
                    + "the whole stage over every config with its wall time and peak heap.")
    static final class BenchFid implements Callable<Integer> {
        @Option(names = "--configs", defaultValue = "100", description = "Configs (default ${DEFAULT-VALUE}).")
        int configs;

        @Option(names = "--seeds", defaultValue = "50000", description = "Seeds per config (default ${DEFAULT-VALUE}).")
        long seeds;

        @Option(names = "--dim", defaultValue = "2048", description = "Features per seed (default ${DEFAULT-VALUE}).")
        int dim;

        @Option(names = "--block-size", defaultValue = "500", description = "Seeds per block (default ${DEFAULT-VALUE}).")
        int blockSize;

        @Option(names = "--rounds", defaultValue = "3",
                description = "Side-by-side rounds on the first config; 0 skips them (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--no-stage", description = "Skip the whole fid stage.")
        boolean noStage;

        @Option(names = "--python", paramLabel = "PYTHON",
                description = "A python3 with numpy and scipy for the pytorch-fid baseline (default: target/venv/bin/python3, "
                        + "/usr/bin/python3 or python3, the first with both; 'none' skips it).")
        String python;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/bench-fid",
                description = "Where the synthetic sweeps go, one folder per --configs, --seeds, --dim and --block-size; "
                        + "reused when there (default ${DEFAULT-VALUE}).")
        Path out;

        @CommandLine.Mixin
        MasterOption master = new MasterOption();

        @Override
        public Integer call() throws Exception {
            if (configs < 1 || seeds < 2 || dim < 1 || blockSize < 1 || rounds < 0) {
                throw new ConfigException("bench-fid: --configs >= 1, --seeds >= 2, --dim >= 1, --block-size >= 1, "
                        + "--rounds >= 0 expected");
            }
            if (seeds * dim > Integer.MAX_VALUE && rounds > 0) {
                throw new ConfigException("bench-fid: --seeds x --dim = " + seeds * dim + " is too large for the "
                        + "side-by-side rounds (at most 2^31 values), expected fewer seeds or --rounds 0");
            }
            String py = python == null ? org.diffsweep.jobs.FidBench.findPython()
                    : python.equals("none") ? null : python;
            java.nio.file.Files.createDirectories(out);
            org.diffsweep.jobs.FidBench.run(Spark.session("diffsweep bench-fid", master.url), out, configs, seeds, dim,
                    blockSize, py, rounds, !noStage);
            return 0;
        }
    }

    /** Options of the offline statistics jobs. */
    static class StatsOptions {
        @Parameters(index = "0", paramLabel = "CONFIG", description = "A sweep YAML: its model, process and first seed.")
        Path config;

        @Option(names = "--out", required = true, paramLabel = "FILE.csv",
                description = "Where to write the table (its siblings beside it): a local path or any Hadoop URI "
                        + "(file:, hdfs://, s3a://).")
        String out;

        @Option(names = "--seeds", defaultValue = "1024", description = "Trajectories (default ${DEFAULT-VALUE}).")
        long seeds;

        @Option(names = "--shard", defaultValue = "256", description = "Seeds per task (default ${DEFAULT-VALUE}).")
        int shard;

        @CommandLine.Mixin
        MasterOption master = new MasterOption();

        @Option(names = "--partitions", defaultValue = "0", description = "Spark partitions (default: one per shard).")
        int partitions;

        SweepConfig load() {
            if (seeds < 1 || shard < 1 || partitions < 0) {
                throw new ConfigException("--seeds " + seeds + ", --shard " + shard + ", --partitions " + partitions
                        + ": expected seeds >= 1, shard >= 1, partitions >= 0");
            }
            if (!out.endsWith(".csv")) {
                throw new ConfigException("--out " + out + ", expected a .csv file");
            }
            store = new org.diffsweep.spark.HadoopStore(org.diffsweep.spark.HadoopStore.driverConf());
            qualifiedOut = qualifyOut(store, out);
            return SweepConfig.load(config, store);
        }

        /** The driver's store; set by {@link #load}. */
        org.diffsweep.spark.HadoopStore store;

        /** {@code --out} qualified on the driver; set by {@link #load}. */
        String qualifiedOut;
    }

    /** {@code --out} qualified on the driver's file systems (a relative path against the working directory). */
    static String qualifyOut(org.diffsweep.spark.HadoopStore store, String out) {
        try {
            return store.qualify(out);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--out " + e.getMessage());
        }
    }

    @Command(name = "norm-stats", mixinStandardHelpOptions = true,
            description = "DEIS-SN statistics: mean |eps| per step of Euler on a fine grid of the config's model, over "
                    + "seeds sharded across executors -> per-shard sums (X.shards.parquet), the table r(sigma) (X.csv) "
                    + "that deis-sn's 'norm:' reads, and its plot (X.png).")
    static final class NormStatsCommand implements Callable<Integer> {
        @CommandLine.Mixin
        StatsOptions options = new StatsOptions();

        @Option(names = "--steps", defaultValue = "1000", description = "Fine-grid steps (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--truncation", defaultValue = "5",
                description = "The last k points take the value before them (docs/offline-statistics.md; "
                        + "default ${DEFAULT-VALUE}).")
        int truncation;

        @Override
        public Integer call() throws Exception {
            SweepConfig c = options.load();
            if (steps < 2 || truncation < 0 || truncation >= steps) {
                throw new ConfigException("--steps " + steps + " / --truncation " + truncation
                        + ", expected steps >= 2 and 0 <= truncation < steps");
            }
            org.diffsweep.jobs.NormStatsJob.checkOutput(options.store.conf(), options.qualifiedOut);
            org.diffsweep.schedule.TimeGrid grid = c.edmFamily("norm-stats").normStatsGrid();
            org.diffsweep.jobs.NormStatsJob.run(Spark.session("diffsweep norm-stats", options.master.url), c,
                    grid.sigmas(steps), grid.describe() + " " + steps + " steps", options.seeds, options.shard,
                    options.partitions, truncation, options.qualifiedOut);
            return 0;
        }
    }

    @Command(name = "schedule", mixinStandardHelpOptions = true,
            description = "Score-optimal schedules (docs/offline-statistics.md): the corrector cost on a fine grid "
                    + "along trajectories of the config's model -> equal-cost N-step schedules (a 'file' grid CSV), the cost "
                    + "curve and plots.")
    static final class Schedule implements Callable<Integer> {
        @CommandLine.Mixin
        StatsOptions options = new StatsOptions();

        @Option(names = "--points", defaultValue = "400", description = "Fine-grid levels (default ${DEFAULT-VALUE}).")
        int points;

        @Option(names = "--steps", split = ",", paramLabel = "N,N,...",
                description = "Step counts to write schedules for, e.g. 5,10,20 (default: the step counts the "
                        + "config's samplers take on the grid file --out, or on any grid if none names it).")
        int[] steps;

        @Override
        public Integer call() throws Exception {
            SweepConfig c = options.load();
            if (steps == null) {
                steps = c.pendingSchedules().entrySet().stream()
                        .filter(e -> e.getKey().equals(options.qualifiedOut))
                        .map(java.util.Map.Entry::getValue).findFirst()
                        .orElseGet(() -> c.points().stream().mapToInt(org.diffsweep.config.SweepPoint::steps)
                                .filter(n -> n >= 2).distinct().sorted().toArray());
            }
            if (points < 3 || java.util.Arrays.stream(steps).anyMatch(n -> n < 2)) {
                throw new ConfigException("--points " + points + " / --steps " + java.util.Arrays.toString(steps)
                        + ", expected points >= 3 and every step count >= 2");
            }
            int[] sorted = steps.clone();
            java.util.Arrays.sort(sorted);
            org.diffsweep.jobs.ScheduleJob.checkOutput(options.store.conf(), options.qualifiedOut);
            org.diffsweep.jobs.ScheduleJob.run(Spark.session("diffsweep schedule", options.master.url), c, points,
                    options.seeds, options.shard, options.partitions, sorted, options.qualifiedOut);
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true,
            description = "What 'sweep' would run, without running it: the configs (id, sampler, grid, NFE requested "
                    + "and used, steps), the seed blocks and how many are committed, the model calls, and a rough "
                    + "time estimate from a short probe of the model on this machine. Starts no Spark job and writes "
                    + "nothing.")
    static final class Plan implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigFile file = new ConfigFile();

        @Override
        public Integer call() throws Exception {
            SweepConfig c = file.load();
            org.diffsweep.jobs.PlanJob.run(c, org.diffsweep.spark.HadoopStore.driverConf(), System.out);
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {org.diffsweep.spark.CodeVersion.get()};
        }
    }
}
