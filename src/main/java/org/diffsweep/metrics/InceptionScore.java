package org.diffsweep.metrics;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Inception Score (Salimans et al. 2016; docs/metrics.md): IS = exp(E_x KL(p(y|x) ‖ p(y))), computed on each of
 * S splits of the samples (p(y) the mean of p(y|x) over the split) and reported as the mean ± the population
 * standard deviation of the S scores. The implementations papers quote differ in how they cut the splits and in
 * their arithmetic, so every number names its {@link Variant}.
 *
 * <p>Each split's score needs only three sums over its rows: n_s, P_y = Σ_x p(y|x) and A = Σ_x Σ_y p log p. Then
 * E_x KL = (A − Σ_y P_y log(P_y / n_s)) / n_s, the same quantity as the per-row KL averaged, rearranged. The sums
 * are kept per split in an {@link Accumulator}, which any partition of the rows fills and which merges by
 * addition; a row's split depends only on its position in seed order ({@link #splitOf}), so the result does not
 * depend on how the rows were partitioned, up to the round-off of summing in another order.
 *
 * <p>All arithmetic is float64; a probability of exactly 0 contributes 0 (the limit of p log p).
 */
public final class InceptionScore {

    /** Splits torch-fidelity and StyleGAN3 use by default. */
    public static final int DEFAULT_SPLITS = 10;
    /** The seed of torch-fidelity's shuffle ({@code rng_seed}, default 2020). */
    public static final long TORCH_FIDELITY_SEED = 2020;
    /** Rows per split in the ADM evaluation suite ({@code compute_inception_score(split_size=5000)}). */
    public static final int ADM_SPLIT_SIZE = 5000;

    private InceptionScore() {
    }

    /** How the rows are cut into splits. */
    public enum Variant {
        /**
         * torch-fidelity ({@code isc_features_to_metric}): rows shuffled by numpy's
         * {@code RandomState(2020).permutation(n)}, then split s is shuffled positions [s·n/S, (s+1)·n/S) (integer
         * division). Its inputs are the logits without the output bias ({@code logits_unbiased}); float64.
         */
        TORCH_FIDELITY("torch-fidelity"),
        /**
         * StyleGAN3 ({@code metrics/inception_score.py}): no shuffle, split s is rows [s·n/S, (s+1)·n/S) in seed
         * order; probabilities from the network without the output bias; its own arithmetic is float32.
         */
        STYLEGAN3("stylegan3"),
        /**
         * The ADM evaluation suite ({@code evaluations/evaluator.py}): no shuffle, consecutive splits of
         * {@link #ADM_SPLIT_SIZE} rows (the last one shorter), softmax of the pool features times the logit
         * weights (no bias); it reports the mean alone. The number of splits follows from n, not from the config.
         */
        ADM("adm");

        private final String id;

        Variant(String id) {
            this.id = id;
        }

        /** The name configs and tables use. */
        public String id() {
            return id;
        }

