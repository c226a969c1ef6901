package org.diffsweep.jobs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.linalg.Lapack;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.JackknifeFid;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.ConfigStats;
import org.diffsweep.spark.FeatureParquet;
import org.diffsweep.spark.SeedBlock;
import org.diffsweep.spark.SweepLayout;

/**
 * The {@code bench-fid} command: the fid stage at Inception scale on a synthetic sweep (deterministic
 * pseudo-features written as real block files, no model), (a) one config's statistics and FID side by side
 * with pytorch-fid's numpy/scipy code on the same features, when a python3 with numpy and scipy is there, and
 * (b) the whole fid stage over every config, with its wall time and peak heap.
 */
public final class FidBench {

    private FidBench() {
    }

    /** The synthetic sweep: one euler config per NFE 2…configs+1 (only the config ids matter here). */
    static SweepConfig config(Path out, int configs, long seeds, int dim, int blockSize) throws IOException {
        StringBuilder nfe = new StringBuilder();
        for (int k = 0; k < configs; k++) {
            nfe.append(k == 0 ? "" : ", ").append(k + 2);
        }
        return SweepConfig.parse(String.format(Locale.ROOT, """
                name: bench-fid
                output: %s
                model: { type: gmm, random: { components: 2, dim: %d, sigma_data: 0.5, seed: 1 } }
                seeds: { start: 0, count: %d }
                block_size: %d
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [ %s ]
                reference: %s
                """, out.toAbsolutePath(), dim, seeds, blockSize, nfe, reference(out, dim)), "bench-fid");
    }

    /**
     * The reference: the exact statistics of the same mixture as a .npz (not {@code exact}, whose finite-sample
     * floor would add 20 × n exact samples to the stage).
     */
    static String reference(Path out, int dim) throws IOException {
        Path npz = out.toAbsolutePath().resolve("reference-" + dim + ".npz");
        if (!Files.exists(npz)) {
            SweepConfig exact = SweepConfig.parse(String.format(Locale.ROOT, """
                    name: bench-fid-reference
                    model: { type: gmm, random: { components: 2, dim: %d, sigma_data: 0.5, seed: 1 } }
                    seeds: { start: 0, count: 2 }
                    samplers: [ { name: euler } ]
                    grids: [ { name: edm } ]
                    nfe: [ 2 ]
                    reference: exact
                    """, dim), "bench-fid");
            Files.createDirectories(out);
            try (OutputStream o = Files.newOutputStream(npz)) {
                Npz.write(o, Npz.of(org.diffsweep.model.Models.exactReference(exact.model())));
            }
        }
        return npz.toString();
    }

