package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.MetricsSpec;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.metrics.InceptionScore;
import org.diffsweep.metrics.Kid;
import org.diffsweep.metrics.PrecisionRecall;
import org.diffsweep.model.Models;
import org.diffsweep.report.Table;
import org.diffsweep.spark.ClassProbabilities;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.FeatureBlocks;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.MetricsTask;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SweepLayout;

/**
 * The {@code metrics} job (docs/metrics.md): KID and precision/recall of each config's features against real
 * features, one Spark task per config ({@link MetricsTask}) with the real features broadcast once; writes
 * {@code metrics/metrics.csv} and {@code metrics.md} (written aside, renamed into place, then marked complete) and
 * prints the table. The real features are {@code reference_features} (from {@code ref-stats --keep}), or for an
 * analytic model with {@code reference: exact}, one exact sample per seed of the sweep.
 */
public final class MetricsJob {

    private MetricsJob() {
    }

    /** One row of the table (null: not measured). */
    public record Entry(SweepPoint point, long nGenerated, long nReal, Kid.Result kid, PrecisionRecall.Result pr,
                        double seconds, InceptionScore.Result inceptionScore) {

        public Entry(SweepPoint point, long nGenerated, long nReal, Kid.Result kid, PrecisionRecall.Result pr,
                     double seconds) {
            this(point, nGenerated, nReal, kid, pr, seconds, null);
        }
    }

    /** The real features and where they came from. */
    /** The real features, in index order, with each row's class where the features carry labels (else null). */
    record Real(float[] features, long n, String id, int[] labels) {
        Real(float[] features, long n, String id) {
            this(features, n, id, null);
        }
    }

    public static List<Entry> run(SparkSession spark, SweepConfig config) throws IOException {
        try (org.diffsweep.spark.OutputLock lock = Spark.lockOutput(spark, config, "metrics")) {
            return run(spark, config, lock);
        }
    }

    private static List<Entry> run(SparkSession spark, SweepConfig config, org.diffsweep.spark.OutputLock lock)
            throws IOException {
        long t0 = System.nanoTime();
        config.requireStatisticsMade();
        MetricsSpec spec = config.metrics();
        if (spec == null) {
            throw new ConfigException(config.name() + ": no metrics: key, expected metrics: { kid: {...}, "
                    + "precision_recall: {...} } to say what to measure");
        }
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (config.multiDetector()) {
            return runDetectors(spark, config, spec, layout, conf, fs, lock, t0);
        }
        int dim = config.featureDim();
        long nReal = realCount(config, conf);
        check(spec, nReal, config.seedCount());
        if (!SweepJob.complete(spark, config)) {
            throw new ConfigException("sweep output " + layout.sweepDir() + " is not complete, expected a finished "
                    + "sweep (run 'diffsweep sweep' or 'diffsweep run' first)");
        }
        if (spec.inceptionScore()) {
            requireClassProbabilities(config, layout, conf);
        }
        Real real = real(config, conf, dim);
        System.out.printf(Locale.ROOT, "metrics %s: %d configs × %d seeds, D = %d, real features: %s (n = %d); %s%n",
                config.name(), config.points().size(), config.seedCount(), dim, real.id(), real.n(), describe(spec,
                        real.n(), config.seedCount()));
        Map<String, MetricsTask.Result> results = reduce(spark, config, layout, dim, spec, real);
        List<Entry> entries = new ArrayList<>();
        double slowest = 0;
        for (SweepPoint p : config.points()) {
            MetricsTask.Result r = results.get(p.id());
            entries.add(new Entry(p, r.n(), real.n(), r.kid(), r.pr(), r.seconds(), r.inceptionScore()));
            slowest = Math.max(slowest, r.seconds());
        }
        fs.delete(layout.metricsTmp(), true); // left by runs that are gone: this run holds the output
        Path tmp = new Path(layout.metricsTmp(), java.util.UUID.randomUUID().toString());
        fs.mkdirs(tmp);
        if (results.values().stream().anyMatch(r -> r.kidByClass() != null)) {
            write(fs, new Path(tmp, "kid-by-class.csv"), kidByClassTable(config, spec, real, results).toCsv());
        }
        Table table = table(config, spec, real, entries);
        write(fs, new Path(tmp, "metrics.csv"), table.toCsv());
        write(fs, new Path(tmp, "metrics.html"), table.toHtml());
        org.diffsweep.spark.TableParquet.write(spark, table, new Path(tmp, "table.parquet").toString());
        for (String[] plot : PLOTS) {
            if (plot[0].equals("kid") ? spec.kid() : plot[0].equals("is") ? spec.inceptionScore()
                    : spec.precisionRecall()) {
                try (OutputStream png = fs.create(new Path(tmp, plot[0] + "-vs-nfe.png"), true)) {
                    plot(config, entries, plot[0], plot[1], png);
                }
            }
        }
        List<Difference> differences = differences(config, entries);
        if (!differences.isEmpty()) {
            write(fs, new Path(tmp, "differences.csv"), differencesTable(config, real, differences)
                    .toCsv());
        }
        String md = markdown(config, spec, real, entries) + differencesMarkdown(differences);
        write(fs, new Path(tmp, "metrics.md"), md);
        lock.check();
        fs.delete(layout.metricsDir(), true);
        if (!fs.rename(tmp, layout.metricsDir())) {
            throw new IOException("could not rename " + tmp + " to " + layout.metricsDir());
        }
        fs.delete(layout.metricsTmp(), true);
        Manifest.writeAtomically(fs, layout.metricsComplete(), Manifest.json(Map.of("code_version",
                CodeVersion.get(), "finished", java.time.Instant.now().toString(), "reference", real.id(),
                "settings", spec.settings())));
        System.out.println();
        System.out.print(md);
        System.out.printf(Locale.ROOT, "%nmetrics %s: written to %s (%.1f s; slowest config %.1f s)%n", config.name(),
                layout.metricsDir(), (System.nanoTime() - t0) / 1e9, slowest);
        return entries;
    }

    /** One detector's metrics in a multi-detector table. */
    record DetectorEntries(org.diffsweep.config.DetectorSpec detector, Real real, List<Entry> entries) {
    }

