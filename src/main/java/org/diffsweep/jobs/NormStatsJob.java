package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.report.BandPlot;
import org.diffsweep.sampler.Euler;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SeedShards;
import org.diffsweep.stats.NormStats;
import org.diffsweep.stats.NormTable;

/**
 * The {@code norm-stats} job (docs/offline-statistics.md, DEIS-SN norm statistics): the config's model, Euler (= DEIS
 * order 1) on a fine grid of the config's process, seeds sharded across executors; every shard sums |ε| per step and
 * writes its sums as Parquet rows ({@link #SHARD_SCHEMA}, one row per shard and step) to {@code X.shards.parquet} next
 * to the table {@code X.csv}. The table is reduced from that Parquet (exactly, so in any order and for any
 * partitioning) to the DEIS-SN table r(σ) with its standard errors and end truncation, written as the CSV that
 * {@code deis-sn}'s {@code norm:} reads, with the plot {@code X.png} of r(σ) ± 2 SE. All of them on any Hadoop path
 * (local, {@code file:}, {@code hdfs://}, {@code s3a://}), committed as the sweep commits its blocks
 * (see {@link #run}).
 */
public final class NormStatsJob {

    /**
     * The per-shard rows: the shard (its first seed and number of seeds), the step and its σ, the shard's sums
     * Σ|ε|, Σε², Σm_s, Σm_s² (see {@link NormStats}) rounded to doubles, the samples n and D; then the same four
     * sums exactly, as decimal strings ({@link BigDecimal#toString}), from which the table is reduced — so it does
     * not depend on how the seeds were sharded either.
     */
    public static final StructType SHARD_SCHEMA = new StructType()
            .add("shard_first_seed", DataTypes.LongType, false)
            .add("shard_seeds", DataTypes.LongType, false)
            .add("step", DataTypes.IntegerType, false)
            .add("sigma", DataTypes.DoubleType, false)
            .add("sum_abs", DataTypes.DoubleType, false)
            .add("sum_squares", DataTypes.DoubleType, false)
            .add("sum_means", DataTypes.DoubleType, false)
            .add("sum_mean_squares", DataTypes.DoubleType, false)
            .add("samples", DataTypes.LongType, false)
            .add("dim", DataTypes.IntegerType, false)
            .add("sum_abs_exact", DataTypes.StringType, false)
            .add("sum_squares_exact", DataTypes.StringType, false)
            .add("sum_means_exact", DataTypes.StringType, false)
            .add("sum_mean_squares_exact", DataTypes.StringType, false);

    private static final String[] SUMS = {"sum_abs", "sum_squares", "sum_means", "sum_mean_squares"};

    private NormStatsJob() {
    }

