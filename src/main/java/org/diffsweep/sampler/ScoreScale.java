package org.diffsweep.sampler;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.Process;
import org.diffsweep.model.GaussianMixture;

/**
 * DEIS-SN's score scale r(σ) (docs/samplers.md, DEIS-SN; docs/offline-statistics.md): the mean absolute value of
 * ε(x̂; σ) at each noise level, so that DEIS-SN integrates the reparameterised score z = ε / r, which varies slowly
 * even near σ → 0.
 *
 * <p>A table of points (σ_k, r_k). Between two points r is linear in the interpolation variable u,
 * <pre>
 *   r(σ) = r_k + (u(σ) − u(σ_k)) / (u(σ_{k+1}) − u(σ_k)) · (r_{k+1} − r_k),    σ_k ≤ σ ≤ σ_{k+1},
 * </pre>
 * and constant beyond the first and last points. The interpolation is piecewise linear in the grid's
 * time variable, so u is the time of a {@link Process}: u(σ) = process.time(σ) (τ for the discrete DDPM,
 * t for VP, σ itself for EDM). Holding the process rather than an arbitrary function keeps the table
 * serializable (it travels to Spark executors inside the sampler) and makes "which variable" a named, logged
 * choice. A constant factor in r cancels out of DEIS-SN; only the shape matters.
 *
 * <p>The table is read from a CSV file ({@link #fromCsv}), the format the {@code norm-stats} job writes:
 * <pre>
 *   # lines starting with '#' are comments (metadata: model, sampler, grid, seeds, k); blank lines are skipped
 *   t,sigma,r,se,count          &lt;- header: the first other line; comma-separated column names
 *   0.999,152.3,0.7979,0.0004,65536
 *   ...
 * </pre>
 * Columns {@code sigma} (σ ≥ 0, finite) and {@code r} (finite, &gt; 0) are required, in any order; every other
 * column ({@code t}, {@code se}, {@code count}, …) is ignored. Every data row has as many fields as the header.
 * There are at least 2 rows, and σ is strictly monotone down the file (either direction; rows are sorted by σ
 * when read). Errors are {@link IllegalArgumentException}s of one line naming the file, the line number, the
 * bad value and what was expected.
 */
