package org.diffsweep.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.spark.BlockCheck;
import org.diffsweep.spark.BlockRunner;
import org.diffsweep.spark.OutputLock;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SeedBlock;
import org.diffsweep.spark.SweepLayout;

/**
 * The {@code sweep} job: every config × seed block as a Spark task; each block's features are committed
 * once as Parquet; finished blocks are skipped on a rerun; {@code sweep/_COMPLETE} is written last.
 */
public final class SweepJob {

    private SweepJob() {
    }

    /**
     * Summary of a run.
     *
     * @param computed    blocks sampled, for their features or only to export their samples
     * @param newFeatures blocks whose features were missing before the run (0: the features, and every table
     *                    reduced from them, are as they were)
     */
    public record Summary(int blocks, int computed, int skipped, int newFeatures, double seconds) {
    }

    /**
     * @param partitions number of Spark partitions, or 0 for one per block
     */
    public static Summary run(SparkSession spark, SweepConfig config, int partitions) throws IOException {
        long t0 = System.nanoTime();
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        config.requireStatisticsMade();
        requireMatchingNormTables(config);
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        String version = CodeVersion.get();
        validateOnDriver(config, conf);
        try (OutputLock lock = Spark.lockOutput(spark, config, "sweep")) {
            return run(spark, config, partitions, layout, conf, fs, version, lock, t0);
        }
    }

    private static Summary run(SparkSession spark, SweepConfig config, int partitions, SweepLayout layout,
                               Configuration conf, FileSystem fs, String version, OutputLock lock, long t0)
            throws IOException {
        Manifest.writeOrCheck(config, layout, conf, version);
        // This run holds the output: whatever is under _tmp was left by runs that are gone.
        fs.delete(layout.tmp(), true);

        List<SeedBlock> all = SeedBlock.plan(config);
        java.util.Set<String> committed = committedBlocks(fs, layout);
        if (!committed.isEmpty()) {
            committed.removeAll(removeCorrupt(spark, config, layout, fs, all, committed));
        }
        List<SeedBlock> todo = new ArrayList<>();
        for (SeedBlock b : all) {
            if (!committed.contains(blockKey(layout, b))) {
                todo.add(b);
            }
        }
        int committedCount = all.size() - todo.size();
        List<SeedBlock> toExport = org.diffsweep.spark.SampleExport.missing(fs, layout, config, all);
        toExport.removeAll(todo);
        todo.addAll(toExport);
        System.out.printf("sweep %s: %d configs × %d seeds = %d blocks, %d already committed, %d to run%n",
                config.name(), config.points().size(), config.seedCount(), all.size(), committedCount,
                todo.size() - toExport.size());
        if (!toExport.isEmpty()) {
            System.out.printf("sweep %s: %d committed blocks are sampled again to export them (samples are not "
                    + "stored)%n", config.name(), toExport.size());
        }
        int computed = 0;
        if (!todo.isEmpty()) {
            int slices = partitions > 0 ? partitions : todo.size();
            Progress progress = new Progress("sweep " + config.name(), slices);
            spark.sparkContext().addSparkListener(progress);
            try {
                JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                List<BlockRunner.Result> results = jsc.parallelize(todo, slices)
                        .mapPartitions(new BlockRunner(config, layout, new HadoopConf(conf), version))
                        .collect();
                for (BlockRunner.Result r : results) {
                    computed += r.computed() ? 1 : 0;
                }
            } finally {
                spark.sparkContext().removeSparkListener(progress);
            }
        }
        committed = committedBlocks(fs, layout);
        for (SeedBlock b : all) {
            if (!committed.contains(blockKey(layout, b))) {
                throw new IOException("block " + b + " (" + layout.block(b.configId(), b.seedStart(), b.seedEnd())
                        + ") is missing after the sweep; not marking it complete");
            }
        }
        if (!org.diffsweep.spark.SampleExport.missing(fs, layout, config, all).isEmpty()) {
            throw new IOException("exported samples are missing after the sweep; not marking it complete");
        }
        org.diffsweep.spark.SampleExport.finish(fs, layout, config, all);
        fs.delete(layout.tmp(), true);
        lock.check();
        Manifest.writeAtomically(fs, layout.sweepComplete(), Manifest.json(java.util.Map.of(
                "blocks", all.size(), "code_version", version, "finished", java.time.Instant.now().toString())));
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("sweep %s: done, %d blocks computed, %d skipped, %.1f s%n", config.name(), computed,
                all.size() - computed, secs);
        return new Summary(all.size(), computed, all.size() - computed, todo.size() - toExport.size(), secs);
    }