    /**
     * Measures the table and writes it with the sweep's commit rules (see {@link OutputFiles}): the shards are
     * written to {@code X.shards.parquet._tmp} and renamed to {@code X.shards.parquet}, whose {@code _COMPLETE}
     * (the plan: model, grid, seeds, shards) is written once they are in; then the plot, and the table {@code X.csv}
     * last, each under a temporary name and renamed. So {@code X.csv} exists only once everything is written.
     *
     * <p>A run whose table is missing reuses the committed shards of the same plan (an earlier run stopped after
     * them: only the reduction and the files after it are redone); shards without their {@code _COMPLETE}, or of
     * another plan, and a temporary directory left by an earlier run are replaced. A run whose table exists measures
     * again and replaces it: the old table is removed before its shards are replaced, so a table never stands beside
     * shards it was not reduced from.
     *
     * @param sigmas     the fine grid (ending at σ = 0, whose level is never evaluated)
     * @param seeds      seeds from the config's first seed
     * @param shard      seeds per task
     * @param truncation the number of end points replaced (docs/offline-statistics.md, Truncation; default 5)
     * @param out        the table {@code X.csv}, a Hadoop path (qualified here: a path without a scheme is on the
     *                   default file system); {@code X.shards.parquet} and {@code X.png} are written beside it
     * @throws ConfigException if {@code out} or its siblings cannot be written or replaced
     */
    public static NormTable run(SparkSession spark, SweepConfig config, double[] sigmas, String gridLabel,
                                long seeds, int shard, int partitions, int truncation, String out) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        out = OutputFiles.qualify(out, conf);
        FileSystem fs = checkOutput(conf, out);
        Path table = new Path(out);
        Path shardsDir = new Path(shardsDir(out));
        Path tmp = OutputFiles.tmpDir(shardsDir);
        SweepConfig c = ModelFiles.resolve(config, conf);
        SweepJob.requireUnlabelledNetwork(c, "norm-stats");
        SweepJob.probeModel(c, conf);
        List<long[]> shards = SeedShards.of(c.seedStart(), seeds, shard);
        HadoopConf hadoop = new HadoopConf(conf);
        org.diffsweep.family.EdmFamily edm = c.edmFamily("norm-stats");
        int slices = partitions > 0 ? partitions : shards.size();
        String plan = plan(c, sigmas, seeds, shard);
        System.out.printf("norm-stats %s: model %s, Euler on %s (%d steps), %d seeds in %d shards%n", c.name(),
                c.model().id(), gridLabel, sigmas.length - 1, seeds, shards.size());
        OutputFiles.clearTemporary(fs, List.of(out, sibling(out, ".png")), List.of(shardsDir));
        NormStats stats = fs.exists(table) ? null : committedShards(spark, fs, shardsDir, plan, sigmas, seeds);
        if (stats != null) {
            System.out.printf("norm-stats %s: %s holds the committed shards of this plan (an earlier run stopped "
                    + "before its table); reducing them%n", c.name(), shardsDir);
        } else {
            Progress progress = new Progress("norm-stats " + c.name(), slices);
            spark.sparkContext().addSparkListener(progress);
            boolean written = false;
            try {
                JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(shards, slices)
                        .flatMap(range -> {
                            Denoiser model = edm.denoiser(ModelCache.model(c.model(), edm, hadoop));
                            NormStats s = NormStats.collect(model, new Euler(), sigmas, SeedShards.seeds(range));
                            return s.rows(range[0], range[1] - range[0]).stream().map(NormStatsJob::row).iterator();
                        });
                spark.createDataFrame(rows, SHARD_SCHEMA).write().parquet(tmp.toString());
                written = true;
            } finally {
                spark.sparkContext().removeSparkListener(progress);
                if (!written) {
                    fs.delete(tmp, true);
                }
            }
            OutputFiles.delete(fs, table);
            OutputFiles.commitDir(fs, tmp, shardsDir);
            stats = read(spark, shardsDir, sigmas);
            if (stats.samples(0) != seeds) {
                throw new IOException("norm-stats: " + shardsDir + " holds rows for " + stats.samples(0) + " seeds, "
                        + "expected " + seeds + " (" + shards.size() + " shards)");
            }
            Manifest.writeAtomically(fs, new Path(shardsDir, COMPLETE), plan);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", c.model().id());
        meta.put("sampler", "euler");
        meta.put("grid", gridLabel);
        meta.put("seeds", c.seedStart() + "-" + (c.seedStart() + seeds - 1));
        meta.put("code_version", CodeVersion.get());
        meta.put("shards", shardsDir.toString());
        NormTable result = stats.table(truncation).withMetadata(meta);
        Process process = edm.processObject();
        OutputFiles.write(fs, new Path(sibling(out, ".png")), o -> plot(result, c.model().id(), gridLabel, o));
        OutputFiles.write(fs, table, o -> result.write(o, process, table.toString()));
        System.out.printf("norm-stats %s: r from %.4f (sigma %.3g) to %.4f (sigma %.3g), truncation k = %d, written to "
                        + "%s (+ .shards.parquet, .png) (%.1f s)%n", c.name(), result.values()[0],
                result.sigmas()[0], result.values()[result.values().length - 1],
                result.sigmas()[result.sigmas().length - 1], truncation, out, (System.nanoTime() - t0) / 1e9);
        return result;
    }

    /** The shards' commit marker, written last into {@code X.shards.parquet}: the plan they were measured for. */
    static final String COMPLETE = "_COMPLETE";

    /** What the shards are a measurement of: the model, the grid, the seeds and how they were sharded. */
    static String plan(SweepConfig c, double[] sigmas, long seeds, int shard) {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("model", c.model().id());
        plan.put("process", c.family().process());
        plan.put("sigmas", sigmas);
        plan.put("seed_start", c.seedStart());
        plan.put("seeds", seeds);
        plan.put("shard", shard);
        return Manifest.json(plan);
    }

