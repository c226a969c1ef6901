package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
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
 * The {@code schedule} job (SPEC §7): the corrector cost L(σ_j, σ_{j+1}) on a fine grid, estimated along Euler
 * trajectories of the config's model with seeds sharded across executors, merged exactly; then the score-optimal
 * N-step schedules for the requested step counts, written in the {@code file} grid format, with the cost curve
 * (CSV) and a PNG plot of the cost and of the schedules against the edm ρ=7 grid.
 */
public final class ScheduleJob {

    private ScheduleJob() {
    }

    public static ScoreOptimalSchedule run(SparkSession spark, SweepConfig config, int points, long seeds, int shard,
                                           int partitions, int[] steps, Path out) throws IOException {
        long t0 = System.nanoTime();
        SweepConfig c = ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        org.diffsweep.family.EdmFamily edm = c.edmFamily("schedule");
        double sigmaMin = edm.processObject().sigmaMin();
        double sigmaMax = edm.processObject().sigmaMax();
        double[] levels = CorrectorCost.edmLevels(sigmaMin, sigmaMax, 7, points);
        List<long[]> shards = SeedShards.of(c.seedStart(), seeds, shard);
        HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        int slices = partitions > 0 ? partitions : shards.size();
        System.out.printf("schedule %s: model %s, corrector cost on %d edm(rho=7) levels, %d seeds in %d shards%n",
                c.name(), c.model().id(), points, seeds, shards.size());
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
        ScoreOptimalSchedule schedule = ScoreOptimalSchedule.of(cost);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", c.model().id());
        meta.put("process", c.family().process());
        meta.put("seeds", c.seedStart() + "-" + (c.seedStart() + seeds - 1));
        meta.put("code_version", CodeVersion.get());
        Files.createDirectories(out.toAbsolutePath().getParent());
        schedule.write(out, steps, meta);
        String base = out.toString().replaceFirst("\\.csv$", "");
        cost.writeCsv(Path.of(base + "-cost.csv"), meta);
        plot(cost, schedule, steps, sigmaMin, sigmaMax, c.model().id(), Path.of(base + ".png"));
        System.out.printf("schedule %s: path length %.4g; schedules for %s steps written to %s (+ -cost.csv, .png), "
                + "%.1f s%n", c.name(), schedule.totalLength(), java.util.Arrays.toString(steps), out,
                (System.nanoTime() - t0) / 1e9);
        return schedule;
    }

    private static void plot(CorrectorCost cost, ScoreOptimalSchedule schedule, int[] steps, double sigmaMin,
                             double sigmaMax, String modelId, Path png) throws IOException {
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
        try (OutputStream o = Files.newOutputStream(png)) {
            org.diffsweep.report.BandPlot.write("Corrector cost on the fine grid: " + modelId,
                    (x.length) + " edm(rho=7) intervals; the schedules spread it evenly", "sigma_j",
                    "L(sigma_j, sigma_j+1)", new org.diffsweep.report.BandPlot.Band(
                            "corrector cost +/- 2 SE", x, c, lower, upper), List.of(), List.of(), true, o);
        }
        Path gridsPng = Path.of(png.toString().replaceFirst("\\.png$", "-grid.png"));
        try (OutputStream o = Files.newOutputStream(gridsPng)) {
            Plots.lines("Noise levels by step", "step i", "sigma_i", grids, false, true, o);
        }
    }

    private static CorrectorCost merge(CorrectorCost a, CorrectorCost b) {
        return a == null ? b : b == null ? a : a.merge(b);
    }
}
