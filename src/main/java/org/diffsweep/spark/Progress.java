package org.diffsweep.spark;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/** Prints a progress line as the tasks of a stage finish, at most every two seconds and at the end. */
public final class Progress extends SparkListener {

    private final String label;
    private final int tasks;
    private final long start = System.nanoTime();
    private final AtomicInteger done = new AtomicInteger();
    private volatile long lastPrint;

    public Progress(String label, int tasks) {
        this.label = label;
        this.tasks = tasks;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        if (!taskEnd.taskInfo().successful()) {
            return;
        }
        int n = done.incrementAndGet();
        long now = System.nanoTime();
        if (n == tasks || now - lastPrint > 2_000_000_000L) {
            lastPrint = now;
            double secs = (now - start) / 1e9;
            double eta = n == 0 ? 0 : secs / n * (tasks - n);
            System.out.printf("%s: %d/%d tasks (%.0f%%), %.1f s elapsed, ~%.0f s left%n", label, n, tasks,
                    100.0 * n / tasks, secs, eta);
        }
    }
}
