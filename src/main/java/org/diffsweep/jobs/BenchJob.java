package org.diffsweep.jobs;

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
 * (b) the sampler loop (per-seed latents, Euler in float64, float32 at the model boundary) and (c) a whole
 * Spark sweep of the same work (one partition, Parquet commit included), all at the same batch size, in
 * images·NFE per second, with (b)/(a) and (c)/(a) as ratios. Rounds alternate (a), (b), (c) so that a noisy
 * machine slows all three alike; the median round is reported.
 */
public final class BenchJob {

    private BenchJob() {
    }

    public record Result(double rawRate, double samplerRate, double sweepRate) {
    }

    public static Result run(SparkSession spark, Path model, int[] shape, int batch, int nfe, int rounds)
            throws Exception {
        int dim = shape[0] * shape[1] * shape[2];
        double[] sigmas = new EdmGrid(0.002, 80, 7).sigmas(nfe);
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) {
            seeds[i] = i;
        }
        double[] raw = new double[rounds];
        double[] sampler = new double[rounds];
        double[] sweep = new double[rounds];
        Path tmp = Files.createTempDirectory("diffsweep-bench");
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
                        reference: unused.npz
                        grid_images: 0
                        """, tmp.resolve("round" + (r + 1)), model, shape[0], shape[1], shape[2], batch, batch, batch,
                        batch, nfe), "bench");
                t0 = System.nanoTime();
                SweepJob.run(spark, config, 1);
                double sweepRate = (double) batch * nfe / ((System.nanoTime() - t0) / 1e9);
                System.out.printf(Locale.ROOT, "bench %s: raw %.0f, sampler %.0f, sweep %.0f images·NFE/s%n",
                        r < 0 ? "warm-up" : "round " + (r + 1), rawRate, samplerRate, sweepRate);
                if (r >= 0) {
                    raw[r] = rawRate;
                    sampler[r] = samplerRate;
                    sweep[r] = sweepRate;
                }
            }
        }
        Result result = new Result(median(raw), median(sampler), median(sweep));
        System.out.printf(Locale.ROOT, "%nbench: %s, batch %d, NFE %d, %d rounds (medians)%n", model, batch, nfe, rounds);
        System.out.printf(Locale.ROOT, "  raw DJL forward      %10.1f images·NFE/s%n", result.rawRate());
        System.out.printf(Locale.ROOT, "  sampler loop         %10.1f images·NFE/s   ratio to raw %.3f%n",
                result.samplerRate(), result.samplerRate() / result.rawRate());
        System.out.printf(Locale.ROOT, "  Spark sweep          %10.1f images·NFE/s   ratio to raw %.3f%n",
                result.sweepRate(), result.sweepRate() / result.rawRate());
        return result;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
