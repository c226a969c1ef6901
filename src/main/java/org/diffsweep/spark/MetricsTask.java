package org.diffsweep.spark;

import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.diffsweep.config.MetricsSpec;
import org.diffsweep.linalg.Lapack;
import org.diffsweep.metrics.InceptionScore;
import org.diffsweep.metrics.Kid;
import org.diffsweep.metrics.PrecisionRecall;

/**
 * The metrics stage's task: one config's features read from its blocks in seed order, then its KID and its
 * precision/recall against the broadcast real features, all on the executor, the pairwise kernels in tiles
 * ({@link Kid#TILE}, {@link PrecisionRecall#TILE}); only the numbers go back. An executor runs at most as many
 * configs at once as {@code spark.diffsweep.metrics.memory} (default 40 % of its heap) holds ({@link #heapBytes}).
 */
public final class MetricsTask implements Function<String, MetricsTask.Result> {

    private static final long serialVersionUID = 1L;

    /**
     * The real features every task shares: n rows of D floats, row-major, and each row's class when the real
     * features carry labels and the sweep is class-conditional with {@code classes} classes (else null and 0).
     */
    public record Reference(float[] features, long n, int[] labels, int classes) implements Serializable {
        public Reference(float[] features, long n) {
            this(features, n, null, 0);
        }
    }

    /** One config's numbers (null: not asked for). */
    public record Result(String configId, long n, Kid.Result kid, PrecisionRecall.Result pr, double seconds,
                         InceptionScore.Result inceptionScore, ClassKid[] kidByClass) implements Serializable {

        public Result(String configId, long n, Kid.Result kid, PrecisionRecall.Result pr, double seconds) {
            this(configId, n, kid, pr, seconds, null, null);
        }
    }

    /**
     * One class's KID: the config's seeds of that class against the real features of that class, with subsets of
     * {@code min(kid subset size, both counts)}; {@code kid} null where either set has fewer than 2 rows.
     */
    public record ClassKid(int label, long nGenerated, long nReal, Kid.Result kid) implements Serializable {
    }

    private final SweepLayout layout;
    private final HadoopConf hadoop;
    private final long seedStart;
    private final long seedCount;
    private final int blockSize;
    private final int dim;
    private final MetricsSpec spec;
    private final Broadcast<Reference> reference;
    private final String column;

    public MetricsTask(SweepLayout layout, HadoopConf hadoop, long seedStart, long seedCount, int blockSize, int dim,
                       MetricsSpec spec, Broadcast<Reference> reference) {
        this(layout, hadoop, seedStart, seedCount, blockSize, dim, spec, reference, "features");
    }

    /** A task reading the feature column {@code column} (a further detector's {@code features_<name>}). */
    public MetricsTask(SweepLayout layout, HadoopConf hadoop, long seedStart, long seedCount, int blockSize, int dim,
                       MetricsSpec spec, Broadcast<Reference> reference, String column) {
        this.column = column;
        this.layout = layout;
        this.hadoop = hadoop;
        this.seedStart = seedStart;
        this.seedCount = seedCount;
        this.blockSize = blockSize;
        this.dim = dim;
        this.spec = spec;
        this.reference = reference;
    }

    @Override
    public Result call(String configId) throws Exception {
        Lapack.parallelism(TaskCores.perExecutor());
        return FidTask.Gate.run(permits(), () -> {
            long t0 = System.nanoTime();
            Reference real = reference.value();
            boolean byClass = spec.kid() && real.labels() != null && real.classes() > 0;
            int[] labels = byClass ? new int[Math.toIntExact(seedCount)] : null;
            float[] generated = features(layout, hadoop.get(), configId, seedStart, seedCount, blockSize, dim,
                    column, labels);
            Kid.Result kid = spec.kid() ? Kid.of(real.features(), real.n(), generated, seedCount, dim,
                    spec.kidSubsets(), spec.kidSubsetSize(), spec.seed()) : null;
            PrecisionRecall.Result pr = spec.precisionRecall() ? PrecisionRecall.of(real.features(), real.n(),
                    generated, seedCount, dim, spec.k(), spec.samples(), spec.seed()) : null;
            InceptionScore.Result is = spec.inceptionScore() ? inceptionScore(layout, hadoop.get(), configId, seedStart,
                    seedCount, blockSize, spec) : null;
            ClassKid[] kidByClass = byClass ? kidByClass(real, generated, labels, dim, spec) : null;
            return new Result(configId, seedCount, kid, pr, (System.nanoTime() - t0) / 1e9, is, kidByClass);
        });
    }

    /** Each class's KID: its generated rows (in seed order) against its real rows (in index order). */
    static ClassKid[] kidByClass(Reference real, float[] generated, int[] labels, int dim, MetricsSpec spec) {
        ClassKid[] out = new ClassKid[real.classes()];
        for (int c = 0; c < out.length; c++) {
            float[] gen = rowsOf(generated, labels, c, dim);
            float[] rea = rowsOf(real.features(), real.labels(), c, dim);
            long ng = gen.length / dim;
            long nr = rea.length / dim;
            int size = (int) Math.min(spec.kidSubsetSize(), Math.min(ng, nr));
            out[c] = new ClassKid(c, ng, nr, size < 2 ? null
                    : Kid.of(rea, nr, gen, ng, dim, spec.kidSubsets(), size, spec.seed()));
        }
        return out;
    }

