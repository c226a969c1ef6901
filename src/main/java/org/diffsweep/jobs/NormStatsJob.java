package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
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
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SeedShards;
import org.diffsweep.stats.NormStats;
import org.diffsweep.stats.NormTable;

/**
 * The {@code norm-stats} job (SPEC §5): the config's model, Euler (= DEIS order 1) on a fine grid of the config's
 * process, seeds sharded across executors; every shard sums |ε| per step and writes its sums as Parquet rows
 * ({@link #SHARD_SCHEMA}, one row per shard and step) to {@code X.shards.parquet} next to the table
 * {@code X.csv}. The table is reduced from that Parquet (exactly, so in any order and for any partitioning) to the
 * DEIS-SN table r(σ) with its standard errors and end truncation, written as the CSV that {@code deis-sn}'s
 * {@code norm:} reads, with the plot {@code X.png} of r(σ) ± 2 SE.
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
     * @param sigmas     the fine grid (ending at σ = 0, whose level is never evaluated)
     * @param seeds      seeds from the config's first seed
     * @param shard      seeds per task
     * @param truncation the number of end points replaced (SPEC §5, default 5)
     * @param out        the table, {@code X.csv}; {@code X.shards.parquet} and {@code X.png} are written beside it
     * @throws ConfigException if {@code out} or its siblings cannot be written or replaced
     */
    public static NormTable run(SparkSession spark, SweepConfig config, double[] sigmas, String gridLabel,
                                long seeds, int shard, int partitions, int truncation, Path out) throws IOException {
        long t0 = System.nanoTime();
        checkOutput(out);
        Path shardsDir = shardsDir(out);
        Path tmp = tmpDir(out);
        SweepConfig c = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        List<long[]> shards = SeedShards.of(c.seedStart(), seeds, shard);
        HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        org.diffsweep.family.EdmFamily edm = c.edmFamily("norm-stats");
        int slices = partitions > 0 ? partitions : shards.size();
        System.out.printf("norm-stats %s: model %s, Euler on %s (%d steps), %d seeds in %d shards%n", c.name(),
                c.model().id(), gridLabel, sigmas.length - 1, seeds, shards.size());
        FileSystem fs = FileSystem.get(tmp.toUri(), spark.sparkContext().hadoopConfiguration());
        delete(fs, tmp);
        Progress progress = new Progress("norm-stats " + c.name(), slices);
        spark.sparkContext().addSparkListener(progress);
        boolean written = false;
        try {
            JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(shards, slices)
                    .flatMap(range -> {
                        Denoiser model = edm.denoiser(ModelCache.model(c.model(), edm, hadoop));
                        NormStats stats = NormStats.collect(model, new Euler(), sigmas, SeedShards.seeds(range));
                        return stats.rows(range[0], range[1] - range[0]).stream().map(NormStatsJob::row).iterator();
                    });
            spark.createDataFrame(rows, SHARD_SCHEMA).write().parquet(tmp.toUri().toString());
            written = true;
        } finally {
            spark.sparkContext().removeSparkListener(progress);
            if (!written) {
                fs.delete(new org.apache.hadoop.fs.Path(tmp.toUri()), true);
            }
        }
        delete(fs, shardsDir);
        if (!fs.rename(new org.apache.hadoop.fs.Path(tmp.toUri()), new org.apache.hadoop.fs.Path(shardsDir.toUri()))) {
            throw new IOException("norm-stats: could not rename " + tmp + " to " + shardsDir);
        }

        NormStats stats = read(spark, shardsDir, sigmas);
        if (stats.samples(0) != seeds) {
            throw new IOException("norm-stats: " + shardsDir + " holds rows for " + stats.samples(0) + " seeds, "
                    + "expected " + seeds + " (" + shards.size() + " shards)");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", c.model().id());
        meta.put("sampler", "euler");
        meta.put("grid", gridLabel);
        meta.put("seeds", c.seedStart() + "-" + (c.seedStart() + seeds - 1));
        meta.put("code_version", CodeVersion.get());
        meta.put("shards", shardsDir.toString());
        NormTable table = stats.table(truncation).withMetadata(meta);
        Path png = sibling(out, ".png");
        plot(table, c.model().id(), gridLabel, png);
        table.write(out, edm.processObject());
        System.out.printf("norm-stats %s: r from %.4f (sigma %.3g) to %.4f (sigma %.3g), truncation k = %d, written to "
                        + "%s (+ .shards.parquet, .png) (%.1f s)%n", c.name(), table.values()[0], table.sigmas()[0],
                table.values()[table.values().length - 1], table.sigmas()[table.sigmas().length - 1], truncation,
                out, (System.nanoTime() - t0) / 1e9);
        return table;
    }

    /** {@code X.shards.parquet} for the table {@code X.csv} (absolute). */
    public static Path shardsDir(Path out) {
        return sibling(out, ".shards.parquet");
    }

    private static Path tmpDir(Path out) {
        return sibling(out, ".shards.parquet._tmp");
    }

    /** {@code X<suffix>} beside {@code X.csv}, absolute ({@code out<suffix>} if out does not end in .csv). */
    private static Path sibling(Path out, String suffix) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName().toString().replaceFirst("\\.csv$", "") + suffix);
    }

    /**
     * Checks, before anything runs, that the table, its plot and its shards can be written: the directory is
     * created if missing and must be writable, the table and plot must be files if they exist, and an existing
     * shards directory (or a temporary one left by a failed run) must look like one this job wrote — only Spark's
     * part files and markers — and be removable.
     *
     * @throws ConfigException one line naming the path and what was expected
     */
    public static void checkOutput(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException("norm-stats --out " + out + ": cannot create the directory " + dir + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "), expected a writable directory");
        }
        if (!Files.isWritable(dir)) {
            throw new ConfigException("norm-stats --out " + out + ": " + dir + " is not writable, expected a "
                    + "writable directory");
        }
        for (Path file : new Path[] {abs, sibling(out, ".png")}) {
            if (Files.exists(file) && (!Files.isRegularFile(file) || !Files.isWritable(file))) {
                throw new ConfigException("norm-stats --out " + out + ": " + file + " exists and is "
                        + (Files.isRegularFile(file) ? "not writable" : "not a file") + ", expected a writable file "
                        + "(or none)");
            }
        }
        for (Path shards : new Path[] {shardsDir(out), tmpDir(out)}) {
            if (!Files.exists(shards)) {
                continue;
            }
            String problem = null;
            if (!Files.isDirectory(shards)) {
                problem = "is not a directory";
            } else if (!Files.isWritable(shards)) {
                problem = "is not writable";
            } else {
                try (Stream<Path> entries = Files.list(shards)) {
                    Path foreign = entries.filter(p -> !Files.isRegularFile(p) || !sparkOutput(p.getFileName()
                            .toString())).findFirst().orElse(null);
                    if (foreign != null) {
                        problem = "holds " + foreign.getFileName() + ", which is not Spark's Parquet output";
                    }
                } catch (IOException e) {
                    problem = "cannot be listed (" + e.getMessage() + ")";
                }
            }
            if (problem != null) {
                throw new ConfigException("norm-stats --out " + out + ": " + shards + " from an earlier run " + problem
                        + ", expected a shards directory it can replace (remove it, or choose another --out)");
            }
        }
    }

    /** Whether a file name is one Spark's Parquet writer leaves in its output directory. */
    private static boolean sparkOutput(String name) {
        return name.startsWith("part-") || name.startsWith(".part-") || name.equals("_SUCCESS")
                || name.equals("._SUCCESS.crc");
    }

    /** Removes a directory {@link #checkOutput} accepted. */
    private static void delete(FileSystem fs, Path dir) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir.toUri());
        if (fs.exists(p) && !fs.delete(p, true)) {
            throw new ConfigException("norm-stats: cannot remove " + dir + " from an earlier run, expected a "
                    + "removable directory (remove it, or choose another --out)");
        }
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
        List<Row> rows = spark.read().parquet(shardsDir.toUri().toString()).select(columns()).collectAsList();
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
    public static void plot(NormTable table, String modelId, String gridLabel, Path png) throws IOException {
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
        try (OutputStream o = Files.newOutputStream(png)) {
            BandPlot.write("DEIS-SN r(sigma): " + modelId, "Euler on " + gridLabel, "sigma", "r = mean |eps|", band,
                    List.of(new BandPlot.Reference("sqrt(2/pi) = 0.798 (E|N(0,1)|)", Math.sqrt(2 / Math.PI))), spans,
                    true, o);
        }
    }
}
