package org.diffsweep.stats;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Euler;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.TimeGrid;

/**
 * The corrector cost of Score-Optimal Diffusion Schedules (Williams et al. 2024; SPEC §7) on a fine grid
 * σ_0 &gt; σ_1 &gt; … &gt; σ_M &gt; 0, one value per interval j = 0 … M − 1:
 * <pre>
 *   L_j = L(σ_j, σ_{j+1}) = σ_{j+1}² · E_{x ~ p_{σ_j}} ‖score(x; σ_{j+1}) − score(x; σ_j)‖²,
 *   score(x; σ) = (D(x; σ) − x) / σ².
 * </pre>
 * ‖·‖² is the <b>sum</b> over the D dimensions, the paper's and SPEC's literal squared norm (so a Gaussian
 * N(0, v·I) has L = D·σ'²(σ² − σ'²)² / ((v + σ²)(v + σ'²)²), see the tests). Taking the mean over dimensions
 * instead divides every L_j by D, which scales the path length Λ by 1/√D and leaves the schedule
 * Λ⁻¹(i·Λ_M/n) unchanged.
 *
 * <p>The expectation is estimated by mergeable exact sums over samples s of c_s = σ_{j+1}²·‖Δscore‖²: Σc, Σc²
 * and n per interval, giving L_j = Σc/n with standard error sd(c)/√n. The states x ~ p_{σ_j} are those a
 * high-NFE sampler run visits ({@link #collect}; both model calls use the same x), or any states the caller has
 * ({@link #add(int, Denoiser, double[], int)}, e.g. noised data x_0 + σ_j·n).
 */
public final class CorrectorCost implements Serializable {

    private static final long serialVersionUID = 1L;

    private final double[] sigmas;
    private final int dim;
    private final ExactSum[] sum;
    private final ExactSum[] sumSquares;
    private final long[] samples;

    /**
     * Empty sums.
     *
     * @param sigmas the fine grid σ_0 &gt; … &gt; σ_M, M + 1 ≥ 2 levels, all &gt; 0
     * @param dim    D, the values per sample
     */
    public CorrectorCost(double[] sigmas, int dim) {
        TimeGrid.requireDecreasing(sigmas, "corrector-cost grid");
        if (!(sigmas[sigmas.length - 1] > 0)) {
            throw new IllegalArgumentException("corrector-cost grid: last sigma = " + sigmas[sigmas.length - 1]
                    + ", expected > 0 (the cost needs the score at both ends of an interval; leave sigma = 0 out)");
        }
        if (dim < 1) {
            throw new IllegalArgumentException("corrector-cost: dim = " + dim + ", expected at least 1");
        }
        this.sigmas = sigmas.clone();
        this.dim = dim;
        int m = sigmas.length - 1;
        this.sum = new ExactSum[m];
        this.sumSquares = new ExactSum[m];
        for (int j = 0; j < m; j++) {
            sum[j] = new ExactSum();
            sumSquares[j] = new ExactSum();
        }
        this.samples = new long[m];
    }

    /**
     * The fine grid of an {@code edm} grid (SPEC §2) without its σ = 0: {@code points} levels from σ_max down to
     * σ_min with spacing ρ, i.e. M = points − 1 intervals.
     */
    public static double[] edmLevels(double sigmaMin, double sigmaMax, double rho, int points) {
        return Arrays.copyOf(new org.diffsweep.schedule.EdmGrid(sigmaMin, sigmaMax, rho).sigmas(points), points);
    }

    /** {@link #collect(Denoiser, Sampler, double[], long[])} with Euler, SPEC §7's high-NFE trajectories. */
    public static CorrectorCost collect(Denoiser model, double[] sigmas, long[] seeds) {
        return collect(model, new Euler(), sigmas, seeds);
    }

