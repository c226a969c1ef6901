package org.diffsweep.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.sampler.Deis;
import org.diffsweep.sampler.Euler;
import org.diffsweep.sampler.Heun;
import org.diffsweep.sampler.ScoreScale;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.schedule.TimeGrids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DEIS-SN statistics (docs/offline-statistics.md): collection, merging, the table against direct Monte Carlo,
 * truncation, CSV.
 */
class NormStatsTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(8, 16, 0.5, 2024);
    static final EdmProcess EDM = new EdmProcess();

    static long[] seeds(long from, int n) {
        return LongStream.range(from, from + n).toArray();
    }

    /** Seeds split 1, 2 and 4 ways, shards merged in two orders, and a shard sent through serialization. */
    @Test
    void shardsMergeBitForBit() throws Exception {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(200);
        long[] all = seeds(1000, 24);
        NormStats whole = NormStats.collect(MIXTURE, new Euler(), grid, all);
        NormTable expected = whole.table();
        for (int ways : new int[] {2, 4}) {
            NormStats[] shards = new NormStats[ways];
            int size = all.length / ways;
            for (int w = 0; w < ways; w++) {
                shards[w] = NormStats.collect(MIXTURE, new Euler(), grid, Arrays.copyOfRange(all, w * size,
                        (w + 1) * size));
            }
            NormStats forward = new NormStats(grid, MIXTURE.dim());
            for (NormStats s : shards) {
                forward.merge(roundTrip(s));
            }
            NormStats backward = new NormStats(grid, MIXTURE.dim());
            for (int w = ways - 1; w >= 0; w--) {
                backward.merge(shards[w]);
            }
            for (NormStats merged : new NormStats[] {forward, backward}) {
                assertEquals(expected, merged.table(), ways + " ways");
                for (int i = 0; i < whole.steps(); i++) {
                    assertEquals(whole.meanAbs(i), merged.meanAbs(i), 0);
                    assertEquals(whole.standardError(i), merged.standardError(i), 0);
                    assertEquals(whole.rms(i), merged.rms(i), 0);
                    assertEquals(all.length, merged.samples(i));
                }
            }
        }
        // DEIS order 3 (one call per step) collects too; its table differs from Euler's only by the trajectories
        NormStats deis = NormStats.collect(MIXTURE, new Deis(3, Deis.Variant.TAB, EDM), grid, all);
        assertNotEquals(expected, deis.table());
        assertEquals(expected.values()[0], deis.table().values()[0], 0, "the first step is the same state");
    }

    /**
     * Shards of uneven sizes stored as rows (the exact sums through their decimal strings, as in the job's
     * Parquet), read back in shuffled order: the same sums as one run over all seeds, bit for bit.
     */
    @Test
    void shardRowsMergeBackExactly() {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(40);
        long[] all = seeds(500, 23);
        NormStats whole = NormStats.collect(MIXTURE, new Euler(), grid, all);
        List<NormStats.ShardRow> rows = new ArrayList<>();
        int[] bounds = {0, 10, 17, 23};
        for (int w = 0; w + 1 < bounds.length; w++) {
            long[] shard = Arrays.copyOfRange(all, bounds[w], bounds[w + 1]);
            for (NormStats.ShardRow r : NormStats.collect(MIXTURE, new Euler(), grid, shard).rows(shard[0],
                    shard.length)) {
                rows.add(new NormStats.ShardRow(r.firstSeed(), r.seeds(), r.step(), r.sigma(),
                        new BigDecimal(r.sumAbs().toString()), new BigDecimal(r.sumSquares().toString()),
                        new BigDecimal(r.sumMeans().toString()), new BigDecimal(r.sumMeanSquares().toString()),
                        r.samples(), r.dim()));
            }
        }
        assertEquals(3 * 40, rows.size());
        Collections.shuffle(rows, new Random(7));
        NormStats back = NormStats.fromRows(grid, rows);
        assertEquals(whole.table(), back.table());
        assertEquals(whole.table(0), back.table(0));
        for (int i = 0; i < whole.steps(); i++) {
            assertEquals(whole.rms(i), back.rms(i), 0);
            assertEquals(all.length, back.samples(i));
        }
        NormStats.ShardRow first = whole.rows(500, 23).get(3);
        assertEquals(3, first.step());
        assertEquals(grid[3], first.sigma(), 0);
        assertEquals(23, first.samples());
        assertEquals(MIXTURE.dim(), first.dim());
    }

    /** Rows that do not fit together are refused, naming the shard and step. */
    @Test
    void refusesShardRowsThatDoNotFit() {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(6);
        List<NormStats.ShardRow> a = NormStats.collect(MIXTURE, new Euler(), grid, seeds(0, 4)).rows(0, 4);
        List<NormStats.ShardRow> b = NormStats.collect(MIXTURE, new Euler(), grid, seeds(4, 4)).rows(4, 4);
        List<NormStats.ShardRow> overlapping = NormStats.collect(MIXTURE, new Euler(), grid, seeds(2, 4))
                .rows(2, 4);
        assertEquals(NormStats.collect(MIXTURE, new Euler(), grid, seeds(0, 8)).table(0),
                NormStats.fromRows(grid, concat(a, b)).table(0));
        Map<String, List<NormStats.ShardRow>> bad = new LinkedHashMap<>();
        bad.put("a second row, expected one per shard and step", concat(a, a.subList(2, 3)));
        bad.put("no row for step 5, expected all 6 steps", concat(a.subList(0, 5), b));
        bad.put("overlaps the shard before it", concat(a, overlapping));
        bad.put("sigma = ", List.of(withSigma(a.get(1), 1.5)));
        bad.put("dim 5, expected " + MIXTURE.dim(), concat(a, List.of(withDim(b.get(0), 5))));
        bad.put("no shard rows", List.of());
        for (Map.Entry<String, List<NormStats.ShardRow>> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> NormStats.fromRows(grid, e.getValue()));
            assertTrue(x.getMessage().contains(e.getKey()), x.getMessage());
        }
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> NormStats.collect(MIXTURE, new Euler(), grid, seeds(0, 4)).rows(0, 5));
        assertTrue(x.getMessage().contains("has 4 samples, expected one per seed (5)"), x.getMessage());
    }

    static List<NormStats.ShardRow> concat(List<NormStats.ShardRow> a, List<NormStats.ShardRow> b) {
        List<NormStats.ShardRow> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static NormStats.ShardRow withSigma(NormStats.ShardRow r, double sigma) {
        return new NormStats.ShardRow(r.firstSeed(), r.seeds(), r.step(), sigma, r.sumAbs(), r.sumSquares(),
                r.sumMeans(), r.sumMeanSquares(), r.samples(), r.dim());
    }

    static NormStats.ShardRow withDim(NormStats.ShardRow r, int dim) {
        return new NormStats.ShardRow(r.firstSeed(), r.seeds(), r.step(), r.sigma(), r.sumAbs(), r.sumSquares(),
                r.sumMeans(), r.sumMeanSquares(), r.samples(), dim);
    }

    static NormStats roundTrip(NormStats s) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (NormStats) in.readObject();
        }
    }

    /**
     * The table of the exact mixture from 1000 Euler steps against an independent expectation
     * E_{x̂ ~ p_σ}|ε(x̂; σ)| by direct Monte Carlo: x̂ = x₀ + σ·n with exact draws x₀ (SplittableRandom), the
     * per-sample mean over dimensions of |ε| averaged over samples, with its own standard error. The states on
     * the ODE trajectory are distributed as p_σ up to Euler's discretisation error (small at 1000 steps, and
     * included in what this test allows only through the 4 combined standard errors).
     */
    @Test
    void tableMatchesDirectMonteCarlo() {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(1000);
        NormStats stats = NormStats.collect(MIXTURE, new Euler(), grid, seeds(0, 2048));
        NormTable table = stats.table(0);
        SplittableRandom rng = new SplittableRandom(99);
        int mcSamples = 8192;
        int dim = MIXTURE.dim();
        StringBuilder report = new StringBuilder("norm-stats vs direct Monte Carlo (2048 trajectories, "
                + mcSamples + " MC samples):");
        for (double target : new double[] {40, 5, 1, 0.5, 0.2, 0.05, 0.01, 0.002}) {
            int i = nearest(grid, target);
            double sigma = grid[i];
            double[] x = new double[mcSamples * dim];
            for (int s = 0; s < mcSamples; s++) {
                double[] x0 = MIXTURE.sample(rng);
                for (int d = 0; d < dim; d++) {
                    x[s * dim + d] = x0[d] + sigma * rng.nextGaussian();
                }
            }
            double[] den = MIXTURE.denoise(x, mcSamples, sigma);
            double sum = 0;
            double sumSq = 0;
            for (int s = 0; s < mcSamples; s++) {
                double m = 0;
                for (int d = s * dim; d < (s + 1) * dim; d++) {
                    m += Math.abs((x[d] - den[d]) / sigma);
                }
                m /= dim;
                sum += m;
                sumSq += m * m;
            }
            double mc = sum / mcSamples;
            double mcSe = Math.sqrt((sumSq / mcSamples - mc * mc) / (mcSamples - 1));
            double r = table.values()[i];
            double se = table.standardErrors()[i];
            double combined = Math.hypot(se, mcSe);
            report.append(String.format("%n  step %4d sigma %-9.4g table %.5f ± %.5f   mc %.5f ± %.5f   z = %+.2f",
                    i, sigma, r, se, mc, mcSe, (r - mc) / combined));
            assertEquals(mc, r, 4 * combined, "sigma " + sigma);
        }
        System.out.println(report);
    }

    static int nearest(double[] grid, double sigma) {
        int best = 0;
        for (int i = 0; i + 1 < grid.length; i++) {
            if (Math.abs(Math.log(grid[i] / sigma)) < Math.abs(Math.log(grid[best] / sigma))) {
                best = i;
            }
        }
        return best;
    }

    /** The last k rows take row N − k − 1's value and SE; nothing else changes; counts stay as measured. */
    @Test
    void truncationReplacesExactlyTheLastKPoints() {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(100);
        NormStats stats = NormStats.collect(MIXTURE, new Euler(), grid, seeds(7, 16));
        NormTable raw = stats.table(0);
        int n = stats.steps();
        assertEquals(100, n);
        for (int k : new int[] {1, 5, 99}) {
            NormTable t = stats.table(k);
            assertEquals(k, t.truncation());
            int changed = 0;
            for (int i = 0; i < n; i++) {
                double expected = i < n - k ? raw.values()[i] : raw.values()[n - k - 1];
                assertEquals(expected, t.values()[i], 0, "k " + k + " row " + i);
                assertEquals(i < n - k ? raw.standardErrors()[i] : raw.standardErrors()[n - k - 1],
                        t.standardErrors()[i], 0);
                changed += t.values()[i] != raw.values()[i] ? 1 : 0;
            }
            assertEquals(k, changed, "rows changed with k = " + k);
            assertArrayEquals(raw.counts(), t.counts());
            assertArrayEquals(raw.sigmas(), t.sigmas());
        }
        assertEquals(NormStats.DEFAULT_TRUNCATION, stats.table().truncation());
        for (int bad : new int[] {-1, 100}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stats.table(bad));
            assertTrue(e.getMessage().contains("truncation k = " + bad + ", expected 0 <= k < 100"), e.getMessage());
        }
    }

    /** Written, read back by NormTable.read and by ScoreScale.fromCsv: the same table, bit for bit. */
    @Test
    void csvRoundTrip(@TempDir Path dir) throws Exception {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(60);
        NormStats stats = NormStats.collect(MIXTURE, new Euler(), grid, seeds(3, 8));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", MIXTURE.id());
        meta.put("model_hash", "sha256:0123abcd");
        meta.put("sampler", "euler");
        meta.put("grid", "edm(rho=7,sigma_min=0.002,sigma_max=80), 60 steps");
        meta.put("seeds", "3..10 (8)");
        NormTable table = stats.table(5).withMetadata(meta);
        Path file = dir.resolve("norm.csv");
        try (java.io.OutputStream o = Files.newOutputStream(file)) {
            table.write(o, EDM, file.toString());
        }
        String text = Files.readString(file);
        assertTrue(text.startsWith("# model: " + MIXTURE.id() + "\n# model_hash: sha256:0123abcd\n"), text);
        assertTrue(text.contains("# truncation_k: 5\n") && text.contains("# samples: 8\n")
                && text.contains("\nstep,sigma,t,r,se,count\n0,80.0,80.0,"), text);
        NormTable back = NormTable.read(file);
        assertEquals(table, back);
        assertEquals(meta, back.metadata());
        ScoreScale fromCsv = ScoreScale.fromCsv(file, EDM);
        ScoreScale direct = table.scoreScale(EDM, "direct");
        assertArrayEquals(direct.sigmas(), fromCsv.sigmas(), 0);
        assertArrayEquals(direct.values(), fromCsv.values(), 0);
        assertEquals(60, fromCsv.sigmas().length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.withMetadata(Map.of("truncation_k", "3")));
        assertTrue(e.getMessage().contains("'truncation_k' is written by the writer itself"), e.getMessage());
        java.io.ByteArrayOutputStream refused = new java.io.ByteArrayOutputStream();
        e = assertThrows(IllegalArgumentException.class,
                () -> stats.table().withMetadata(Map.of("model", "two\nlines")).write(refused, EDM, "x.csv"));
        assertTrue(e.getMessage().contains("norm table x.csv") && e.getMessage().contains("expected one line"),
                e.getMessage());
        assertEquals(0, refused.size(), "nothing written for refused metadata");
        // the discrete DDPM's native grid, tau_k = k/1000 (time-uniform, 1000 steps): t is tau in the file
        DdpmProcess ddpm = new DdpmProcess();
        double[] nativeGrid = TimeGrids.of("time-uniform", Map.of(), ddpm).sigmas(1000);
        Path ddpmFile = dir.resolve("ddpm.csv");
        try (java.io.OutputStream o = Files.newOutputStream(ddpmFile)) {
            NormStats.collect(MIXTURE, new Euler(), nativeGrid, seeds(0, 4)).table().write(o, ddpm, "ddpm.csv");
        }
        java.util.List<String> rows = Files.readAllLines(ddpmFile);
        int header = rows.indexOf("step,sigma,t,r,se,count");
        assertEquals(1000, rows.size() - header - 1);
        for (int i = 0; i < 1000; i++) {
            assertEquals((1000 - i) / 1000.0, Double.parseDouble(rows.get(header + 1 + i).split(",")[2]), 1e-12);
        }
        assertArrayEquals(Arrays.copyOf(nativeGrid, 1000), NormTable.read(ddpmFile).sigmas(), 0);
        assertEquals(1000, ScoreScale.fromCsv(ddpmFile, ddpm).sigmas().length);
        Files.writeString(dir.resolve("bad.csv"), text.replace("\n3,", "\n4,"));
        e = assertThrows(IllegalArgumentException.class, () -> NormTable.read(dir.resolve("bad.csv")));
        assertTrue(e.getMessage().contains("step 4, expected 3"), e.getMessage());
    }

    @Test
    void refusesSamplersOffTheGridAndMismatchedMerges() {
        double[] grid = new EdmGrid(0.002, 80, 7).sigmas(10);
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> NormStats.collect(MIXTURE, new Heun(), grid, seeds(0, 2)));
        assertTrue(twice.getMessage().contains("evaluated the model twice at sigma_1"), twice.getMessage());
        NormStats a = new NormStats(grid, MIXTURE.dim());
        NormStats b = new NormStats(new EdmGrid(0.002, 80, 7).sigmas(11), MIXTURE.dim());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.merge(b));
        assertTrue(e.getMessage().contains("expected the same grid"), e.getMessage());
        IllegalStateException empty = assertThrows(IllegalStateException.class, a::table);
        assertTrue(empty.getMessage().contains("step 0 (sigma = 80.0) has no samples"), empty.getMessage());
    }
}