    /**
     * The sums of committed shards of this plan, or null if there are none: no {@code _COMPLETE}, another plan, or
     * rows that do not make up the plan's seeds (then they are measured again).
     */
    private static NormStats committedShards(SparkSession spark, FileSystem fs, Path shardsDir, String plan,
                                             double[] sigmas, long seeds) throws IOException {
        Path complete = new Path(shardsDir, COMPLETE);
        if (!fs.exists(complete)) {
            return null;
        }
        String committed;
        try (java.io.InputStream in = fs.open(complete)) {
            committed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (!committed.equals(plan)) {
            return null;
        }
        try {
            NormStats stats = read(spark, shardsDir, sigmas);
            return stats.samples(0) == seeds ? stats : null;
        } catch (RuntimeException e) {
            System.out.printf("norm-stats: the shards in %s cannot be reduced (%s); measuring again%n", shardsDir,
                    OutputFiles.firstLine(e));
            return null;
        }
    }

    /** {@code X.shards.parquet} for the table {@code X.csv} (a qualified path). */
    public static String shardsDir(String out) {
        return sibling(out, ".shards.parquet");
    }

    /** {@code X<suffix>} beside {@code X.csv} ({@code out<suffix>} if out does not end in .csv). */
    private static String sibling(String out, String suffix) {
        return OutputFiles.sibling(out, ".csv", suffix);
    }

    /**
     * Checks, before anything runs, that the table, its plot and its shards can be written: the file system must
     * be reachable and the directory writable (it is made if missing), the table and plot must be files if they
     * exist, and an existing shards directory (or a temporary one left by a failed run) must look like one this job
     * wrote — only Spark's part files and markers, and this job's {@code _COMPLETE} — so that it can be replaced.
     *
     * @param out the table, qualified
     * @return its file system
     * @throws ConfigException one line naming the path and what was expected
     */
    public static FileSystem checkOutput(Configuration conf, String out) {
        String what = "norm-stats --out " + out;
        FileSystem fs = OutputFiles.requireWritable(conf, what, out, List.of(out, sibling(out, ".png")));
        Path shards = new Path(shardsDir(out));
        List<String> markers = List.of(COMPLETE, "_" + COMPLETE + ".tmp");
        OutputFiles.requireReplaceable(fs, what, shards, false, markers);
        OutputFiles.requireReplaceable(fs, what, OutputFiles.tmpDir(shards), true, List.of());
        return fs;
    }

    private static Row row(NormStats.ShardRow r) {
        return RowFactory.create(r.firstSeed(), r.seeds(), r.step(), r.sigma(), r.sumAbs().doubleValue(),
                r.sumSquares().doubleValue(), r.sumMeans().doubleValue(), r.sumMeanSquares().doubleValue(),
                r.samples(), r.dim(), r.sumAbs().toString(), r.sumSquares().toString(), r.sumMeans().toString(),
                r.sumMeanSquares().toString());
    }

    /**
     * The shards' sums read back from their Parquet and merged exactly on the driver (shards × steps rows).
     *
     * @throws IllegalArgumentException if the rows do not fit the grid (see {@link NormStats#fromRows}) or an
     *                                  exact sum does not round to its double column
     */
    static NormStats read(SparkSession spark, Path shardsDir, double[] sigmas) {
        List<Row> rows = spark.read().parquet(shardsDir.toString()).select(columns()).collectAsList();
        List<NormStats.ShardRow> shardRows = new ArrayList<>(rows.size());
        for (Row r : rows) {
            BigDecimal[] sums = new BigDecimal[SUMS.length];
            for (int j = 0; j < SUMS.length; j++) {
                String at = shardsDir + ": shard " + r.getLong(0) + ", step " + r.getInt(2) + ": " + SUMS[j];
                try {
                    sums[j] = new BigDecimal(r.getString(10 + j));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(at + "_exact '" + r.getString(10 + j)
                            + "', expected a decimal number");
                }
                if (Double.compare(sums[j].doubleValue(), r.getDouble(4 + j)) != 0) {
                    throw new IllegalArgumentException(at + " = " + r.getDouble(4 + j) + ", expected " + SUMS[j]
                            + "_exact rounded (" + sums[j].doubleValue() + ")");
                }
            }
            shardRows.add(new NormStats.ShardRow(r.getLong(0), r.getLong(1), r.getInt(2), r.getDouble(3), sums[0],
                    sums[1], sums[2], sums[3], r.getLong(8), r.getInt(9)));
        }
        return NormStats.fromRows(sigmas, shardRows);
    }

    private static org.apache.spark.sql.Column[] columns() {
        String[] names = SHARD_SCHEMA.fieldNames();
        org.apache.spark.sql.Column[] cols = new org.apache.spark.sql.Column[names.length];
        for (int i = 0; i < names.length; i++) {
            cols[i] = org.apache.spark.sql.functions.col(names[i]);
        }
        return cols;
    }

    /** r(σ) with the band r ± 2 SE, the large-σ value √(2/π) and the truncated end rows shaded. */
    public static void plot(NormTable table, String modelId, String gridLabel, OutputStream o) throws IOException {
        double[] sigma = table.sigmas();
        double[] r = table.values();
        double[] se = table.standardErrors();
        double[] lower = new double[r.length];
        double[] upper = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            double half = Double.isFinite(se[i]) ? 2 * se[i] : 0;
            lower[i] = r[i] - half;
            upper[i] = r[i] + half;
        }
        int n = sigma.length;
        int k = table.truncation();
        List<BandPlot.Span> spans = k == 0 ? List.of()
                : List.of(new BandPlot.Span("truncated: last " + k + " points", sigma[n - 1], sigma[n - k - 1]));
        BandPlot.Band band = new BandPlot.Band("r(sigma) = mean |eps| +/- 2 SE (n = " + table.samples() + ")", sigma, r,
                lower, upper);
        BandPlot.write("DEIS-SN r(sigma): " + modelId, "Euler on " + gridLabel, "sigma", "r = mean |eps|", band,
                List.of(new BandPlot.Reference("sqrt(2/pi) = 0.798 (E|N(0,1)|)", Math.sqrt(2 / Math.PI))), spans,
                true, o);
    }
}
