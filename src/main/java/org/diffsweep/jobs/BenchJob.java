package org.diffsweep.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.model.djl.DjlNetwork;
import org.diffsweep.model.djl.DjlNet;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Euler;
import org.diffsweep.schedule.EdmGrid;

/**
 * The {@code bench} command: on one denoiser network, side by side in one run, (a) raw DJL forward passes,
 * (b) the sampler loop (per-seed latents, Euler in float64, float32 at the model boundary), (c) a whole
 * Spark sweep of the same work (one partition, Parquet commit included) and, when a python3 with torch is there,
 * (d) the loop a user would otherwise write: Python torch running the same TorchScript file, Euler at the same
 * NFE (tools/bench/sample_baseline.py, its raw forward passes too), all at the same batch size and thread count,
 * in images·NFE per second. Rounds alternate (a)–(d), numbered, so that a noisy machine slows all alike; the
 * medians and ranges are reported, with each against raw DJL and the sweep against the torch loop.
 */
public final class BenchJob {

    private BenchJob() {
    }

    /** Medians over the rounds, images·NFE/s; the torch ones NaN when no python3 with torch was there. */
    public record Result(double rawRate, double samplerRate, double sweepRate, double torchRawRate,
                         double torchEulerRate) {
    }

    public static Result run(SparkSession spark, Path model, int[] shape, int batch, int nfe, int rounds)
            throws Exception {
        return run(spark, model, shape, batch, nfe, rounds, null);
    }

