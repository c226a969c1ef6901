package org.diffsweep.jobs;

import java.io.IOException;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;

/** The {@code run} job: sweep → fid from one YAML, skipping a stage whose complete output already exists. */
public final class RunJob {

    private RunJob() {
    }

    /** What ran. */
    public record Outcome(boolean sweepRan, boolean fidRan, List<FidJob.Entry> table) {
    }

    public static Outcome run(SparkSession spark, SweepConfig config, int partitions) throws IOException {
        config = org.diffsweep.spark.ModelFiles.resolve(config, spark.sparkContext().hadoopConfiguration());
        boolean sweepRan = false;
        if (SweepJob.complete(spark, config)) {
            System.out.println("run " + config.name() + ": sweep output complete, skipping the sweep");
        } else {
            SweepJob.run(spark, config, partitions);
            sweepRan = true;
        }
        if (!sweepRan && FidJob.complete(spark, config)) {
            System.out.println("run " + config.name() + ": fid table complete, skipping fid");
            System.out.println();
            System.out.print(FidJob.readMarkdown(spark, config));
            return new Outcome(false, false, List.of());
        }
        return new Outcome(sweepRan, true, FidJob.run(spark, config));
    }
}