    /** Feature j of seed s in config k: a fixed per-feature scale and offset, and a config-dependent spread. */
    static float[] features(int configIndex, long seed, int dim) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 17);
        float[] f = new float[dim];
        double spread = 1 + 0.01 * configIndex;
        for (int j = 0; j < dim; j++) {
            f[j] = (float) (0.3 + 0.01 * (j % 97) + spread * (0.2 + 0.1 * ((j * 31) % 7)) * rng.nextGaussian());
        }
        return f;
    }

    /** Writes the synthetic sweep's blocks (skipping those already there) and marks it complete. */
    static void write(SweepConfig config, Configuration conf) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(conf);
        if (fs.exists(layout.sweepComplete())) {
            System.out.println("bench-fid: reusing the synthetic sweep in " + layout.sweepDir());
            return;
        }
        List<SeedBlock> blocks = SeedBlock.plan(config);
        List<String> ids = config.points().stream().map(SweepPoint::id).toList();
        long t0 = System.nanoTime();
        int[] done = {0};
        IntStream.range(0, blocks.size()).parallel().forEach(i -> {
            SeedBlock b = blocks.get(i);
            int k = ids.indexOf(b.configId());
            org.apache.hadoop.fs.Path target = layout.block(b.configId(), b.seedStart(), b.seedEnd());
            try {
                if (fs.exists(target)) {
                    return;
                }
                List<FeatureParquet.Row> rows = new ArrayList<>(b.size());
                for (long s = b.seedStart(); s < b.seedEnd(); s++) {
                    rows.add(new FeatureParquet.Row(s, features(k, s, config.featureDim())));
                }
                org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(layout.tmp(), target.getName() + "." + k);
                FeatureParquet.write(tmp, conf, b.configId(), k + 2, "synthetic", "synthetic", rows,
                        Map.of("diffsweep.bench", "synthetic features"));
                fs.mkdirs(target.getParent());
                fs.rename(tmp, target);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            synchronized (done) {
                if (++done[0] % Math.max(1, blocks.size() / 20) == 0) {
                    System.out.printf(Locale.ROOT, "bench-fid: wrote %d/%d blocks (%.0f s)%n", done[0], blocks.size(),
                            (System.nanoTime() - t0) / 1e9);
                }
            }
        });
        fs.create(layout.sweepComplete(), true).close();
        System.out.printf(Locale.ROOT, "bench-fid: synthetic sweep of %d blocks written in %.0f s%n", blocks.size(),
                (System.nanoTime() - t0) / 1e9);
    }

    public static void run(SparkSession spark, Path out, int configs, long seeds, int dim, int blockSize,
                           String python, int rounds, boolean stage) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        SweepConfig config = config(out, configs, seeds, dim, blockSize);
        write(config, conf);
        SweepLayout layout = new SweepLayout(config.output());
        Gaussian reference = FidJob.reference(config, conf);
        int groups = JackknifeFid.groups(seeds);
        String first = config.points().get(0).id();
        Lapack.parallelism(Runtime.getRuntime().availableProcessors());

        if (rounds > 0) {
            System.out.printf(Locale.ROOT, "%nbench-fid: one config, n = %d, D = %d, %d rounds (diffsweep, then "
                    + "pytorch-fid's numpy/scipy code on the same features)%n", seeds, dim, rounds);
            Path npy = out.resolve("config0.npy");
            Path refNpz = out.resolve("reference.npz");
            writeNpy(npy, layout, conf, first, seeds, blockSize, dim);
            try (OutputStream o = Files.newOutputStream(refNpz)) {
                Npz.write(o, Npz.of(reference));
            }
            double[][] ours = new double[rounds][];
            double[][] theirs = new double[rounds][];
            for (int r = 0; r < rounds; r++) {
                ours[r] = ours(layout, conf, first, seeds, blockSize, dim, groups, reference);
                System.out.printf(Locale.ROOT, "diffsweep round %d: read+stats %.3f s (stats kernel alone %.3f s), "
                        + "reference factor %.3f s, FID %.3f s, FID + linearised jackknife %.3f s, value %.17g%n",
                        r + 1, ours[r][0], ours[r][1], ours[r][2], ours[r][3], ours[r][4], ours[r][5]);
                theirs[r] = python == null ? null : baseline(python, npy, refNpz);
            }
            double readStats = median(ours, 0);
            double kernel = median(ours, 1);
            double factor = median(ours, 2);
            double fid = median(ours, 3);
            double withSpread = median(ours, 4);
            System.out.printf(Locale.ROOT, "%n  diffsweep  stats kernel %.2f s, read+stats %.2f s, reference %.2f s, "
                    + "FID %.2f s, FID+spread %.2f s%n", kernel, readStats, factor, fid, withSpread);
            double noSpread = readStats + factor + fid;
            double spread = readStats + factor + withSpread;
            System.out.printf(Locale.ROOT, "  diffsweep  fid stage of one config: %.2f s without the spread, %.2f s with "
                    + "it%n", noSpread, spread);
            if (python != null && theirs[0] != null) {
                double stats = median(theirs, 0);
                double fidTheirs = median(theirs, 1);
                System.out.printf(Locale.ROOT, "  pytorch-fid  np.cov %.2f s, FID (sqrtm) %.2f s, together %.2f s "
                        + "(no spread)%n", stats, fidTheirs, stats + fidTheirs);
                System.out.printf(Locale.ROOT, "  ratios (diffsweep / pytorch-fid): stats kernel %.2f×, fid stage without "
                        + "spread %.2f×, with spread %.2f×; FID values differ by %.1e relative%n", kernel / stats,
                        noSpread / (stats + fidTheirs), spread / (stats + fidTheirs),
                        Math.abs(ours[0][5] - theirs[0][2]) / Math.abs(theirs[0][2]));
            } else {
                System.out.println("  pytorch-fid baseline skipped: no python3 with numpy and scipy (--python)");
            }
        }

        if (stage) {
            System.out.printf(Locale.ROOT, "%nbench-fid: the fid stage over %d configs × %d seeds × D = %d, heap max "
                    + "%d MB%n", configs, seeds, dim, Runtime.getRuntime().maxMemory() >> 20);
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                pool.resetPeakUsage();
            }
            long t0 = System.nanoTime();
            FidJob.run(spark, config);
            double secs = (System.nanoTime() - t0) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.printf(Locale.ROOT, "bench-fid: fid stage of %d configs: %.1f s (%.2f s per config), peak heap "
                    + "%d MB (sum of the heap pools' peaks) of %d MB%n", configs, secs, secs / configs, peak >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    /** read+stats, stats kernel alone, reference factor, FID, FID + linear jackknife, FID value. */
    private static double[] ours(SweepLayout layout, Configuration conf, String id, long seeds, int blockSize, int dim,
                                 int groups, Gaussian reference) throws IOException {
        long t0 = System.nanoTime();
        FeatureStats[] stats = ConfigStats.read(layout, conf, id, 0, seeds, blockSize, dim, groups);
        double readStats = (System.nanoTime() - t0) / 1e9;
        float[] rows = readAll(layout, conf, id, seeds, blockSize, dim);
        t0 = System.nanoTime();
        FeatureStats kernel = new FeatureStats(stats[0].shift());
        try (FeatureStats.Accumulator acc = kernel.accumulator(ConfigStats.CHUNK_ROWS)) {
            for (int r = 0; r < seeds; r++) {
                acc.add(rows, r * dim);
            }
        }
        Gaussian.of(kernel);
        double kernelSecs = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        FrechetDistance.To to = new FrechetDistance.To(reference);
        double factor = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        double[] plain = JackknifeFid.fidAndLeaveOneOut(new FeatureStats[] {merge(stats)}, to, JackknifeFid.Method.EXACT);
        double fid = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        JackknifeFid.fidAndLeaveOneOut(stats, to, JackknifeFid.Method.LINEAR);
        double withSpread = (System.nanoTime() - t0) / 1e9;
        return new double[] {readStats, kernelSecs, factor, fid, withSpread, plain[0]};
    }

    private static FeatureStats merge(FeatureStats[] groups) {
        FeatureStats all = new FeatureStats(groups[0].shift());
        for (FeatureStats g : groups) {
            all.merge(g);
        }
        return all;
    }

    private static float[] readAll(SweepLayout layout, Configuration conf, String id, long seeds, int blockSize,
                                   int dim) throws IOException {
        float[] all = new float[Math.toIntExact(seeds * dim)];
        int at = 0;
        for (long s = 0; s < seeds; s += blockSize) {
            float[] f = org.diffsweep.spark.FeatureBlocks.read(layout.block(id, s, Math.min(seeds, s + blockSize)), conf,
                    dim).features();
            System.arraycopy(f, 0, all, at, f.length);
            at += f.length;
        }
        return all;
    }

    /** The config's features as an n×D float32 .npy, as pytorch-fid holds its activations. */
    private static void writeNpy(Path npy, SweepLayout layout, Configuration conf, String id, long seeds, int blockSize,
                                 int dim) throws IOException {
        float[] all = readAll(layout, conf, id, seeds, blockSize, dim);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + seeds + ", " + dim + "), }";
        int unpadded = 6 + 2 + 2 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(npy), 1 << 20)) {
            o.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length() & 0xff),
                    (byte) (header.length() >> 8)});
            o.write(header.getBytes(StandardCharsets.ISO_8859_1));
            ByteBuffer buf = ByteBuffer.allocate(all.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(all);
            o.write(buf.array());
        }
    }

    /** A python3 that has numpy and scipy (Debian's first), or null. */
    public static String findPython() {
        for (String p : new String[] {"/usr/bin/python3", "python3"}) {
            try {
                Process proc = new ProcessBuilder(p, "-c", "import numpy, scipy.linalg").redirectErrorStream(true)
                        .start();
                proc.getInputStream().readAllBytes();
                if (proc.waitFor() == 0) {
                    return p;
                }
            } catch (IOException e) {
                // not there: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** stats s, FID s, value: one round of tools/bench/fid_baseline.py. */
    private static double[] baseline(String python, Path npy, Path ref) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(python, "tools/bench/fid_baseline.py", npy.toString(), ref.toString(), "1")
                .redirectErrorStream(true).start();
        double[] out = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println("  " + line);
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("stats (\\S+) s, fid (\\S+) s, value (\\S+)").matcher(line);
                if (m.find()) {
                    out = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3))};
                }
            }
        }
        if (p.waitFor() != 0 || out == null) {
            throw new IOException("the pytorch-fid baseline (" + python + " tools/bench/fid_baseline.py) failed");
        }
        return out;
    }

    private static double median(double[][] rows, int column) {
        double[] v = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            v[i] = rows[i][column];
        }
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : 0.5 * (v[v.length / 2 - 1] + v[v.length / 2]);
    }
}
