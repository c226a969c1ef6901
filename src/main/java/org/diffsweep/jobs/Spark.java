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
        requireMasterUrl(conf.get("spark.master"), master != null ? "--master" : "spark.master");
        conf.setIfMissing("spark.app.name", appName);
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.sql.shuffle.partitions", "4");
        }
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        session.sparkContext().setLogLevel(System.getProperty("diffsweep.spark.log", "WARN"));
        return session;
    }

    private static final java.util.regex.Pattern BUILT_IN_MASTERS = java.util.regex.Pattern.compile(
            "local|local\\[(\\*|[1-9][0-9]*)( *, *[0-9]+)?]|local-cluster\\[[0-9]+, *[0-9]+, *[0-9]+]"
                    + "|spark://[^/\\s]+(,[^/\\s]+)*");

    /**
     * Refuses, before Spark starts (and logs a page of its own errors), a master URL that neither Spark itself nor a
     * cluster manager on the class path (YARN, Kubernetes) accepts.
     *
     * @throws ConfigException naming the URL and the forms expected
     */
    static void requireMasterUrl(String url, String option) {
        if (BUILT_IN_MASTERS.matcher(url).matches()) {
            return;
        }
        for (org.apache.spark.scheduler.ExternalClusterManager m : java.util.ServiceLoader.load(
                org.apache.spark.scheduler.ExternalClusterManager.class, Spark.class.getClassLoader())) {
            if (m.canCreate(url)) {
                return;
            }
        }
        throw new org.diffsweep.config.ConfigException(option + " " + url + ": not a Spark master URL, expected "
                + "local[*], local[N], spark://HOST:PORT, or yarn / k8s://URL where their Spark modules are on the "
                + "class path");
    }
}
