package org.diffsweep.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.JackknifeFid;

/**
 * One config's feature sums per jackknife seed group, read from its committed blocks in seed order and
 * accumulated centred at a pilot mean (the mean of its first {@value #PILOT_ROWS} seeds) with SYRK in chunks of
 * {@value #CHUNK_ROWS} rows counted from each group's first seed. Every choice here is a function of the seeds
 * alone, so the sums are the same bits for any block size, partitioning, cluster or rerun.
 */
public final class ConfigStats {

    /** Seeds whose mean centres the sums. */
    public static final int PILOT_ROWS = 256;

    /** Blocks decoded ahead of the one being summed. */
    static final int READ_AHEAD = 2;

    /** Rows per SYRK. */
    public static final int CHUNK_ROWS = 4096;

    private ConfigStats() {
    }

    /** Heap bytes one config's reduce holds at dimension D with G groups (sums, and the FID's matrices). */
    public static long heapBytes(int dim, int groups) {
        return heapBytes(dim, groups, 0);
    }

    /** As above, with the sums of K classes per group besides (K·G more D×D sums, and their staged rows). */
    public static long heapBytes(int dim, int groups, int classes) {
        return (groups + 8L + (long) classes * groups) * 8L * dim * dim + (long) classes * CLASS_CHUNK_ROWS * 4L * dim;
    }

    /** The most rows of one class staged before they are summed (one SYRK). */
    public static final int CLASS_CHUNK_ROWS = 1024;

    /**
     * A config's sums per seed group, and, for a class-conditional sweep measured by class, each class's sums per
     * group ({@code byClass[c][g]}, the seeds of group g whose label is c), all centred at the same pilot mean;
     * {@code byClass} is null when classes were not asked for.
     */
    public record Sums(FeatureStats[] groups, FeatureStats[][] byClass) {
    }

    /** Native bytes one config's reduce holds (the SYRK sum and its staging rows, the FID's products). */
    public static long nativeBytes(int dim) {
        return 8L * dim * (4L * dim + CHUNK_ROWS);
    }

    /**
     * The sums of each group of the seeds [seedStart, seedStart + seedCount) of config {@code configId}.
     *
     * @throws IOException when a block is missing or unreadable, or the rows are not exactly those seeds
     */
    public static FeatureStats[] read(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                      long seedCount, int blockSize, int dim, int groups) throws IOException {
        return read(layout, conf, configId, seedStart, seedCount, blockSize, dim, groups, "features");
    }

    /** As above, the features of the column {@code column} (a further detector's {@code features_<name>}). */
    public static FeatureStats[] read(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                      long seedCount, int blockSize, int dim, int groups, String column)
            throws IOException {
        return read(layout, conf, configId, seedStart, seedCount, blockSize, dim, groups, column, 0).groups();
    }

