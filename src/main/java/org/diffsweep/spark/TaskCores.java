package org.diffsweep.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * How many cores a task really has: an executor's cores shared by the tasks it runs at once. In local mode
 * {@code local[N]} runs N tasks at once on this machine's cores, so {@code local[1]} gives its one task every
 * core; on a cluster an executor has {@code spark.executor.cores} (default: the machine's) and runs
 * cores / {@code spark.task.cpus} tasks. {@code spark.diffsweep.threadsPerTask} overrides.
 */
public final class TaskCores {

    private TaskCores() {
    }

    /** The cores of this JVM's executor (all of the machine's in local mode). */
    public static int perExecutor() {
        int machine = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return machine;
        }
        SparkConf conf = env.conf();
        if (isLocal(conf)) {
            return machine;
        }
        return Math.max(1, Math.min(machine, conf.getInt("spark.executor.cores", machine)));
    }

    /** The threads one task should use. */
    public static int perTask() {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return perExecutor();
        }
        SparkConf conf = env.conf();
        if (conf.contains("spark.diffsweep.threadsPerTask")) {
            return Math.max(1, conf.getInt("spark.diffsweep.threadsPerTask", 1));
        }
        int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
        int cores = perExecutor();
        int slots = isLocal(conf) ? localThreads(conf.get("spark.master", "local[*]"), cores) : cores;
        return Math.max(1, cores / Math.max(1, slots / taskCpus));
    }

    private static boolean isLocal(SparkConf conf) {
        return conf.get("spark.master", "local[*]").startsWith("local");
    }

    /** N of local, local[N], local[*], local[N,F]. */
    static int localThreads(String master, int machine) {
        if (master.equals("local")) {
            return 1;
        }
        int open = master.indexOf('[');
        int close = master.indexOf(']');
        if (open < 0 || close < open) {
            return machine;
        }
        String n = master.substring(open + 1, close).split(",")[0].trim();
        if (n.equals("*")) {
            return machine;
        }
        try {
            return Math.max(1, Integer.parseInt(n));
        } catch (NumberFormatException e) {
            return machine;
        }
    }
}
