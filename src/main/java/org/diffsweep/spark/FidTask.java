package org.diffsweep.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.diffsweep.linalg.Lapack;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.JackknifeFid;

/**
 * The fid stage's task: one config's sums from its blocks ({@link ConfigStats}), then its FID against the
 * broadcast reference and its leave-one-group-out FIDs, all on the executor; only these numbers go back to the
 * driver. An executor runs at most as many of these at once as {@code spark.diffsweep.fid.memory} (default 40 %
 * of its heap) holds ({@link ConfigStats#heapBytes}), whatever its task slots, so memory stays bounded for any
 * number of configs; the products of all of them share one pool of the executor's cores.
 */
public final class FidTask implements Function<String, FidTask.Result> {

    private static final long serialVersionUID = 1L;

    /**
     * One config's numbers.
     *
     * @param byClass each class's numbers (by label) when the config was measured by class, else null
     */
    public record Result(String configId, long n, double fid, double[] leaveOneOut, JackknifeFid.Method method,
                         double seconds, ClassResult[] byClass) implements Serializable {
        public Result(String configId, long n, double fid, double[] leaveOneOut, JackknifeFid.Method method,
                      double seconds) {
            this(configId, n, fid, leaveOneOut, method, seconds, null);
        }
    }

    /**
     * One class's numbers: its seeds' count, their FID against the class's reference and the leave-one-group-out
     * FIDs (over the same seed groups as the config's); NaN and none where it has no reference or fewer than 2 seeds,
     * no leave-one-out values where a group left out leaves fewer than 2.
     */
    public record ClassResult(int label, long n, double fid, double[] leaveOneOut) implements Serializable {
    }

    private final SweepLayout layout;
    private final HadoopConf hadoop;
    private final long seedStart;
    private final long seedCount;
    private final int blockSize;
    private final int dim;
    private final int groups;
    private final JackknifeFid.Method method;
    private final Broadcast<FrechetDistance.To> reference;
    private final String column;
    private final Broadcast<FrechetDistance.To[]> classes;

    public FidTask(SweepLayout layout, HadoopConf hadoop, long seedStart, long seedCount, int blockSize, int dim,
                   int groups, JackknifeFid.Method method, Broadcast<FrechetDistance.To> reference) {
        this(layout, hadoop, seedStart, seedCount, blockSize, dim, groups, method, reference, "features");
    }

    /** A task reading the feature column {@code column} (a further detector's {@code features_<name>}). */
    public FidTask(SweepLayout layout, HadoopConf hadoop, long seedStart, long seedCount, int blockSize, int dim,
                   int groups, JackknifeFid.Method method, Broadcast<FrechetDistance.To> reference, String column) {
        this(layout, hadoop, seedStart, seedCount, blockSize, dim, groups, method, reference, column, null);
    }

    /** A task that also measures each class against its reference ({@code classes}: one per label, null: none). */
    public FidTask(SweepLayout layout, HadoopConf hadoop, long seedStart, long seedCount, int blockSize, int dim,
                   int groups, JackknifeFid.Method method, Broadcast<FrechetDistance.To> reference, String column,
                   Broadcast<FrechetDistance.To[]> classes) {
        this.classes = classes;
        this.column = column;
        this.layout = layout;
        this.hadoop = hadoop;
        this.seedStart = seedStart;
        this.seedCount = seedCount;
        this.blockSize = blockSize;
        this.dim = dim;
        this.groups = groups;
        this.method = method;
        this.reference = reference;
    }

    @Override
    public Result call(String configId) throws Exception {
        Lapack.parallelism(TaskCores.perExecutor());
        return Gate.run(permits(), () -> reduce(layout, hadoop.get(), configId, seedStart, seedCount, blockSize,
                dim, groups, method, reference.value(), column, classes == null ? null : classes.value()));
    }

    /**
     * One config's FID and leave-one-group-out FIDs, in this JVM: the work of one task, also run without Spark by
     * the fid stage on one machine.
     */
    public static Result reduce(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                long seedCount, int blockSize, int dim, int groups, JackknifeFid.Method method,
                                FrechetDistance.To reference) throws java.io.IOException {
        return reduce(layout, conf, configId, seedStart, seedCount, blockSize, dim, groups, method, reference,
                "features");
    }

    /** As above, for the features of column {@code column} (one detector of several). */
    public static Result reduce(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                long seedCount, int blockSize, int dim, int groups, JackknifeFid.Method method,
                                FrechetDistance.To reference, String column) throws java.io.IOException {
        return reduce(layout, conf, configId, seedStart, seedCount, blockSize, dim, groups, method, reference, column,
                null);
    }

    /**
     * As above, and with {@code classes} (each label's reference, null for a class without one) each class's FID
     * and leave-one-group-out FIDs, from the same pass over the blocks ({@link ConfigStats#read(SweepLayout,
     * Configuration, String, long, long, int, int, int, String, int)}); the config's own numbers are those without.
     */
    public static Result reduce(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                long seedCount, int blockSize, int dim, int groups, JackknifeFid.Method method,
                                FrechetDistance.To reference, String column, FrechetDistance.To[] classes)
            throws java.io.IOException {
        long t0 = System.nanoTime();
        ConfigStats.Sums sums = ConfigStats.read(layout, conf, configId, seedStart, seedCount, blockSize, dim, groups,
                column, classes == null ? 0 : classes.length);
        double[] all = JackknifeFid.fidAndLeaveOneOut(sums.groups(), reference, method);
        ClassResult[] byClass = null;
        if (classes != null) {
            byClass = new ClassResult[classes.length];
            for (int c = 0; c < classes.length; c++) {
                byClass[c] = byClass(c, sums.byClass()[c], classes[c], method);
            }
        }
        return new Result(configId, seedCount, all[0], Arrays.copyOfRange(all, 1, all.length),
                groups >= 2 ? method : null, (System.nanoTime() - t0) / 1e9, byClass);
    }

