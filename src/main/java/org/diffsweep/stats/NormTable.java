package org.diffsweep.stats;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffsweep.diffusion.Process;
import org.diffsweep.sampler.ScoreScale;

/**
 * DEIS-SN's score-normalisation table (docs/offline-statistics.md), reduced from {@link NormStats}: one row per
 * evaluated step i of the collection run, σ decreasing, with r_i = mean |ε|, its standard error SE_i, and count_i = n·D
 * elements; the last k rows truncated (see {@link NormStats#table(int)}).
 *
 * <p>The CSV file is the format {@link ScoreScale#fromCsv} reads:
 * <pre>
 *   # model: ...            &lt;- the caller's metadata (model id and hash, sampler, grid, seeds), then
 *   # format: diffsweep-norm-stats-1
 *   # process: edm          &lt;- whose time is the column t
 *   # steps: 1000           &lt;- rows
 *   # samples: 4096         &lt;- n, samples per step (the fewest, if steps differ)
 *   # truncation_k: 5
 *   step,sigma,t,r,se,count
 *   0,80.0,80.0,0.7978...,0.0001...,65536
 *   ...
 * </pre>
 * Numbers are written with {@link Double#toString}, which reads back to the same double, so a table read back is
 * the table written, bit for bit.
 */
public final class NormTable {

    static final String FORMAT = "diffsweep-norm-stats-1";
    private static final String HEADER = "step,sigma,t,r,se,count";
    private static final String[] RESERVED = {"format", "process", "steps", "samples", "truncation_k"};

    private final double[] sigma;
    private final double[] r;
    private final double[] se;
    private final long[] count;
    private final int truncation;
    private final long samples;
    private final LinkedHashMap<String, String> metadata;

    NormTable(double[] sigma, double[] r, double[] se, long[] count, int truncation, long samples,
            Map<String, String> metadata) {
        this.sigma = sigma;
        this.r = r;
        this.se = se;
        this.count = count;
        this.truncation = truncation;
        this.samples = samples;
        this.metadata = new LinkedHashMap<>(metadata);
    }

    /**
     * This table with the caller's metadata (model id and hash, sampler, grid, seeds, …), written before the
     * writer's own keys (format, process, steps, samples, truncation_k, which may not be given here).
     */
    public NormTable withMetadata(Map<String, String> entries) {
        return new NormTable(sigma, r, se, count, truncation, samples,
                Metadata.userEntries(entries, "norm table", RESERVED));
    }

    /** σ_i of the rows, decreasing (a copy). */
    public double[] sigmas() {
        return sigma.clone();
    }

    /** r_i (a copy). */
    public double[] values() {
        return r.clone();
    }

    /** SE_i (a copy). */
    public double[] standardErrors() {
        return se.clone();
    }

    /** count_i = n·D (a copy). */
    public long[] counts() {
        return count.clone();
    }

    /** k, the truncated rows at the end. */
    public int truncation() {
        return truncation;
    }

    /** n, samples per step. */
    public long samples() {
        return samples;
    }

    /** The caller's metadata, in its order. */
    public Map<String, String> metadata() {
        return new LinkedHashMap<>(metadata);
    }

    /** The table as DEIS-SN's r(σ), interpolated in the time of {@code process} (see {@link ScoreScale}). */
    public ScoreScale scoreScale(Process process, String label) {
        return ScoreScale.of(sigma, r, process, label);
    }

    /**
     * Writes the table (format in the class comment) as UTF-8; t is {@code process.time(σ)}. The whole text is
     * made (and the metadata checked) before the first byte is written.
     *
     * @param name the file it goes to, for messages
     * @throws IllegalArgumentException naming the file if the metadata cannot be written
     * @throws IOException              if the stream fails
     */
    public void write(OutputStream out, Process process, String name) throws IOException {
        StringBuilder text = new StringBuilder();
        Map<String, String> own = new LinkedHashMap<>();
        own.put("format", FORMAT);
        own.put("process", process.name());
        own.put("steps", Integer.toString(sigma.length));
        own.put("samples", Long.toString(samples));
        own.put("truncation_k", Integer.toString(truncation));
        Metadata.write(text, metadata, "norm table " + name);
        Metadata.write(text, own, "norm table " + name);
        text.append(HEADER).append('\n');
        for (int i = 0; i < sigma.length; i++) {
            text.append(i).append(',').append(sigma[i]).append(',').append(process.time(sigma[i])).append(',')
                    .append(r[i]).append(',').append(se[i]).append(',').append(count[i]).append('\n');
        }
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a table written by {@link #write}.
     *
     * @throws IllegalArgumentException naming the file and line, if it cannot be read or breaks the format
     */
    public static NormTable read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("norm table " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("norm table " + file + ": cannot read (" + e.getMessage() + ")");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        boolean header = false;
        List<String[]> rows = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
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
                if (!line.replace(" ", "").equals(HEADER)) {
                    throw new IllegalArgumentException("norm table " + file + ": line " + n + ": header '" + line
                            + "', expected '" + HEADER + "'");
                }
                header = true;
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != 6) {
                throw new IllegalArgumentException("norm table " + file + ": line " + n + ": " + cells.length
                        + " fields, expected 6 (" + HEADER + ")");
            }
            rows.add(cells);
            lineNumbers.add(n);
        }
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException("norm table " + file + ": format '" + meta.get("format")
                    + "', expected a '# format: " + FORMAT + "' line");
        }
        int n = rows.size();
        double[] sigma = new double[n];
        double[] r = new double[n];
        double[] se = new double[n];
        long[] count = new long[n];
        for (int i = 0; i < n; i++) {
            String at = "norm table " + file + ": line " + lineNumbers.get(i) + ": ";
            String[] c = rows.get(i);
            try {
                if (Integer.parseInt(c[0].strip()) != i) {
                    throw new IllegalArgumentException(at + "step " + c[0].strip() + ", expected " + i);
                }
                sigma[i] = Double.parseDouble(c[1].strip());
                r[i] = Double.parseDouble(c[3].strip());
                se[i] = Double.parseDouble(c[4].strip());
                count[i] = Long.parseLong(c[5].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(at + "'" + String.join(",", c) + "' is not numeric, expected "
                        + HEADER + " as numbers");
            }
        }
        long k = integer(meta, "truncation_k", file);
        long samples = integer(meta, "samples", file);
        if (integer(meta, "steps", file) != n || n < 2 || k < 0 || k >= n) {
            throw new IllegalArgumentException("norm table " + file + ": " + n + " rows, steps " + meta.get("steps")
                    + ", truncation_k " + k + ", expected rows = steps >= 2 and 0 <= truncation_k < rows");
        }
        for (String key : RESERVED) {
            meta.remove(key);
        }
        return new NormTable(sigma, r, se, count, (int) k, samples, meta);
    }

    private static long integer(Map<String, String> meta, String key, Path file) {
        try {
            return Long.parseLong(meta.getOrDefault(key, ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("norm table " + file + ": " + key + " = '" + meta.get(key)
                    + "', expected a '# " + key + ": <integer>' line");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NormTable t && Arrays.equals(sigma, t.sigma) && Arrays.equals(r, t.r)
                && Arrays.equals(se, t.se) && Arrays.equals(count, t.count) && truncation == t.truncation
                && samples == t.samples && metadata.equals(t.metadata);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(r) * 31 + truncation;
    }

    @Override
    public String toString() {
        return "NormTable(" + sigma.length + " rows, n = " + samples + ", k = " + truncation + ")";
    }
}
