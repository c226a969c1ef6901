package org.diffsweep.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of a job: {@code spark.master} from the usual places (spark-submit, system properties,
 * {@code --master}), Spark's local mode on all cores when none is set.
 */
public final class Spark {

    private Spark() {
    }

    /**
     * Takes the lock of a config's output directory for a job ({@link OutputLock}), with the timeout of
     * {@code spark.diffsweep.lock.timeout}.
     *
     * @throws OutputLock.Held one line naming the holder, if another run holds the output
     */
    public static org.diffsweep.spark.OutputLock lockOutput(SparkSession spark, org.diffsweep.config.SweepConfig config,
                                                           String job) throws java.io.IOException {
        long timeout = spark.sparkContext().getConf().getTimeAsSeconds(org.diffsweep.spark.OutputLock.TIMEOUT_KEY,
                org.diffsweep.spark.OutputLock.DEFAULT_TIMEOUT_S + "s");
        return org.diffsweep.spark.OutputLock.acquire(new org.apache.hadoop.fs.Path(config.output()),
                spark.sparkContext().hadoopConfiguration(), job + " " + config.name(),
                java.time.Duration.ofSeconds(timeout));
    }

    public static SparkSession session(String appName, String master) {
        SparkConf conf = new SparkConf();
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        conf.setIfMissing("spark.app.name", appName);
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.sql.shuffle.partitions", "4");
        }
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        session.sparkContext().setLogLevel(System.getProperty("diffsweep.spark.log", "WARN"));
        return session;
    }
}