    /** One class's FID and leave-one-group-out FIDs from its sums per group. */
    static ClassResult byClass(int label, FeatureStats[] groups, FrechetDistance.To reference,
                               JackknifeFid.Method method) {
        long n = 0;
        for (FeatureStats g : groups) {
            n += g.count();
        }
        if (reference == null || n < 2) {
            return new ClassResult(label, n, Double.NaN, new double[0]);
        }
        boolean spread = groups.length >= 2;
        for (FeatureStats g : groups) {
            spread &= n - g.count() >= 2;
        }
        if (!spread) {
            double[] one = JackknifeFid.fidAndLeaveOneOut(new FeatureStats[] {merged(groups)}, reference, method);
            return new ClassResult(label, n, one[0], new double[0]);
        }
        double[] all = JackknifeFid.fidAndLeaveOneOut(groups, reference, method);
        return new ClassResult(label, n, all[0], Arrays.copyOfRange(all, 1, all.length));
    }

    private static FeatureStats merged(FeatureStats[] groups) {
        FeatureStats all = new FeatureStats(groups[0].shift());
        for (FeatureStats g : groups) {
            all.merge(g);
        }
        return all;
    }

    /** How many configs this executor reduces at once. */
    int permits() {
        return Gate.permits("spark.diffsweep.fid.memory", ConfigStats.heapBytes(dim, groups,
                classes == null ? 0 : classes.value().length), TaskCores.perExecutor());
    }

    /**
     * How many configs a JVM with {@code cores} cores reduces at once: as many as {@code spark.diffsweep.fid.memory}
     * (default 40 % of the heap) holds, at least one, at most one per core.
     */
    public static int permits(int dim, int groups, int cores) {
        return Gate.permits("spark.diffsweep.fid.memory", ConfigStats.heapBytes(dim, groups), cores);
    }

    /** As {@link #permits(int, int, int)} for the local reduce, without Spark ({@link Gate#permitsWithoutSpark}). */
    public static int localPermits(int dim, int groups, int cores) {
        return localPermits(dim, groups, 0, cores);
    }

    /** As above for a reduce that also sums {@code classes} classes. */
    public static int localPermits(int dim, int groups, int classes, int cores) {
        return Gate.permitsWithoutSpark("spark.diffsweep.fid.memory", ConfigStats.heapBytes(dim, groups, classes),
                cores);
    }

    /** Bounds the configs in flight in this JVM. */
    public static final class Gate {
        private static final ConcurrentHashMap<Integer, Semaphore> GATES = new ConcurrentHashMap<>();
        private static final AtomicInteger IN_FLIGHT = new AtomicInteger();
        private static final AtomicInteger PEAK = new AtomicInteger();

        private Gate() {
        }

        /**
         * How many configs a JVM with {@code cores} cores works on at once when each holds {@code bytesEach} of heap:
         * as many as the budget {@code budgetKey} (a Spark size, from the executor's conf or, without Spark, a
         * system property; default 40 % of the heap) holds, at least one, at most one per core.
         */
        public static int permits(String budgetKey, long bytesEach, int cores) {
            long budget = (long) (0.4 * Runtime.getRuntime().maxMemory());
            SparkEnv env = SparkEnv.get();
            if (env != null && env.conf().contains(budgetKey)) {
                budget = env.conf().getSizeAsBytes(budgetKey);
            } else if (env == null) {
                return permitsWithoutSpark(budgetKey, bytesEach, cores);
            }
            long fits = budget / Math.max(1, bytesEach);
            return (int) Math.max(1, Math.min(cores, fits));
        }

        /**
         * As {@link #permits}, for work that runs outside Spark tasks (the fid stage's local reduce): the budget
         * from the system property {@code budgetKey} (a Spark size string) or 40 % of the heap, without touching
         * Spark's environment, whose first use loads the Scala runtime (seconds of a short command's start).
         */
        public static int permitsWithoutSpark(String budgetKey, long bytesEach, int cores) {
            long budget = budgetWithoutSpark(budgetKey);
            long fits = budget / Math.max(1, bytesEach);
            return (int) Math.max(1, Math.min(cores, fits));
        }

        /** The budget {@link #permitsWithoutSpark} divides: the system property {@code budgetKey}, else 40 % of the heap. */
        public static long budgetWithoutSpark(String budgetKey) {
            String set = System.getProperty(budgetKey);
            return set != null ? org.apache.spark.network.util.JavaUtils.byteStringAsBytes(set)
                    : (long) (0.4 * Runtime.getRuntime().maxMemory());
        }

        /** Runs {@code work} once one of {@code permits} slots is free. */
        public static <T> T run(int permits, java.util.concurrent.Callable<T> work) throws Exception {
            Semaphore gate = GATES.computeIfAbsent(permits, Semaphore::new);
            gate.acquire();
            try {
                PEAK.accumulateAndGet(IN_FLIGHT.incrementAndGet(), Math::max);
                return work.call();
            } finally {
                IN_FLIGHT.decrementAndGet();
                gate.release();
            }
        }

        /** The most configs this JVM has reduced at once since the last {@link #resetPeak()}. */
        public static int peak() {
            return PEAK.get();
        }

        public static void resetPeak() {
            PEAK.set(0);
        }
    }
}
