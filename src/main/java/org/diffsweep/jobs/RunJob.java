package org.diffsweep.jobs;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;

/**
 * The {@code run} job: sweep → fid (→ metrics, when the config has a {@code metrics:} key) from one YAML, skipping a
 * stage whose complete output already exists, then the HTML report of it all ({@link ReportJob}, always rewritten).
 */
public final class RunJob {

    /** The norm-stats settings {@code run} uses for a missing DEIS-SN table (docs/offline-statistics.md). */
    static final int NORM_STEPS = 1000;
    static final long NORM_SEEDS = 1024;

    /** The schedule-job settings {@code run} uses for a missing score-optimal schedule (the command's defaults). */
    static final int SCHEDULE_POINTS = 400;
    static final long SCHEDULE_SEEDS = 1024;

    private RunJob() {
    }

    /**
     * What ran.
     *
     * @param sweepRan   the sweep computed features (a sweep that only exported samples of committed blocks leaves
     *                   the features, and so the fid and metrics tables, as they were)
     * @param metricsRan the metrics stage ran (false also when the config has no metrics: key)
     */
    public record Outcome(boolean sweepRan, boolean fidRan, boolean metricsRan, List<FidJob.Entry> table) {
    }

    public static Outcome run(SparkSession spark, SweepConfig config, int partitions) throws IOException {
        config = org.diffsweep.spark.ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        // Model, detector and reference are checked before the statistics jobs spend anything on them.
        SweepJob.validateOnDriver(config, spark.sparkContext().hadoopConfiguration());
        MetricsJob.validate(config, spark.sparkContext().hadoopConfiguration());
        // One run per output directory: a second one is refused here, before it computes or writes anything.
        try (org.diffsweep.spark.OutputLock lock = Spark.lockOutput(spark, config, "run")) {
            return runHeld(spark, config, partitions);
        }
    }

    private static Outcome runHeld(SparkSession spark, SweepConfig config, int partitions) throws IOException {
        for (String table : config.pendingNormTables()) {
            System.out.printf("run %s: norm table %s does not exist; making it (norm-stats: Euler, %d steps, %d seeds)%n",
                    config.name(), table, NORM_STEPS, NORM_SEEDS);
            org.diffsweep.schedule.TimeGrid grid = config.edmFamily("norm-stats").normStatsGrid();
            NormStatsJob.run(spark, config, grid.sigmas(NORM_STEPS), grid.describe() + " " + NORM_STEPS + " steps",
                    NORM_SEEDS, 256, 0, 5, table);
        }
        for (Map.Entry<String, int[]> schedule : config.pendingSchedules().entrySet()) {
            System.out.printf("run %s: schedule %s does not exist; making it (schedule: %d fine levels, %d seeds, "
                    + "steps %s)%n", config.name(), schedule.getKey(), SCHEDULE_POINTS, SCHEDULE_SEEDS,
                    java.util.Arrays.toString(schedule.getValue()));
            ScheduleJob.run(spark, config, SCHEDULE_POINTS, SCHEDULE_SEEDS, 256, 0, schedule.getValue(),
                    schedule.getKey());
        }
        config = config.withNeedsMet();
        boolean sweepRan = false;
        if (SweepJob.complete(spark, config)) {
            System.out.println("run " + config.name() + ": sweep output complete, skipping the sweep");
            boolean fidDone = FidJob.complete(spark, config);
            boolean metricsDone = config.metrics() == null || MetricsJob.complete(spark, config);
            // A later stage reads the blocks: a corrupt one is removed and computed again, not a failed run.
            if ((!fidDone || !metricsDone) && SweepJob.removeCorrupt(spark, config) > 0) {
                System.out.println("run " + config.name() + ": sweeping again for the removed blocks");
                SweepJob.run(spark, config, partitions);
                sweepRan = true;
            }
        } else {
            // An export added to a finished sweep samples committed blocks again for their images only: their
            // features are not rewritten, so the tables reduced from them stay valid.
            sweepRan = SweepJob.run(spark, config, partitions).newFeatures() > 0;
        }
        boolean fidRan = false;
        List<FidJob.Entry> table = List.of();
        if (!sweepRan && FidJob.complete(spark, config)) {
            System.out.println("run " + config.name() + ": fid table complete, skipping fid");
            System.out.println();
            System.out.print(FidJob.readMarkdown(spark, config));
        } else {
            fidRan = true;
            table = FidJob.run(spark, config);
        }
        boolean metricsRan = false;
        if (config.metrics() != null) {
            if (!sweepRan && MetricsJob.complete(spark, config)) {
                System.out.println("run " + config.name() + ": metrics table complete, skipping metrics");
                System.out.println();
                System.out.print(MetricsJob.readMarkdown(spark, config));
            } else {
                MetricsJob.run(spark, config);
                metricsRan = true;
            }
        }
        ReportJob.run(spark.sparkContext().hadoopConfiguration(), config);
        return new Outcome(sweepRan, fidRan, metricsRan, table);
    }
}
