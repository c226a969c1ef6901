package org.diffsweep.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.spark.BlockRunner;
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

    /** Summary of a run. */
    public record Summary(int blocks, int computed, int skipped, double seconds) {
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
        Manifest.writeOrCheck(config, layout, conf, version);

        List<SeedBlock> all = SeedBlock.plan(config);
        java.util.Set<String> committed = committedBlocks(fs, layout);
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
        Manifest.writeAtomically(fs, layout.sweepComplete(), Manifest.json(java.util.Map.of(
                "blocks", all.size(), "code_version", version, "finished", java.time.Instant.now().toString())));
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("sweep %s: done, %d blocks computed, %d skipped, %.1f s%n", config.name(), computed,
                all.size() - computed, secs);
        return new Summary(all.size(), computed, all.size() - computed, secs);
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
     * Everything a sweep reads, checked on the driver before anything is written, so that a bad input costs no
     * compute and leaves no manifest behind: the model is loaded and run once through its family (a file that is
     * not a network, a wrong shape, a network that does not fit the process); the detector is loaded and run once
     * on one image (its output must have the declared {@code dim}); the reference is read and checked against the
     * feature dimension.
     */
    static void validateOnDriver(SweepConfig config, Configuration conf) throws IOException {
        HadoopConf hadoop = new HadoopConf(conf);
        try {
            org.diffsweep.diffusion.SampleModel model = org.diffsweep.spark.ModelCache.model(config.model(),
                    config.family(), hadoop);
            config.family().probe(model);
        } catch (org.diffsweep.config.ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new org.diffsweep.config.ConfigException(config.name() + ": model "
                    + (config.model().net() == null ? config.model().id() : config.model().net().path()) + ": "
                    + org.diffsweep.family.Family.rootLine(e));
        }
        if (config.detector() != null) {
            int[] shape = config.model().imageShape();
            try {
                org.diffsweep.features.Detector d = org.diffsweep.spark.ModelCache.detector(config.detector(), hadoop);
                float[] f = d.features(new byte[3 * shape[1] * shape[2]], 1, shape[1], shape[2]);
                if (f.length != config.detector().dim()) {
                    throw new IllegalArgumentException("returned " + f.length + " features for one image, expected "
                            + "dim " + config.detector().dim());
                }
            } catch (org.diffsweep.config.ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new org.diffsweep.config.ConfigException(config.name() + ": detector "
                        + config.detector().path() + ": " + org.diffsweep.family.Family.rootLine(e));
            }
        }
        FidJob.reference(config, conf);
    }

    /** Whether the sweep's output is complete for this config. */
    public static boolean complete(SparkSession spark, SweepConfig config) throws IOException {
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!fs.exists(layout.sweepComplete())
                || !org.diffsweep.spark.SampleExport.complete(fs, layout, config)) {
            return false;
        }
        Manifest.writeOrCheck(config, layout, conf, CodeVersion.get());
        return true;
    }
}
