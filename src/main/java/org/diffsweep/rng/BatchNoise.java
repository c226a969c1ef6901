package org.diffsweep.rng;

/**
 * Per-row random streams for a batch: row r draws from the stream of its own seed, so a sample's noise is
 * the same whatever batch it is in.
 */
public final class BatchNoise {

    private final long[] seeds;
    private final int dim;
    private final SeedStream[] streams;

    public BatchNoise(long[] seeds, int dim, int purpose) {
        this.seeds = seeds.clone();
        this.dim = dim;
        this.streams = new SeedStream[seeds.length];
        for (int r = 0; r < seeds.length; r++) {
            streams[r] = new SeedStream(seeds[r], purpose);
        }
    }

    /** Sampler noise for the given seeds. */
    public static BatchNoise samplerNoise(long[] seeds, int dim) {
        return new BatchNoise(seeds, dim, SeedStream.SAMPLER_NOISE);
    }

    /** The initial state x̂ = σ_0·n of each seed, row-major. */
    public static double[] latents(long[] seeds, int dim, double sigma0) {
        double[] x = new BatchNoise(seeds, dim, SeedStream.LATENTS).next();
        for (int i = 0; i < x.length; i++) {
            x[i] *= sigma0;
        }
        return x;
    }

    public int batch() {
        return seeds.length;
    }

    public int dim() {
        return dim;
    }

    /** The next standard normal vector of every row, row-major. */
    public double[] next() {
        double[] out = new double[seeds.length * dim];
        for (int r = 0; r < seeds.length; r++) {
            streams[r].fill(out, r * dim, dim);
        }
        return out;
    }
}