    /**
     * Reads every committed block of the plan back in a Spark job ({@link BlockCheck}: the footer, each page's CRC,
     * the rows and their seeds), and removes, with a warning naming it, each that does not read back whole (a
     * truncated file, a bad checksum, an unreadable footer), so that it is computed again.
     *
     * @return the keys of the removed blocks
     */
    static java.util.Set<String> removeCorrupt(SparkSession spark, SweepConfig config, SweepLayout layout,
                                               FileSystem fs, List<SeedBlock> all, java.util.Set<String> committed)
            throws IOException {
        List<SeedBlock> check = new ArrayList<>();
        for (SeedBlock b : all) {
            if (committed.contains(blockKey(layout, b))) {
                check.add(b);
            }
        }
        java.util.Set<String> removed = new java.util.HashSet<>();
        if (check.isEmpty()) {
            return removed;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int slices = Math.min(check.size(), Math.max(1, 4 * jsc.defaultParallelism()));
        List<BlockCheck.Bad> bad = jsc.parallelize(check, slices)
                .mapPartitions(new BlockCheck(layout, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                        config.featureDim(), moreColumns(config)))
                .collect();
        for (BlockCheck.Bad b : bad) {
            org.apache.hadoop.fs.Path p = layout.block(b.block().configId(), b.block().seedStart(), b.block().seedEnd());
            System.err.println("diffsweep: warning: committed block " + p + " is corrupt (" + b.reason()
                    + "): removing it, it is computed again");
            if (fs.exists(p) && !fs.delete(p, false)) {
                throw new IOException("could not remove the corrupt block " + p);
            }
            removed.add(blockKey(layout, b.block()));
        }
        return removed;
    }

    /** The further detectors' feature columns with their dimensions (none without a {@code detectors:} list). */
    static java.util.LinkedHashMap<String, Integer> moreColumns(SweepConfig config) {
        java.util.LinkedHashMap<String, Integer> out = new java.util.LinkedHashMap<>();
        for (int i = 1; i < config.detectors().size(); i++) {
            out.put(config.detectors().get(i).column(), config.detectors().get(i).net().dim());
        }
        return out;
    }

    /**
     * For a finished sweep whose blocks a later stage is about to read: removes its corrupt blocks (as a resumed
     * sweep does) and, if there were any, its {@code _COMPLETE}, so that the sweep computes them again.
     *
     * @return how many blocks were removed
     */
    static int removeCorrupt(SparkSession spark, SweepConfig config) throws IOException {
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (OutputLock lock = Spark.lockOutput(spark, config, "sweep")) {
            List<SeedBlock> all = SeedBlock.plan(config);
            java.util.Set<String> removed = removeCorrupt(spark, config, layout, fs, all, committedBlocks(fs, layout));
            if (!removed.isEmpty()) {
                fs.delete(layout.sweepComplete(), false);
            }
            return removed.size();
        }
    }

    /**
     * The committed block files under {@code features/}, in one recursive listing (a few requests per thousand
     * files on object stores, where a check per block would be one request each).
     */
    static java.util.Set<String> committedBlocks(FileSystem fs, SweepLayout layout) throws IOException {
        java.util.Set<String> out = new java.util.HashSet<>();
        if (!fs.exists(layout.features())) {
            return out;
        }
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it =
                fs.listFiles(layout.features(), true);
        while (it.hasNext()) {
            org.apache.hadoop.fs.Path p = it.next().getPath();
            out.add(p.getParent().getName() + "/" + p.getName());
        }
        return out;
    }

    private static String blockKey(SweepLayout layout, SeedBlock b) {
        org.apache.hadoop.fs.Path p = layout.block(b.configId(), b.seedStart(), b.seedEnd());
        return p.getParent().getName() + "/" + p.getName();
    }

    /**
     * Refuses a DEIS-SN score table measured on another model (its {@code # model:} line, written by norm-stats,
     * names the model id, hash included).
     */
    static void requireMatchingNormTables(SweepConfig config) {
        for (org.diffsweep.config.SweepPoint p : config.points()) {
            try {
                p.cell().requireMadeFor(config.model().id());
            } catch (IllegalArgumentException e) {
                throw new org.diffsweep.config.ConfigException(e.getMessage());
            }
        }
    }

    /**
     * Refuses a class-conditional network for a job that measures the model without labels (norm-stats, schedule).
     *
     * @throws org.diffsweep.config.ConfigException naming the job and the model's labels
     */
    static void requireUnlabelledNetwork(SweepConfig config, String job) {
        if (config.model().labels() != null) {
            throw new org.diffsweep.config.ConfigException(config.name() + ": " + job + " measures a model without "
                    + "labels, found a class-conditional network (model.labels, " + config.model().labels().describe()
                    + "), expected an unconditional model");
        }
    }

    /**
     * The config's model loaded and run once through its family on the driver (a file that is not a network, a
     * network that does not fit the process or the declared shape, one that only takes a batch of one or returns
     * values that are not finite), before any job starts.
     *
     * @throws org.diffsweep.config.ConfigException one line naming the model's path, its declared shape and what failed
     */
    static void probeModel(SweepConfig config, Configuration conf) {
        HadoopConf hadoop = new HadoopConf(conf);
        try {
            org.diffsweep.diffusion.SampleModel model = org.diffsweep.spark.ModelCache.model(config.model(),
                    config.family(), hadoop);
            config.family().probe(model);
        } catch (org.diffsweep.config.ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            org.diffsweep.config.NetSpec net = config.model().net();
            throw new org.diffsweep.config.ConfigException(config.name() + ": model "
                    + (net == null ? config.model().id() : net.path() + " (model.shape "
                    + java.util.Arrays.toString(net.shape()) + ", batch " + net.batch() + ")") + ": "
                    + org.diffsweep.family.Family.rootLine(e) + engineDiagnosis(e, net));
        }
        if (config.guide() != null) {
            org.diffsweep.config.NetSpec net = config.guide().net();
            try {
                config.family().probe(org.diffsweep.spark.ModelCache.model(config.guide(), config.family(), hadoop));
            } catch (RuntimeException e) {
                throw new org.diffsweep.config.ConfigException(config.name() + ": guide " + net.path() + " (guide.shape "
                        + java.util.Arrays.toString(net.shape()) + ", batch " + net.batch() + "): "
                        + org.diffsweep.family.Family.rootLine(e) + engineDiagnosis(e, net));
            }
        }
    }

    /**
     * For a TorchScript network whose rows depend on their batch: what the engine's own convolution check says
     * ({@link org.diffsweep.model.djl.DjlNet#convolutionSelfCheck()}), as a clause to add to the refusal; else "".
     */
    static String engineDiagnosis(RuntimeException e, org.diffsweep.config.NetSpec net) {
        boolean batchDependent = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            batchDependent |= t instanceof org.diffsweep.family.Family.BatchDependentOutput;
        }
        if (!batchDependent || net == null || !org.diffsweep.model.djl.DjlNet.engineFor(java.nio.file.Path.of(
                net.path().substring(net.path().lastIndexOf('/') + 1))).equals("PyTorch")) {
            return "";
        }
        String verdict = org.diffsweep.model.djl.DjlNet.convolutionSelfCheck();
        return verdict.isEmpty() ? "" : "; " + verdict;
    }

