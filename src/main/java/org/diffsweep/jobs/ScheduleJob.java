package org.diffsweep.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.report.Plots;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;
import org.diffsweep.spark.SeedShards;
import org.diffsweep.stats.CorrectorCost;
import org.diffsweep.stats.ScoreOptimalSchedule;

/**
 * The {@code schedule} job (docs/offline-statistics.md, Score-optimal schedules): the corrector cost L(σ_j, σ_{j+1}) on
 * a fine grid, estimated along Euler trajectories of the config's model with seeds sharded across executors, merged
 * exactly; then the score-optimal N-step schedules for the requested step counts, written in the {@code file} grid
 * format, with the cost curve (CSV) and a PNG plot of the cost and of the schedules against the edm ρ=7 grid, to any
 * Hadoop path.
 */
public final class ScheduleJob {

    private ScheduleJob() {
    }

    /**
     * Measures the cost and writes the schedules with the sweep's commit rules (see {@link OutputFiles}): the cost
     * curve {@code X-cost.csv} first, then the plots {@code X.png} and {@code X-grid.png}, and the schedule file
     * {@code X.csv} last, each under a temporary name and renamed; so {@code X.csv} exists only once everything is
     * written.
     *
     * <p>A run whose schedule file is missing reuses a committed cost curve of the same model, process, seeds and
     * fine grid (an earlier run stopped after it; the schedules are computed from the curve's costs, which read back
     * bit for bit). A run whose schedule file exists measures again and replaces it: the old schedule file is
     * removed before its cost curve is replaced.
     *
     * @param out the schedule file {@code X.csv}, a Hadoop path (qualified here: a path without a scheme is on the
     *            default file system)
     * @throws ConfigException if {@code out} or its siblings cannot be written
     */
    public static ScoreOptimalSchedule run(SparkSession spark, SweepConfig config, int points, long seeds, int shard,
                                           int partitions, int[] steps, String out) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        out = OutputFiles.qualify(out, conf);
        FileSystem fs = checkOutput(conf, out);
        Path file = new Path(out);
        Path costFile = new Path(sibling(out, "-cost.csv"));
        SweepConfig c = ModelFiles.resolve(config, conf);
        SweepJob.requireUnlabelledNetwork(c, "schedule");
        SweepJob.probeModel(c, conf);
        org.diffsweep.family.EdmFamily edm = c.edmFamily("schedule");
        double sigmaMin = edm.processObject().sigmaMin();
        double sigmaMax = edm.processObject().sigmaMax();
        double[] levels = CorrectorCost.edmLevels(sigmaMin, sigmaMax, 7, points);
        List<long[]> shards = SeedShards.of(c.seedStart(), seeds, shard);
        HadoopConf hadoop = new HadoopConf(conf);
        int slices = partitions > 0 ? partitions : shards.size();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", c.model().id());
        meta.put("process", c.family().process());
        meta.put("seeds", c.seedStart() + "-" + (c.seedStart() + seeds - 1));
        System.out.printf("schedule %s: model %s, corrector cost on %d edm(rho=7) levels, %d seeds in %d shards%n",
                c.name(), c.model().id(), points, seeds, shards.size());
        OutputFiles.clearTemporary(fs, files(out), List.of());
        CorrectorCost.Curve curve = fs.exists(file) ? null : committedCurve(fs, costFile, meta, levels);
        if (curve != null) {
            System.out.printf("schedule %s: %s holds the cost curve of this model, process, seeds and grid (an "
                    + "earlier run stopped before its schedules); using it%n", c.name(), costFile);
        } else {
            Progress progress = new Progress("schedule " + c.name(), slices);
            spark.sparkContext().addSparkListener(progress);
            CorrectorCost cost;
            try {
                cost = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(shards, slices)
                        .map(range -> {
                            Denoiser model = edm.denoiser(ModelCache.model(c.model(), edm, hadoop));
                            return CorrectorCost.collect(model, levels, SeedShards.seeds(range));
                        })
                        .treeAggregate(null, ScheduleJob::merge, ScheduleJob::merge, 2);
            } finally {
                spark.sparkContext().removeSparkListener(progress);
            }
            Map<String, String> costMeta = new LinkedHashMap<>(meta);
            costMeta.put("code_version", CodeVersion.get());
            OutputFiles.delete(fs, file);
            OutputFiles.write(fs, costFile, o -> cost.writeCsv(o, costFile.toString(), costMeta));
            curve = cost.curve();
        }
        ScoreOptimalSchedule schedule = ScoreOptimalSchedule.of(curve.sigmas(), curve.costs());
        meta.put("code_version", CodeVersion.get());
        plot(fs, curve, schedule, steps, sigmaMin, sigmaMax, c.model().id(), out);
        OutputFiles.write(fs, file, o -> schedule.write(o, file.toString(), steps, meta));
        System.out.printf("schedule %s: path length %.4g; schedules for %s steps written to %s (+ -cost.csv, .png), "
                + "%.1f s%n", c.name(), schedule.totalLength(), java.util.Arrays.toString(steps), out,
                (System.nanoTime() - t0) / 1e9);
        return schedule;
    }

    /**
     * A committed cost curve of this model, process, seeds and fine grid, or null if there is none (missing, of
     * another measurement, or not a cost curve: then it is measured again).
     */
    private static CorrectorCost.Curve committedCurve(FileSystem fs, Path costFile, Map<String, String> meta,
                                                      double[] levels) throws IOException {
        if (!fs.exists(costFile)) {
            return null;
        }
        CorrectorCost.Curve curve;
        try (InputStream in = fs.open(costFile)) {
            curve = CorrectorCost.readCsv(in, costFile.toString());
        } catch (IllegalArgumentException e) {
            System.out.println("schedule: " + e.getMessage() + "; measuring again");
            return null;
        }
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (!e.getValue().equals(curve.metadata().get(e.getKey()))) {
                return null;
            }
        }
        return java.util.Arrays.equals(levels, curve.sigmas()) ? curve : null;
    }

    /**
     * Checks, before anything runs, that the schedule file, its cost curve and its plots can be written: the file
     * system must be reachable, the directory writable (it is made if missing), and each file a file if it exists.
     *
     * @param out the schedule file, qualified
     * @return its file system
     * @throws ConfigException one line naming the path and what was expected
     */
    public static FileSystem checkOutput(Configuration conf, String out) {
        return OutputFiles.requireWritable(conf, "schedule --out " + out, out, files(out));
    }

    /** The files the job writes: the schedules, the cost curve and the two plots. */
    private static List<String> files(String out) {
        return List.of(out, sibling(out, "-cost.csv"), sibling(out, ".png"), sibling(out, "-grid.png"));
    }

    /** {@code X<suffix>} beside {@code X.csv}. */
    private static String sibling(String out, String suffix) {
        return OutputFiles.sibling(out, ".csv", suffix);
    }

    private static void plot(FileSystem fs, CorrectorCost.Curve cost, ScoreOptimalSchedule schedule, int[] steps,
                             double sigmaMin, double sigmaMax, String modelId, String out) throws IOException {
        double[] s = cost.sigmas();
        double[] x = java.util.Arrays.copyOf(s, s.length - 1);
        double[] c = cost.costs();
        double[] se = cost.standardErrors();
        double[] lower = new double[c.length];
        double[] upper = new double[c.length];
        for (int j = 0; j < c.length; j++) {
            double half = Double.isFinite(se[j]) ? 2 * se[j] : 0;
            lower[j] = c[j] - half;
            upper[j] = c[j] + half;
        }
        int n = steps[steps.length - 1];
        double[] opt = schedule.sigmas(n);
        double[] edm = new org.diffsweep.schedule.EdmGrid(sigmaMin, sigmaMax, 7).sigmas(n);
        double[] index = new double[n];
        for (int i = 0; i < n; i++) {
            index[i] = i;
        }
        Map<String, double[][]> grids = new LinkedHashMap<>();
        grids.put("score-optimal, " + n + " steps", new double[][] {index, java.util.Arrays.copyOf(opt, n)});
        grids.put("edm rho=7, " + n + " steps", new double[][] {index, java.util.Arrays.copyOf(edm, n)});
        OutputFiles.write(fs, new Path(sibling(out, ".png")), o -> org.diffsweep.report.BandPlot.write(
                "Corrector cost on the fine grid: " + modelId,
                (x.length) + " edm(rho=7) intervals; the schedules spread it evenly", "sigma_j",
                "L(sigma_j, sigma_j+1)", new org.diffsweep.report.BandPlot.Band(
                        "corrector cost +/- 2 SE", x, c, lower, upper), List.of(), List.of(), true, o));
        OutputFiles.write(fs, new Path(sibling(out, "-grid.png")),
                o -> Plots.lines("Noise levels by step", "step i", "sigma_i", grids, false, true, o));
    }

    private static CorrectorCost merge(CorrectorCost a, CorrectorCost b) {
        return a == null ? b : b == null ? a : a.merge(b);
    }
}