public final class ScoreScale implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Table points, σ increasing (empty for the constant r ≡ 1). */
    private final double[] sigma;
    private final double[] r;
    /** u(σ_k), increasing. */
    private final double[] u;
    /** The process whose time is u; null means u = σ. */
    private final Process process;
    private final String label;
    /** The model the table was measured on (its {@code # model:} line), or null when the table does not say. */
    private String madeFor;
    /** For a table still to be made ({@link #pending}): where it will be written; null otherwise. */
    private String pendingPath;
    /** The file the table was read from ({@link Samplers#readTable}), or null. */
    private String source;

    private ScoreScale(double[] sigma, double[] r, Process process, String label) {
        this.sigma = sigma;
        this.r = r;
        this.process = process;
        this.label = label;
        this.u = new double[sigma.length];
        for (int k = 0; k < sigma.length; k++) {
            u[k] = u(sigma[k]);
        }
    }

    /** r ≡ 1: plain DEIS (z = ε). */
    public static ScoreScale constant() {
        return new ScoreScale(new double[0], new double[0], null, "1");
    }

    /**
     * A table that does not exist yet: {@code diffsweep run} makes it with the norm-stats job before sampling
     * (and {@code sweep} refuses to start). It must not be sampled with; it acts as the constant meanwhile.
     */
    public static ScoreScale pending(Path file) {
        return pending(file.toString());
    }

    /** A table still to be made at {@code path} (any file system's path). */
    public static ScoreScale pending(String path) {
        ScoreScale table = new ScoreScale(new double[0], new double[0], null, fileName(path));
        table.pendingPath = path;
        return table;
    }

    private static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The file the table was read from, or will be written to when pending; null for a computed table. */
    public String source() {
        return source != null ? source : pendingPath;
    }

    ScoreScale fromFile(String path) {
        this.source = path;
        return this;
    }

    /** Where a pending table will be written, or null for a table that exists. */
    public String pendingPath() {
        return pendingPath;
    }

    /**
     * A table of points interpolated in the time of {@code process}.
     *
     * @param sigma σ_k, strictly monotone (either direction), finite and ≥ 0
     * @param r     r_k, finite and &gt; 0
     * @param label a short name written into the sampler's description
     */
    public static ScoreScale of(double[] sigma, double[] r, Process process, String label) {
        if (sigma.length != r.length || sigma.length < 2) {
            throw new IllegalArgumentException("score table " + label + ": " + sigma.length + " sigmas and "
                    + r.length + " values, expected the same number, at least 2");
        }
        for (int k = 0; k < sigma.length; k++) {
            String at = "score table " + label + ": point " + k + ": ";
            checkSigma(sigma[k], at);
            checkR(r[k], at);
            if (k > 1 && (sigma[k] > sigma[k - 1]) != (sigma[1] > sigma[0]) || k > 0 && sigma[k] == sigma[k - 1]) {
                throw new IllegalArgumentException(at + "sigma = " + sigma[k] + " after " + sigma[k - 1]
                        + ", expected strictly monotone sigma");
            }
            checkTime(process, sigma[k], at);
        }
        return sorted(sigma.clone(), r.clone(), process, label);
    }

    /**
     * Reads a table from a CSV file (format in the class comment), interpolated in the time of {@code process}.
     * The label is the file's name.
     *
     * @throws IllegalArgumentException if the file cannot be read or breaks the format (one line, naming file,
     *                                  line number, bad value and what was expected)
     */
    public static ScoreScale fromCsv(Path file, Process process) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("score table " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("score table " + file + ": cannot read (" + e.getMessage() + ")");
        }
        return fromLines(lines, file.toString(), process);
    }

    /**
     * A table from the lines of a CSV file (format in the class comment); {@code file} names it in errors and its
     * last segment is the label.
     */
    public static ScoreScale fromLines(List<String> lines, String file, Process process) {
        String[] header = null;
        int headerLine = 0;
        int sigmaCol = -1;
        int rCol = -1;
        List<double[]> rows = new ArrayList<>();
        int lastLine = 0;
        String model = null;
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).trim();
            if (line.startsWith("# model:")) {
                model = line.substring("# model:".length()).trim();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String at = "score table " + file + ": line " + n + ": ";
            String[] cells = line.split(",", -1);
            for (int c = 0; c < cells.length; c++) {
                cells[c] = cells[c].trim();
            }
            if (header == null) {
                header = cells;
                headerLine = n;
                sigmaCol = column(header, "sigma", at);
                rCol = column(header, "r", at);
                continue;
            }
            if (cells.length != header.length) {
                throw new IllegalArgumentException(at + cells.length + " fields, expected " + header.length
                        + " as in the header (line " + headerLine + ")");
            }
            double s = number(cells[sigmaCol], "sigma", at);
            double v = number(cells[rCol], "r", at);
            checkSigma(s, at);
            checkR(v, at);
            int k = rows.size();
            if (k > 0) {
                double prev = rows.get(k - 1)[0];
                boolean increasing = k > 1 ? rows.get(1)[0] > rows.get(0)[0] : s > prev;
                if (s == prev || (s > prev) != increasing) {
                    throw new IllegalArgumentException(at + "sigma = " + s + " after " + prev + ", expected sigma "
                            + (k > 1 ? (increasing ? "increasing" : "decreasing") + " as in the rows before"
                            : "different from the row before") + " (strictly monotone)");
                }
            }
            checkTime(process, s, at);
            rows.add(new double[] {s, v});
            lastLine = n;
        }
        if (header == null) {
            throw new IllegalArgumentException("score table " + file + ": no header line, expected a header with "
                    + "columns sigma and r");
        }
        if (rows.size() < 2) {
            throw new IllegalArgumentException("score table " + file + ": line " + Math.max(lastLine, headerLine)
                    + ": " + rows.size() + " data row" + (rows.size() == 1 ? "" : "s")
                    + " at the end of the file, expected at least 2");
        }
        double[] s = new double[rows.size()];
        double[] v = new double[rows.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = rows.get(k)[0];
            v[k] = rows.get(k)[1];
        }
        ScoreScale table = sorted(s, v, process, fileName(file));
        table.madeFor = model;
        return table;
    }

    /**
     * The table from the exact model: at each σ_k, r_k = mean of |ε(x̂; σ_k)| over x̂ = x₀ + σ_k·n, with x₀
     * drawn from the mixture itself and n ~ N(0, I), averaged over {@code samples} draws and all dimensions
     * (ε from the mixture's exact denoiser, one batch per level). Draws come from one
     * {@link SplittableRandom}{@code (seed)}, level after level in the order given. The mixture is a denoiser
     * in EDM form, whose time is σ, so the table is interpolated in σ.
     *
     * @param sigmas the levels σ_k, strictly monotone, finite and &gt; 0
     */
    public static ScoreScale monteCarlo(GaussianMixture mixture, double[] sigmas, int samples, long seed) {
        if (samples < 1) {
            throw new IllegalArgumentException("score table monte-carlo: samples = " + samples
                    + ", expected at least 1");
        }
        for (int k = 0; k < sigmas.length; k++) {
            if (!(sigmas[k] > 0 && sigmas[k] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("score table monte-carlo: sigma[" + k + "] = " + sigmas[k]
                        + ", expected finite and > 0");
            }
        }
        int dim = mixture.dim();
        SplittableRandom rng = new SplittableRandom(seed);
        double[] r = new double[sigmas.length];
        for (int k = 0; k < sigmas.length; k++) {
            double s = sigmas[k];
            double[] x = new double[samples * dim];
            for (int b = 0; b < samples; b++) {
                double[] x0 = mixture.sample(rng);
                for (int d = 0; d < dim; d++) {
                    x[b * dim + d] = x0[d] + s * rng.nextGaussian();
                }
            }
            double[] eps = Ode.epsilon(mixture, x, samples, s);
            double sum = 0;
            for (double e : eps) {
                sum += Math.abs(e);
            }
            r[k] = sum / eps.length;
        }
        return of(sigmas, r, new EdmProcess(), "mc-" + mixture.id() + "-n" + samples + "-s" + seed);
    }

    /** r(σ): linear in u between the table points, constant beyond them; 1 for {@link #constant()}. */
    public double at(double s) {
        int n = sigma.length;
        if (n == 0) {
            return 1.0;
        }
        if (s <= sigma[0]) {
            return r[0];
        }
        if (s >= sigma[n - 1]) {
            return r[n - 1];
        }
        int k = Arrays.binarySearch(sigma, s);
        if (k >= 0) {
            return r[k];
        }
        k = -k - 2; // sigma[k] < s < sigma[k + 1]
        double f = (u(s) - u[k]) / (u[k + 1] - u[k]);
        return r[k] + f * (r[k + 1] - r[k]);
    }

    /** Whether r is the constant 1 (plain DEIS). */
    public boolean isConstant() {
        return sigma.length == 0;
    }

    /** The table's σ points, increasing (a copy; empty for the constant). */
    public double[] sigmas() {
        return sigma.clone();
    }

    /** The table's values at {@link #sigmas()} (a copy). */
    public double[] values() {
        return r.clone();
    }

    /** The process whose time is the interpolation variable, or null where it is σ itself. */
    public Process process() {
        return process;
    }

    /** A short name: the file name, {@code mc-<model>-n<samples>-s<seed>}, or {@code 1} for the constant. */
    public String label() {
        return label;
    }

    /**
     * The σ in the open interval (lo, hi) where r is not smooth: the table's points and, when u is the time of a
     * discrete DDPM, the σ of its steps τ = k/K (where τ(σ) has kinks), within the table's range.
     */
    double[] kinks(double lo, double hi) {
        if (sigma.length == 0) {
            return new double[0];
        }
        double a = Math.max(lo, sigma[0]);
        double b = Math.min(hi, sigma[sigma.length - 1]);
        double[] processKinks = a < b ? Deis.processKinks(process, a, b) : new double[0];
        double[] out = new double[sigma.length + processKinks.length + 2];
        int n = 0;
        for (double s : sigma) {
            if (s > lo && s < hi) {
                out[n++] = s;
            }
        }
        for (double s : processKinks) {
            out[n++] = s;
        }
        return Arrays.copyOf(out, n);
    }

    /** The model the table was measured on, as its {@code # model:} line names it; null when it names none. */
    public String madeFor() {
        return madeFor;
    }

    /**
     * A SHA-256 of the table's values (σ and r, as float64 bits), the first 12 hex digits: two tables with the same
     * name but other numbers get other hashes, so a sweep's manifest changes when its table does.
     */
    public String contentHash() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 * sigma.length);
            for (int k = 0; k < sigma.length; k++) {
                b.putDouble(sigma[k]).putDouble(r[k]);
            }
            return java.util.HexFormat.of().formatHex(md.digest(b.array()), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ScoreScale(" + label + ", " + sigma.length + " points)";
    }

    private double u(double s) {
        return process == null ? s : process.time(s);
    }

    private static ScoreScale sorted(double[] s, double[] v, Process process, String label) {
        if (s[0] > s[s.length - 1]) {
            reverse(s);
            reverse(v);
        }
        return new ScoreScale(s, v, process, label);
    }

    private static void reverse(double[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static int column(String[] header, String name, String at) {
        int found = -1;
        for (int c = 0; c < header.length; c++) {
            if (header[c].equals(name)) {
                if (found >= 0) {
                    throw new IllegalArgumentException(at + "header " + String.join(",", header) + " has column '"
                            + name + "' twice, expected it once");
                }
                found = c;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException(at + "header " + String.join(",", header) + " has no column '"
                    + name + "', expected columns sigma and r (any order, others ignored)");
        }
        return found;
    }

    private static double number(String cell, String column, String at) {
        try {
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + column + " = '" + cell + "', expected a number");
        }
    }

    private static void checkSigma(double s, String at) {
        if (!(s >= 0 && s < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(at + "sigma = " + s + ", expected a finite value >= 0");
        }
    }

    private static void checkR(double v, String at) {
        if (!(v > 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(at + "r = " + v + ", expected a finite value > 0");
        }
    }

    /** The interpolation variable must exist at σ: the process's time must accept it. */
    private static void checkTime(Process process, double s, String at) {
        if (process == null) {
            return;
        }
        double t;
        try {
            t = process.time(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + "sigma = " + s + " is outside the range of process "
                    + process.name() + " (" + e.getMessage() + ")");
        }
        if (!Double.isFinite(t)) {
            throw new IllegalArgumentException(at + "sigma = " + s + " has time " + t + " in process "
                    + process.name() + ", expected a finite time");
        }
    }
}