        /** The variant named {@code id}. */
        public static Variant parse(String id) {
            for (Variant v : values()) {
                if (v.id.equals(id)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("inception score variant '" + id + "', expected one of "
                    + names());
        }

        /** The names, comma-separated. */
        public static String names() {
            List<String> out = new ArrayList<>();
            for (Variant v : values()) {
                out.add(v.id);
            }
            return String.join(", ", out);
        }
    }

    /** The score: mean and population sd over the splits' scores, which splits, and each split's score. */
    public record Result(double mean, double sd, Variant variant, int splits, long n, List<Double> scores)
            implements Serializable {

        /** "IS (variant, S splits)". */
        public String describe() {
            return String.format(Locale.ROOT, "%s, %d splits", variant.id(), splits);
        }
    }

    /** The number of splits a variant cuts n rows into ({@code splits} for torch-fidelity and StyleGAN3). */
    public static int splitCount(long n, int splits, Variant variant) {
        return variant == Variant.ADM ? (int) ((n + ADM_SPLIT_SIZE - 1) / ADM_SPLIT_SIZE) : splits;
    }

    /** Refuses what cannot be split: fewer rows than splits (a split would be empty), or fewer than 1 split. */
    public static void check(long n, int splits, Variant variant) {
        if (splits < 1 || (variant != Variant.ADM && n < splits) || n < 1) {
            throw new IllegalArgumentException("inception score: " + n + " samples in " + splits
                    + " splits, expected at least one sample per split");
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("inception score: " + n + " samples, expected at most "
                    + Integer.MAX_VALUE);
        }
    }

    /**
     * The split of each of n rows, indexed by the row's position in seed order (0 … n − 1), as the variant cuts them.
     */
    public static int[] splitOf(long n, int splits, Variant variant) {
        check(n, splits, variant);
        int m = (int) n;
        int[] out = new int[m];
        if (variant == Variant.ADM) {
            for (int r = 0; r < m; r++) {
                out[r] = r / ADM_SPLIT_SIZE;
            }
            return out;
        }
        int[] order = variant == Variant.TORCH_FIDELITY ? NumpyLegacyRandom.permutation(m, TORCH_FIDELITY_SEED)
                : null;
        for (int s = 0; s < splits; s++) {
            int from = (int) ((long) s * m / splits);
            int to = (int) ((long) (s + 1) * m / splits);
            for (int p = from; p < to; p++) {
                out[order == null ? p : order[p]] = s;
            }
        }
        return out;
    }

    /**
     * Per split: the number of rows, Σ_x p(y|x) for each class, and Σ_x Σ_y p log p. Fill it with the rows of any
     * subset of the samples in any order ({@link #addProbabilities}, {@link #addLogits}); {@link #merge} the
     * accumulators of disjoint subsets; {@link #result} when every row is in.
     */
    public static final class Accumulator implements Serializable {

        private static final long serialVersionUID = 1L;

        private final int splits;
        private final int classes;
        private final long[] count;
        private final double[] sumP;
        private final double[] sumPLogP;

        public Accumulator(int splits, int classes) {
            if (splits < 1 || classes < 2) {
                throw new IllegalArgumentException("inception score: " + splits + " splits of " + classes
                        + " classes, expected at least 1 split and 2 classes");
            }
            this.splits = splits;
            this.classes = classes;
            this.count = new long[splits];
            this.sumP = new double[Math.multiplyExact(splits, classes)];
            this.sumPLogP = new double[splits];
        }

        public int classes() {
            return classes;
        }

        /** One row of class probabilities ({@code probs[from … from + C)}) into split {@code split}. */
        public void addProbabilities(int split, float[] probs, int from) {
            double a = 0;
            int base = split * classes;
            for (int y = 0; y < classes; y++) {
                double p = probs[from + y];
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("inception score: class probability " + probs[from + y]
                            + " (class " + y + "), expected a probability in [0, 1]");
                }
                if (p > 0) {
                    a += p * Math.log(p);
                }
                sumP[base + y] += p;
            }
            sumPLogP[split] += a;
            count[split]++;
        }

        /**
         * One row of logits ({@code logits[from … from + C)}) into split {@code split}: p = softmax and log p =
         * log-softmax, both in float64 (x − max − log Σ exp(x − max)), as torch-fidelity computes them.
         */
        public void addLogits(int split, float[] logits, int from) {
            double max = Double.NEGATIVE_INFINITY;
            for (int y = 0; y < classes; y++) {
                double x = logits[from + y];
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("inception score: logit " + logits[from + y] + " (class " + y
                            + "), expected a finite number");
                }
                max = Math.max(max, x);
            }
            double z = 0;
            for (int y = 0; y < classes; y++) {
                z += Math.exp(logits[from + y] - max);
            }
            double logZ = Math.log(z);
            double a = 0;
            int base = split * classes;
            for (int y = 0; y < classes; y++) {
                double logp = logits[from + y] - max - logZ;
                double p = Math.exp(logp);
                a += p * logp;
                sumP[base + y] += p;
            }
            sumPLogP[split] += a;
            count[split]++;
        }

        /** Adds another accumulator's sums (of other rows) to this one's; returns this. */
        public Accumulator merge(Accumulator other) {
            if (other.splits != splits || other.classes != classes) {
                throw new IllegalArgumentException("inception score: cannot merge " + other.splits + " splits × "
                        + other.classes + " classes into " + splits + " × " + classes);
            }
            for (int s = 0; s < splits; s++) {
                count[s] += other.count[s];
                sumPLogP[s] += other.sumPLogP[s];
            }
            for (int i = 0; i < sumP.length; i++) {
                sumP[i] += other.sumP[i];
            }
            return this;
        }

        /** Rows added so far. */
        public long rows() {
            long n = 0;
            for (long c : count) {
                n += c;
            }
            return n;
        }

        /** The score of each split and their mean and population standard deviation. */
        public Result result(Variant variant) {
            double[] scores = new double[splits];
            List<Double> boxed = new ArrayList<>(splits);
            double mean = 0;
            for (int s = 0; s < splits; s++) {
                long n = count[s];
                if (n == 0) {
                    throw new IllegalStateException("inception score: split " + s + " holds no rows");
                }
                double logN = Math.log(n);
                double b = 0;
                for (int y = 0; y < classes; y++) {
                    double py = sumP[s * classes + y];
                    if (py > 0) {
                        b += py * (Math.log(py) - logN);
                    }
                }
                scores[s] = Math.exp((sumPLogP[s] - b) / n);
                boxed.add(scores[s]);
                mean += scores[s];
            }
            mean /= splits;
            double ss = 0;
            for (double v : scores) {
                ss += (v - mean) * (v - mean);
            }
            return new Result(mean, Math.sqrt(ss / splits), variant, splits, rows(), List.copyOf(boxed));
        }
    }

    /** The score of n rows of C class probabilities (row-major, seed order), split as the variant does. */
    public static Result ofProbabilities(float[] probs, int n, int classes, int splits, Variant variant) {
        return of(probs, n, classes, splits, variant, false);
    }

    /** The score of n rows of C logits (row-major, seed order), softmax in float64, split as the variant does. */
    public static Result ofLogits(float[] logits, int n, int classes, int splits, Variant variant) {
        return of(logits, n, classes, splits, variant, true);
    }

    private static Result of(float[] rows, int n, int classes, int splits, Variant variant, boolean logits) {
        if (rows.length != (long) n * classes) {
            throw new IllegalArgumentException("inception score: " + rows.length + " values for " + n + " rows of "
                    + classes + " classes");
        }
        int[] split = splitOf(n, splits, variant);
        Accumulator acc = new Accumulator(splitCount(n, splits, variant), classes);
        for (int r = 0; r < n; r++) {
            if (logits) {
                acc.addLogits(split[r], rows, r * classes);
            } else {
                acc.addProbabilities(split[r], rows, r * classes);
            }
        }
        return acc.result(variant);
    }
}
