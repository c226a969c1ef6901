package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.Comparison;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.JackknifeFid;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.model.Models;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.FidTask;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.SweepLayout;
import org.diffsweep.report.NfeTable;
import org.diffsweep.report.Table;
import org.diffsweep.spark.TableParquet;

/**
 * The {@code fid} job: reduces each config's features to float64 sums (n, Σf, Σffᵀ) with one
 * treeAggregate over all configs, computes FID against the reference statistics, and writes the table as
 * Parquet, CSV and Markdown under {@code fid/} (written aside, then renamed into place, then marked complete).
 */
public final class FidJob {

    /** Independent draws of exact samples behind the floor's mean and spread. */
    static final int FLOOR_REPLICATES = 20;

    private FidJob() {
    }

    /**
     * One row of the table.
     *
     * @param se          the jackknife standard error of the FID over draws of the seeds (NaN with one seed)
     * @param leaveOneOut the leave-one-group-out FIDs behind it, for paired differences
     */
    public record Entry(SweepPoint point, long n, double fid, double se, double[] leaveOneOut) {
    }

    /** A paired difference FID(candidate) − FID(baseline) on the same seeds, with its jackknife SE. */
    public record Difference(Comparison comparison, Entry candidate, Entry baseline, double difference, double se) {
    }

    /**
     * One row of the per-class table: a config's seeds of one class, their FID against the class's reference and its
     * jackknife SE, the class's reference size, and a flag (see {@link #classFlag}).
     */
    public record ClassEntry(SweepPoint point, int label, long n, double fid, double se, String nReference,
                             String flag) {
    }

    /**
     * The results and their context.
     *
     * @param byClass the per-class rows (config by config, class by class) of a class-conditional sweep whose
     *                reference has per-class statistics, else null
     * @param byClassNote why there are no per-class rows, or null
     */
    public record Results(List<Entry> entries, List<Difference> differences, int groups, double floorMean,
                          double floorSd, String codeVersion, Table.Provenance provenance, List<ClassEntry> byClass,
                          String byClassNote) {
        public Results(List<Entry> entries, List<Difference> differences, int groups, double floorMean,
                       double floorSd, String codeVersion, Table.Provenance provenance) {
            this(entries, differences, groups, floorMean, floorSd, codeVersion, provenance, null, null);
        }
    }

    /**
     * The flag of a per-class FID: "n<2" where the class has fewer than 2 seeds (no covariance: the FID is NaN),
     * "no reference" where the reference's class has fewer than 2 images, "n<=D" where the class's covariance
     * cannot have full rank (at most n − 1 of its D eigenvalues are nonzero: the FID is biased up, strongly so for
     * n well below D), else empty. Every class is reported, flagged or not.
     */
    static String classFlag(long n, int dim, boolean hasReference) {
        if (!hasReference) {
            return "no reference";
        }
        if (n < 2) {
            return "n<2";
        }
        return n <= dim ? "n<=D" : "";
    }

    public static List<Entry> run(SparkSession spark, SweepConfig config) throws IOException {
        return run(spark, config, null);
    }

    /**
     * @param spread how the jackknife's leave-one-out FIDs are computed; null: exact up to
     *               {@link JackknifeFid#EXACT_MAX_DIM} features, linearised above
     */
    public static List<Entry> run(SparkSession spark, SweepConfig config, JackknifeFid.Method spread)
            throws IOException {
        try (org.diffsweep.spark.OutputLock lock = Spark.lockOutput(spark, config, "fid")) {
            return run(spark.sparkContext().hadoopConfiguration(), (c, layout, dim, groups, method, reference,
                    classes) -> reduce(spark, c, layout, dim, groups, method, reference, classes), config, spread, lock);
        }
    }

    /**
     * The fid stage on this machine without Spark: each config's reduce ({@link FidTask#reduce}) runs in this JVM,
     * as many at once as {@link FidTask#localPermits} allows on {@code cores} cores, its products on all of them. The
     * same numbers as on Spark (every choice of the sums is a function of the seeds alone), without starting a
     * Spark context for work that is one machine's anyway.
     */
    public static List<Entry> runLocal(Configuration conf, SweepConfig config, int cores) throws IOException {
        try (org.diffsweep.spark.OutputLock lock = org.diffsweep.spark.OutputLock.acquire(
                new Path(config.output()), conf, "fid " + config.name(),
                java.time.Duration.ofSeconds(conf.getTimeDuration(org.diffsweep.spark.OutputLock.TIMEOUT_KEY,
                        org.diffsweep.spark.OutputLock.DEFAULT_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS)))) {
            return run(conf, (c, layout, dim, groups, method, reference, classes) ->
                    reduceLocal(conf, c, layout, dim, groups, method, reference, classes, cores), config, null, lock);
        }
    }