    /**
     * Everything a sweep reads, checked on the driver before anything is written, so that a bad input costs no
     * compute and leaves no manifest behind: the model is loaded and run once through its family (a file that is
     * not a network, a wrong shape, a network that does not fit the process: {@link #probeModel}); the detector is
     * loaded and run once on two images (its output must have the declared {@code dim}, finite); the reference is
     * read, checked as a covariance and against the feature dimension.
     */
    static void validateOnDriver(SweepConfig config, Configuration conf) throws IOException {
        HadoopConf hadoop = new HadoopConf(conf);
        probeModel(config, conf);
        if (config.multiDetector()) {
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                probeDetector(config, d.net(), hadoop, "detector " + d.name() + " (" + d.net().path() + ")");
            }
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                FidJob.reference(config.forDetector(d), conf);
            }
            return;
        }
        if (config.detector() != null) {
            probeDetector(config, config.detector(), hadoop, "detector " + config.detector().path());
        }
        FidJob.reference(config, conf);
    }

    /**
     * A detector loaded and run once on two random images of the model's size: its output must have the declared
     * {@code dim}, finite.
     *
     * @throws org.diffsweep.config.ConfigException one line: the sweep, {@code what}, and what failed
     */
    static void probeDetector(SweepConfig config, org.diffsweep.config.NetSpec net, HadoopConf hadoop, String what) {
        int[] shape = config.model().imageShape();
        int b = org.diffsweep.family.Family.PROBE_BATCH;
        try {
            org.diffsweep.features.Detector d = org.diffsweep.spark.ModelCache.detector(net, hadoop);
            byte[] images = new byte[b * 3 * shape[1] * shape[2]];
            new java.util.Random(1).nextBytes(images);
            float[] f = d.features(images, b, shape[1], shape[2]);
            if (f.length != b * net.dim()) {
                throw new IllegalArgumentException("returned " + f.length + " features for " + b + " images, "
                        + "expected dim " + net.dim() + " each");
            }
            for (int i = 0; i < f.length; i++) {
                if (!Float.isFinite(f[i])) {
                    throw new IllegalArgumentException("returned " + f[i] + " as feature " + i % net.dim()
                            + " of a probe image, expected finite features");
                }
            }
        } catch (org.diffsweep.config.ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new org.diffsweep.config.ConfigException(config.name() + ": " + what + ": "
                    + org.diffsweep.family.Family.rootLine(e));
        }
    }

    /** Whether the sweep's output is complete for this config. */
    public static boolean complete(SparkSession spark, SweepConfig config) throws IOException {
        return complete(spark.sparkContext().hadoopConfiguration(), config);
    }

    /** Whether the sweep's output is complete for this config, on these file systems. */
    public static boolean complete(Configuration conf, SweepConfig config) throws IOException {
        config = ModelFiles.resolve(config, conf);
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!fs.exists(layout.sweepComplete())
                || !org.diffsweep.spark.SampleExport.complete(fs, layout, config)) {
            return false;
        }
        Manifest.writeOrCheck(config, layout, conf, CodeVersion.get());
        return true;
    }
}