    /**
     * The metrics stage of a {@code detectors:} config: each detector's KID and precision/recall against its own real
     * features, from its own feature column, then one table with a column group per detector.
     */
    private static List<Entry> runDetectors(SparkSession spark, SweepConfig config, MetricsSpec spec,
                                            SweepLayout layout, Configuration conf, FileSystem fs,
                                            org.diffsweep.spark.OutputLock lock, long t0) throws IOException {
        for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
            SweepConfig view = config.forDetector(d);
            check(view.metrics(), realCount(view, conf), config.seedCount());
        }
        if (!SweepJob.complete(spark, config)) {
            throw new ConfigException("sweep output " + layout.sweepDir() + " is not complete, expected a finished "
                    + "sweep (run 'diffsweep sweep' or 'diffsweep run' first)");
        }
        List<DetectorEntries> all = new ArrayList<>();
        for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
            SweepConfig view = config.forDetector(d);
            int dim = view.featureDim();
            Real real = real(view, conf, dim);
            System.out.printf(Locale.ROOT, "metrics %s: detector %s, %d configs × %d seeds, D = %d, real features: %s "
                    + "(n = %d); %s%n", config.name(), d.name(), config.points().size(), config.seedCount(), dim,
                    real.id(), real.n(), describe(spec, real.n(), config.seedCount()));
            Map<String, MetricsTask.Result> results = reduce(spark, view, layout, dim, view.metrics(), real);
            List<Entry> entries = new ArrayList<>();
            for (SweepPoint p : config.points()) {
                MetricsTask.Result r = results.get(p.id());
                entries.add(new Entry(p, r.n(), real.n(), r.kid(), r.pr(), r.seconds()));
            }
            all.add(new DetectorEntries(d, real, entries));
        }
        fs.delete(layout.metricsTmp(), true);
        Path tmp = new Path(layout.metricsTmp(), java.util.UUID.randomUUID().toString());
        fs.mkdirs(tmp);
        Table table = detectorsTable(config, spec, all);
        write(fs, new Path(tmp, "metrics.csv"), table.toCsv());
        write(fs, new Path(tmp, "metrics.html"), table.toHtml());
        org.diffsweep.spark.TableParquet.write(spark, table, new Path(tmp, "table.parquet").toString());
        for (DetectorEntries de : all) {
            for (String[] plot : PLOTS) {
                // The Inception Score is refused with a detectors: list (SweepConfig), so it has no plot here.
                if (plot[0].equals("kid") ? spec.kid() : !plot[0].equals("is") && spec.precisionRecall()) {
                    try (OutputStream png = fs.create(new Path(tmp, plot[0] + "-vs-nfe-" + de.detector().name()
                            + ".png"), true)) {
                        plot(config, de.entries(), plot[0], plot[1] + " (" + de.detector().name() + ")", png);
                    }
                }
            }
        }
        String md = detectorsMarkdown(config, spec, all);
        write(fs, new Path(tmp, "metrics.md"), md);
        lock.check();
        fs.delete(layout.metricsDir(), true);
        if (!fs.rename(tmp, layout.metricsDir())) {
            throw new IOException("could not rename " + tmp + " to " + layout.metricsDir());
        }
        fs.delete(layout.metricsTmp(), true);
        Manifest.writeAtomically(fs, layout.metricsComplete(), Manifest.json(Map.of("code_version",
                CodeVersion.get(), "finished", java.time.Instant.now().toString(), "reference",
                realId(config, conf), "settings", spec.settings())));
        System.out.println();
        System.out.print(md);
        System.out.printf(Locale.ROOT, "%nmetrics %s: written to %s (%.1f s)%n", config.name(), layout.metricsDir(),
                (System.nanoTime() - t0) / 1e9);
        return all.get(0).entries();
    }

    /**
     * metrics.csv of a {@code detectors:} config: the config's columns and n_generated, then a group per detector
     * ({@code <name>_kid_mean}, {@code _kid_sd}, {@code _kid_se}, {@code _precision}, {@code _precision_se},
     * {@code _recall}, {@code _recall_se}, {@code _n_real}, {@code _real_features}, {@code _detector}), then the
     * settings every group shares.
     */
    static Table detectorsTable(SweepConfig config, MetricsSpec spec, List<DetectorEntries> all) {
        List<Table.Column> columns = new ArrayList<>(Table.configColumns(
                Table.Column.count("n_generated", "generated samples (one per seed)")));
        for (DetectorEntries de : all) {
            String g = de.detector().name();
            columns.add(Table.Column.real(g + "_kid_mean", "%.17g", "KID in detector " + g + "'s features, mean "
                    + "over subsets"));
            columns.add(Table.Column.real(g + "_kid_sd", "%.17g", "its standard deviation over subsets"));
            columns.add(Table.Column.real(g + "_kid_se", "%.17g", "its standard error over draws of the seeds"));
            columns.add(Table.Column.real(g + "_precision", "%.17g", "fraction of generated samples inside the real "
                    + "k-NN manifold, in detector " + g + "'s features"));
            columns.add(Table.Column.real(g + "_precision_se", "%.17g", "its standard error over draws of the seeds"));
            columns.add(Table.Column.real(g + "_recall", "%.17g", "fraction of real samples inside the generated "
                    + "k-NN manifold, in detector " + g + "'s features"));
            columns.add(Table.Column.real(g + "_recall_se", "%.17g", "its standard error over draws of the seeds"));
            columns.add(Table.Column.real(g + "_density", "%.17g", "density (Naeem et al. 2020) in detector " + g
                    + "'s features, from the same k-NN radii"));
            columns.add(Table.Column.real(g + "_density_se", "%.17g", "its standard error over draws of the seeds"));
            columns.add(Table.Column.real(g + "_coverage", "%.17g", "coverage (Naeem et al. 2020) in detector " + g
                    + "'s features, from the same k-NN radii"));
            columns.add(Table.Column.real(g + "_coverage_se", "%.17g", "its standard error over draws of the seeds"));
            columns.add(Table.Column.count(g + "_n_real", "its real features"));
            columns.add(Table.Column.string(g + "_real_features", "its real features file, rows and hash"));
            columns.add(Table.Column.string(g + "_detector", "the detector with its hash"));
        }
        columns.addAll(List.of(
                Table.Column.integer("kid_subsets", "KID subsets"),
                Table.Column.integer("kid_subset_size", "features per KID subset, of each set"),
                Table.Column.integer("pr_k", "k of the k-NN manifolds"),
                Table.Column.count("metrics_seed", "seed of the subsets and subsamples"),
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("sweep", "the sweep's name"),
                Table.Column.string("code_version", "the code that computed the row")));
        List<String> dets = new ArrayList<>();
        List<String> reals = new ArrayList<>();
        List<String> ns = new ArrayList<>();
        for (DetectorEntries de : all) {
            dets.add(de.detector().name() + ": " + de.detector().net().id());
            reals.add(de.detector().name() + ": " + de.real().id());
            ns.add(de.detector().name() + ": " + Table.Provenance.nReference(de.real().n()));
        }
        Table.Provenance prov = new Table.Provenance(config.model().id(), String.join("; ", dets),
                String.join("; ", reals), "none", String.join("; ", ns), config.seedCount(),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get());
        Table t = new Table("KID and precision/recall: " + config.name(), prov, columns);
        List<Entry> first = all.get(0).entries();
        for (int i = 0; i < first.size(); i++) {
            SweepPoint p = first.get(i).point();
            List<Object> row = new ArrayList<>(List.of(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(),
                    p.nfe(), first.get(i).nGenerated()));
            for (DetectorEntries de : all) {
                Entry e = de.entries().get(i);
                Kid.Result k = e.kid();
                PrecisionRecall.Result pr = e.pr();
                row.add(k == null ? null : k.mean());
                row.add(k == null ? null : k.sd());
                row.add(k == null ? null : nanToNull(k.se()));
                row.add(pr == null ? null : pr.precision());
                row.add(pr == null ? null : nanToNull(pr.precisionSe()));
                row.add(pr == null ? null : pr.recall());
                row.add(pr == null ? null : nanToNull(pr.recallSe()));
                row.add(pr == null ? null : pr.density());
                row.add(pr == null ? null : nanToNull(pr.densitySe()));
                row.add(pr == null ? null : pr.coverage());
                row.add(pr == null ? null : nanToNull(pr.coverageSe()));
                row.add(e.nReal());
                row.add(de.real().id());
                row.add(de.detector().net().id());
            }
            row.add(spec.kid() ? spec.kidSubsets() : null);
            row.add(spec.kid() ? spec.kidSubsetSize() : null);
            row.add(spec.precisionRecall() ? spec.k() : null);
            row.add(spec.seed());
            row.add(org.diffsweep.metrics.JackknifeFid.groups(first.get(i).nGenerated()));
            row.add(config.model().id());
            row.add(config.name());
            row.add(CodeVersion.get());
            t.add(row.toArray());
        }
        return t;
    }

    /** metrics.md of a {@code detectors:} config: each detector's KID and precision/recall side by side. */
    static String detectorsMarkdown(SweepConfig config, MetricsSpec spec, List<DetectorEntries> all) {
        StringBuilder sb = new StringBuilder();
        sb.append("## KID and precision/recall: ").append(config.name()).append("\n\n");
        for (DetectorEntries de : all) {
            sb.append("- ").append(de.detector().name()).append(": detector ").append(de.detector().net().id())
                    .append(", real features ").append(de.real().id()).append('\n');
        }
        sb.append("\n| sampler | grid | NFE |");
        StringBuilder rule = new StringBuilder("|---|---|---:|");
        for (DetectorEntries de : all) {
            String g = de.detector().name();
            if (spec.kid()) {
                sb.append(' ').append(g).append(" KID ± SE |");
                rule.append("---:|");
            }
            if (spec.precisionRecall()) {
                sb.append(' ').append(g).append(" precision ± SE | ").append(g).append(" recall ± SE |");
                rule.append("---:|---:|");
            }
        }
        sb.append('\n').append(rule).append('\n');
        for (int i = 0; i < all.get(0).entries().size(); i++) {
            SweepPoint p = all.get(0).entries().get(i).point();
            sb.append("| ").append(p.sampler()).append(" | ").append(p.grid()).append(" | ")
                    .append(p.nfe() == p.nfeRequested() ? Integer.toString(p.nfe())
                            : p.nfeRequested() + " (" + p.nfe() + ")").append(" |");
            for (DetectorEntries de : all) {
                Entry e = de.entries().get(i);
                if (spec.kid()) {
                    sb.append(' ').append(cell(e.kid().mean(), e.kid().se(), "%.4g")).append(" |");
                }
                if (spec.precisionRecall()) {
                    sb.append(' ').append(cell(e.pr().precision(), e.pr().precisionSe(), "%.4f")).append(" | ")
                            .append(cell(e.pr().recall(), e.pr().recallSe(), "%.4f")).append(" |");
                }
            }
            sb.append('\n');
        }
        sb.append('\n').append(String.format(Locale.ROOT, "model %s, n_generated %d, seeds %s, %s. %s%n",
                config.model().id(), config.seedCount(), Table.Provenance.seeds(config.seedStart(),
                        config.seedCount()), describe(spec, all.get(0).real().n(), config.seedCount()),
                CodeVersion.get()));
        sb.append("Precision is the fraction of generated samples inside the real manifold, recall the fraction of "
                + "real samples inside the generated manifold, each in that detector's features against that "
                + "detector's real features; ± is the standard error over draws of the seeds (jackknife over seed "
                + "groups).\n");
        return sb.toString();
    }

    /**
     * Refuses, before anything is computed, what the sets cannot give: a KID subset larger than either set, a k not
     * below the precision/recall sample of either set.
     *
     * @throws ConfigException one line naming the value and both n
     */
    public static void check(MetricsSpec spec, long nReal, long nGenerated) {
        try {
            if (spec.kid()) {
                Kid.check(nReal, nGenerated, spec.kidSubsetSize(), spec.kidSubsets());
            }
            if (spec.precisionRecall()) {
                PrecisionRecall.check(spec.k(), PrecisionRecall.sampleSize(nReal, spec.samples()), "real");
                PrecisionRecall.check(spec.k(), PrecisionRecall.sampleSize(nGenerated, spec.samples()), "generated");
            }
            if (spec.inceptionScore()) {
                InceptionScore.check(nGenerated, spec.isSplits(), spec.variant());
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException("metrics: " + e.getMessage());
        }
    }

    /**
     * Refuses, before anything is computed, an Inception Score on blocks without per-sample class probabilities
     * (the {@link ClassProbabilities#COLUMN} column): the first block of the first config tells, as every block of
     * a sweep is written by the same detector.
     */
    public static void requireClassProbabilities(SweepConfig config, SweepLayout layout, Configuration conf)
            throws IOException {
        SweepPoint first = config.points().get(0);
        Path block = layout.block(first.id(), config.seedStart(), Math.min(config.seedStart() + config.seedCount(),
                config.seedStart() + config.blockSize()));
        if (!ClassProbabilities.present(block, conf)) {
            throw new ConfigException("metrics: inception_score needs each sample's " + MetricsTask.INCEPTION_CLASSES
                    + " class probabilities (column " + ClassProbabilities.COLUMN + " of the feature blocks), which "
                    + "detector " + FidJob.detectorId(config) + " did not write (" + block + "), expected a detector "
                    + "that gives its class probabilities");
        }
    }

    /**
     * The checks {@link #run} makes before computing, for {@code run} to make before it sweeps: the real features
     * exist and the sizes fit.
     */
    public static void validate(SweepConfig config, Configuration conf) throws IOException {
        if (config.metrics() != null && config.multiDetector()) {
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                SweepConfig view = config.forDetector(d);
                check(view.metrics(), realCount(view, conf), view.seedCount());
            }
        } else if (config.metrics() != null) {
            check(config.metrics(), realCount(config, conf), config.seedCount());
        }
    }

    private static String describe(MetricsSpec spec, long nReal, long nGenerated) {
        List<String> parts = new ArrayList<>();
        if (spec.kid()) {
            parts.add(String.format(Locale.ROOT, "KID over %d subsets of %d", spec.kidSubsets(),
                    spec.kidSubsetSize()));
        }
        if (spec.precisionRecall()) {
            parts.add(String.format(Locale.ROOT, "precision/recall and density/coverage with k = %d on seeded "
                    + "subsamples of %d real and %d generated", spec.k(), PrecisionRecall.sampleSize(nReal, spec.samples()),
                    PrecisionRecall.sampleSize(nGenerated, spec.samples())));
        }
        if (spec.inceptionScore()) {
            parts.add("Inception Score (" + spec.isVariant() + ", " + InceptionScore.splitCount(nGenerated,
                    spec.isSplits(), spec.variant()) + " splits)");
        }
        return String.join("; ", parts) + " (seed " + spec.seed() + ")";
    }

    /** The number of real rows, from Parquet footers alone (or the seed count for exact samples). */
    static long realCount(SweepConfig config, Configuration conf) throws IOException {
        String path = config.metrics().referenceFeatures();
        if (path == null) {
            return config.seedCount();
        }
        long n = 0;
        for (Path p : referenceFiles(path, conf)) {
            n += FeatureBlocks.count(p, conf);
        }
        return n;
    }

    /** The part files of a features directory (or the file itself), in name order. */
    static List<Path> referenceFiles(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        FileSystem fs;
        FileStatus status;
        try {
            fs = p.getFileSystem(conf);
            status = fs.getFileStatus(p);
        } catch (java.io.FileNotFoundException e) {
            throw new ConfigException("reference_features " + path + " not found, expected the .features.parquet "
                    + "that 'ref-stats --keep N' writes");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("reference_features " + path + ": cannot read (" + OutputFiles.firstLine(e)
                    + "), expected a readable .features.parquet");
        }
        if (status.isFile()) {
            return List.of(p);
        }
        List<Path> files = new ArrayList<>();
        for (FileStatus f : fs.listStatus(p)) {
            String name = f.getPath().getName();
            if (f.isFile() && name.startsWith("part-") && name.endsWith(".parquet")) {
                files.add(f.getPath());
            }
        }
        if (files.isEmpty()) {
            throw new ConfigException("reference_features " + path + " holds no part-*.parquet files, expected the "
                    + ".features.parquet that 'ref-stats --keep N' writes");
        }
        files.sort(null);
        return files;
    }

    /** The real features, rows in index order. */
    static Real real(SweepConfig config, Configuration conf, int dim) throws IOException {
        String path = config.metrics().referenceFeatures();
        if (path == null) {
            int n = Math.toIntExact(config.seedCount());
            return new Real(Models.exactSamples(config.referenceModel(), config.seedStart(), n), n,
                    "exact samples (data stream of seeds " + config.seedStart() + "–"
                            + (config.seedStart() + n - 1) + ")");
        }
        checkDetector(config, path, conf);
        List<FeatureBlocks.Block> blocks = new ArrayList<>();
        long n = 0;
        List<Path> files = referenceFiles(path, conf);
        boolean labelled = true;
        for (Path p : files) {
            labelled &= FeatureBlocks.hasColumn(p, conf, FeatureBlocks.LABEL);
        }
        for (Path p : files) {
            try {
                FeatureBlocks.Block b = FeatureBlocks.read(p, conf, dim, "index", FeatureBlocks.FEATURES, null,
                        labelled);
                blocks.add(b);
                n += b.rows();
            } catch (IOException e) {
                throw new ConfigException("reference_features " + path + ": " + OutputFiles.firstLine(e) + " ("
                        + (config.detector() == null ? "the model's sample size" : "detector " + config.detector().id())
                        + " has " + dim + ")");
            }
        }
        long[] index = new long[Math.toIntExact(n)];
        float[] rows = new float[Math.multiplyExact(index.length, dim)];
        int[] labels = labelled ? new int[index.length] : null;
        int at = 0;
        for (FeatureBlocks.Block b : blocks) {
            System.arraycopy(b.seeds(), 0, index, at, b.rows());
            System.arraycopy(b.features(), 0, rows, at * dim, b.rows() * dim);
            if (labelled) {
                System.arraycopy(b.labels(), 0, labels, at, b.rows());
            }
            at += b.rows();
        }
        boolean sorted = true;
        for (int i = 1; i < index.length && sorted; i++) {
            sorted = index[i - 1] < index[i];
        }
        if (!sorted) {
            Integer[] order = new Integer[index.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(index[a], index[b]));
            float[] out = new float[rows.length];
            int[] sortedLabels = labelled ? new int[labels.length] : null;
            for (int i = 0; i < order.length; i++) {
                System.arraycopy(rows, order[i] * dim, out, i * dim, dim);
                if (labelled) {
                    sortedLabels[i] = labels[order[i]];
                }
            }
            rows = out;
            labels = sortedLabels;
        }
        return new Real(rows, n, featuresId(path, n, conf), labels);
    }

    /**
     * The identity of a real-features file: its name, rows and a hash of its part files' contents (so that features
     * regenerated under the same name and size are not taken for the ones a metrics table was measured with).
     */
    static String featuresId(String path, long rows, Configuration conf) throws IOException {
        java.security.MessageDigest digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Path p : referenceFiles(path, conf)) {
            digest.update(org.diffsweep.spark.ModelFiles.sha256(p.toString(), conf).getBytes(StandardCharsets.UTF_8));
        }
        String hash = java.util.HexFormat.of().formatHex(digest.digest()).substring(0, 12);
        String name = path.substring(path.lastIndexOf('/', path.length() - 2) + 1);
        return name + " (" + rows + " rows, " + hash + ")";
    }

    /** Refuses real features made with another detector than the config's (their {@code X.json} says which). */
    private static void checkDetector(SweepConfig config, String path, Configuration conf) throws IOException {
        if (config.detector() == null || !path.endsWith(".features.parquet")) {
            return;
        }
        Path meta = new Path(path.substring(0, path.length() - ".features.parquet".length()) + ".json");
        FileSystem fs = meta.getFileSystem(conf);
        if (!fs.exists(meta)) {
            return;
        }
        try (java.io.InputStream in = fs.open(meta)) {
            String made = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in).path("detector").asText("");
            if (!made.isEmpty() && !made.equals(config.detector().id())) {
                throw new ConfigException("reference_features " + path + " was made with detector " + made + " ("
                        + meta + "), expected " + config.detector().id() + ": rerun ref-stats --keep");
            }
        }
    }

    /** Every config's numbers, one Spark task per config; the real features are broadcast once. */
    static Map<String, MetricsTask.Result> reduce(SparkSession spark, SweepConfig config, SweepLayout layout, int dim,
                                                  MetricsSpec spec, Real real) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> ids = new ArrayList<>();
        for (SweepPoint p : config.points()) {
            ids.add(p.id());
        }
        // KID by class: a class-conditional sweep against real features that carry labels
        int classes = config.labels() != null && real.labels() != null ? config.model().classes() : 0;
        Broadcast<MetricsTask.Reference> ref = jsc.broadcast(new MetricsTask.Reference(real.features(), real.n(),
                classes > 0 ? real.labels() : null, classes));
        MetricsTask task = new MetricsTask(layout, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                config.seedStart(), config.seedCount(), config.blockSize(), dim, spec, ref, config.featureColumn());
        Progress progress = new Progress("metrics " + config.name(), ids.size());
        spark.sparkContext().addSparkListener(progress);
        try {
            Map<String, MetricsTask.Result> out = new HashMap<>();
            for (MetricsTask.Result r : jsc.parallelize(ids, ids.size()).map(task).collect()) {
                out.put(r.configId(), r);
            }
            return out;
        } finally {
            spark.sparkContext().removeSparkListener(progress);
            ref.destroy();
        }
    }

    /**
     * Whether the metrics table is complete (and the sweep behind it) and was measured against these real features
     * with these settings.
     */
    public static boolean complete(SparkSession spark, SweepConfig config) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (config.metrics() == null || !fs.exists(layout.metricsComplete()) || !SweepJob.complete(spark, config)) {
            return false;
        }
        try (java.io.InputStream in = fs.open(layout.metricsComplete())) {
            com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
            return m.path("settings").asText("").equals(config.metrics().settings())
                    && m.path("reference").asText("").equals(realId(config, conf));
        }
    }

    /** The identity of the real features as {@link #real} names them, without reading them. */
    private static String realId(SweepConfig config, Configuration conf) throws IOException {
        if (config.detectors().size() > 1) {
            List<String> ids = new ArrayList<>();
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                ids.add(d.name() + "=" + realId(config.forDetector(d), conf));
            }
            return String.join("; ", ids);
        }
        String path = config.metrics().referenceFeatures();
        if (path == null) {
            return "exact samples (data stream of seeds " + config.seedStart() + "–"
                    + (config.seedStart() + config.seedCount() - 1) + ")";
        }
        return featuresId(path, realCount(config, conf), conf);
    }

    /** The Markdown table of a finished metrics stage. */
    public static String readMarkdown(SparkSession spark, SweepConfig config) throws IOException {
        Path md = new Path(new SweepLayout(config.output()).metricsDir(), "metrics.md");
        FileSystem fs = md.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (java.io.InputStream in = fs.open(md)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** What metrics.csv states: the real features are the reference, their n the rows read. */
    static Table.Provenance provenance(SweepConfig config, Real real) {
        return new Table.Provenance(config.model().id(), FidJob.detectorId(config), real.id(), "none",
                Table.Provenance.nReference(real.n()), config.seedCount(),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get());
    }

    /**
     * kid-by-class.csv: one row per config and class: the config's columns, the class, its generated and real counts,
     * KID (mean, SE over the seeds, sd over subsets) with subsets of min(kid subset size, both counts); empty where
     * either set has fewer than 2 rows of the class.
     */
    static Table kidByClassTable(SweepConfig config, MetricsSpec spec, Real real,
                                 Map<String, MetricsTask.Result> results) {
        Table t = new Table("KID by class: " + config.name(), provenance(config, real), Table.configColumns(
                Table.Column.integer("label", "the class: the label the seeds were sampled with"),
                Table.Column.count("n_generated", "generated samples of this class"),
                Table.Column.count("n_real", "real features of this class"),
                Table.Column.real("kid_mean", "%.17g", "KID of this class's samples against its real features "
                        + "(empty with fewer than 2 of either)"),
                Table.Column.real("kid_se", "%.17g", "jackknife standard error of kid_mean over draws of the seeds"),
                Table.Column.real("kid_sd", "%.17g", "KID's standard deviation over subsets"),
                Table.Column.integer("kid_subsets", "KID subsets"),
                Table.Column.integer("kid_subset_size", "features per subset: min(kid subset size, n_generated, "
                        + "n_real)"),
                Table.Column.string("real_features", "the real features, name with rows and hash"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("code_version", "the code that computed the row")));
        for (SweepPoint p : config.points()) {
            for (MetricsTask.ClassKid c : results.get(p.id()).kidByClass()) {
                Kid.Result k = c.kid();
                t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(), c.label(), c.nGenerated(),
                        c.nReal(), k == null ? null : k.mean(), k == null ? null : k.se(), k == null ? null : k.sd(),
                        k == null ? null : k.subsets(), k == null ? null : k.subsetSize(), real.id(),
                        FidJob.detectorId(config), CodeVersion.get());
            }
        }
        return t;
    }

    /**
     * metrics.csv: its 22 columns as before (numbers as %.17g, seconds as %.3f, empty where a metric was not
     * measured), detector and code_version added after them, then the jackknife SEs and groups, then density and
     * coverage with their SEs and the Inception Score (mean, sd, splits, variant).
     */
    static Table table(SweepConfig config, MetricsSpec spec, Real real, List<Entry> entries) {
        Map<String, Long> ns = new java.util.LinkedHashMap<>();
        entries.forEach(e -> ns.put(e.point().id(), e.nGenerated()));
        Table.requireOneN(ns);
        Table.Provenance prov = provenance(config, real);
        Table t = new Table("KID and precision/recall: " + config.name(), prov, Table.configColumns(
                Table.Column.count("n_generated", "generated samples (one per seed)"),
                Table.Column.count("n_real", "real (reference) features"),
                Table.Column.real("kid_mean", "%.17g", "KID: unbiased MMD² with the kernel (x·y/D + 1)³, mean over "
                        + "subsets"),
                Table.Column.real("kid_sd", "%.17g", "KID's standard deviation over subsets"),
                Table.Column.integer("kid_subsets", "KID subsets"),
                Table.Column.integer("kid_subset_size", "features per KID subset, of each set"),
                Table.Column.real("precision_generated_in_real", "%.17g", "fraction of generated samples inside "
                        + "the real k-NN manifold"),
                Table.Column.real("recall_real_in_generated", "%.17g", "fraction of real samples inside the "
                        + "generated k-NN manifold"),
                Table.Column.integer("pr_k", "k of the k-NN manifolds"),
                Table.Column.count("pr_n_real", "real features in the precision/recall subsample"),
                Table.Column.count("pr_n_generated", "generated features in the precision/recall subsample"),
                Table.Column.count("metrics_seed", "seed of the subsets and subsamples"),
                Table.Column.real("seconds", "%.3f", "time to measure the config, s"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("sweep", "the sweep's name"),
                Table.Column.string("real_features", "the real features and their rows"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.real("kid_se", "%.17g", "KID's standard error over draws of the seeds (jackknife over "
                        + "seed groups)"),
                Table.Column.real("precision_se", "%.17g", "precision's standard error over draws of the seeds "
                        + "(jackknife over seed groups)"),
                Table.Column.real("recall_se", "%.17g", "recall's standard error over draws of the seeds "
                        + "(jackknife over seed groups)"),
                Table.Column.integer("jackknife_groups", "contiguous seed groups of the jackknife"),
                Table.Column.real("density", "%.17g", "density (Naeem et al. 2020): mean number of real k-NN balls "
                        + "holding a generated sample, over k"),
                Table.Column.real("density_se", "%.17g", "density's standard error over draws of the seeds "
                        + "(jackknife over seed groups)"),
                Table.Column.real("coverage", "%.17g", "coverage (Naeem et al. 2020): fraction of real k-NN balls "
                        + "holding at least one generated sample"),
                Table.Column.real("coverage_se", "%.17g", "coverage's standard error over draws of the seeds "
                        + "(jackknife over seed groups)"),
                Table.Column.real("is_mean", "%.17g", "Inception Score: mean over splits of exp(E KL(p(y|x) ‖ p(y)))"),
                Table.Column.real("is_sd", "%.17g", "Inception Score's population standard deviation over splits"),
                Table.Column.integer("is_splits", "Inception Score splits"),
                Table.Column.string("is_variant", "how the Inception Score's splits are cut: torch-fidelity "
                        + "(shuffled), stylegan3 (contiguous) or adm (5000 rows each)")));
        for (Entry e : entries) {
            SweepPoint p = e.point();
            Kid.Result k = e.kid();
            PrecisionRecall.Result pr = e.pr();
            InceptionScore.Result is = e.inceptionScore();
            t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(), e.nGenerated(), e.nReal(),
                    k == null ? null : k.mean(), k == null ? null : k.sd(), k == null ? null : k.subsets(),
                    k == null ? null : k.subsetSize(), pr == null ? null : pr.precision(),
                    pr == null ? null : pr.recall(), pr == null ? null : pr.k(), pr == null ? null : pr.nReal(),
                    pr == null ? null : pr.nGenerated(), spec.seed(), e.seconds(), config.model().id(),
                    config.name(), real.id(), prov.detector(), prov.codeVersion(), k == null ? null : nanToNull(k.se()),
                    pr == null ? null : nanToNull(pr.precisionSe()), pr == null ? null : nanToNull(pr.recallSe()),
                    org.diffsweep.metrics.JackknifeFid.groups(e.nGenerated()),
                    pr == null ? null : nanToNull(pr.density()), pr == null ? null : nanToNull(pr.densitySe()),
                    pr == null ? null : nanToNull(pr.coverage()), pr == null ? null : nanToNull(pr.coverageSe()),
                    is == null ? null : is.mean(), is == null ? null : is.sd(), is == null ? null : is.splits(),
                    is == null ? null : is.variant().id());
        }
        return t;
    }

    /** The plots the stage writes beside metrics.csv: measure, axis label. */
    static final String[][] PLOTS = {{"kid", "KID"}, {"precision", "precision (generated in real manifold)"},
        {"recall", "recall (real in generated manifold)"}, {"density", "density (real balls per generated sample / k)"},
        {"coverage", "coverage (real balls holding a generated sample)"}, {"is", "Inception Score"}};

    /**
     * One measure against the NFE actually used, a line per sampler and grid in the fid plot's styles, ±2 SE bars;
     * KID on a log axis (a value ≤ 0 is left out), precision and recall on a linear one.
     */
    static void plot(SweepConfig config, List<Entry> entries, String measure, String label, OutputStream png)
            throws IOException {
        Map<String, List<Entry>> rows = new java.util.LinkedHashMap<>();
        for (Entry e : entries) {
            rows.computeIfAbsent(e.point().label(), k -> new ArrayList<>()).add(e);
        }
        Map<String, double[][]> series = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, List<Entry>> r : rows.entrySet()) {
            List<Entry> es = r.getValue();
            double[][] xyse = new double[3][es.size()];
            for (int i = 0; i < es.size(); i++) {
                Entry e = es.get(i);
                xyse[0][i] = e.point().nfe();
                switch (measure) {
                    case "kid" -> {
                        xyse[1][i] = e.kid().mean();
                        xyse[2][i] = e.kid().se();
                    }
                    case "precision" -> {
                        xyse[1][i] = e.pr().precision();
                        xyse[2][i] = e.pr().precisionSe();
                    }
                    case "density" -> {
                        xyse[1][i] = e.pr().density();
                        xyse[2][i] = e.pr().densitySe();
                    }
                    case "coverage" -> {
                        xyse[1][i] = e.pr().coverage();
                        xyse[2][i] = e.pr().coverageSe();
                    }
                    case "is" -> {
                        xyse[1][i] = e.inceptionScore().mean();
                        xyse[2][i] = Double.NaN; // the spread over splits is not an error of the mean
                    }
                    default -> {
                        xyse[1][i] = e.pr().recall();
                        xyse[2][i] = e.pr().recallSe();
                    }
                }
            }
            series.put(r.getKey(), xyse);
        }
        org.diffsweep.report.Plots.linesWithErrors(label + " vs NFE: " + config.name(), "NFE", label, series,
                FidJob.styles(config), measure.equals("kid"), FidJob.budgets(config), png);
    }

    private static Double nanToNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** One paired difference (candidate − baseline, same seeds, subsets and groups) of each measure. */
    public record Difference(org.diffsweep.config.Comparison comparison, Kid.Difference kid,
                             Kid.Difference precision, Kid.Difference recall) {
    }

    /** The paired differences of the config's {@code vs:} comparisons (a measure not taken: null). */
    static List<Difference> differences(SweepConfig config, List<Entry> entries) {
        Map<String, Entry> byId = new HashMap<>();
        entries.forEach(e -> byId.put(e.point().id(), e));
        List<Difference> out = new ArrayList<>();
        for (org.diffsweep.config.Comparison c : config.comparisons()) {
            Entry a = byId.get(c.candidateId());
            Entry b = byId.get(c.baselineId());
            Table.requireSameN(a.point().id(), a.nGenerated(), b.point().id(), b.nGenerated());
            Kid.Difference kid = a.kid() == null ? null : Kid.difference(a.kid(), b.kid());
            Kid.Difference p = null;
            Kid.Difference r = null;
            if (a.pr() != null) {
                p = PrecisionRecall.difference(a.pr().precision(), a.pr().precisionLeaveOut(), b.pr().precision(),
                        b.pr().precisionLeaveOut());
                r = PrecisionRecall.difference(a.pr().recall(), a.pr().recallLeaveOut(), b.pr().recall(),
                        b.pr().recallLeaveOut());
            }
            out.add(new Difference(c, kid, p, r));
        }
        return out;
    }

    /** metrics/differences.csv: one row per comparison. */
    static Table differencesTable(SweepConfig config, Real real, List<Difference> differences) {
        Table.Provenance prov = provenance(config, real);
        Table t = new Table("Paired KID and precision/recall differences: " + config.name(), prov, List.of(
                Table.Column.string("comparison", "candidate vs baseline"),
                Table.Column.integer("nfe_requested", "the NFE budget of both configs"),
                Table.Column.string("candidate_id", "the candidate config"),
                Table.Column.string("baseline_id", "the baseline config"),
                Table.Column.real("kid_difference", "%.17g", "candidate KID − baseline KID"),
                Table.Column.real("kid_difference_se", "%.17g", "paired jackknife standard error"),
                Table.Column.real("precision_difference", "%.17g", "candidate precision − baseline precision"),
                Table.Column.real("precision_difference_se", "%.17g", "paired jackknife standard error"),
                Table.Column.real("recall_difference", "%.17g", "candidate recall − baseline recall"),
                Table.Column.real("recall_difference_se", "%.17g", "paired jackknife standard error"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("detector", "the feature detector with its hash, or none"),
                Table.Column.string("code_version", "the code that computed the row")));
        for (Difference d : differences) {
            t.add(d.comparison().name(), d.comparison().nfeRequested(), d.comparison().candidateId(),
                    d.comparison().baselineId(), d.kid() == null ? null : d.kid().difference(),
                    d.kid() == null ? null : nanToNull(d.kid().se()),
                    d.precision() == null ? null : d.precision().difference(),
                    d.precision() == null ? null : nanToNull(d.precision().se()),
                    d.recall() == null ? null : d.recall().difference(),
                    d.recall() == null ? null : nanToNull(d.recall().se()), config.model().id(), prov.detector(),
                    prov.codeVersion());
        }
        return t;
    }

    static String markdown(SweepConfig config, MetricsSpec spec, Real real, List<Entry> entries) {
        StringBuilder sb = new StringBuilder();
        sb.append("## KID and precision/recall: ").append(config.name()).append("\n\n");
        sb.append("| config | sampler | grid | NFE |");
        if (spec.kid()) {
            sb.append(" KID ± SE |");
        }
        if (spec.precisionRecall()) {
            sb.append(" precision (generated in real manifold) ± SE | recall (real in generated manifold) ± SE |"
                    + " density ± SE | coverage ± SE |");
        }
        if (spec.inceptionScore()) {
            sb.append(" IS (").append(spec.isVariant()).append(") ± sd over splits |");
        }
        sb.append("\n|---|---|---|---:|");
        if (spec.kid()) {
            sb.append("---:|");
        }
        if (spec.precisionRecall()) {
            sb.append("---:|---:|---:|---:|");
        }
        if (spec.inceptionScore()) {
            sb.append("---:|");
        }
        sb.append('\n');
        for (Entry e : entries) {
            SweepPoint p = e.point();
            String nfe = p.nfe() == p.nfeRequested() ? Integer.toString(p.nfe())
                    : p.nfeRequested() + " (" + p.nfe() + ")";
            sb.append("| ").append(p.id()).append(" | ").append(p.sampler()).append(" | ").append(p.grid())
                    .append(" | ").append(nfe).append(" |");
            if (spec.kid()) {
                sb.append(' ').append(cell(e.kid().mean(), e.kid().se(), "%.4g")).append(" |");
            }
            if (spec.precisionRecall()) {
                sb.append(' ').append(cell(e.pr().precision(), e.pr().precisionSe(), "%.4f")).append(" | ")
                        .append(cell(e.pr().recall(), e.pr().recallSe(), "%.4f")).append(" | ")
                        .append(cell(e.pr().density(), e.pr().densitySe(), "%.4f")).append(" | ")
                        .append(cell(e.pr().coverage(), e.pr().coverageSe(), "%.4f")).append(" |");
            }
            if (spec.inceptionScore()) {
                sb.append(' ').append(String.format(Locale.ROOT, "%.4g ± %.2g", e.inceptionScore().mean(),
                        e.inceptionScore().sd())).append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
        long nGen = config.seedCount();
        sb.append(String.format(Locale.ROOT, "Real features: %s; generated: %d per config. Seed %d.%n", real.id(),
                nGen, spec.seed()));
        sb.append(String.format(Locale.ROOT, "model %s, detector %s, n_generated %d, n_reference %s, seeds %s, %s%n",
                config.model().id(), FidJob.detectorId(config), nGen, Table.Provenance.nReference(real.n()),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get()));
        if (spec.kid()) {
            sb.append(String.format(Locale.ROOT, "KID: unbiased MMD² with the kernel (x·y/D + 1)³, mean over %d random "
                    + "subsets of %d real and %d generated features (the spread over subsets, kid_sd, is in "
                    + "metrics.csv).%n", spec.kidSubsets(), spec.kidSubsetSize(), spec.kidSubsetSize()));
        }
        if (spec.precisionRecall()) {
            sb.append(String.format(Locale.ROOT, "Precision/recall: k-NN manifolds with k = %d, measured on seeded "
                    + "subsamples of %d real and %d generated features%s. Precision is the fraction of generated "
                    + "samples inside the real manifold, recall the fraction of real samples inside the generated "
                    + "manifold. Density (Naeem et al. 2020) is the mean number of real balls holding a generated "
                    + "sample over k, coverage the fraction of real balls holding at least one; from the same "
                    + "radii (closed balls: a distance equal to a radius is inside).%n", spec.k(), PrecisionRecall.sampleSize(real.n(), spec.samples()),
                    PrecisionRecall.sampleSize(nGen, spec.samples()),
                    spec.samples() < Math.max(real.n(), nGen) ? " (at most " + spec.samples() + " of each set)"
                            : " (all of each set)"));
        }
        if (spec.inceptionScore()) {
            sb.append(String.format(Locale.ROOT, "Inception Score: exp(E KL(p(y|x) ‖ p(y))) from the detector's %d "
                    + "class probabilities, as %s cuts its splits (%s); its ± is the spread over the splits, not a "
                    + "standard error.%n", MetricsTask.INCEPTION_CLASSES, spec.isVariant(),
                    switch (spec.variant()) {
                        case TORCH_FIDELITY -> spec.isSplits() + " splits of the samples shuffled by numpy's "
                                + "RandomState(2020)";
                        case STYLEGAN3 -> spec.isSplits() + " contiguous splits in seed order";
                        case ADM -> "consecutive splits of " + InceptionScore.ADM_SPLIT_SIZE + " samples";
                    }));
        }
        sb.append(String.format(Locale.ROOT, "± is the standard error over draws of the seeds: a delete-a-group "
                + "jackknife over %d contiguous seed groups of the generated features (the real features and the "
                + "subsets held fixed).%n", org.diffsweep.metrics.JackknifeFid.groups(nGen)));
        return sb.toString();
    }

    /** A value with its SE when there is one. */
    static String cell(double value, double se, String format) {
        String v = String.format(Locale.ROOT, format, value);
        return Double.isNaN(se) ? v : v + String.format(Locale.ROOT, " ± %.2g", se);
    }

    /** The paired differences as Markdown (empty without comparisons). */
    static String differencesMarkdown(List<Difference> differences) {
        if (differences.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("\n## Paired differences (candidate − baseline, same seeds)\n\n"
                + "| comparison | NFE | KID | precision | recall |\n|---|---:|---:|---:|---:|\n");
        for (Difference d : differences) {
            sb.append("| ").append(d.comparison().name()).append(" | ").append(d.comparison().nfeRequested())
                    .append(" | ").append(d.kid() == null ? "" : FidJob.signedCell(d.kid().difference(), d.kid().se()))
                    .append(" | ").append(d.precision() == null ? "" : FidJob.signedCell(d.precision().difference(),
                            d.precision().se()))
                    .append(" | ").append(d.recall() == null ? "" : FidJob.signedCell(d.recall().difference(),
                            d.recall().se()))
                    .append(" |\n");
        }
        sb.append("\n* marks a difference larger than twice its paired SE (jackknife over the same seed groups).\n");
        return sb.toString();
    }

    private static void write(FileSystem fs, Path path, String text) throws IOException {
        try (OutputStream out = fs.create(path, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
