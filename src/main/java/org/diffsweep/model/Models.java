package org.diffsweep.model;

import org.diffsweep.diffusion.Denoiser;
import java.util.random.RandomGenerator;
import org.apache.commons.rng.UniformRandomProvider;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.rng.SeedStream;

/** Builds analytic models, and their exact samples and statistics, from a model's description. */
public final class Models {

    private Models() {
    }

    public static Denoiser build(ModelKind spec) {
        if (spec.mixture() != null) {
            return spec.mixture();
        }
        throw new IllegalArgumentException("model type '" + spec.type() + "' cannot be built, expected 'gmm'");
    }

    /**
     * Statistics of exact data samples of an analytic model, one per seed (stream {@link SeedStream#DATA}):
     * their FID against {@link #exactReference} is what a perfect sampler would score with as many samples.
     * Seeds may exceed the 32-bit range of sweep seeds: replicate draws use seeds shifted by multiples of 2^32.
     */
    public static FeatureStats exactSampleStats(ModelKind spec, long seedStart, long seedCount) {
        GaussianMixture mixture = spec.mixture();
        if (mixture == null) {
            throw new IllegalArgumentException("model type '" + spec.type() + "' cannot be sampled exactly");
        }
        int dim = mixture.dim();
        FeatureStats stats = new FeatureStats(dim);
        int chunk = 1024;
        double[] rows = new double[chunk * dim];
        int staged = 0;
        for (long seed = seedStart; seed < seedStart + seedCount; seed++) {
            UniformRandomProvider rng = SeedStream.generator(seed, SeedStream.DATA);
            RandomGenerator generator = rng::nextLong;
            double[] x = mixture.sample(generator);
            for (int i = 0; i < dim; i++) {
                rows[staged * dim + i] = (float) x[i]; // rounded as the sweep stores features
            }
            if (++staged == chunk) {
                stats.addBatch(rows, chunk);
                staged = 0;
            }
        }
        stats.addBatch(java.util.Arrays.copyOf(rows, staged * dim), staged);
        return stats;
    }

    /**
     * Exact data samples of an analytic model, one per seed of [seedStart, seedStart + count) (stream
     * {@link SeedStream#DATA}, as {@link #exactSampleStats}), rounded to float as the sweep stores features:
     * count × D, row-major. The real set of KID and precision/recall for {@code reference: exact}.
     */
    public static float[] exactSamples(ModelKind spec, long seedStart, int count) {
        GaussianMixture mixture = spec.mixture();
        if (mixture == null) {
            throw new IllegalArgumentException("model type '" + spec.type() + "' cannot be sampled exactly");
        }
        int dim = mixture.dim();
        float[] out = new float[Math.multiplyExact(count, dim)];
        for (int i = 0; i < count; i++) {
            UniformRandomProvider rng = SeedStream.generator(seedStart + i, SeedStream.DATA);
            RandomGenerator generator = rng::nextLong;
            double[] x = mixture.sample(generator);
            for (int d = 0; d < dim; d++) {
                out[i * dim + d] = (float) x[d];
            }
        }
        return out;
    }

    /**
     * The finite-sample FID floor: mean and standard deviation of the FID of {@code seedCount} exact samples
     * against the exact statistics, over {@code replicates} independent draws (the sweep's own seeds shifted by
     * r·2^32).
     */
    public static double[] exactSampleFloor(ModelKind spec, long seedStart, long seedCount, int replicates) {
        Gaussian exact = exactReference(spec);
        double sum = 0;
        double sq = 0;
        for (int r = 0; r < replicates; r++) {
            double fid = org.diffsweep.metrics.FrechetDistance.between(
                    Gaussian.of(exactSampleStats(spec, seedStart + ((long) r << 32), seedCount)), exact);
            sum += fid;
            sq += fid * fid;
        }
        double mean = sum / replicates;
        return new double[] {mean, Math.sqrt(Math.max(0, (sq - replicates * mean * mean) / (replicates - 1)))};
    }

    /** The exact distribution of an analytic model's samples (n = 0: exact, not estimated). */
    public static Gaussian exactReference(ModelKind spec) {
        if (spec.mixture() == null) {
            throw new IllegalArgumentException("model type '" + spec.type() + "' has no exact statistics");
        }
        return new Gaussian(spec.mixture().mean(), spec.mixture().covariance(), 0);
    }
}