    /**
     * Runs {@code sampler} on the fine grid from the latents of {@code seeds} as one batch; whenever it evaluates
     * the model at σ_j on the batch state x_j, the model is also evaluated at σ_{j+1} on the same x_j, and the
     * interval's sums get c_s for every sample. 2M model calls. The sampler must call the model once at each level
     * but the last (see {@link GridRecorder}).
     */
    public static CorrectorCost collect(Denoiser model, Sampler sampler, double[] sigmas, long[] seeds) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("corrector-cost: no seeds, expected at least one");
        }
        CorrectorCost cost = new CorrectorCost(sigmas, model.dim());
        GridRecorder recorder = new GridRecorder(model, sigmas, "corrector-cost") {
            @Override
            void record(int level, double[] x, double[] denoised, int batch) {
                double[] next = model().denoise(x, batch, sigmas[level + 1]);
                cost.add(level, x, denoised, next, batch);
            }
        };
        double[] x = BatchNoise.latents(seeds, model.dim(), sigmas[0]);
        sampler.sample(recorder, sigmas, x, BatchNoise.samplerNoise(seeds, model.dim()));
        recorder.requireAllSeen(sampler.describe());
        return cost;
    }

    /**
     * Adds a batch of states x ~ p_{σ_j} to interval j, evaluating the model at σ_j and σ_{j+1} on it.
     *
     * @param x {@code batch} rows of D values
     */
    public void add(int j, Denoiser model, double[] x, int batch) {
        checkInterval(j);
        add(j, x, model.denoise(x, batch, sigmas[j]), model.denoise(x, batch, sigmas[j + 1]), batch);
    }

    /**
     * Adds a batch to interval j given the model's outputs on it.
     *
     * @param x    states x ~ p_{σ_j}, {@code batch} rows of D values
     * @param here D(x; σ_j)
     * @param next D(x; σ_{j+1})
     */
    public void add(int j, double[] x, double[] here, double[] next, int batch) {
        checkInterval(j);
        if (x.length != (long) batch * dim || here.length != x.length || next.length != x.length) {
            throw new IllegalArgumentException("corrector-cost: " + x.length + " states, " + here.length + " and "
                    + next.length + " outputs, expected batch * dim = " + batch + " * " + dim + " each");
        }
        double s2 = sigmas[j] * sigmas[j];
        double n2 = sigmas[j + 1] * sigmas[j + 1];
        for (int row = 0; row < batch; row++) {
            double squares = 0;
            for (int d = row * dim; d < (row + 1) * dim; d++) {
                double diff = (next[d] - x[d]) / n2 - (here[d] - x[d]) / s2;
                squares += diff * diff;
            }
            double c = n2 * squares;
            if (!Double.isFinite(c * c)) {
                throw new IllegalArgumentException("corrector-cost: interval " + j + " (sigma = " + sigmas[j] + "), row "
                        + row + ": cost = " + c + ", expected finite model outputs");
            }
            sum[j].add(c);
            sumSquares[j].add(c * c);
            samples[j]++;
        }
    }

    /**
     * Adds another shard's sums into these.
     *
     * @return this
     * @throws IllegalArgumentException if the grids or dims differ
     */
    public CorrectorCost merge(CorrectorCost other) {
        if (!Arrays.equals(sigmas, other.sigmas) || dim != other.dim) {
            throw new IllegalArgumentException("corrector-cost merge: grids of " + sigmas.length + " and "
                    + other.sigmas.length + " levels (dims " + dim + " and " + other.dim
                    + "), expected the same grid, level for level, and the same dim");
        }
        for (int j = 0; j < samples.length; j++) {
            sum[j].add(other.sum[j]);
            sumSquares[j].add(other.sumSquares[j]);
            samples[j] += other.samples[j];
        }
        return this;
    }

    /** The fine grid (a copy), M + 1 levels. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** M, the number of intervals. */
    public int intervals() {
        return samples.length;
    }

    public int dim() {
        return dim;
    }

    /** n, the samples of interval j. */
    public long samples(int j) {
        checkInterval(j);
        return samples[j];
    }

    /** The estimate of L(σ_j, σ_{j+1}): Σc/n. */
    public double cost(int j) {
        checkInterval(j);
        return sum[j].mean(samples[j]);
    }

    /** Its standard error sd(c)/√n. */
    public double standardError(int j) {
        checkInterval(j);
        return ExactSum.standardError(samples[j], sum[j], sumSquares[j]);
    }

    /** All M estimates. */
    public double[] costs() {
        double[] c = new double[samples.length];
        for (int j = 0; j < c.length; j++) {
            c[j] = cost(j);
        }
        return c;
    }

    /** All M standard errors. */
    public double[] standardErrors() {
        double[] se = new double[samples.length];
        for (int j = 0; j < se.length; j++) {
            se[j] = standardError(j);
        }
        return se;
    }

    /**
     * Writes the cost curve as CSV: comment lines {@code # key: value} (the caller's metadata, then format,
     * norm, intervals), the header {@code sigma,sigma_next,cost,se,count,lambda} and one row per interval j, with
     * lambda = Λ_{j+1} = Σ_{k≤j} √L_k, the path length from σ_0 down to sigma_next (so the last row holds Λ_M;
     * Λ_0 = 0 at σ_0 is implied).
     */
    public void writeCsv(Path file, Map<String, String> metadata) {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("format", "diffsweep-corrector-cost-1");
        own.put("norm", "sum over dimensions");
        own.put("intervals", Integer.toString(samples.length));
        StringBuilder out = new StringBuilder();
        Metadata.write(out, Metadata.userEntries(metadata, "cost curve " + file, "format", "norm", "intervals"),
                "cost curve " + file);
        Metadata.write(out, own, "cost curve " + file);
        out.append("sigma,sigma_next,cost,se,count,lambda\n");
        double[] lambda = ScoreOptimalSchedule.pathLength(costs());
        for (int j = 0; j < samples.length; j++) {
            out.append(sigmas[j]).append(',').append(sigmas[j + 1]).append(',').append(cost(j)).append(',')
                    .append(standardError(j)).append(',').append(samples[j]).append(',').append(lambda[j + 1])
                    .append('\n');
        }
        try {
            Files.writeString(file, out);
        } catch (IOException e) {
            throw new IllegalArgumentException("cost curve " + file + ": cannot write (" + e.getMessage() + ")");
        }
    }

    private void checkInterval(int j) {
        if (j < 0 || j >= samples.length) {
            throw new IllegalArgumentException("corrector-cost: interval " + j + ", expected 0 <= j < "
                    + samples.length);
        }
    }
}