    /** @param python a python3 with torch for the torch loop (d), or null to skip it */
    public static Result run(SparkSession spark, Path model, int[] shape, int batch, int nfe, int rounds,
                             String python) throws Exception {
        int dim = shape[0] * shape[1] * shape[2];
        double[] sigmas = new EdmGrid(0.002, 80, 7).sigmas(nfe);
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) {
            seeds[i] = i;
        }
        double[] raw = new double[rounds];
        double[] sampler = new double[rounds];
        double[] sweep = new double[rounds];
        double[] torchRaw = new double[rounds];
        double[] torchEuler = new double[rounds];
        Path tmp = Files.createTempDirectory("diffsweep-bench");
        // The sweep's driver checks the reference it names against the feature dimension (the sample here, no
        // detector), so the bench names a real one: standard-normal statistics of that dimension, never used.
        Path reference = tmp.resolve("reference.npz");
        double[] eye = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            eye[i * dim + i] = 1;
        }
        try (java.io.OutputStream o = Files.newOutputStream(reference)) {
            org.diffsweep.metrics.Npz.write(o, org.diffsweep.metrics.Npz.of(
                    new org.diffsweep.metrics.Gaussian(new double[dim], eye, 1)));
        }
        // the raw net gets the threads a sweep task gets (set before libtorch starts), so the columns compare alike
        org.diffsweep.spark.ModelCache.setThreads();
        System.out.printf(Locale.ROOT, "bench: libtorch intra-op threads %s (the task's cores)%n",
                System.getProperty("ai.djl.pytorch.num_threads"));
        try (DjlNet net = DjlNet.load("bench model", model, "cpu")) {
            Denoiser d = DjlNetwork.denoiser(net, shape, batch, model.getFileName().toString());
            double[] x = BatchNoise.latents(seeds, dim, 1.0);
            d.denoise(x, batch, 1.0); // warm-up
            for (int r = -1; r < rounds; r++) { // round −1 warms up the executor's model cache and the JIT
                long t0 = System.nanoTime();
                for (int k = 0; k < nfe; k++) {
                    d.denoise(x, batch, sigmas[k]);
                }
                double rawRate = (double) batch * nfe / ((System.nanoTime() - t0) / 1e9);

                t0 = System.nanoTime();
                double[] x0 = BatchNoise.latents(seeds, dim, sigmas[0]);
                new Euler().sample(d, sigmas, x0, BatchNoise.samplerNoise(seeds, dim));
                double samplerRate = (double) batch * nfe / ((System.nanoTime() - t0) / 1e9);

                SweepConfig config = SweepConfig.parse(String.format(Locale.ROOT, """
                        name: bench
                        output: %s
                        model: { type: djl, path: %s, shape: [%d, %d, %d], batch: %d }
                        seeds: { start: 0, count: %d }
                        block_size: %d
                        batch_size: %d
                        samplers: [ { name: euler } ]
                        grids: [ { name: edm } ]
                        nfe: [ %d ]
                        reference: %s
                        grid_images: 0
                        """, tmp.resolve("round" + (r + 1)), model, shape[0], shape[1], shape[2], batch, batch, batch,
                        batch, nfe, reference), "bench");
                t0 = System.nanoTime();
                SweepJob.run(spark, config, 1);
                double sweepRate = (double) batch * nfe / ((System.nanoTime() - t0) / 1e9);
                double[] torch = python == null || r < 0 ? new double[] {Double.NaN, Double.NaN}
                        : torchLoop(python, model, shape, batch, nfe, r + 1);
                System.out.printf(Locale.ROOT, "bench %s: raw DJL %.0f, sampler %.0f, sweep %.0f, torch raw %.0f, "
                        + "torch Euler %.0f images·NFE/s%n", r < 0 ? "warm-up" : "round " + (r + 1), rawRate,
                        samplerRate, sweepRate, torch[0], torch[1]);
                if (r >= 0) {
                    raw[r] = rawRate;
                    sampler[r] = samplerRate;
                    sweep[r] = sweepRate;
                    torchRaw[r] = torch[0];
                    torchEuler[r] = torch[1];
                }
            }
        }
        Result result = new Result(median(raw), median(sampler), median(sweep), median(torchRaw),
                median(torchEuler));
        System.out.printf(Locale.ROOT, "%nbench: %s, batch %d, NFE %d, %s intra-op threads, %d rounds (median, range)%n",
                model, batch, nfe, System.getProperty("ai.djl.pytorch.num_threads"), rounds);
        System.out.printf(Locale.ROOT, "  (a) raw DJL forward      %s images·NFE/s%n", span(raw));
        System.out.printf(Locale.ROOT, "  (b) sampler loop         %s images·NFE/s   ratio to (a) %.3f%n", span(sampler),
                result.samplerRate() / result.rawRate());
        System.out.printf(Locale.ROOT, "  (c) Spark sweep          %s images·NFE/s   ratio to (a) %.3f%n", span(sweep),
                result.sweepRate() / result.rawRate());
        if (python == null) {
            System.out.println("  (d) torch loop skipped: no python3 with torch (--python)");
        } else {
            System.out.printf(Locale.ROOT, "  (d) torch raw forward    %s images·NFE/s%n", span(torchRaw));
            System.out.printf(Locale.ROOT, "  (d) torch Euler loop     %s images·NFE/s%n", span(torchEuler));
            System.out.printf(Locale.ROOT, "  sweep / torch Euler loop %.3f, raw DJL / torch raw %.3f%n",
                    result.sweepRate() / result.torchEulerRate(), result.rawRate() / result.torchRawRate());
        }
        return result;
    }

    /**
     * One round of the torch loop (tools/bench/sample_baseline.py) on the same file, shape, batch, NFE and threads:
     * raw and Euler images·NFE/s.
     */
    static double[] torchLoop(String python, Path model, int[] shape, int batch, int nfe, int round)
            throws IOException, InterruptedException {
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "1");
        ProcessBuilder pb = new ProcessBuilder(python, "tools/bench/sample_baseline.py", model.toString(),
                Integer.toString(shape[0]), Integer.toString(shape[1]), Integer.toString(shape[2]),
                Integer.toString(batch), Integer.toString(nfe), threads, Integer.toString(round))
                .redirectErrorStream(true);
        FidBench.unpinBlas(pb);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("raw (\\S+) images·NFE/s, euler (\\S+) images")
                .matcher(out);
        if (p.waitFor() != 0 || !m.find()) {
            throw new IOException("the torch loop (" + python + " tools/bench/sample_baseline.py) failed: "
                    + out.strip());
        }
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    private static String span(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%8.1f (%.1f–%.1f)", median(v), s[0], s[s.length - 1]);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