    /**
     * Starts (once per JVM), on a daemon thread, the one-time start-up work of a cold JVM that the local fid stage
     * meets later (Hadoop's configuration, logging and local file system, OpenBLAS, the chart and PNG classes), so
     * that it overlaps the command line, the configuration, the reference and the sums instead of adding to them.
     * Changes no result: it only loads what the stage then uses, in the order the stage meets it.
     */
    public static synchronized Thread warmUp() {
        if (warmUp != null) {
            return warmUp;
        }
        Thread t = new Thread(() -> {
            try {
                FileSystem.getLocal(org.diffsweep.spark.HadoopStore.driverConf());
                org.diffsweep.linalg.Lapack.preload();
                org.diffsweep.report.Plots.linesWithErrors("warm-up", "NFE", "FID",
                        Map.of("a", new double[][] {{1, 2}, {1, 2}, {0.1, 0.1}}), null, true, null,
                        OutputStream.nullOutputStream());
                parquetRoundTrip();
            } catch (IOException | RuntimeException | LinkageError e) {
                // the stage itself meets and reports whatever failed here
            }
        }, "diffsweep-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        warmUp = t;
        return t;
    }

    /**
     * Writes a two-row feature block and a one-row table to a temporary folder, reads the block back and deletes
     * both: the Parquet reader, writer and Snappy codec the stage meets (several hundred classes, Snappy's native
     * library) are then loaded before the stage reaches its blocks and its table.
     */
    private static void parquetRoundTrip() throws IOException {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("diffsweep-warm-up");
        // A stage that ends while this runs (a refused input exits at once) must not leave the folder behind.
        Thread cleanup = new Thread(() -> deleteTree(dir));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Configuration conf = org.diffsweep.spark.HadoopStore.driverConf();
            Path block = new Path(dir.toUri().toString(), "block.parquet");
            org.diffsweep.spark.FeatureParquet.write(FileSystem.getLocal(conf).getRaw(), block, conf, "warm-up", 1,
                    "euler", "edm", List.of(new org.diffsweep.spark.FeatureParquet.Row(0, new float[] {1, 2}),
                            new org.diffsweep.spark.FeatureParquet.Row(1, new float[] {3, 4})), Map.of());
            org.diffsweep.spark.FeatureBlocks.read(block, conf, 2);
            Table t = new Table("warm-up", null, List.of(Table.Column.string("a", "a")));
            t.add("a");
            TableParquet.write(conf, t, new Path(dir.toUri().toString(), "table.parquet").toString());
        } finally {
            deleteTree(dir);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway, and finds nothing left
            }
        }
    }

    private static void deleteTree(java.nio.file.Path dir) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // already gone, or going: nothing to delete
        }
    }

    /** The warm-up thread, once started: one per JVM. */
    private static Thread warmUp;

    /** Where every config's reduce runs: Spark tasks, or this JVM. */
    interface Reducer {
        /** @param classes each class's reference (null entries for classes without one), or null: not by class */
        Map<String, FidTask.Result> reduce(SweepConfig config, SweepLayout layout, int dim, int groups,
                                           JackknifeFid.Method method, FrechetDistance.To reference,
                                           FrechetDistance.To[] classes)
                throws IOException;
    }

    static List<Entry> run(Configuration conf, Reducer reducer, SweepConfig config, JackknifeFid.Method spread,
                           org.diffsweep.spark.OutputLock lock) throws IOException {
        long t0 = System.nanoTime();
        config.requireStatisticsMade();
        config = ModelFiles.resolve(config, conf);
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!SweepJob.complete(conf, config)) {
            throw new ConfigException("sweep output " + layout.sweepDir() + " is not complete, expected a finished "
                    + "sweep (run 'diffsweep sweep' or 'diffsweep run' first)");
        }
        if (config.multiDetector()) {
            return runDetectors(conf, reducer, config, spread, lock, layout, fs, t0);
        }
        if (!config.reference().equals("exact")) {
            // the tables' provenance names the reference by its hash: made beside the reference's read and check
            ModelFiles.prefetchSha256(config.reference(), conf);
        }
        Reference ref = readReference(config, conf);
        Results table = measure(conf, reducer, config, spread, layout, ref.gaussian(), ref.classes());
        List<Entry> entries = table.entries();
        List<Difference> differences = table.differences();
        Table fids = fidTable(config, table);

        Path tmp = writeTables(fs, conf, layout, fids, differences.isEmpty() ? null
                : differencesTable(config, table), table.byClass() == null ? null : classTable(config, table));
        try (OutputStream png = fs.create(new Path(tmp, "fid-vs-nfe.png"), true)) {
            plot(config, table, png);
        }
        String md = markdown(config, table);
        write(fs, new Path(tmp, "fid.md"), md);
        commit(fs, tmp, layout, lock, config, conf, md, t0);
        return entries;
    }

    /**
     * One detector's numbers (the config's only detector, or one detector's view, {@link SweepConfig#forDetector}):
     * every config's FID against its reference, the paired differences and the floor.
     */
    static Results measure(Configuration conf, Reducer reducer, SweepConfig config, JackknifeFid.Method spread,
                           SweepLayout layout, Gaussian reference) throws IOException {
        return measure(conf, reducer, config, spread, layout, reference, null);
    }

    /**
     * As above; with {@code classReferences} (each class's reference, null for a class without one) and a
     * class-conditional sweep of as many classes, each config's seeds are also measured class by class against
     * them, in the same pass over the features.
     */
    static Results measure(Configuration conf, Reducer reducer, SweepConfig config, JackknifeFid.Method spread,
                           SweepLayout layout, Gaussian reference, Gaussian[] classReferences) throws IOException {
        int groups = JackknifeFid.groups(config.seedCount());
        int dim = config.featureDim();
        JackknifeFid.Method method = spread != null ? spread : JackknifeFid.Method.forDim(dim);
        long tRef = System.nanoTime();
        FrechetDistance.To toReference = new FrechetDistance.To(reference);
        System.out.printf(Locale.ROOT, "fid %s: %s%d configs × %d seeds, D = %d, reference factorised in %.1f s; "
                + "spread: %s jackknife over %d seed groups%n", config.name(), config.multiDetector()
                ? "detector " + config.detectors().get(0).name() + ", " : "", config.points().size(),
                config.seedCount(), dim, (System.nanoTime() - tRef) / 1e9,
                groups < 2 ? "no" : method.name().toLowerCase(Locale.ROOT), groups);
        String byClassNote = byClassNote(config, classReferences, dim, groups);
        FrechetDistance.To[] toClasses = null;
        if (byClassNote == null) {
            long tClasses = System.nanoTime();
            toClasses = new FrechetDistance.To[classReferences.length];
            for (int c = 0; c < toClasses.length; c++) {
                toClasses[c] = classReferences[c] == null ? null : new FrechetDistance.To(classReferences[c]);
            }
            System.out.printf(Locale.ROOT, "fid %s: by class too, %d classes (references factorised in %.1f s)%n",
                    config.name(), toClasses.length, (System.nanoTime() - tClasses) / 1e9);
        }
        Map<String, FidTask.Result> results = reducer.reduce(config, layout, dim, groups, method, toReference,
                toClasses);
        List<Entry> entries = new ArrayList<>();
        Map<String, Entry> byId = new HashMap<>();
        List<ClassEntry> byClass = toClasses == null ? null : new ArrayList<>();
        for (SweepPoint p : config.points()) {
            FidTask.Result r = results.get(p.id());
            double[] loo = r.leaveOneOut();
            Entry e = new Entry(p, r.n(), r.fid(), JackknifeFid.standardError(loo), loo);
            entries.add(e);
            byId.put(p.id(), e);
            if (byClass != null) {
                for (FidTask.ClassResult c : r.byClass()) {
                    Gaussian cr = classReferences[c.label()];
                    byClass.add(new ClassEntry(p, c.label(), c.n(), c.fid(),
                            JackknifeFid.standardError(c.leaveOneOut()), cr == null ? "none"
                            : config.reference().equals("exact") ? "exact" : Long.toString(cr.n()),
                            classFlag(c.n(), dim, cr != null)));
                }
            }
        }
        List<Difference> differences = new ArrayList<>();
        for (Comparison c : config.comparisons()) {
            Entry a = byId.get(c.candidateId());
            Entry b = byId.get(c.baselineId());
            Table.requireSameN(a.point().id(), a.n(), b.point().id(), b.n());
            double se = groups < 2 ? Double.NaN : JackknifeFid.differenceStandardError(a.leaveOneOut(), b.leaveOneOut());
            differences.add(new Difference(c, a, b, a.fid() - b.fid(), se));
        }
        double[] floor = config.reference().equals("exact")
                ? Models.exactSampleFloor(config.referenceModel(), config.seedStart(), config.seedCount(), FLOOR_REPLICATES)
                : new double[] {Double.NaN, Double.NaN};
        Results table = new Results(entries, differences, groups, floor[0], floor[1], CodeVersion.get(),
                provenance(config, conf, reference), byClass, byClassNote);
        return table;
    }

    /**
     * Why a config is not measured by class (null when it is): an unconditional sweep, a reference without per-class
     * statistics, one of another number of classes than the model's, or per-class sums (K·G D×D sums per config)
     * that would not fit the fid stage's memory budget in this JVM ({@code spark.diffsweep.fid.memory}, else 40 % of
     * the heap): at D = 2048, 10 classes and 10 seed groups they take 3.4 GB.
     */
    static String byClassNote(SweepConfig config, Gaussian[] classReferences, int dim, int groups) {
        String note = byClassNote(config, classReferences);
        if (note != null) {
            return note;
        }
        long need = org.diffsweep.spark.ConfigStats.heapBytes(dim, groups, classReferences.length);
        long budget = org.diffsweep.spark.FidTask.Gate.budgetWithoutSpark("spark.diffsweep.fid.memory");
        if (need > budget) {
            return String.format(Locale.ROOT, "its per-class sums need %.1f GB per config, more than the fid stage's "
                    + "memory budget of %.1f GB (raise the heap, -Xmx in DIFFSWEEP_JAVA_OPTS, or "
                    + "spark.diffsweep.fid.memory)", need / 1e9, budget / 1e9);
        }
        return null;
    }

    static String byClassNote(SweepConfig config, Gaussian[] classReferences) {
        if (config.labels() == null) {
            return "an unconditional sweep";
        }
        if (classReferences == null) {
            return "the reference has no per-class statistics (ref-stats records them for a data set with labels)";
        }
        if (classReferences.length != config.model().classes()) {
            return "the reference has per-class statistics of " + classReferences.length + " classes, the model "
                    + config.model().classes();
        }
        return null;
    }

    /** The reference statistics: the model's exact ones, or a .npz file (ref-stats, pytorch-fid, EDM, clean-fid). */
    static Gaussian reference(SweepConfig config, Configuration conf) throws IOException {
        return readReference(config, conf).gaussian();
    }

    /**
     * Reference statistics and what is known of the detector they were made with: {@value #DETECTOR_MATCHES} when
     * the {@code .npz} ({@code detector_sha256}, which ref-stats writes) or its {@code .json} names the detector,
     * {@value #DETECTOR_NOT_RECORDED} when neither does (pytorch-fid's, EDM's and clean-fid's files), "exact" for
     * the model's exact statistics, "none" without a detector.
     */
    record Reference(Gaussian gaussian, String detectorNote, Gaussian[] classes) {
        Reference(Gaussian gaussian, String detectorNote) {
            this(gaussian, detectorNote, null);
        }
    }

    /**
     * The exact per-class statistics of a class-conditional mixture: class c's sub-mixture (its components,
     * renormalised), the distribution of a seed labelled c; null for a model without classes.
     */
    static Gaussian[] exactClasses(SweepConfig config) {
        org.diffsweep.model.GaussianMixture m = config.model().mixture();
        if (m == null || m.classes() == 0) {
            return null;
        }
        Gaussian[] out = new Gaussian[m.classes()];
        for (int c = 0; c < out.length; c++) {
            double[] p = new double[m.classes()];
            p[c] = 1;
            org.diffsweep.model.GaussianMixture given = m.conditioned(p);
            out[c] = new Gaussian(given.mean(), given.covariance(), 0);
        }
        return out;
    }

    static final String DETECTOR_MATCHES = "recorded, the same";
    static final String DETECTOR_NOT_RECORDED = "detector of reference not recorded";

    /**
     * Reads and checks the reference. A reference made with another detector than the config's is refused in one
     * line, naming both: by the SHA-256 the {@code .npz} records ({@code detector_sha256}), or the detector its
     * {@code .json} names.
     */
    static Reference readReference(SweepConfig config, Configuration conf) throws IOException {
        if (config.reference().equals("exact")) {
            return new Reference(Models.exactReference(config.referenceModel()), "exact", exactClasses(config));
        }
        Path path = new Path(config.reference());
        FileSystem fs;
        boolean exists;
        try {
            fs = path.getFileSystem(conf);
            exists = fs.exists(path);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("reference " + config.reference() + ": cannot read ("
                    + org.diffsweep.family.Family.rootLine(e) + "), expected a readable .npz file");
        }
        if (!exists) {
            throw new ConfigException("reference " + config.reference() + " not found, expected a .npz file of "
                    + "reference statistics");
        }
        Gaussian g;
        Gaussian[] classes;
        String recorded;
        try (java.io.InputStream in = fs.open(path)) {
            Map<String, Npz.Array> arrays = Npz.read(in, config.reference());
            g = Npz.gaussian(arrays, config.reference());
            classes = Npz.classGaussians(arrays, g.mean().length, config.reference());
            recorded = Npz.text(arrays, Npz.DETECTOR_SHA256);
        } catch (IOException | RuntimeException e) {
            String m = org.diffsweep.family.Family.rootLine(e);
            throw new ConfigException("reference " + (m.contains(config.reference()) ? m
                    : config.reference() + ": " + m + ", expected a .npz file of reference statistics (mu, sigma)"));
        }
        String what = config.multiDetector() ? "detector " + config.detectors().get(0).name() + " ("
                + (config.detector() == null ? "none" : config.detector().id()) + ")"
                : config.detector() == null ? "the model's samples (no detector)" : config.detector().id();
        if (recorded != null && !recorded.equals(config.detector() == null ? "none" : config.detector().sha256())) {
            throw new ConfigException("reference " + config.reference() + " was made with detector sha256 "
                    + recorded + ", expected " + what + (config.detector() == null ? ""
                    : " sha256 " + config.detector().sha256()) + ": rerun ref-stats with this detector");
        }
        boolean named = recorded != null;
        Path meta = new Path(config.reference().replaceFirst("\\.npz$", ".json"));
        if (config.detector() != null && fs.exists(meta)) {
            try (java.io.InputStream in = fs.open(meta)) {
                com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
                String made = m.path("detector").asText("");
                if (!made.isEmpty() && !made.equals(config.detector().id())) {
                    throw new ConfigException("reference " + config.reference() + " was made with detector " + made
                            + " (" + meta + "), expected " + config.detector().id() + ": rerun ref-stats");
                }
                named |= !made.isEmpty();
            }
        }
        if (g.mean().length != config.featureDim()) {
            throw new ConfigException("reference " + config.reference() + " has " + g.mean().length
                    + " features, expected " + config.featureDim() + " (" + (config.detector() == null
                    ? "the model's sample size" : "detector " + config.detector().id()) + ")");
        }
        return new Reference(g, config.detector() == null ? (named ? DETECTOR_MATCHES : "none")
                : named ? DETECTOR_MATCHES : DETECTOR_NOT_RECORDED, classes);
    }

    /**
     * Whether the FID table is complete (and the sweep behind it) and was measured against this config's reference:
     * a table against another reference is not reused (the sweep is: the reference is not part of its plan).
     */
    public static boolean complete(SparkSession spark, SweepConfig config) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!fs.exists(layout.fidComplete()) || !SweepJob.complete(spark, config)) {
            return false;
        }
        try (java.io.InputStream in = fs.open(layout.fidComplete())) {
            String made = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in).path("reference").asText("");
            return made.equals(referenceId(config, conf));
        }
    }

    /**
     * The reference's identity: {@code exact}, or the .npz file's name and content hash; with a {@code detectors:}
     * list, each detector's {@code name=reference}, joined by "; ".
     */
    static String referenceId(SweepConfig config, Configuration conf) throws IOException {
        if (config.detectors().size() > 1) {
            List<String> ids = new ArrayList<>();
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                ids.add(d.name() + "=" + referenceId(config.forDetector(d), conf));
            }
            return String.join("; ", ids);
        }
        if (config.reference().equals("exact")) {
            return "exact";
        }
        return referenceName(config) + "@" + org.diffsweep.spark.ModelFiles.sha256(config.reference(), conf);
    }

    private static String referenceName(SweepConfig config) {
        return config.reference().substring(config.reference().lastIndexOf('/') + 1);
    }

    /**
     * What the FID tables state about their numbers: model, detector, the reference with its hash and n (the .npz's
     * {@code n}, which ref-stats writes and pytorch-fid's files lack: then "unknown"; "exact" for the model's exact
     * statistics), and the seeds.
     */
    static Table.Provenance provenance(SweepConfig config, Configuration conf, Gaussian reference) {
        boolean exact = config.reference().equals("exact");
        return new Table.Provenance(config.model().id(), detectorId(config),
                exact ? "exact" : referenceName(config),
                exact ? "none" : org.diffsweep.spark.ModelFiles.sha256(config.reference(), conf),
                exact ? "exact" : Table.Provenance.nReference(reference.n()), config.seedCount(),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get());
    }

    /** The detector's identity (with its hash), or "none" when the features are the samples. */
    static String detectorId(SweepConfig config) {
        return config.detector() == null ? "none" : config.detector().id();
    }

    /** The reference as the tables' {@code reference} column names it: "exact", or name@sha256. */
    private static String referenceColumn(Table.Provenance p) {
        return p.reference().equals("exact") ? "exact" : p.reference() + "@" + p.referenceHash();
    }

    /** The Markdown table of a finished fid stage. */
    public static String readMarkdown(SparkSession spark, SweepConfig config) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        Path md = new Path(layout.fidDir(), "fid.md");
        FileSystem fs = md.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (java.io.InputStream in = fs.open(md)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Every config's FID and leave-one-group-out FIDs, reduced in this JVM on {@code cores} cores. */
    static Map<String, FidTask.Result> reduceLocal(Configuration conf, SweepConfig config, SweepLayout layout, int dim,
                                                   int groups, JackknifeFid.Method method,
                                                   FrechetDistance.To reference, FrechetDistance.To[] classes,
                                                   int cores) throws IOException {
        org.diffsweep.linalg.Lapack.parallelism(cores);
        int permits = FidTask.localPermits(dim, groups, classes == null ? 0 : classes.length, cores);
        List<String> ids = new ArrayList<>();
        for (SweepPoint p : config.points()) {
            ids.add(p.id());
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(permits, ids.size()), r -> {
                    Thread t = new Thread(r, "diffsweep-fid");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<FidTask.Result>> futures = new ArrayList<>();
            for (String id : ids) {
                futures.add(pool.submit(() -> FidTask.reduce(layout, conf, id, config.seedStart(),
                        config.seedCount(), config.blockSize(), dim, groups, method, reference,
                        config.featureColumn(), classes)));
            }
            Map<String, FidTask.Result> out = new HashMap<>();
            int done = 0;
            for (java.util.concurrent.Future<FidTask.Result> f : futures) {
                FidTask.Result r = f.get();
                out.put(r.configId(), r);
                if (ids.size() > 1) {
                    System.out.printf(Locale.ROOT, "fid %s: %d/%d configs%n", config.name(), ++done, ids.size());
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reducing features", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Every config's FID and leave-one-group-out FIDs, one Spark task per config ({@link FidTask}): the sums,
     * the decompositions and the jackknife all run on the executors, and only G + 1 numbers per config come
     * back, so the driver holds O(D²) (the reference) however many configs there are.
     */
    static Map<String, FidTask.Result> reduce(SparkSession spark, SweepConfig config, SweepLayout layout, int dim,
                                              int groups, JackknifeFid.Method method, FrechetDistance.To reference,
                                              FrechetDistance.To[] classes) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> ids = new ArrayList<>();
        for (SweepPoint p : config.points()) {
            ids.add(p.id());
        }
        Broadcast<FrechetDistance.To> ref = jsc.broadcast(reference);
        Broadcast<FrechetDistance.To[]> classRefs = classes == null ? null : jsc.broadcast(classes);
        FidTask task = new FidTask(layout, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                config.seedStart(), config.seedCount(), config.blockSize(), dim, groups, method, ref,
                config.featureColumn(), classRefs);
        Progress progress = new Progress("fid " + config.name(), ids.size());
        spark.sparkContext().addSparkListener(progress);
        try {
            Map<String, FidTask.Result> out = new HashMap<>();
            for (FidTask.Result r : jsc.parallelize(ids, ids.size()).map(task).collect()) {
                out.put(r.configId(), r);
            }
            return out;
        } finally {
            spark.sparkContext().removeSparkListener(progress);
            ref.destroy();
            if (classRefs != null) {
                classRefs.destroy();
            }
        }
    }

    /**
     * fid.csv and table.parquet: one row per config. The first 16 columns are those fid.csv always had, in the same
     * order and number format (%.17g); n_reference, detector, reference and network_calls were added after them.
     */
    static Table fidTable(SweepConfig config, Results table) {
        requireOneN(table);
        Table.Provenance prov = table.provenance();
        Table t = new Table("FID: " + config.name(), prov, Table.configColumns(
                Table.Column.count("n", "generated samples (one per seed)"),
                Table.Column.real("fid", "%.17g", "Fréchet distance to the reference in the detector's features"),
                Table.Column.real("fid_se", "%.17g", "jackknife standard error of fid over draws of the seeds "
                        + "(NaN with one seed group)"),
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.real("floor_mean", "%.17g", "mean FID of n exact samples (exact reference; NaN "
                        + "otherwise)"),
                Table.Column.real("floor_sd", "%.17g", "sd of that floor over independent draws"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("sweep", "the sweep's name"),
                Table.Column.count("seed_start", "the first seed"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.string("n_reference", "the reference's sample size: a number, exact or unknown"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("reference", "exact, or the reference statistics file as name@sha256"),
                Table.Column.integer("network_calls", "network evaluations per sample: nfe, or 2 x nfe for a "
                        + "guided config at w != 1 (both branches, in one pass of 2B rows or two passes)")));
        for (Entry e : table.entries()) {
            SweepPoint p = e.point();
            t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(), e.n(), e.fid(), e.se(),
                    table.groups(), table.floorMean(), table.floorSd(), config.model().id(), config.name(),
                    config.seedStart(), table.codeVersion(), prov.nReference(), prov.detector(),
                    referenceColumn(prov), p.networkCalls());
        }
        return t;
    }

    /**
     * fid-by-class.csv and by-class.parquet: one row per config and class (config by config, class by class): the
     * config's columns, the class, its seeds' count, FID and jackknife SE against the class's reference, the flag
     * ({@link #classFlag}), and the provenance columns of fid.csv.
     */
    static Table classTable(SweepConfig config, Results table) {
        Table.Provenance prov = table.provenance();
        Table t = new Table("FID by class: " + config.name(), prov, Table.configColumns(
                Table.Column.integer("label", "the class: the label the seeds were sampled with"),
                Table.Column.count("n", "generated samples of this class (the config's seeds with this label)"),
                Table.Column.real("fid", "%.17g", "Fréchet distance of these samples to the class's reference "
                        + "(NaN with n < 2 or no reference)"),
                Table.Column.real("fid_se", "%.17g", "jackknife standard error of fid over the same seed groups as "
                        + "fid.csv (NaN where a group left out leaves fewer than 2 samples)"),
                Table.Column.string("flag", "n<=D: the class's covariance cannot have full rank (FID biased up); "
                        + "n<2: no covariance; no reference: the reference's class has fewer than 2 images"),
                Table.Column.string("n_reference", "the reference's images of this class: a number, or exact"),
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("sweep", "the sweep's name"),
                Table.Column.count("seed_start", "the first seed"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("reference", "exact, or the reference statistics file as name@sha256")));
        for (ClassEntry e : table.byClass()) {
            SweepPoint p = e.point();
            t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(), e.label(), e.n(), e.fid(),
                    e.se(), e.flag(), e.nReference(), table.groups(), config.model().id(), config.name(),
                    config.seedStart(), table.codeVersion(), prov.detector(), referenceColumn(prov));
        }
        return t;
    }

    /**
     * fid.md's per-class section: one row per config, one column per class, each cell FID ± SE and its seeds' count,
     * a flag after it; or, for a class-conditional sweep not measured by class, why not.
     */
    static String classMarkdown(SweepConfig config, Results table) {
        if (table.byClass() == null) {
            return table.byClassNote() == null || config.labels() == null ? ""
                    : "FID by class: not measured, " + table.byClassNote() + ".\n";
        }
        StringBuilder sb = new StringBuilder("## FID by class\n\n| sampler | grid | NFE |");
        StringBuilder rule = new StringBuilder("|---|---|---:|");
        java.util.TreeSet<Integer> labels = new java.util.TreeSet<>();
        table.byClass().forEach(e -> labels.add(e.label()));
        for (int c : labels) {
            sb.append(" class ").append(c).append(" |");
            rule.append("---:|");
        }
        sb.append('\n').append(rule).append('\n');
        Map<String, List<ClassEntry>> rows = new LinkedHashMap<>();
        for (ClassEntry e : table.byClass()) {
            rows.computeIfAbsent(e.point().id(), k -> new ArrayList<>()).add(e);
        }
        for (List<ClassEntry> row : rows.values()) {
            SweepPoint p = row.get(0).point();
            sb.append("| ").append(Table.escapeMarkdown(p.sampler())).append(" | ")
                    .append(Table.escapeMarkdown(p.grid())).append(" | ").append(p.nfe() == p.nfeRequested()
                            ? Integer.toString(p.nfe()) : p.nfeRequested() + " (" + p.nfe() + ")").append(" |");
            for (ClassEntry e : row) {
                sb.append(' ').append(classCell(e)).append(" |");
            }
            sb.append('\n');
        }
        sb.append("\nEach cell: the FID of the config's seeds of that class against the class's reference, ± its "
                + "jackknife SE, and n, the class's seeds. Flags: n<=D, the class's covariance cannot have full rank "
                + "(fewer samples than features + 1: the FID is biased up); n<2, no FID; no reference, the "
                + "reference's class has fewer than 2 images.\n\n");
        return sb.toString();
    }

    /** A per-class cell: FID ± SE (n), and the flag when there is one. */
    public static String classCell(double fid, double se, long n, String flag) {
        StringBuilder sb = new StringBuilder(Double.isNaN(fid) ? "–" : String.format(Locale.ROOT, "%.4g", fid));
        if (!Double.isNaN(se)) {
            sb.append(String.format(Locale.ROOT, " ± %.2g", se));
        }
        sb.append(" (n ").append(n).append(')');
        if (!flag.isEmpty()) {
            sb.append(' ').append(flag);
        }
        return sb.toString();
    }

    private static String classCell(ClassEntry e) {
        return classCell(e.fid(), e.se(), e.n(), e.flag());
    }

    /** One detector's results in a multi-detector table: the detector, its numbers, what is known of its reference. */
    record DetectorResults(org.diffsweep.config.DetectorSpec detector, Results results, String referenceDetector) {
    }

    /**
     * The fid stage of a {@code detectors:} config: each detector's reduce (the same reducer, on its own feature
     * column, against its own reference), then one table with a column group per detector.
     */
    private static List<Entry> runDetectors(Configuration conf, Reducer reducer, SweepConfig config,
                                            JackknifeFid.Method spread, org.diffsweep.spark.OutputLock lock,
                                            SweepLayout layout, FileSystem fs, long t0) throws IOException {
        // Every reference is read and checked before any detector's features are reduced.
        List<Reference> references = new ArrayList<>();
        for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
            references.add(readReference(config.forDetector(d), conf));
        }
        List<DetectorResults> all = new ArrayList<>();
        for (int i = 0; i < config.detectors().size(); i++) {
            org.diffsweep.config.DetectorSpec d = config.detectors().get(i);
            SweepConfig view = config.forDetector(d);
            all.add(new DetectorResults(d, measure(conf, reducer, view, spread, layout,
                    references.get(i).gaussian()), references.get(i).detectorNote()));
        }
        Table fids = detectorsTable(config, all);
        Path tmp = writeTables(fs, conf, layout, fids, config.comparisons().isEmpty() ? null
                : detectorsDifferencesTable(config, all));
        for (int i = 0; i < all.size(); i++) {
            DetectorResults r = all.get(i);
            String file = i == 0 ? "fid-vs-nfe.png" : "fid-vs-nfe-" + r.detector().name() + ".png";
            try (OutputStream png = fs.create(new Path(tmp, file), true)) {
                plot(config, r.results(), r.detector().metric() + " (" + r.detector().name() + ")", png);
            }
        }
        String md = detectorsMarkdown(config, all);
        write(fs, new Path(tmp, "fid.md"), md);
        commit(fs, tmp, layout, lock, config, conf, md, t0);
        return all.get(0).results().entries();
    }

    /** The prefix of a detector's columns: {@code <name>_<metric>}, e.g. {@code dinov2_FD_DINOv2}. */
    static String group(org.diffsweep.config.DetectorSpec d) {
        return d.name() + "_" + d.metric();
    }

    /**
     * Starts this run's output: whatever is under _fid_tmp was left by runs that are gone (this run holds the
     * output), so it is cleared, and this run's files go to a folder of its own there, renamed into place whole by
     * {@link #commit}. Writes the FID table (Parquet, CSV) and the differences table when there is one (CSV), and
     * both as HTML fragments; returns the folder.
     */
    private static Path writeTables(FileSystem fs, Configuration conf, SweepLayout layout, Table fids, Table diffs)
            throws IOException {
        return writeTables(fs, conf, layout, fids, diffs, null);
    }

    /** As above, and the per-class table when there is one (fid-by-class.csv, by-class.parquet, in fid.html). */
    private static Path writeTables(FileSystem fs, Configuration conf, SweepLayout layout, Table fids, Table diffs,
                                    Table byClass) throws IOException {
        fs.delete(layout.fidTmp(), true);
        Path tmp = new Path(layout.fidTmp(), java.util.UUID.randomUUID().toString());
        fs.mkdirs(tmp);
        TableParquet.write(conf, fids, new Path(tmp, "table.parquet").toString());
        write(fs, new Path(tmp, "fid.csv"), fids.toCsv());
        String html = fids.toHtml();
        if (diffs != null) {
            write(fs, new Path(tmp, "differences.csv"), diffs.toCsv());
            html += diffs.toHtml();
        }
        if (byClass != null) {
            TableParquet.write(conf, byClass, new Path(tmp, "by-class.parquet").toString());
            write(fs, new Path(tmp, "fid-by-class.csv"), byClass.toCsv());
            html += byClass.toHtml();
        }
        write(fs, new Path(tmp, "fid.html"), html);
        return tmp;
    }

    /**
     * Commits this run's tables: while it still holds the output, the run's folder replaces fid/ in one rename,
     * then {@code _COMPLETE} is written; prints the tables.
     */
    private static void commit(FileSystem fs, Path tmp, SweepLayout layout, org.diffsweep.spark.OutputLock lock, SweepConfig config,
                               Configuration conf, String md, long t0) throws IOException {
        lock.check();
        fs.delete(layout.fidDir(), true);
        if (!fs.rename(tmp, layout.fidDir())) {
            throw new IOException("could not rename " + tmp + " to " + layout.fidDir());
        }
        fs.delete(layout.fidTmp(), true);
        Manifest.writeAtomically(fs, layout.fidComplete(), Manifest.json(Map.of("code_version", CodeVersion.get(),
                "finished", java.time.Instant.now().toString(), "reference", referenceId(config, conf))));
        System.out.println();
        System.out.print(md);
        System.out.printf("%nfid %s: written to %s (%.1f s)%n", config.name(), layout.fidDir(),
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * fid.csv and table.parquet of a {@code detectors:} config: the config's columns and n, then one group per
     * detector ({@code <name>_<metric>}, its {@code _se}, and the detector, its reference file with its hash, the
     * reference's n and whether the reference records the detector), then the columns every row shares.
     */
    static Table detectorsTable(SweepConfig config, List<DetectorResults> all) {
        for (DetectorResults r : all) {
            requireOneN(r.results());
        }
        List<Table.Column> columns = new ArrayList<>(Table.configColumns(
                Table.Column.count("n", "generated samples (one per seed)")));
        for (DetectorResults r : all) {
            String g = group(r.detector());
            String m = r.detector().metric();
            columns.add(Table.Column.real(g, "%.17g", m + ": Fréchet distance to detector " + r.detector().name()
                    + "'s reference in its features"));
            columns.add(Table.Column.real(g + "_se", "%.17g", "jackknife standard error of " + g + " over draws of "
                    + "the seeds (NaN with one seed group)"));
            columns.add(Table.Column.string(r.detector().name() + "_detector", "detector " + r.detector().name()
                    + " with its hash"));
            columns.add(Table.Column.string(r.detector().name() + "_reference", "its reference statistics file as "
                    + "name@sha256"));
            columns.add(Table.Column.string(r.detector().name() + "_n_reference", "its reference's sample size: a "
                    + "number, or unknown"));
            columns.add(Table.Column.string(r.detector().name() + "_reference_detector", "whether the reference "
                    + "records the detector it was made with"));
        }
        columns.addAll(List.of(
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("sweep", "the sweep's name"),
                Table.Column.count("seed_start", "the first seed"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.integer("network_calls", "network evaluations per sample: nfe, or 2 x nfe for a "
                        + "guided config")));
        Table t = new Table("FID: " + config.name(), multiProvenance(config, all), columns);
        Results first = all.get(0).results();
        for (int i = 0; i < first.entries().size(); i++) {
            SweepPoint p = first.entries().get(i).point();
            List<Object> row = new ArrayList<>(List.of(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(),
                    p.nfe(), first.entries().get(i).n()));
            for (DetectorResults r : all) {
                Entry e = r.results().entries().get(i);
                Table.Provenance prov = r.results().provenance();
                row.addAll(List.of(e.fid(), e.se(), prov.detector(), referenceColumn(prov), prov.nReference(),
                        r.referenceDetector()));
            }
            row.addAll(List.of(first.groups(), config.model().id(), config.name(), config.seedStart(),
                    first.codeVersion(), p.networkCalls()));
            t.add(row.toArray());
        }
        return t;
    }

    /** The provenance of a multi-detector table: each detector's and reference's identity, joined by "; ". */
    private static Table.Provenance multiProvenance(SweepConfig config, List<DetectorResults> all) {
        List<String> detectors = new ArrayList<>();
        List<String> references = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        List<String> ns = new ArrayList<>();
        for (DetectorResults r : all) {
            Table.Provenance p = r.results().provenance();
            String name = r.detector().name() + ": ";
            detectors.add(name + p.detector());
            references.add(name + p.reference());
            hashes.add(name + p.referenceHash());
            ns.add(name + p.nReference());
        }
        return new Table.Provenance(config.model().id(), String.join("; ", detectors), String.join("; ", references),
                String.join("; ", hashes), String.join("; ", ns), config.seedCount(),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get());
    }

    /**
     * differences.csv of a {@code detectors:} config: one row per comparison, a group per detector (the
     * candidate's and baseline's values, the difference and its paired SE).
     */
    static Table detectorsDifferencesTable(SweepConfig config, List<DetectorResults> all) {
        List<Table.Column> columns = new ArrayList<>(List.of(
                Table.Column.string("comparison", "candidate vs baseline"),
                Table.Column.integer("nfe_requested", "the NFE budget of both configs"),
                Table.Column.string("candidate_id", "the candidate config"),
                Table.Column.string("baseline_id", "the baseline config"),
                Table.Column.integer("candidate_nfe", "network evaluations the candidate used"),
                Table.Column.integer("baseline_nfe", "network evaluations the baseline used"),
                Table.Column.count("n", "generated samples of each side (the same seeds)")));
        for (DetectorResults r : all) {
            String g = group(r.detector());
            columns.add(Table.Column.real(g + "_candidate", "%.17g", "the candidate's " + r.detector().metric()));
            columns.add(Table.Column.real(g + "_baseline", "%.17g", "the baseline's " + r.detector().metric()));
            columns.add(Table.Column.real(g + "_difference", "%.17g", "candidate − baseline (negative: candidate "
                    + "better)"));
            columns.add(Table.Column.real(g + "_difference_se", "%.17g", "paired jackknife standard error of the "
                    + "difference"));
        }
        columns.addAll(List.of(
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("code_version", "the code that computed the row")));
        Table t = new Table("Paired differences: " + config.name(), multiProvenance(config, all), columns);
        Results first = all.get(0).results();
        for (int i = 0; i < first.differences().size(); i++) {
            Difference d0 = first.differences().get(i);
            List<Object> row = new ArrayList<>(List.of(d0.comparison().name(), d0.comparison().nfeRequested(),
                    d0.candidate().point().id(), d0.baseline().point().id(), d0.candidate().point().nfe(),
                    d0.baseline().point().nfe(), d0.candidate().n()));
            for (DetectorResults r : all) {
                Difference d = r.results().differences().get(i);
                row.addAll(List.of(d.candidate().fid(), d.baseline().fid(), d.difference(), d.se()));
            }
            row.addAll(List.of(first.groups(), config.model().id(), first.codeVersion()));
            t.add(row.toArray());
        }
        return t;
    }

    /**
     * fid.md of a {@code detectors:} config: each detector with its reference (file, hash, n, whether it records its
     * detector), then one row per config with each detector's metric side by side, then the paired differences.
     */
    static String detectorsMarkdown(SweepConfig config, List<DetectorResults> all) {
        StringBuilder sb = new StringBuilder();
        sb.append("# FID: ").append(config.name()).append("\n\n");
        Results first = all.get(0).results();
        sb.append(String.format(Locale.ROOT, "model %s, %d samples per config (seeds %d–%d), %s%n%n",
                config.model().id(), config.seedCount(), config.seedStart(),
                config.seedStart() + config.seedCount() - 1, first.codeVersion()));
        for (DetectorResults r : all) {
            Table.Provenance p = r.results().provenance();
            sb.append(String.format(Locale.ROOT, "- %s: %s of detector %s against %s (sha256 %s), n_reference %s; "
                    + "%s%n", r.detector().name(), r.detector().metric(), p.detector(), p.reference(),
                    p.referenceHash(), p.nReference(), r.referenceDetector().equals(DETECTOR_NOT_RECORDED)
                            ? DETECTOR_NOT_RECORDED : "detector of reference recorded, the same"));
        }
        sb.append('\n');
        StringBuilder head = new StringBuilder("| sampler | grid | NFE |");
        StringBuilder rule = new StringBuilder("|---|---|---:|");
        for (DetectorResults r : all) {
            head.append(' ').append(r.detector().heading()).append(" |");
            rule.append("---:|");
        }
        sb.append(head).append('\n').append(rule).append('\n');
        for (int i = 0; i < first.entries().size(); i++) {
            SweepPoint p = first.entries().get(i).point();
            sb.append("| ").append(Table.escapeMarkdown(p.sampler())).append(" | ")
                    .append(Table.escapeMarkdown(p.grid())).append(" | ").append(p.nfe() == p.nfeRequested()
                            ? Integer.toString(p.nfe()) : p.nfeRequested() + " (" + p.nfe() + ")").append(" |");
            for (DetectorResults r : all) {
                Entry e = r.results().entries().get(i);
                sb.append(' ').append(cell(e.fid(), e.se(), p.nfe(), p.nfe())).append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
        if (!first.differences().isEmpty()) {
            sb.append("## Paired differences (candidate − baseline, same seeds)\n\n");
            StringBuilder dh = new StringBuilder("| comparison | NFE |");
            StringBuilder dr = new StringBuilder("|---|---:|");
            for (DetectorResults r : all) {
                dh.append(' ').append(r.detector().heading()).append(" |");
                dr.append("---:|");
            }
            sb.append(dh).append('\n').append(dr).append('\n');
            for (int i = 0; i < first.differences().size(); i++) {
                Difference d0 = first.differences().get(i);
                sb.append("| ").append(Table.escapeMarkdown(d0.comparison().name())).append(" | ")
                        .append(d0.comparison().nfeRequested()).append(" |");
                for (DetectorResults r : all) {
                    Difference d = r.results().differences().get(i);
                    sb.append(' ').append(signedCell(d.difference(), d.se())).append(" |");
                }
                sb.append('\n');
            }
            sb.append("\nNegative: the candidate has the lower value. * marks a difference larger than twice its SE.\n\n");
        }
        if (first.groups() >= 2) {
            sb.append(String.format(Locale.ROOT, "± is the standard error over draws of the seeds: a delete-a-group "
                    + "jackknife over %d contiguous seed groups (paired for differences, as every config uses the "
                    + "same seeds).%n", first.groups()));
        }
        sb.append("Each column is a Fréchet distance in one detector's features against that detector's reference, "
                + "headed by the detector's name and its metric; the values of different detectors are not "
                + "comparable with each other.\n");
        return sb.toString();
    }

    /** Refuses results whose configs were measured at different n (a table, plot or comparison mixes none). */
    static void requireOneN(Results table) {
        Map<String, Long> ns = new LinkedHashMap<>();
        table.entries().forEach(e -> ns.put(e.point().id(), e.n()));
        Table.requireOneN(ns);
    }

    /**
     * differences.csv: one row per comparison, its first 13 columns as before; n (the same for both sides, or the
     * comparison is refused), n_reference, detector and reference added after them.
     */
    static Table differencesTable(SweepConfig config, Results table) {
        Table.Provenance prov = table.provenance();
        Table t = new Table("Paired FID differences: " + config.name(), prov, List.of(
                Table.Column.string("comparison", "candidate vs baseline"),
                Table.Column.integer("nfe_requested", "the NFE budget of both configs"),
                Table.Column.string("candidate_id", "the candidate config"),
                Table.Column.string("baseline_id", "the baseline config"),
                Table.Column.integer("candidate_nfe", "network evaluations the candidate used"),
                Table.Column.integer("baseline_nfe", "network evaluations the baseline used"),
                Table.Column.real("candidate_fid", "%.17g", "the candidate's FID"),
                Table.Column.real("baseline_fid", "%.17g", "the baseline's FID"),
                Table.Column.real("difference", "%.17g", "candidate_fid − baseline_fid (negative: candidate better)"),
                Table.Column.real("difference_se", "%.17g", "paired jackknife standard error of the difference"),
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.count("n", "generated samples of each side (the same seeds)"),
                Table.Column.string("n_reference", "the reference's sample size: a number, exact or unknown"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("reference", "exact, or the reference statistics file as name@sha256")));
        for (Difference d : table.differences()) {
            Table.requireSameN(d.candidate().point().id(), d.candidate().n(), d.baseline().point().id(),
                    d.baseline().n());
            t.add(d.comparison().name(), d.comparison().nfeRequested(), d.candidate().point().id(),
                    d.baseline().point().id(), d.candidate().point().nfe(), d.baseline().point().nfe(),
                    d.candidate().fid(), d.baseline().fid(), d.difference(), d.se(), table.groups(),
                    config.model().id(), table.codeVersion(), d.candidate().n(), prov.nReference(),
                    prov.detector(), referenceColumn(prov));
        }
        return t;
    }

    /** FID against the NFE actually used, one line per sampler and grid (log–log), with ±2 SE bars. */
    static void plot(SweepConfig config, Results table, OutputStream png) throws IOException {
        plot(config, table, "FID", png);
    }

    /** As above, the values labelled {@code label} (a detector's metric). */
    static void plot(SweepConfig config, Results table, String label, OutputStream png) throws IOException {
        requireOneN(table);
        Map<String, List<Entry>> rows = new LinkedHashMap<>();
        for (Entry e : table.entries()) {
            rows.computeIfAbsent(e.point().label(), k -> new ArrayList<>()).add(e);
        }
        Map<String, double[][]> series = new LinkedHashMap<>();
        for (Map.Entry<String, List<Entry>> r : rows.entrySet()) {
            List<Entry> es = r.getValue();
            double[][] xyse = new double[3][es.size()];
            for (int i = 0; i < es.size(); i++) {
                xyse[0][i] = es.get(i).point().nfe();
                xyse[1][i] = es.get(i).fid();
                xyse[2][i] = es.get(i).se();
            }
            series.put(r.getKey(), xyse);
        }
        org.diffsweep.report.Plots.linesWithErrors(label + " vs NFE: " + config.name() + " (" + config.model().id()
                + ")", "NFE", label, series, styles(config), true, budgets(config), png);
    }

    /** The requested NFE budgets of a config's points, ascending: where NFE axes are labelled. */
    static double[] budgets(SweepConfig config) {
        return config.points().stream().mapToDouble(SweepPoint::nfeRequested).distinct().sorted().toArray();
    }

    /**
     * The plot style of each sampler-and-grid line of a config: its sampler's colour by the sampler's position among
     * the config's samplers, the same in every plot of the run ({@link org.diffsweep.report.Plots#styles}).
     */
    public static Map<String, org.diffsweep.report.Plots.Style> styles(SweepConfig config) {
        List<String> samplers = new ArrayList<>();
        Map<String, String> seriesSampler = new LinkedHashMap<>();
        for (SweepPoint p : config.points()) {
            if (!samplers.contains(p.sampler())) {
                samplers.add(p.sampler());
            }
            seriesSampler.putIfAbsent(p.label(), p.sampler());
        }
        return org.diffsweep.report.Plots.styles(samplers, seriesSampler);
    }

    private static String rowLabel(SweepPoint p) {
        return p.sampler() + " | " + p.grid();
    }

    /** A cell: the FID with its jackknife SE, and the NFE really used when it differs from the budget. */
    private static String cell(double value, double se, int nfe, int requested) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%.4g", value));
        if (!Double.isNaN(se)) {
            sb.append(String.format(Locale.ROOT, " ± %.2g", se));
        }
        if (nfe != requested) {
            sb.append(" (").append(nfe).append(")");
        }
        return sb.toString();
    }

    /** The table as Markdown: FID ± SE by sampler and grid (rows) against requested NFE (columns). */
    static String markdown(SweepConfig config, Results table) {
        requireOneN(table);
        NfeTable fids = new NfeTable("sampler", "grid");
        for (Entry e : table.entries()) {
            SweepPoint p = e.point();
            fids.put(rowLabel(p), p.nfeRequested(), cell(e.fid(), e.se(), p.nfe(), p.nfeRequested()));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# FID: ").append(config.name()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "model %s, detector %s, reference %s, %d samples per config (seeds %d–%d), "
                + "%s%n%n", config.model().id(), config.detector() == null ? "none (features = samples)"
                : config.detector().id(), config.reference(), config.seedCount(), config.seedStart(),
                config.seedStart() + config.seedCount() - 1, table.codeVersion()));
        Table.Provenance prov = table.provenance();
        sb.append(prov.reference().equals("exact")
                ? String.format(Locale.ROOT, "n_generated %d, n_reference exact (the model's exact statistics)%n%n",
                        prov.nGenerated())
                : String.format(Locale.ROOT, "n_generated %d, n_reference %s, reference sha256 %s%n%n",
                        prov.nGenerated(), prov.nReference(), prov.referenceHash()));
        sb.append(fids.markdown()).append('\n');
        sb.append(classMarkdown(config, table));
        if (!table.differences().isEmpty()) {
            NfeTable diffs = new NfeTable("comparison");
            for (Difference d : table.differences()) {
                diffs.put(d.comparison().name(), d.comparison().nfeRequested(), signedCell(d.difference(), d.se()));
            }
            sb.append("## Paired differences (candidate − baseline, same seeds)\n\n").append(diffs.markdown(fids.nfes()));
            sb.append("\nNegative: the candidate has the lower FID. * marks a difference larger than twice its SE.\n\n");
        }
        if (table.groups() >= 2) {
            sb.append(String.format(Locale.ROOT, "± is the standard error over draws of the seeds: a delete-a-group "
                    + "jackknife over %d contiguous seed groups (paired for differences, as every config uses the "
                    + "same seeds).%n", table.groups()));
        }
        if (!Double.isNaN(table.floorMean())) {
            sb.append(String.format(Locale.ROOT, "Floor: %d exact samples of the model score FID %.4g ± %.2g (mean ± sd "
                    + "over %d independent draws): the finite-sample bias and spread; a perfect sampler scores within "
                    + "it.%n", config.seedCount(), table.floorMean(), table.floorSd(), FLOOR_REPLICATES));
        }
        sb.append("A number in parentheses is the NFE actually used, when the sampler cannot spend the budget exactly.\n");
        return sb.toString();
    }

    /** A paired difference: signed, with its SE, starred when it is larger than twice its SE. */
    public static String signedCell(double difference, double se) {
        return String.format(Locale.ROOT, "%+.3g ± %.2g", difference, se) + (Math.abs(difference) > 2 * se ? " *" : "");
    }

    private static void write(FileSystem fs, Path path, String text) throws IOException {
        try (OutputStream out = fs.create(path, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
