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
        return SweepConfig.parse(yamlText(out, configs, seeds, dim, blockSize, reference(out, dim)), "bench-fid");
    }

    /** The synthetic sweep's YAML, as {@link #config} parses it and {@link #yaml} writes it for the fid process. */
    static String yamlText(Path out, int configs, long seeds, int dim, int blockSize, String reference) {
        StringBuilder nfe = new StringBuilder();
        for (int k = 0; k < configs; k++) {
            nfe.append(k == 0 ? "" : ", ").append(k + 2);
        }
        return String.format(Locale.ROOT, """
                name: bench-fid
                output: %s
                model: { type: gmm, random: { components: 2, dim: %d, sigma_data: 0.5, seed: 1 } }
                seeds: { start: 0, count: %d }
                block_size: %d
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [ %s ]
                reference: %s
                """, out.toAbsolutePath(), dim, seeds, blockSize, nfe, reference);
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
                // As the sweep writes its blocks: on the local disk through the raw file system, one file with
                // page CRCs and no checksum sidecar (which the fid stage's reader would check through Hadoop).
                FileSystem raw = fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRaw() : fs;
                FeatureParquet.write(raw, tmp, conf, b.configId(), k + 2, "synthetic", "synthetic", rows,
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

    /**
     * The folder of one synthetic sweep under {@code out}: named by its shape, so that a run with other
     * {@code --configs}, {@code --seeds}, {@code --dim} or {@code --block-size} never meets an earlier one's files.
     */
    static Path sweepDir(Path out, int configs, long seeds, int dim, int blockSize) {
        return out.toAbsolutePath().resolve(String.format(Locale.ROOT, "c%d-n%d-d%d-b%d", configs, seeds, dim,
                blockSize));
    }

    /** The synthetic sweep as a YAML file, for the {@code fid} command timed as a whole process. */
    static Path yaml(SweepConfig config, Path dir, int configs, long seeds, int dim, int blockSize)
            throws IOException {
        Path yaml = dir.resolve("bench-fid.yaml");
        Files.writeString(yaml, yamlText(dir, configs, seeds, dim, blockSize, config.reference()));
        return yaml;
    }

    /** What one side-by-side round measured, in seconds. */
    record Round(double fidProcess, double[] ours, double baselineProcess, double[] baseline) {
    }

    public static void run(SparkSession spark, Path out, int configs, long seeds, int dim, int blockSize,
                           String python, int rounds, boolean stage) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path dir = sweepDir(out, configs, seeds, dim, blockSize);
        Files.createDirectories(dir);
        SweepConfig config = config(dir, configs, seeds, dim, blockSize);
        write(config, conf);
        Path yaml = yaml(config, dir, configs, seeds, dim, blockSize);
        SweepLayout layout = new SweepLayout(config.output());
        Gaussian reference = FidJob.reference(config, conf);
        int groups = JackknifeFid.groups(seeds);
        String first = config.points().get(0).id();
        int cores = Runtime.getRuntime().availableProcessors();
        Lapack.parallelism(cores);

        if (rounds > 0) {
            System.out.printf(Locale.ROOT, "%nbench-fid: n = %d, D = %d, %d cores, %d rounds side by side; each round "
                    + "runs (a) 'diffsweep fid' on the %d config%s as a whole process, JVM start included, (b) "
                    + "pytorch-fid's reduce (np.load, np.cov, scipy.linalg.sqrtm) as a whole python process, "
                    + "(c) diffsweep's pieces in this JVM; (a) and (b) run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE "
                    + "removed from their environment, so that both pick the machine's own BLAS kernel%n", seeds, dim,
                    cores, rounds, configs, configs == 1 ? "" : "s");
            String pinned = pinnedBlas(System.getenv());
            if (!pinned.isEmpty()) {
                System.out.printf(Locale.ROOT, "bench-fid: note: this JVM runs with %s set (bin/diffsweep removes "
                        + "them for bench-fid), so the in-process pieces (c) use that kernel, not the machine's own%n",
                        pinned);
            }
            Path npy = dir.resolve("config0.npy");
            Path refNpz = dir.resolve("reference.npz");
            writeNpy(npy, layout, conf, first, seeds, blockSize, dim);
            try (OutputStream o = Files.newOutputStream(refNpz)) {
                Npz.write(o, Npz.of(reference));
            }
            if (launcher() != null) {
                // The launcher archives a command's classes on its first run after a build (once per jar); that
                // run is timed apart, and the rounds time the runs a user makes after it.
                System.out.printf(Locale.ROOT, "bench-fid: first 'diffsweep fid' run after a build (writes the "
                        + "class-data archive if none is there yet; not a round): %.2f s%n", fidProcess(yaml));
            }
            Round[] all = new Round[rounds];
            for (int r = 0; r < rounds; r++) {
                double process = fidProcess(yaml);
                double[] ours = ours(layout, conf, first, seeds, blockSize, dim, groups, reference);
                double[] theirs = null;
                double theirsProcess = Double.NaN;
                if (python != null) {
                    long t0 = System.nanoTime();
                    theirs = baseline(python, npy, refNpz, r + 1);
                    theirsProcess = (System.nanoTime() - t0) / 1e9;
                }
                all[r] = new Round(process, ours, theirsProcess, theirs);
                System.out.printf(Locale.ROOT, "round %d: diffsweep fid process %.2f s; in-process read+stats %.2f s "
                        + "(stats kernel alone %.2f s), reference factor %.2f s, FID %.2f s, FID + linearised "
                        + "jackknife %.2f s, value %.17g%n", r + 1, process, ours[0], ours[1], ours[2], ours[3],
                        ours[4], ours[5]);
                if (theirs != null) {
                    System.out.printf(Locale.ROOT, "round %d: pytorch-fid process %.2f s; in-process load %.2f s, "
                            + "np.cov %.2f s, FID (sqrtm) %.2f s%n", r + 1, theirsProcess, theirs[0], theirs[1],
                            theirs[2]);
                }
            }
            summary(all, configs);
        }

        if (stage) {
            boolean local = spark.sparkContext().master().startsWith("local");
            System.out.printf(Locale.ROOT, "%nbench-fid: the fid stage over %d configs × %d seeds × D = %d in this JVM "
                    + "(%s), heap max %d MB%n", configs, seeds, dim, local ? "local, without Spark tasks"
                    : "Spark tasks", Runtime.getRuntime().maxMemory() >> 20);
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                pool.resetPeakUsage();
            }
            long t0 = System.nanoTime();
            if (local) {
                FidJob.runLocal(conf, config, cores);
            } else {
                FidJob.run(spark, config);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.gc();
            long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            System.out.printf(Locale.ROOT, "bench-fid: fid stage of %d configs in this JVM: %.1f s (%.2f s per config), "
                    + "peak heap %d MB (sum of the heap pools' peaks), %d MB after GC, of %d MB%n", configs, secs,
                    secs / configs, peak >> 20, after >> 20, Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    /** The rounds' ranges and medians, whole processes and in-process pieces apart, and their ratios. */
    private static void summary(Round[] all, int configs) {
        int n = all.length;
        double[] process = new double[n];
        double[] noSpread = new double[n];
        double[] spread = new double[n];
        double[] kernel = new double[n];
        double[] fid = new double[n];
        for (int r = 0; r < n; r++) {
            double[] o = all[r].ours();
            process[r] = all[r].fidProcess();
            noSpread[r] = o[0] + o[2] + o[3];
            spread[r] = o[0] + o[2] + o[4];
            kernel[r] = o[1];
            fid[r] = o[2] + o[3];
        }
        System.out.printf(Locale.ROOT, "%nbench-fid summary over %d rounds (median, range):%n", n);
        System.out.printf(Locale.ROOT, "  whole process, diffsweep fid (%d config%s, JVM start, reference, table "
                + "files):  %s%n", configs, configs == 1 ? "" : "s", span(process));
        System.out.printf(Locale.ROOT, "  in-process, diffsweep read+stats+FID with the spread:  %s%n", span(spread));
        System.out.printf(Locale.ROOT, "  in-process, diffsweep read+stats+FID without it:       %s%n", span(noSpread));
        if (all[0].baseline() == null) {
            System.out.println("  pytorch-fid baseline skipped: no python3 with numpy and scipy (--python)");
            return;
        }
        double[] theirsProcess = new double[n];
        double[] theirs = new double[n];
        double[] cov = new double[n];
        double[] sqrtm = new double[n];
        for (int r = 0; r < n; r++) {
            double[] b = all[r].baseline();
            theirsProcess[r] = all[r].baselineProcess();
            theirs[r] = b[0] + b[1] + b[2];
            cov[r] = b[1];
            sqrtm[r] = b[2];
        }
        System.out.printf(Locale.ROOT, "  whole process, pytorch-fid's reduce (python start, np.load, np.cov, "
                + "sqrtm):  %s%n", span(theirsProcess));
        System.out.printf(Locale.ROOT, "  in-process, pytorch-fid np.load+np.cov+sqrtm:          %s%n", span(theirs));
        System.out.printf(Locale.ROOT, "ratios diffsweep / pytorch-fid (medians; 1 config of n):%n");
        if (configs == 1) {
            System.out.printf(Locale.ROOT, "  whole process:                      %.2f×%n",
                    median(process) / median(theirsProcess));
        } else {
            System.out.printf(Locale.ROOT, "  whole process: the fid process reduced %d configs, pytorch-fid one: "
                    + "not a like-for-like ratio (use --configs 1)%n", configs);
        }
        System.out.printf(Locale.ROOT, "  in-process with the spread:         %.2f×%n", median(spread) / median(theirs));
        System.out.printf(Locale.ROOT, "  in-process without the spread:      %.2f×%n", median(noSpread) / median(theirs));
        System.out.printf(Locale.ROOT, "  statistics kernel vs np.cov:        %.2f×%n", median(kernel) / median(cov));
        System.out.printf(Locale.ROOT, "  FID from statistics vs sqrtm:       %.2f×%n", median(fid) / median(sqrtm));
        System.out.printf(Locale.ROOT, "  FID values differ by %.1e relative%n",
                Math.abs(all[0].ours()[5] - all[0].baseline()[3]) / Math.abs(all[0].baseline()[3]));
    }

    private static String span(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.2f s (%.2f–%.2f)", median(v), s[0], s[s.length - 1]);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    /**
     * The wall time of {@code diffsweep fid YAML} as its own process, started as the launcher starts it: this JVM's
     * java, flags and class path, a fresh JVM.
     */
    static double fidProcess(Path yaml) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        String launcher = launcher();
        if (launcher != null) {
            cmd.add(launcher);
        } else {
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!a.startsWith("-XX:SharedArchiveFile") && !a.startsWith("-XX:ArchiveClassesAtExit")) {
                    cmd.add(a);
                }
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("org.diffsweep.cli.Main");
        }
        cmd.add("fid");
        cmd.add(yaml.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        unpinBlas(pb);
        long t0 = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IOException("'diffsweep fid " + yaml + "' failed (exit " + rc + "): " + output.strip());
        }
        return secs;
    }

    /**
     * The launcher this JVM was started by ({@code bin/diffsweep} sets {@code diffsweep.launcher}), so that the
     * whole-process rounds time exactly the command a user types, class-data archive included; null when started
     * otherwise (then the rounds start java as the launcher would, without the archive).
     */
    static String launcher() {
        String l = System.getProperty("diffsweep.launcher");
        return l != null && Files.isExecutable(Path.of(l)) ? l : null;
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

    /** A python3 that has numpy and scipy (the project's bench venv target/venv first, then Debian's), or null. */
    public static String findPython() {
        return findPython("import numpy, scipy.linalg");
    }

    /** A python3 in which {@code check} runs (target/venv/bin/python3, /usr/bin/python3, python3), or null. */
    public static String findPython(String check) {
        for (String p : new String[] {"target/venv/bin/python3", "/usr/bin/python3", "python3"}) {
            try {
                Process proc = new ProcessBuilder(p, "-c", check).redirectErrorStream(true).start();
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

    /** The variables that pin OpenBLAS to a kernel or cache size other than the one it detects. */
    static final List<String> BLAS_PINS = List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE");

    /** Those of {@link #BLAS_PINS} set in {@code env}, as NAME=value, comma-separated; empty when none is. */
    static String pinnedBlas(java.util.Map<String, String> env) {
        List<String> set = new ArrayList<>();
        for (String k : BLAS_PINS) {
            if (env.get(k) != null) {
                set.add(k + "=" + env.get(k));
            }
        }
        return String.join(", ", set);
    }

    /**
     * Removes {@link #BLAS_PINS} from a side's environment: inherited from a shell, they make numpy and diffsweep's
     * OpenBLAS alike pick a kernel other than the machine's own (numpy about 2× slower here), so both sides run
     * without them.
     */
    static void unpinBlas(ProcessBuilder pb) {
        BLAS_PINS.forEach(pb.environment()::remove);
    }

    /**
     * load s, stats s, FID s, value: one round of tools/bench/fid_baseline.py, with {@link #BLAS_PINS} removed from
     * its environment ({@link #unpinBlas}); the BLAS it runs is printed.
     */
    static double[] baseline(String python, Path npy, Path ref, int round) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(python, "tools/bench/fid_baseline.py", npy.toString(), ref.toString(),
                Integer.toString(round)).redirectErrorStream(true);
        unpinBlas(pb);
        Process p = pb.start();
        double[] out = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("load (\\S+) s, stats (\\S+) s, fid (\\S+) s, value (\\S+)").matcher(line);
                if (m.find()) {
                    out = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4))};
                } else {
                    System.out.println("  " + line);
                }
            }
        }
        if (p.waitFor() != 0 || out == null) {
            throw new IOException("the pytorch-fid baseline (" + python + " tools/bench/fid_baseline.py) failed");
        }
        return out;
    }
}
