package org.diffsweep.jobs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.sampler.Euler;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SeedShards;
import org.diffsweep.stats.NormStats;
import org.diffsweep.stats.NormTable;

/**
 * The {@code norm-stats} job (SPEC §5): the config's model, Euler (= DEIS order 1) on a fine grid of the config's
 * process, seeds sharded across executors; every shard sums |ε| per step, the shards are merged (exactly, in any
 * order) and reduced to the DEIS-SN table r(σ) with its standard errors and end truncation, written as the CSV
 * that {@code deis-sn}'s {@code norm:} reads.
 */
public final class NormStatsJob {

    private NormStatsJob() {
    }

    /**
     * @param sigmas     the fine grid (ending at σ = 0, whose level is never evaluated)
     * @param seeds      seeds from the config's first seed
     * @param shard      seeds per task
     * @param truncation the number of end points replaced (SPEC §5, default 5)
     */
    public static NormTable run(SparkSession spark, SweepConfig config, double[] sigmas, String gridLabel,
                                long seeds, int shard, int partitions, int truncation, Path out) throws IOException {
        long t0 = System.nanoTime();
        SweepConfig c = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        List<long[]> shards = SeedShards.of(c.seedStart(), seeds, shard);
        HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        Process process = c.process();
        int slices = partitions > 0 ? partitions : shards.size();
        System.out.printf("norm-stats %s: model %s, Euler on %s (%d steps), %d seeds in %d shards%n", c.name(),
                c.model().id(), gridLabel, sigmas.length - 1, seeds, shards.size());
        Progress progress = new Progress("norm-stats " + c.name(), slices);
        spark.sparkContext().addSparkListener(progress);
        NormStats stats;
        try {
            stats = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(shards, slices)
                    .map(range -> {
                        Denoiser model = ModelCache.denoiser(c.model(), process, hadoop);
                        return NormStats.collect(model, new Euler(), sigmas, SeedShards.seeds(range));
                    })
                    .treeAggregate(null, NormStatsJob::merge, NormStatsJob::merge, 2);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", c.model().id());
        meta.put("sampler", "euler");
        meta.put("grid", gridLabel);
        meta.put("seeds", c.seedStart() + "-" + (c.seedStart() + seeds - 1));
        meta.put("code_version", CodeVersion.get());
        NormTable table = stats.table(truncation).withMetadata(meta);
        table.write(out, process);
        System.out.printf("norm-stats %s: r from %.4f (sigma %.3g) to %.4f (sigma %.3g), truncation k = %d, written to "
                        + "%s (%.1f s)%n", c.name(), table.values()[0], table.sigmas()[0],
                table.values()[table.values().length - 1], table.sigmas()[table.sigmas().length - 1], truncation,
                out, (System.nanoTime() - t0) / 1e9);
        return table;
    }

    private static NormStats merge(NormStats a, NormStats b) {
        return a == null ? b : b == null ? a : a.merge(b);
    }
}
