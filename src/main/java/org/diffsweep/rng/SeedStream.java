package org.diffsweep.rng;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoShiRo256PlusPlus;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/**
 * The random stream of one seed for one purpose: standard normal draws that depend on (seed, purpose)
 * alone, never on batch composition, partitioning or executor.
 *
 * <p>The 256-bit state of a xoshiro256++ generator is expanded from (seed, purpose) by SplitMix64; normals
 * come from the ziggurat sampler of Commons RNG. Both are fixed algorithms, so a seed's draws are the same on
 * every machine and run (a golden-value test pins them).
 */
public final class SeedStream {

    /** Initial latents x̂_0 = σ_max·n. */
    public static final int LATENTS = 0;
    /** Noise injected by stochastic samplers (churn, SDE increments). */
    public static final int SAMPLER_NOISE = 1;
    /** Exact draws from an analytic model's data distribution (the finite-sample FID floor). */
    public static final int DATA = 2;
    /**
     * A seed's class label ({@link ClassDraw}): its own domain, so a seed's label is independent of its latents and
     * its sampler noise, and drawing it consumes nothing from them.
     */
    public static final int LABELS = 3;

    private final ZigguratSampler.NormalizedGaussian normal;

    public SeedStream(long seed, int purpose) {
        this.normal = ZigguratSampler.NormalizedGaussian.of(generator(seed, purpose));
    }

    /** The uniform generator keyed by (seed, purpose). */
    public static UniformRandomProvider generator(long seed, int purpose) {
        long x = seed * 0x9E3779B97F4A7C15L + ((long) purpose << 32 ^ 0x5851F42D4C957F2DL);
        long[] state = new long[4];
        for (int i = 0; i < 4; i++) {
            x += 0x9E3779B97F4A7C15L;
            state[i] = mix(x);
        }
        return new XoShiRo256PlusPlus(state);
    }

    /** SplitMix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public double nextNormal() {
        return normal.sample();
    }

    /** Fills {@code out[offset .. offset+length)} with standard normals. */
    public void fill(double[] out, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            out[i] = normal.sample();
        }
    }
}
