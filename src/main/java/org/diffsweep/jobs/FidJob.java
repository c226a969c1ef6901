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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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

    /** The table and its context. */
    public record Table(List<Entry> entries, List<Difference> differences, int groups, double floorMean,
                        double floorSd, String codeVersion) {
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
        long t0 = System.nanoTime();
        config.requireStatisticsMade();
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!SweepJob.complete(spark, config)) {
            throw new ConfigException("sweep output " + layout.sweepDir() + " is not complete, expected a finished "
                    + "sweep (run 'diffsweep sweep' or 'diffsweep run' first)");
        }
        int groups = JackknifeFid.groups(config.seedCount());
        Gaussian reference = reference(config, conf);
        int dim = config.featureDim();
        JackknifeFid.Method method = spread != null ? spread : JackknifeFid.Method.forDim(dim);
        long tRef = System.nanoTime();
        FrechetDistance.To toReference = new FrechetDistance.To(reference);
        System.out.printf(Locale.ROOT, "fid %s: %d configs × %d seeds, D = %d, reference factorised in %.1f s; "
                + "spread: %s jackknife over %d seed groups%n", config.name(), config.points().size(),
                config.seedCount(), dim, (System.nanoTime() - tRef) / 1e9,
                groups < 2 ? "no" : method.name().toLowerCase(Locale.ROOT), groups);
        Map<String, FidTask.Result> results = reduce(spark, config, layout, dim, groups, method, toReference);
        List<Entry> entries = new ArrayList<>();
        Map<String, Entry> byId = new HashMap<>();
        for (SweepPoint p : config.points()) {
            FidTask.Result r = results.get(p.id());
            double[] loo = r.leaveOneOut();
            Entry e = new Entry(p, r.n(), r.fid(), JackknifeFid.standardError(loo), loo);
            entries.add(e);
            byId.put(p.id(), e);
        }
        List<Difference> differences = new ArrayList<>();
        for (Comparison c : config.comparisons()) {
            Entry a = byId.get(c.candidateId());
            Entry b = byId.get(c.baselineId());
            double se = groups < 2 ? Double.NaN : JackknifeFid.differenceStandardError(a.leaveOneOut(), b.leaveOneOut());
            differences.add(new Difference(c, a, b, a.fid() - b.fid(), se));
        }
        double[] floor = config.reference().equals("exact")
                ? Models.exactSampleFloor(config.model(), config.seedStart(), config.seedCount(), FLOOR_REPLICATES)
                : new double[] {Double.NaN, Double.NaN};
        Table table = new Table(entries, differences, groups, floor[0], floor[1], CodeVersion.get());

        fs.delete(layout.fidTmp(), true);
        fs.mkdirs(layout.fidTmp());
        writeParquet(spark, config, table, new Path(layout.fidTmp(), "table.parquet").toString());
        write(fs, new Path(layout.fidTmp(), "fid.csv"), csv(config, table));
        if (!differences.isEmpty()) {
            write(fs, new Path(layout.fidTmp(), "differences.csv"), differencesCsv(config, table));
        }
        try (OutputStream png = fs.create(new Path(layout.fidTmp(), "fid-vs-nfe.png"), true)) {
            plot(config, table, png);
        }
        String md = markdown(config, table);
        write(fs, new Path(layout.fidTmp(), "fid.md"), md);
        fs.delete(layout.fidDir(), true);
        if (!fs.rename(layout.fidTmp(), layout.fidDir())) {
            throw new IOException("could not rename " + layout.fidTmp() + " to " + layout.fidDir());
        }
        Manifest.writeAtomically(fs, layout.fidComplete(), Manifest.json(Map.of("code_version", CodeVersion.get(),
                "finished", java.time.Instant.now().toString(), "reference", referenceId(config, conf))));
        System.out.println();
        System.out.print(md);
        System.out.printf("%nfid %s: written to %s (%.1f s)%n", config.name(), layout.fidDir(),
                (System.nanoTime() - t0) / 1e9);
        return entries;
    }

    /** The reference statistics: the model's exact ones, or a .npz file (ref-stats, pytorch-fid, EDM). */
    static Gaussian reference(SweepConfig config, Configuration conf) throws IOException {
        if (config.reference().equals("exact")) {
            return Models.exactReference(config.model());
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
        try (java.io.InputStream in = fs.open(path)) {
            g = Npz.gaussian(Npz.read(in, config.reference()), config.reference());
        } catch (IOException | RuntimeException e) {
            String m = org.diffsweep.family.Family.rootLine(e);
            throw new ConfigException("reference " + (m.contains(config.reference()) ? m
                    : config.reference() + ": " + m + ", expected a .npz file of reference statistics (mu, sigma)"));
        }
        Path meta = new Path(config.reference().replaceFirst("\\.npz$", ".json"));
        if (config.detector() != null && fs.exists(meta)) {
            try (java.io.InputStream in = fs.open(meta)) {
                com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
                String made = m.path("detector").asText("");
                if (!made.isEmpty() && !made.equals(config.detector().id())) {
                    throw new ConfigException("reference " + config.reference() + " was made with detector " + made
                            + " (" + meta + "), expected " + config.detector().id() + ": rerun ref-stats");
                }
            }
        }
        if (g.mean().length != config.featureDim()) {
            throw new ConfigException("reference " + config.reference() + " has " + g.mean().length
                    + " features, expected " + config.featureDim() + " (" + (config.detector() == null
                    ? "the model's sample size" : "detector " + config.detector().id()) + ")");
        }
        return g;
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

    /** The reference's identity: {@code exact}, or the .npz file's name and content hash. */
    static String referenceId(SweepConfig config, Configuration conf) throws IOException {
        if (config.reference().equals("exact")) {
            return "exact";
        }
        String name = config.reference().substring(config.reference().lastIndexOf('/') + 1);
        return name + "@" + org.diffsweep.spark.ModelFiles.sha256(config.reference(), conf);
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

    /**
     * Every config's FID and leave-one-group-out FIDs, one Spark task per config ({@link FidTask}): the sums,
     * the decompositions and the jackknife all run on the executors, and only G + 1 numbers per config come
     * back, so the driver holds O(D²) (the reference) however many configs there are.
     */
    static Map<String, FidTask.Result> reduce(SparkSession spark, SweepConfig config, SweepLayout layout, int dim,
                                              int groups, JackknifeFid.Method method, FrechetDistance.To reference) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> ids = new ArrayList<>();
        for (SweepPoint p : config.points()) {
            ids.add(p.id());
        }
        Broadcast<FrechetDistance.To> ref = jsc.broadcast(reference);
        FidTask task = new FidTask(layout, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                config.seedStart(), config.seedCount(), config.blockSize(), dim, groups, method, ref);
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
        }
    }

    private static void writeParquet(SparkSession spark, SweepConfig config, Table table, String path) {
        StructType schema = new StructType()
                .add("config_id", DataTypes.StringType, false)
                .add("sampler", DataTypes.StringType, false)
                .add("grid", DataTypes.StringType, false)
                .add("nfe_requested", DataTypes.IntegerType, false)
                .add("steps", DataTypes.IntegerType, false)
                .add("nfe", DataTypes.IntegerType, false)
                .add("n", DataTypes.LongType, false)
                .add("fid", DataTypes.DoubleType, false)
                .add("fid_se", DataTypes.DoubleType, false)
                .add("jackknife_groups", DataTypes.IntegerType, false)
                .add("floor_mean", DataTypes.DoubleType, false)
                .add("floor_sd", DataTypes.DoubleType, false)
                .add("model", DataTypes.StringType, false)
                .add("sweep", DataTypes.StringType, false)
                .add("seed_start", DataTypes.LongType, false)
                .add("code_version", DataTypes.StringType, false);
        List<Row> rows = new ArrayList<>();
        for (Entry e : table.entries()) {
            SweepPoint p = e.point();
            rows.add(RowFactory.create(p.id(), p.sampler(), p.grid(), p.nfeRequested(),
                    p.steps(), p.nfe(), e.n(), e.fid(), e.se(), table.groups(), table.floorMean(), table.floorSd(), config.model().id(),
                    config.name(), config.seedStart(), table.codeVersion()));
        }
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(path);
    }

    static String csv(SweepConfig config, Table table) {
        StringBuilder sb = new StringBuilder("config_id,sampler,grid,nfe_requested,steps,nfe,n,fid,fid_se,"
                + "jackknife_groups,floor_mean,floor_sd,model,sweep,seed_start,code_version\n");
        for (Entry e : table.entries()) {
            SweepPoint p = e.point();
            sb.append(String.format(Locale.ROOT, "%s,\"%s\",\"%s\",%d,%d,%d,%d,%.17g,%.17g,%d,%.17g,%.17g,%s,%s,%d,\"%s\"%n",
                    p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(), e.n(),
                    e.fid(), e.se(), table.groups(), table.floorMean(), table.floorSd(), config.model().id(),
                    config.name(), config.seedStart(), table.codeVersion()));
        }
        return sb.toString();
    }

    static String differencesCsv(SweepConfig config, Table table) {
        StringBuilder sb = new StringBuilder("comparison,nfe_requested,candidate_id,baseline_id,candidate_nfe,"
                + "baseline_nfe,candidate_fid,baseline_fid,difference,difference_se,jackknife_groups,model,"
                + "code_version\n");
        for (Difference d : table.differences()) {
            sb.append(String.format(Locale.ROOT, "\"%s\",%d,%s,%s,%d,%d,%.17g,%.17g,%.17g,%.17g,%d,%s,\"%s\"%n",
                    d.comparison().name(), d.comparison().nfeRequested(), d.candidate().point().id(),
                    d.baseline().point().id(), d.candidate().point().nfe(), d.baseline().point().nfe(),
                    d.candidate().fid(), d.baseline().fid(), d.difference(), d.se(), table.groups(),
                    config.model().id(), table.codeVersion()));
        }
        return sb.toString();
    }

    /** FID against the NFE actually used, one line per sampler and grid (log–log), with ±2 SE bars. */
    static void plot(SweepConfig config, Table table, OutputStream png) throws IOException {
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
        org.diffsweep.report.Plots.linesWithErrors("FID vs NFE: " + config.name() + " (" + config.model().id() + ")",
                "NFE", "FID", series, styles(config), png);
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
    static String markdown(SweepConfig config, Table table) {
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
        sb.append(fids.markdown()).append('\n');
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
