package org.diffsweep.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.TimeGrid;

/**
 * DEIS-SN's statistics (docs/offline-statistics.md): for one model and one grid σ_0 &gt; … &gt; σ_N, mergeable sums
 * over the states x̂_i that a high-NFE sampler run visits at each step i, of
 * ε_i = ε(x̂_i; σ_i) = (x̂_i − D(x̂_i; σ_i)) / σ_i:
 * <pre>
 *   Σ|ε|  and  Σε²     over samples and dimensions  (count = samples · D elements)
 *   Σ m_s and  Σ m_s²  over samples, m_s = (1/D) Σ_d |ε_{s,d}|, the mean |ε| of sample s
 *   n                  the number of samples
 * </pre>
 * The table value is r_i = Σ|ε| / (n·D), the mean of |ε| over samples and dimensions.
 *
 * <p><b>Standard error.</b> The D elements of one sample are not independent draws (they share x̂ and the model's
 * output), so Σε² over elements would understate the error. The independent unit is the sample: r_i is the
 * mean of the n per-sample means m_s (exactly so up to rounding, as every sample has D elements), so
 * SE_i = sd(m_s) / √n with the unbiased sd² = (n·Σm² − (Σm)²) / (n(n − 1)) — the error of r_i over repeated
 * draws of n seeds. Σε² gives the root-mean-square ε, a diagnostic (E ε² = 1 − mmse/σ² &lt; 1 where the data is
 * uncertain), not used for the error.
 *
 * <p>Step N (σ_N, normally 0) is never evaluated: there are N rows. The sums are exact ({@link ExactSum}), so
 * shards of seeds merged in any order give the same table bit for bit. A shard's sums can be stored as
 * {@link ShardRow}s ({@link #rows}) and merged back from them ({@link #fromRows}), exactly.
 */
public final class NormStats implements Serializable {

    private static final long serialVersionUID = 1L;

    /** DEIS-SN's default truncation: the last 5 points (of its 1000-step collection runs). */
    public static final int DEFAULT_TRUNCATION = 5;

    private final double[] sigmas;
    private final int dim;
    private final ExactSum[] sumAbs;
    private final ExactSum[] sumSquares;
    private final ExactSum[] sumMeans;
    private final ExactSum[] sumMeanSquares;
    private final long[] samples;

    /**
     * Empty sums for a grid.
     *
     * @param sigmas the sampler's grid, N + 1 levels, strictly decreasing (normally ending at 0)
     * @param dim    D, the values per sample
     */
    public NormStats(double[] sigmas, int dim) {
        TimeGrid.requireDecreasing(sigmas, "norm-stats grid");
        if (dim < 1) {
            throw new IllegalArgumentException("norm-stats: dim = " + dim + ", expected at least 1");
        }
        this.sigmas = sigmas.clone();
        this.dim = dim;
        int steps = sigmas.length - 1;
        this.sumAbs = sums(steps);
        this.sumSquares = sums(steps);
        this.sumMeans = sums(steps);
        this.sumMeanSquares = sums(steps);
        this.samples = new long[steps];
    }

    private static ExactSum[] sums(int n) {
        ExactSum[] s = new ExactSum[n];
        for (int i = 0; i < n; i++) {
            s[i] = new ExactSum();
        }
        return s;
    }

