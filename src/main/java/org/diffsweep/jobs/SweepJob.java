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
        probeModel(config, conf);
        Manifest.writeOrCheck(config, layout, conf, version);

        List<SeedBlock> all = SeedBlock.plan(config);
        List<SeedBlock> todo = new ArrayList<>();
        for (SeedBlock b : all) {
            if (!fs.exists(layout.block(b.configId(), b.seedStart(), b.seedEnd()))) {
                todo.add(b);
            }
        }
        System.out.printf("sweep %s: %d configs × %d seeds = %d blocks, %d already committed, %d to run%n",
                config.name(), config.points().size(), config.seedCount(), all.size(), all.size() - todo.size(),
                todo.size());
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
        for (SeedBlock b : all) {
            if (!fs.exists(layout.block(b.configId(), b.seedStart(), b.seedEnd()))) {
                throw new IOException("block " + b + " is missing after the sweep; not marking it complete");
            }
        }
        fs.delete(layout.tmp(), true);
        Manifest.writeAtomically(fs, layout.sweepComplete(), Manifest.json(java.util.Map.of(
                "blocks", all.size(), "code_version", version, "finished", java.time.Instant.now().toString())));
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("sweep %s: done, %d blocks computed, %d skipped, %.1f s%n", config.name(), computed,
                all.size() - computed, secs);
        return new Summary(all.size(), computed, all.size() - computed, secs);
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
     * Builds the config's model on the driver and runs one forward pass through its family, so that a network that
     * does not fit (a PSLD process on a one-image network, a wrong channel count) is refused in one line before
     * anything is written.
     */
    static void probeModel(SweepConfig config, Configuration conf) {
        try {
            org.diffsweep.family.SampleModel model = org.diffsweep.spark.ModelCache.model(config.model(),
                    config.family(), new HadoopConf(conf));
            config.family().probe(model);
        } catch (IllegalArgumentException e) {
            throw new org.diffsweep.config.ConfigException(config.name() + ": " + e.getMessage());
        }
    }

    /** Whether the sweep's output is complete for this config. */
    public static boolean complete(SparkSession spark, SweepConfig config) throws IOException {
        config = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        SweepLayout layout = new SweepLayout(config.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!fs.exists(layout.sweepComplete())) {
            return false;
        }
        Manifest.writeOrCheck(config, layout, conf, CodeVersion.get());
        return true;
    }
}
