package org.diffsweep.metrics;

/**
 * The permutation numpy's legacy {@code np.random.RandomState(seed).permutation(n)} returns, which torch-fidelity
 * shuffles its samples with before splitting them for the Inception Score. Written from the published algorithms,
 * not from numpy's code: the Mersenne Twister MT19937 (Matsumoto &amp; Nishimura 1998) seeded from one 32-bit
 * integer ({@code init_genrand}: mt[0] = seed, mt[i] = 1812433253·(mt[i−1] ⊕ (mt[i−1] ≫ 30)) + i), then a
 * Fisher–Yates shuffle of 0 … n − 1 from the last position down, each j in [0, i] drawn by masking a 32-bit output
 * to the smallest all-ones mask ≥ i and rejecting values above i. {@code InceptionScoreReferenceTest} checks the
 * permutations against numpy's own.
 */
final class NumpyLegacyRandom {

    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index;

    NumpyLegacyRandom(long seed) {
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("seed " + seed + ", expected 0 <= seed < 2^32");
        }
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** The next 32-bit output, as an unsigned value. */
    long nextUint32() {
        if (index >= N) {
            for (int i = 0; i < N; i++) {
                int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
                int next = mt[(i + M) % N] ^ (y >>> 1);
                if ((y & 1) != 0) {
                    next ^= 0x9908b0df;
                }
                mt[i] = next;
            }
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /** A value in [0, max] by masked rejection. */
    long interval(long max) {
        if (max == 0) {
            return 0;
        }
        long mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        long v;
        do {
            v = nextUint32() & mask;
        } while (v > max);
        return v;
    }

    /** {@code np.random.RandomState(seed).permutation(n)}. */
    static int[] permutation(int n, long seed) {
        NumpyLegacyRandom rng = new NumpyLegacyRandom(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) rng.interval(i);
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }
}