    /** The rows of {@code rows} whose label is {@code c}, in order. */
    static float[] rowsOf(float[] rows, int[] labels, int c, int dim) {
        int n = 0;
        for (int l : labels) {
            n += l == c ? 1 : 0;
        }
        float[] out = new float[n * dim];
        int at = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == c) {
                System.arraycopy(rows, i * dim, out, at++ * dim, dim);
            }
        }
        return out;
    }

    /** Heap bytes one config's task holds: its features, and the larger of KID's and P&R's working sets. */
    public static long heapBytes(long seedCount, long nReal, int dim, MetricsSpec spec) {
        long work = 0;
        if (spec.kid()) {
            work = Kid.heapBytes(spec.kidSubsetSize(), dim);
        }
        if (spec.precisionRecall()) {
            work = Math.max(work, PrecisionRecall.heapBytes(
                    PrecisionRecall.sampleSize(Math.max(seedCount, nReal), spec.samples()), dim));
        }
        return 4L * seedCount * dim + work;
    }

    /** Inception's classes: the width of the class-probability column. */
    public static final int INCEPTION_CLASSES = 1008;

    /**
     * The Inception Score of one config from the class probabilities in its blocks ({@link ClassProbabilities}),
     * each seed's row into the split the variant puts its offset in; the blocks' sums merge into one accumulator.
     */
    public static InceptionScore.Result inceptionScore(SweepLayout layout, Configuration conf, String configId,
                                                       long seedStart, long seedCount, int blockSize,
                                                       MetricsSpec spec) throws IOException {
        InceptionScore.Variant variant = spec.variant();
        int[] split = InceptionScore.splitOf(seedCount, spec.isSplits(), variant);
        InceptionScore.Accumulator acc = new InceptionScore.Accumulator(
                InceptionScore.splitCount(seedCount, spec.isSplits(), variant), INCEPTION_CLASSES);
        long end = seedStart + seedCount;
        for (long s = seedStart; s < end; s += blockSize) {
            Path p = layout.block(configId, s, Math.min(end, s + blockSize));
            ClassProbabilities.accumulate(p, conf, seedStart, split, acc);
        }
        if (acc.rows() != seedCount) {
            throw new IOException("config " + configId + ": " + acc.rows() + " rows of class probabilities, expected "
                    + seedCount);
        }
        return acc.result(variant);
    }

    /** How many configs this executor measures at once. */
    int permits() {
        return FidTask.Gate.permits("spark.diffsweep.metrics.memory", heapBytes(seedCount, reference.value().n(), dim,
                spec), TaskCores.perExecutor());
    }

    /**
     * The features of seeds [seedStart, seedStart + seedCount) of one config, row-major, read from its committed
     * blocks.
     *
     * @throws IOException when a block is missing or its rows are not exactly those seeds, in order
     */
    public static float[] features(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                   long seedCount, int blockSize, int dim) throws IOException {
        return features(layout, conf, configId, seedStart, seedCount, blockSize, dim, "features");
    }

    /** As above, from the feature column {@code column}. */
    public static float[] features(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                   long seedCount, int blockSize, int dim, String column) throws IOException {
        return features(layout, conf, configId, seedStart, seedCount, blockSize, dim, column, null);
    }

    /** As above, and each seed's label into {@code labels} (seedCount values) when it is not null. */
    public static float[] features(SweepLayout layout, Configuration conf, String configId, long seedStart,
                                   long seedCount, int blockSize, int dim, String column, int[] labels)
            throws IOException {
        float[] out = new float[Math.multiplyExact(Math.toIntExact(seedCount), dim)];
        long end = seedStart + seedCount;
        long expected = seedStart;
        for (long s = seedStart; s < end; s += blockSize) {
            Path p = layout.block(configId, s, Math.min(end, s + blockSize));
            if (!p.getFileSystem(conf).exists(p)) {
                throw new IOException("block " + p + " is missing: run the sweep first");
            }
            FeatureBlocks.Block b = FeatureBlocks.read(p, conf, dim, "seed", column, null, labels != null);
            for (int r = 0; r < b.rows(); r++, expected++) {
                if (expected >= end || b.seeds()[r] != expected) {
                    throw new IOException("config " + configId + ": found seed " + b.seeds()[r] + " where seed "
                            + expected + " was expected (seeds " + seedStart + "–" + (end - 1) + " in order, once each)");
                }
                if (labels != null) {
                    labels[(int) (expected - seedStart)] = b.labels()[r];
                }
            }
            System.arraycopy(b.features(), 0, out, (int) ((s - seedStart) * dim), b.rows() * dim);
        }
        if (expected != end) {
            throw new IOException("config " + configId + ": " + (expected - seedStart) + " feature rows, expected "
                    + seedCount);
        }
        return out;
    }
}
