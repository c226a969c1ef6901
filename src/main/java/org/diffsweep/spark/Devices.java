package org.diffsweep.spark;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The device a task runs its networks on: the first GPU address Spark's resource scheduling gave the task
 * ({@code spark.executor.resource.gpu.amount}, {@code spark.task.resource.gpu.amount}), else the CPU.
 */
public final class Devices {

    private Devices() {
    }

    /** From a task's resources (name → addresses): {@code gpu:N} for the first GPU address, else {@code cpu}. */
    public static String choose(Map<String, String[]> resources) {
        String[] gpus = resources.get("gpu");
        if (gpus == null || gpus.length == 0) {
            return "cpu";
        }
        try {
            return "gpu:" + Integer.parseInt(gpus[0].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("task GPU address '" + gpus[0] + "', expected a device number");
        }
    }

    /** The device of the current Spark task (CPU outside a task). */
    public static String forCurrentTask() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return "cpu";
        }
        java.util.HashMap<String, String[]> resources = new java.util.HashMap<>();
        scala.collection.Iterator<scala.Tuple2<String, ResourceInformation>> it = task.resources().iterator();
        while (it.hasNext()) {
            scala.Tuple2<String, ResourceInformation> e = it.next();
            resources.put(e._1(), e._2().addresses());
        }
        return choose(resources);
    }
}