    /**
     * As above, and with {@code classes} &gt; 0 each class's sums per group as well, from the same pass over the
     * blocks (their {@code label} column): a seed's row goes into its group's sums as without classes (the same
     * bits), and into its class's sums of that group. A class's rows are staged and summed every
     * {@value #CLASS_CHUNK_ROWS} rows (fewer for small configs) counted from its first seed in the group, and at
     * the group's end: a function of the seeds and their labels alone.
     */
    public static Sums read(SweepLayout layout, Configuration conf, String configId, long seedStart,
                            long seedCount, int blockSize, int dim, int groups, String column, int classes)
            throws IOException {
        List<Path> blocks = new ArrayList<>();
        long end = seedStart + seedCount;
        for (long s = seedStart; s < end; s += blockSize) {
            blocks.add(layout.block(configId, s, Math.min(end, s + blockSize)));
        }
        Reader reader = new Reader(configId, seedStart, seedCount, dim, groups, classes);
        // The decoded blocks' feature arrays go back here once summed and are decoded into again: a few arrays
        // in all, never zeroed.
        java.util.Queue<float[]> free = new java.util.concurrent.ConcurrentLinkedQueue<>();
        // Blocks are decoded one ahead on another thread while the sums of the current one run.
        java.util.concurrent.ExecutorService ahead = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "diffsweep-read-ahead");
            t.setDaemon(true);
            return t;
        });
        try {
            List<java.util.concurrent.Future<FeatureBlocks.Block>> queue = new ArrayList<>();
            for (Path p : blocks) {
                queue.add(null);
            }
            java.util.function.IntConsumer submit = i -> {
                if (i < blocks.size()) {
                    Path p = blocks.get(i);
                    queue.set(i, ahead.submit(() -> readBlock(p, conf, dim, column, free.poll(), classes > 0)));
                }
            };
            for (int i = 0; i < READ_AHEAD; i++) {
                submit.accept(i);
            }
            List<FeatureBlocks.Block> pending = new ArrayList<>();
            int next = 0;
            long have = 0;
            while (have < Math.min(PILOT_ROWS, seedCount) && next < blocks.size()) {
                submit.accept(next + READ_AHEAD);
                FeatureBlocks.Block b = take(queue, next++);
                pending.add(b);
                have += b.rows();
            }
            reader.start(pending);
            for (FeatureBlocks.Block b : pending) {
                reader.add(b);
                free.add(b.features());
            }
            pending.clear();
            while (next < blocks.size()) {
                submit.accept(next + READ_AHEAD);
                FeatureBlocks.Block b = take(queue, next++);
                reader.add(b);
                free.add(b.features());
            }
            return reader.finish();
        } finally {
            reader.abandon();
            ahead.shutdownNow();
        }
    }

    /** Block i, once read; the queue drops it so that at most a few blocks are held at once. */
    private static FeatureBlocks.Block take(List<java.util.concurrent.Future<FeatureBlocks.Block>> queue, int i)
            throws IOException {
        try {
            FeatureBlocks.Block b = queue.get(i).get();
            queue.set(i, null);
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading features", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static FeatureBlocks.Block readBlock(Path path, Configuration conf, int dim, String column, float[] buffer,
                                                 boolean labels) throws IOException {
        if (!path.getFileSystem(conf).exists(path)) {
            throw new IOException("block " + path + " is missing: run the sweep first");
        }
        return FeatureBlocks.read(path, conf, dim, "seed", column, buffer, labels);
    }

    /** Feeds rows in seed order into the group sums. */
    private static final class Reader {
        private final String configId;
        private final long seedStart;
        private final long seedCount;
        private final int dim;
        private final int groups;
        private final int chunk;
        private FeatureStats[] stats;
        private FeatureStats.Accumulator open;
        private FeatureStats.Workspace workspace;
        private int openGroup = -1;
        private long expected;
        private final int classes;
        private final int classChunk;
        private FeatureStats[][] byClass;
        private float[][] staged;
        private int[] stagedRows;
        private FeatureStats.Workspace classWorkspace;

        Reader(String configId, long seedStart, long seedCount, int dim, int groups, int classes) {
            this.configId = configId;
            this.seedStart = seedStart;
            this.seedCount = seedCount;
            this.dim = dim;
            this.groups = groups;
            this.chunk = (int) Math.min(CHUNK_ROWS, seedCount / groups + 1);
            this.classes = classes;
            this.classChunk = classes == 0 ? 0 : (int) Math.min(CLASS_CHUNK_ROWS, seedCount / groups / classes + 1);
        }

        /** Sums the staged rows of class c into its sums of the open group. */
        private void flushClass(int c) {
            if (stagedRows[c] == 0) {
                return;
            }
            try (FeatureStats.Accumulator a = byClass[c][openGroup].accumulator(classWorkspace)) {
                for (int r = 0; r < stagedRows[c]; r++) {
                    a.add(staged[c], r * dim);
                }
            }
            stagedRows[c] = 0;
        }

        private void flushClasses() {
            if (byClass != null && openGroup >= 0) {
                for (int c = 0; c < classes; c++) {
                    flushClass(c);
                }
            }
        }

        void start(List<FeatureBlocks.Block> first) throws IOException {
            double[] pilot = new double[dim];
            int rows = 0;
            for (FeatureBlocks.Block b : first) {
                for (int r = 0; r < b.rows() && rows < PILOT_ROWS; r++, rows++) {
                    for (int i = 0; i < dim; i++) {
                        pilot[i] += b.features()[r * dim + i];
                    }
                }
            }
            if (rows == 0) {
                throw new IOException("config " + configId + ": 0 feature rows, expected " + seedCount);
            }
            for (int i = 0; i < dim; i++) {
                pilot[i] /= rows;
            }
            stats = new FeatureStats[groups];
            for (int g = 0; g < groups; g++) {
                stats[g] = new FeatureStats(pilot);
            }
            workspace = new FeatureStats.Workspace(dim, chunk);
            if (classes > 0) {
                byClass = new FeatureStats[classes][groups];
                for (int c = 0; c < classes; c++) {
                    for (int g = 0; g < groups; g++) {
                        byClass[c][g] = new FeatureStats(pilot);
                    }
                }
                staged = new float[classes][classChunk * dim];
                stagedRows = new int[classes];
                classWorkspace = new FeatureStats.Workspace(dim, classChunk);
            }
        }

        void add(FeatureBlocks.Block b) throws IOException {
            for (int r = 0; r < b.rows(); r++) {
                long seed = b.seeds()[r];
                if (expected >= seedCount || seed != seedStart + expected) {
                    throw new IOException("config " + configId + ": found seed " + seed + " where seed "
                            + (seedStart + expected) + " was expected (seeds " + seedStart + "–"
                            + (seedStart + seedCount - 1) + " in order, once each)");
                }
                int g = JackknifeFid.group(expected, seedCount, groups);
                if (g != openGroup) {
                    if (open != null) {
                        open.close();
                    }
                    flushClasses();
                    open = stats[g].accumulator(workspace);
                    openGroup = g;
                }
                open.add(b.features(), r * dim);
                if (byClass != null) {
                    int c = b.labels()[r];
                    if (c < 0 || c >= classes) {
                        throw new IOException("config " + configId + ": seed " + seed + " has label " + c
                                + ", expected a class of 0.." + (classes - 1));
                    }
                    System.arraycopy(b.features(), r * dim, staged[c], stagedRows[c] * dim, dim);
                    if (++stagedRows[c] == classChunk) {
                        flushClass(c);
                    }
                }
                expected++;
            }
        }

        Sums finish() throws IOException {
            if (open != null) {
                open.close();
                open = null;
            }
            flushClasses();
            if (workspace != null) {
                workspace.close();
                workspace = null;
            }
            if (classWorkspace != null) {
                classWorkspace.close();
                classWorkspace = null;
            }
            if (expected != seedCount) {
                throw new IOException("config " + configId + ": " + expected + " feature rows, expected " + seedCount);
            }
            return new Sums(stats, byClass);
        }

        void abandon() {
            try {
                if (open != null) {
                    open.close();
                    open = null;
                }
            } finally {
                if (workspace != null) {
                    workspace.close();
                    workspace = null;
                }
                if (classWorkspace != null) {
                    classWorkspace.close();
                    classWorkspace = null;
                }
            }
        }
    }
}
