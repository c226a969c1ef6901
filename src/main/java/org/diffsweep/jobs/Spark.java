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
