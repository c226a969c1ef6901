package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureStatsTest {

    private static final int D = 9;
    private static final int N = 301;

    /** N rows of D values with per-dimension offsets and scales, plus a shared factor to correlate them. */
    private static double[] randomRows(Random rng, int n, int d) {
        double[] rows = new double[n * d];
        for (int r = 0; r < n; r++) {
            double common = rng.nextGaussian();
            for (int i = 0; i < d; i++) {
                rows[r * d + i] = 0.5 * i - 1 + (0.2 + 0.3 * i) * rng.nextGaussian() + 0.7 * common;
            }
        }
        return rows;
    }

    private static FeatureStats statsOf(double[] rows, int from, int to, int d) {
        FeatureStats s = new FeatureStats(d);
        for (int r = from; r < to; r++) {
            double[] f = new double[d];
            System.arraycopy(rows, r * d, f, 0, d);
            s.add(f);
        }
        return s;
    }

    private static void assertRelClose(double[] expected, double[] actual, double rel) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rel * scale, "entry " + i);
        }
    }

    @Test
    void meanAndCovarianceMatchTwoPassComputation() {
        double[] rows = randomRows(new Random(11), N, D);
        FeatureStats s = statsOf(rows, 0, N, D);

        double[] mu = new double[D];
        for (int r = 0; r < N; r++) {
            for (int i = 0; i < D; i++) {
                mu[i] += rows[r * D + i];
            }
        }
        for (int i = 0; i < D; i++) {
            mu[i] /= N;
        }
        double[] cov = new double[D * D];
        for (int r = 0; r < N; r++) {
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    cov[i * D + j] += (rows[r * D + i] - mu[i]) * (rows[r * D + j] - mu[j]);
                }
            }
        }
        for (int k = 0; k < D * D; k++) {
            cov[k] /= N - 1;
        }

        assertEquals(N, s.count());
        assertRelClose(mu, s.mean(), 1e-13);
        assertRelClose(cov, s.covariance(), 1e-12);
    }

    @Test
    void mergingHalvesEqualsWhole() {
        double[] rows = randomRows(new Random(12), N, D);
        FeatureStats whole = statsOf(rows, 0, N, D);
        FeatureStats merged = statsOf(rows, 0, 140, D).merge(statsOf(rows, 140, N, D));

        assertEquals(whole.count(), merged.count());
        assertRelClose(whole.sum(), merged.sum(), 1e-12);
        assertRelClose(whole.sumOuter(), merged.sumOuter(), 1e-12);
        assertRelClose(whole.covariance(), merged.covariance(), 1e-12);
    }

    @Test
    void addBatchEqualsRepeatedAdd() {
        double[] rows = randomRows(new Random(13), 37, D);
        FeatureStats one = statsOf(rows, 0, 37, D);
        FeatureStats batched = new FeatureStats(D);
        batched.addBatch(Arrays.copyOfRange(rows, 0, 20 * D), 20);
        batched.addBatch(Arrays.copyOfRange(rows, 20 * D, 37 * D), 17);

        // Batches of 16 rows or more go through BLAS (another summation order): both are within the
        // inner-product bound γ_{n+8}·Σ|f_i f_j| of the exact sums (RoundOff), so of each other within twice it.
        // The first sums are plain Java loops over the rows in the same order: the same bits.
        assertEquals(one.count(), batched.count());
        assertArrayEquals(one.sum(), batched.sum(), 0.0);
        double[] bound = RoundOff.sumOuterBound(rows, 37, D, new double[D]);
        for (int i = 0; i < bound.length; i++) {
            bound[i] *= 2;
        }
        RoundOff.assertWithin(one.sumOuter(), batched.sumOuter(), bound, "batched Σffᵀ");
    }

    @Test
    void theSameRowsGiveTheSameBitsForAnyThreadCount() {
        int d = 600; // three product tiles a side
        int n = 1000;
        double[] rows = randomRows(new Random(15), n, d);
        float[] f = new float[rows.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rows[i];
        }
        double[] shift = Arrays.copyOfRange(rows, 0, d);
        int before = org.diffsweep.linalg.Lapack.parallelism();
        try {
            double[][] outer = new double[3][];
            for (int threads = 1; threads <= 3; threads++) {
                org.diffsweep.linalg.Lapack.parallelism(threads);
                FeatureStats s = new FeatureStats(shift);
                try (FeatureStats.Accumulator acc = s.accumulator(300)) {
                    for (int r = 0; r < n; r++) {
                        acc.add(f, r * d);
                    }
                }
                assertEquals(n, s.count());
                outer[threads - 1] = s.sumOuter();
            }
            assertArrayEquals(outer[0], outer[1], 0.0);
            assertArrayEquals(outer[0], outer[2], 0.0);
            // and the accumulator equals the plain sums of the same float rows to round-off: each is within its
            // RoundOff.sumOuterBound of the exact Σffᵀ (centred at the shift, resp. at 0), so of each other
            // within the sum of the two bounds, for any kernel and tiling.
            FeatureStats plain = new FeatureStats(d);
            double[] widened = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                widened[i] = f[i];
            }
            plain.addBatch(widened, n);
            double[] bound = RoundOff.sumOuterBound(widened, n, d, shift);
            double[] plainBound = RoundOff.sumOuterBound(widened, n, d, new double[d]);
            for (int i = 0; i < bound.length; i++) {
                bound[i] += plainBound[i];
            }
            RoundOff.assertWithin(plain.sumOuter(), outer[0], bound, "accumulated Σffᵀ");
        } finally {
            org.diffsweep.linalg.Lapack.parallelism(before);
        }
    }

    @Test
    void aLargeCommonOffsetCostsNothingWhenCentredAtAPilotMean() {
        // Features on a 2^-10 lattice, so that adding 1024 is exact in float64 and the exact covariance is a
        // ratio of integers.
        int d = 40;
        int n = 3000;
        Random rng = new Random(16);
        double[] rows = new double[n * d];
        double[] shifted = new double[n * d];
        double max = 0;
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Math.rint(rng.nextGaussian() * (1 + i % d) * 1024) / 1024;
            shifted[i] = rows[i] + 1024;
            max = Math.max(max, Math.abs(shifted[i]));
        }
        double[] pilot = new double[d];
        for (int r = 0; r < 100; r++) {
            for (int i = 0; i < d; i++) {
                pilot[i] += shifted[r * d + i] / 100;
            }
        }
        FeatureStats plain = new FeatureStats(d);
        plain.addBatch(rows, n);
        FeatureStats centred = new FeatureStats(pilot);
        centred.addBatch(shifted, n);
        FeatureStats uncentred = new FeatureStats(d);
        uncentred.addBatch(shifted, n);

        // The exact covariance, from integer sums of k = 1024·f: (n Σk_ik_j − Σk_i Σk_j) / (n (n−1) 2^20).
        long[] k = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            k[i] = (long) (rows[i] * 1024);
        }
        long[] s = new long[d];
        long[] ss = new long[d * d];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                s[i] += k[r * d + i];
                for (int j = 0; j < d; j++) {
                    ss[i * d + j] += k[r * d + i] * k[r * d + j];
                }
            }
        }
        double[] exact = new double[d * d];
        java.math.BigDecimal denominator = java.math.BigDecimal.valueOf((long) n * (n - 1) * (1L << 20));
        for (int i = 0; i < d * d; i++) {
            java.math.BigInteger num = java.math.BigInteger.valueOf(n).multiply(java.math.BigInteger.valueOf(ss[i]))
                    .subtract(java.math.BigInteger.valueOf(s[i / d]).multiply(java.math.BigInteger.valueOf(s[i % d])));
            exact[i] = new java.math.BigDecimal(num).divide(denominator, java.math.MathContext.DECIMAL128).doubleValue();
        }

        // Centred at the pilot mean: within the round-off bound of any summation order (RoundOff).
        double[] centredBound = RoundOff.covarianceBound(shifted, n, d, pilot, exact);
        RoundOff.assertWithin(exact, centred.covariance(), centredBound, "centred covariance");
        RoundOff.assertWithin(exact, plain.covariance(), RoundOff.covarianceBound(rows, n, d, new double[d], exact),
                "covariance of the unshifted features");

        // Without the shift the sums themselves are still exact, in any order: every product of two shifted
        // features is a multiple of 2^-20 and every partial sum is below n·max² < 2^33, so it has at most 53
        // significant bits. The loss is all in the cancellation Σffᵀ − n μμᵀ, done by fixed Java arithmetic on
        // those exact sums, so the uncentred covariance below has the same bits on every BLAS kernel.
        assertTrue(n * max * max < 0x1p33, "the lattice argument needs n·max² < 2^33, got " + n * max * max);
        double[] exactSumOuter = new double[d * d];
        for (int i = 0; i < d * d; i++) {
            long sum = 0; // Σ (k_i + 2^20)(k_j + 2^20), in units of 2^-20
            for (int r = 0; r < n; r++) {
                sum += (k[r * d + i / d] + 1024L * 1024) * (k[r * d + i % d] + 1024L * 1024);
            }
            exactSumOuter[i] = sum * 0x1p-20;
        }
        assertArrayEquals(exactSumOuter, uncentred.sumOuter(), 0.0);
        // ... and that cancellation costs what the centred route provably does not: on the low-variance
        // dimensions the uncentred error is far outside the centred route's bound (measured: up to 288 times it,
        // on 272 of the 1600 entries). A FeatureStats that ignored its shift would fail the centred bound above.
        double[] u = uncentred.covariance();
        double worst = 0;
        for (int i = 0; i < d * d; i++) {
            worst = Math.max(worst, Math.abs(u[i] - exact[i]) / centredBound[i]);
        }
        assertTrue(worst > 50, "uncentred error / centred bound: " + worst);

        // The mean: shift + s/n is within γ_{n+3}·(Σ|f − c|/n + |c|) of the exact one (RoundOff's derivation).
        double[] mean = centred.mean();
        for (int i = 0; i < d; i++) {
            double exactMean = 1024 + s[i] / 1024.0 / n;
            double abs = 0;
            for (int r = 0; r < n; r++) {
                abs += Math.abs(shifted[r * d + i] - pilot[i]);
            }
            assertEquals(exactMean, mean[i], RoundOff.gamma(n + 3L) * (abs / n + Math.abs(pilot[i])) + RoundOff.U * 1024,
                    "mean " + i);
        }
    }

    @Test
    void floatAddEqualsWidenedDoubleAdd() {
        Random rng = new Random(14);
        FeatureStats fromFloat = new FeatureStats(D);
        FeatureStats fromDouble = new FeatureStats(D);
        for (int r = 0; r < 10; r++) {
            float[] f = new float[D];
            double[] g = new double[D];
            for (int i = 0; i < D; i++) {
                f[i] = (float) rng.nextGaussian();
                g[i] = f[i];
            }
            fromFloat.add(f);
            fromDouble.add(g);
        }
        assertArrayEquals(fromDouble.sum(), fromFloat.sum(), 0.0);
        assertArrayEquals(fromDouble.sumOuter(), fromFloat.sumOuter(), 0.0);
    }

    @Test
    void sumOuterIsFullAndMatchesDirectOuterProducts() {
        double[] rows = randomRows(new Random(15), 5, D);
        FeatureStats s = new FeatureStats(D);
        s.addBatch(rows, 5);
        double[] expected = new double[D * D];
        for (int r = 0; r < 5; r++) {
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    expected[i * D + j] += rows[r * D + i] * rows[r * D + j];
                }
            }
        }
        assertRelClose(expected, s.sumOuter(), 1e-14);
    }

    @Test
    void rebuildFromRawSumsAndJavaSerializationPreserveStats() throws Exception {
        double[] rows = randomRows(new Random(16), 50, D);
        FeatureStats s = statsOf(rows, 0, 50, D);

        FeatureStats rebuilt = new FeatureStats(s.count(), s.sum(), s.sumOuter());
        assertArrayEquals(s.covariance(), rebuilt.covariance(), 0.0);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        FeatureStats copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (FeatureStats) in.readObject();
        }
        assertEquals(50, copy.count());
        assertArrayEquals(s.covariance(), copy.covariance(), 0.0);
    }

    @Test
    void covarianceRefusedBelowTwoVectors() {
        FeatureStats s = new FeatureStats(3);
        assertThrows(IllegalStateException.class, s::covariance);
        s.add(new double[] {1, 2, 3});
        IllegalStateException e = assertThrows(IllegalStateException.class, s::covariance);
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        s.add(new double[] {2, 2, 5});
        assertArrayEquals(new double[] {0.5, 0, 1, 0, 0, 0, 1, 0, 2}, s.covariance(), 1e-15);
    }

    @Test
    void shapeErrorsNameTheDimensions() {
        IllegalArgumentException merge = assertThrows(IllegalArgumentException.class,
                () -> new FeatureStats(3).merge(new FeatureStats(4)));
        assertTrue(merge.getMessage().contains("3") && merge.getMessage().contains("4"), merge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FeatureStats(3).add(new double[4]));
        assertThrows(IllegalArgumentException.class, () -> new FeatureStats(3).addBatch(new double[7], 2));
        assertThrows(IllegalArgumentException.class, () -> new FeatureStats(2, new double[3], new double[8]));
    }

    @Test
    void gaussianOfStatsCopiesMomentsAndValidatesShapes() {
        double[] rows = randomRows(new Random(17), 40, D);
        FeatureStats s = statsOf(rows, 0, 40, D);
        Gaussian g = Gaussian.of(s);
        assertEquals(D, g.dim());
        assertEquals(40, g.n());
        assertArrayEquals(s.mean(), g.mean(), 0.0);
        assertArrayEquals(s.covariance(), g.cov(), 0.0);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Gaussian(new double[3], new double[8], 0));
        assertTrue(e.getMessage().contains("9") && e.getMessage().contains("8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Gaussian(new double[1], new double[] {Double.NaN}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Gaussian(new double[1], new double[1], -1));
    }
}