    /**
     * Runs {@code sampler} on {@code sigmas} from the latents of {@code seeds} (and their sampler-noise streams,
     * {@link BatchNoise}) as one batch, and records ε at every step: the model is wrapped so that each call at
     * σ_i records ε = (x̂ − D)/σ_i of its own input and output (exactly the ε the sampler uses).
     *
     * <p>The job runs Euler (= DEIS order 1) or DEIS on the model's native high-NFE grid: e.g. an {@code edm}
     * grid of 1000 steps, or for the discrete DDPM the 1000 steps τ_k = k/1000, k = 1000 … 1, then 0 — the
     * {@code time-uniform} grid of 1000 steps on {@code vp-discrete}. The sampler must call the model once at each
     * level but the last (see {@link GridRecorder}). For many seeds, call this per block of seeds and
     * {@link #merge} the results.
     *
     * @throws IllegalStateException if the sampler evaluates the model off the grid, twice at a level, or misses one
     */
    public static NormStats collect(Denoiser model, Sampler sampler, double[] sigmas, long[] seeds) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("norm-stats: no seeds, expected at least one");
        }
        NormStats stats = new NormStats(sigmas, model.dim());
        GridRecorder recorder = new GridRecorder(model, sigmas, "norm-stats") {
            @Override
            void record(int level, double[] x, double[] denoised, int batch) {
                stats.add(level, x, denoised, batch);
            }
        };
        double[] x = BatchNoise.latents(seeds, model.dim(), sigmas[0]);
        sampler.sample(recorder, sigmas, x, BatchNoise.samplerNoise(seeds, model.dim()));
        recorder.requireAllSeen(sampler.describe());
        return stats;
    }

    /**
     * Adds a batch at step i: ε = (x̂ − D)/σ_i row by row.
     *
     * @param x        the states x̂ at σ_i, {@code batch} rows of D values
     * @param denoised D(x̂; σ_i), same layout
     */
    public void add(int step, double[] x, double[] denoised, int batch) {
        checkStep(step);
        if (x.length != (long) batch * dim || denoised.length != x.length) {
            throw new IllegalArgumentException("norm-stats: " + x.length + " states and " + denoised.length
                    + " outputs, expected batch * dim = " + batch + " * " + dim + " each");
        }
        double sigma = sigmas[step];
        for (int row = 0; row < batch; row++) {
            double abs = 0;
            double squares = 0;
            for (int d = row * dim; d < (row + 1) * dim; d++) {
                double eps = (x[d] - denoised[d]) / sigma;
                abs += Math.abs(eps);
                squares += eps * eps;
            }
            if (!Double.isFinite(squares)) {
                throw new IllegalArgumentException("norm-stats: step " + step + " (sigma = " + sigma + "), row " + row
                        + ": sum of eps^2 = " + squares + ", expected finite model outputs");
            }
            double mean = abs / dim;
            sumAbs[step].add(abs);
            sumSquares[step].add(squares);
            sumMeans[step].add(mean);
            sumMeanSquares[step].add(mean * mean);
            samples[step]++;
        }
    }

    /**
     * Adds another shard's sums into these.
     *
     * @return this
     * @throws IllegalArgumentException if the grids or dims differ
     */
    public NormStats merge(NormStats other) {
        if (!Arrays.equals(sigmas, other.sigmas) || dim != other.dim) {
            throw new IllegalArgumentException("norm-stats merge: grids of " + (sigmas.length - 1) + " and "
                    + (other.sigmas.length - 1) + " steps (dims " + dim + " and " + other.dim
                    + "), expected the same grid, level for level, and the same dim");
        }
        for (int i = 0; i < samples.length; i++) {
            sumAbs[i].add(other.sumAbs[i]);
            sumSquares[i].add(other.sumSquares[i]);
            sumMeans[i].add(other.sumMeans[i]);
            sumMeanSquares[i].add(other.sumMeanSquares[i]);
            samples[i] += other.samples[i];
        }
        return this;
    }

    /**
     * One shard's sums at one step: a row of the {@code norm-stats} job's per-shard Parquet. The shard is the seed
     * range [firstSeed, firstSeed + seeds); the four sums are exact (as recorded, see {@link ExactSum}).
     *
     * @param samples n, the samples recorded at the step (one per seed of the shard)
     * @param dim     D, the values per sample
     */
    public record ShardRow(long firstSeed, long seeds, int step, double sigma, BigDecimal sumAbs,
                           BigDecimal sumSquares, BigDecimal sumMeans, BigDecimal sumMeanSquares, long samples,
                           int dim) {
    }

    /**
     * These sums as one row per step, for a shard of seeds [firstSeed, firstSeed + seeds).
     *
     * @throws IllegalArgumentException if a step did not record exactly one sample per seed
     */
    public List<ShardRow> rows(long firstSeed, long seeds) {
        List<ShardRow> rows = new ArrayList<>(samples.length);
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] != seeds) {
                throw new IllegalArgumentException("norm-stats shard " + firstSeed + "+" + seeds + ": step " + i
                        + " has " + samples[i] + " samples, expected one per seed (" + seeds + ")");
            }
            rows.add(new ShardRow(firstSeed, seeds, i, sigmas[i], sumAbs[i].exact(), sumSquares[i].exact(),
                    sumMeans[i].exact(), sumMeanSquares[i].exact(), samples[i], dim));
        }
        return rows;
    }

    /**
     * The sums of all shards in {@code rows}, merged exactly (so in any order, bit for bit the same as
     * {@link #merge} of the shards' own sums). Every shard must have one row for every step of {@code sigmas},
     * at that step's σ, with one sample per seed; shards may not overlap.
     *
     * @param sigmas the grid the shards were collected on, N + 1 levels
     * @throws IllegalArgumentException naming the shard and step, if the rows do not fit together
     */
    public static NormStats fromRows(double[] sigmas, Iterable<ShardRow> rows) {
        NormStats stats = null;
        Map<Long, boolean[]> seen = new TreeMap<>();
        Map<Long, Long> sizes = new TreeMap<>();
        for (ShardRow row : rows) {
            String at = "norm-stats shard " + row.firstSeed() + "+" + row.seeds() + ", step " + row.step() + ": ";
            if (stats == null) {
                stats = new NormStats(sigmas, row.dim());
            }
            if (row.dim() != stats.dim) {
                throw new IllegalArgumentException(at + "dim " + row.dim() + ", expected " + stats.dim
                        + " as in the other rows");
            }
            if (row.step() < 0 || row.step() >= stats.steps()) {
                throw new IllegalArgumentException(at + "expected 0 <= step < " + stats.steps());
            }
            if (Double.compare(row.sigma(), sigmas[row.step()]) != 0) {
                throw new IllegalArgumentException(at + "sigma = " + row.sigma() + ", expected " + sigmas[row.step()]
                        + " (the same grid)");
            }
            if (row.seeds() < 1 || row.samples() != row.seeds()) {
                throw new IllegalArgumentException(at + row.samples() + " samples, expected one per seed");
            }
            for (BigDecimal sum : new BigDecimal[] {row.sumAbs(), row.sumSquares(), row.sumMeans(),
                    row.sumMeanSquares()}) {
                if (sum == null || sum.signum() < 0) {
                    throw new IllegalArgumentException(at + "sum " + sum + ", expected sums >= 0");
                }
            }
            Long size = sizes.putIfAbsent(row.firstSeed(), row.seeds());
            if (size != null && size != row.seeds()) {
                throw new IllegalArgumentException(at + "expected " + size + " seeds as in its other rows");
            }
            boolean[] steps = seen.computeIfAbsent(row.firstSeed(), k -> new boolean[sigmas.length - 1]);
            if (steps[row.step()]) {
                throw new IllegalArgumentException(at + "a second row, expected one per shard and step");
            }
            steps[row.step()] = true;
            int i = row.step();
            stats.sumAbs[i].add(row.sumAbs());
            stats.sumSquares[i].add(row.sumSquares());
            stats.sumMeans[i].add(row.sumMeans());
            stats.sumMeanSquares[i].add(row.sumMeanSquares());
            stats.samples[i] += row.samples();
        }
        if (stats == null) {
            throw new IllegalArgumentException("norm-stats: no shard rows, expected at least one shard");
        }
        long end = Long.MIN_VALUE;
        for (Map.Entry<Long, boolean[]> shard : seen.entrySet()) {
            long first = shard.getKey();
            long seeds = sizes.get(first);
            for (int i = 0; i < shard.getValue().length; i++) {
                if (!shard.getValue()[i]) {
                    throw new IllegalArgumentException("norm-stats shard " + first + "+" + seeds + ": no row for step "
                            + i + ", expected all " + shard.getValue().length + " steps");
                }
            }
            if (first < end) {
                throw new IllegalArgumentException("norm-stats shard " + first + "+" + seeds
                        + " overlaps the shard before it (which ends at seed " + (end - 1)
                        + "), expected disjoint shards");
            }
            end = first + seeds;
        }
        return stats;
    }

    /** The grid (a copy), N + 1 levels. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** N, the number of evaluated steps (rows). */
    public int steps() {
        return samples.length;
    }

    public int dim() {
        return dim;
    }

    /** n, the samples recorded at step i. */
    public long samples(int step) {
        checkStep(step);
        return samples[step];
    }

    /** r_i = Σ|ε| / (n·D). */
    public double meanAbs(int step) {
        checkStep(step);
        return sumAbs[step].mean(samples[step] * dim);
    }

    /** SE_i = sd(m_s) / √n (class comment). */
    public double standardError(int step) {
        checkStep(step);
        return ExactSum.standardError(samples[step], sumMeans[step], sumMeanSquares[step]);
    }

    /** √(Σε² / (n·D)), the root-mean-square ε at step i. */
    public double rms(int step) {
        checkStep(step);
        return Math.sqrt(sumSquares[step].mean(samples[step] * dim));
    }

    /** The table with DEIS-SN's default truncation, k = {@value #DEFAULT_TRUNCATION}. */
    public NormTable table() {
        return table(DEFAULT_TRUNCATION);
    }

    /**
     * The table r_i, SE_i, count_i = n·D for the N evaluated steps, with end truncation: the last k rows
     * (i = N − k … N − 1) take the value and SE of row N − k − 1, the last row left as measured. Exactly k rows
     * change, as in DEIS-SN's reference ({@code ratio[k:]} padded with {@code ratio[k]} repeated k times, in its
     * order from τ = 0 upwards); their counts stay as measured.
     *
     * @param k 0 ≤ k &lt; N
     * @throws IllegalStateException if a step has no samples
     */
    public NormTable table(int k) {
        int n = steps();
        if (k < 0 || k >= n) {
            throw new IllegalArgumentException("norm-stats: truncation k = " + k + ", expected 0 <= k < " + n
                    + " (the number of evaluated steps)");
        }
        double[] s = Arrays.copyOf(sigmas, n);
        double[] r = new double[n];
        double[] se = new double[n];
        long[] count = new long[n];
        for (int i = 0; i < n; i++) {
            if (samples[i] == 0) {
                throw new IllegalStateException("norm-stats: step " + i + " (sigma = " + sigmas[i]
                        + ") has no samples, expected every step recorded");
            }
            r[i] = meanAbs(i);
            se[i] = standardError(i);
            count[i] = samples[i] * dim;
        }
        for (int i = n - k; i < n; i++) {
            r[i] = r[n - k - 1];
            se[i] = se[n - k - 1];
        }
        return new NormTable(s, r, se, count, k, Arrays.stream(samples).min().orElseThrow(), java.util.Map.of());
    }

    private void checkStep(int step) {
        if (step < 0 || step >= samples.length) {
            throw new IllegalArgumentException("norm-stats: step " + step + ", expected 0 <= step < "
                    + samples.length);
        }
    }
}
