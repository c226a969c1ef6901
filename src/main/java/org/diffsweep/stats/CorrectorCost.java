package org.diffsweep.stats;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Euler;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.TimeGrid;

/**
 * The corrector cost of Score-Optimal Diffusion Schedules (Williams et al. 2024; docs/offline-statistics.md) on a fine
 * grid σ_0 &gt; σ_1 &gt; … &gt; σ_M &gt; 0, one value per interval j = 0 … M − 1:
 * <pre>
 *   L_j = L(σ_j, σ_{j+1}) = σ_{j+1}² · E_{x ~ p_{σ_j}} ‖score(x; σ_{j+1}) − score(x; σ_j)‖²,
 *   score(x; σ) = (D(x; σ) − x) / σ².
 * </pre>
 * ‖·‖² is the <b>sum</b> over the D dimensions, the paper's literal squared norm (so a Gaussian
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
     * The fine grid of an {@code edm} grid (docs/grids.md) without its σ = 0: {@code points} levels from σ_max down to
     * σ_min with spacing ρ, i.e. M = points − 1 intervals.
     */
    public static double[] edmLevels(double sigmaMin, double sigmaMax, double rho, int points) {
        return Arrays.copyOf(new org.diffsweep.schedule.EdmGrid(sigmaMin, sigmaMax, rho).sigmas(points), points);
    }

    /** {@link #collect(Denoiser, Sampler, double[], long[])} with Euler (docs/offline-statistics.md, Corrector cost). */
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
     * The estimates as a {@link Curve} (no metadata): what the cost curve CSV holds, and all a schedule and its
     * plot need.
     */
    public Curve curve() {
        long[] n = samples.clone();
        return new Curve(sigmas.clone(), costs(), standardErrors(), n, Map.of());
    }

    /**
     * The cost curve as {@link #writeCsv} writes it and {@link #readCsv} reads it back: the fine grid σ_0 … σ_M,
     * L_j, SE_j and n_j per interval, and the file's metadata (the writer's own keys {@code format}, {@code norm},
     * {@code intervals} left out).
     */
    public record Curve(double[] sigmas, double[] costs, double[] standardErrors, long[] counts,
                        Map<String, String> metadata) {
    }

    static final String CSV_FORMAT = "diffsweep-corrector-cost-1";
    private static final String CSV_HEADER = "sigma,sigma_next,cost,se,count,lambda";
    private static final String[] CSV_RESERVED = {"format", "norm", "intervals"};

    /**
     * Writes the cost curve as CSV (UTF-8): comment lines {@code # key: value} (the caller's metadata, then
     * format, norm, intervals), the header {@code sigma,sigma_next,cost,se,count,lambda} and one row per interval
     * j, with lambda = Λ_{j+1} = Σ_{k≤j} √L_k, the path length from σ_0 down to sigma_next (so the last row holds
     * Λ_M; Λ_0 = 0 at σ_0 is implied). Numbers are written with {@link Double#toString}, so they read back to the
     * same doubles. The whole text is made (and the metadata checked) before the first byte is written.
     *
     * @param name the file it goes to, for messages
     * @throws IllegalArgumentException naming the file if the metadata cannot be written
     */
    public void writeCsv(OutputStream out, String name, Map<String, String> metadata) throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("format", CSV_FORMAT);
        own.put("norm", "sum over dimensions");
        own.put("intervals", Integer.toString(samples.length));
        StringBuilder text = new StringBuilder();
        Metadata.write(text, Metadata.userEntries(metadata, "cost curve " + name, CSV_RESERVED),
                "cost curve " + name);
        Metadata.write(text, own, "cost curve " + name);
        text.append(CSV_HEADER).append('\n');
        double[] lambda = ScoreOptimalSchedule.pathLength(costs());
        for (int j = 0; j < samples.length; j++) {
            text.append(sigmas[j]).append(',').append(sigmas[j + 1]).append(',').append(cost(j)).append(',')
                    .append(standardError(j)).append(',').append(samples[j]).append(',').append(lambda[j + 1])
                    .append('\n');
        }
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a cost curve written by {@link #writeCsv}: the same σ, L, SE and n, bit for bit.
     *
     * @param name the file it comes from, for messages
     * @throws IllegalArgumentException naming the file and line if it breaks the format
     * @throws IOException              if the stream fails
     */
    public static Curve readCsv(InputStream in, String name) throws IOException {
        List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        String what = "cost curve " + name;
        Map<String, String> meta = new LinkedHashMap<>();
        boolean header = false;
        List<Double> sigma = new ArrayList<>();
        List<Double> cost = new ArrayList<>();
        List<Double> se = new ArrayList<>();
        List<Long> count = new ArrayList<>();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                Metadata.read(line, meta);
                continue;
            }
            if (!header) {
                if (!line.equals(CSV_HEADER)) {
                    throw new IllegalArgumentException(what + ": line " + n + ": header '" + line + "', expected '"
                            + CSV_HEADER + "'");
                }
                header = true;
                continue;
            }
            String[] c = line.split(",", -1);
            if (c.length != 6) {
                throw new IllegalArgumentException(what + ": line " + n + ": " + c.length + " fields, expected 6 ("
                        + CSV_HEADER + ")");
            }
            try {
                double from = Double.parseDouble(c[0]);
                if (!sigma.isEmpty() && Double.compare(sigma.get(sigma.size() - 1), from) != 0) {
                    throw new IllegalArgumentException(what + ": line " + n + ": sigma " + from + ", expected the "
                            + "previous row's sigma_next " + sigma.get(sigma.size() - 1));
                }
                if (sigma.isEmpty()) {
                    sigma.add(from);
                }
                sigma.add(Double.parseDouble(c[1]));
                cost.add(Double.parseDouble(c[2]));
                se.add(Double.parseDouble(c[3]));
                count.add(Long.parseLong(c[4]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + ": line " + n + ": '" + line + "' is not numeric, expected "
                        + CSV_HEADER + " as numbers");
            }
        }
        if (!CSV_FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException(what + ": format '" + meta.get("format") + "', expected a '# format: "
                    + CSV_FORMAT + "' line");
        }
        if (cost.isEmpty() || !Integer.toString(cost.size()).equals(meta.get("intervals"))) {
            throw new IllegalArgumentException(what + ": " + cost.size() + " rows, intervals '"
                    + meta.get("intervals") + "', expected one row per interval (at least one)");
        }
        for (String key : CSV_RESERVED) {
            meta.remove(key);
        }
        return new Curve(sigma.stream().mapToDouble(Double::doubleValue).toArray(),
                cost.stream().mapToDouble(Double::doubleValue).toArray(),
                se.stream().mapToDouble(Double::doubleValue).toArray(),
                count.stream().mapToLong(Long::longValue).toArray(), meta);
    }

    private void checkInterval(int j) {
        if (j < 0 || j >= samples.length) {
            throw new IllegalArgumentException("corrector-cost: interval " + j + ", expected 0 <= j < "
                    + samples.length);
        }
    }
}
