package org.diffsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Fritsch–Carlson monotone cubic interpolation, checked with the paper's own criteria computed here independently
 * of the class: on every interval the interpolant stays between the two data values (no overshoot) and runs in
 * the direction of the data (flat where the data is flat), and the slopes lie in Fritsch &amp; Carlson's circle
 * α² + β² ≤ 9 with α, β ≥ 0.
 */
class MonotoneCubicTest {

    @Test
    void passesThroughTheDataAndReproducesLines() {
        double[] x = {-2, -1.5, 0, 0.25, 3, 10};
        double[] y = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            y[k] = 0.5 - 2 * x[k];
        }
        MonotoneCubic f = new MonotoneCubic(x, y);
        for (int k = 0; k < x.length; k++) {
            assertEquals(y[k], f.value(x[k]), 0, "at a data point, exactly");
        }
        for (double v = -2; v <= 10; v += 0.01) {
            assertEquals(0.5 - 2 * v, f.value(v), 1e-13, "a line is reproduced at " + v);
        }
    }

    /** Flat runs, steps, spacing over 15 decades, either direction, and 1000 random monotone data sets. */
    @Test
    void monotoneWithoutOvershootOnAdversarialData() {
        double[][][] cases = {
            {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 0, 0, 1, 1, 2, 2, 2}},
            {{0, 1, 2, 3, 4, 5}, {0, 0, 0, 0, 0, 1}},
            {{0, 1e-9, 1e-9 + 1e-3, 1, 1000, 1000.5, 1e6}, {0, 1, 1.000001, 5, 5.5, 100, 100.0000001}},
            {{0, 1, 1.001, 2, 3}, {10, 10, 0, 0, -1}},
            {{1, 2}, {3, -4}},
            {{0, 1, 2}, {0, 1e-300, 1}},
            {{-5, -4, 0, 0.001, 0.002, 7}, {100, 99.9999, 50, 49.99, 0.01, 0}},
        };
        for (double[][] c : cases) {
            check(c[0], c[1]);
        }
        SplittableRandom rng = new SplittableRandom(1980);
        for (int t = 0; t < 1000; t++) {
            int n = 2 + rng.nextInt(30);
            double[] x = new double[n];
            double[] y = new double[n];
            double sign = rng.nextBoolean() ? 1 : -1;
            for (int k = 1; k < n; k++) {
                x[k] = x[k - 1] + Math.pow(10, rng.nextDouble(-6, 6));
                double r = rng.nextDouble();
                double step = r < 0.25 ? 0 : Math.pow(10, rng.nextDouble(-8, 4)); // a quarter of the steps flat
                y[k] = y[k - 1] + sign * step;
            }
            check(x, y);
        }
    }

    /** Data that is not monotone: still no overshoot on any interval (local extrema get slope 0). */
    @Test
    void piecewiseMonotoneOnDataWithExtrema() {
        SplittableRandom rng = new SplittableRandom(17);
        for (int t = 0; t < 500; t++) {
            int n = 3 + rng.nextInt(20);
            double[] x = new double[n];
            double[] y = new double[n];
            for (int k = 0; k < n; k++) {
                x[k] = k == 0 ? 0 : x[k - 1] + Math.pow(10, rng.nextDouble(-3, 3));
                y[k] = rng.nextDouble() < 0.2 && k > 0 ? y[k - 1] : rng.nextGaussian();
            }
            check(x, y);
        }
    }

    /** The independent Fritsch–Carlson check of one data set. */
    static void check(double[] x, double[] y) {
        MonotoneCubic f = new MonotoneCubic(x, y);
        double[] d = f.slopes();
        for (int k = 0; k + 1 < x.length; k++) {
            // rounding of the Hermite form: a few ulps of its largest terms
            double tol = 16 * Math.ulp(Math.max(Math.abs(y[k]), Math.abs(y[k + 1])) + (x[k + 1] - x[k])
                    * Math.max(Math.abs(d[k]), Math.abs(d[k + 1])));
            assertEquals(y[k], f.value(x[k]), 0);
            double delta = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
            String at = "interval " + k + " [" + x[k] + ", " + x[k + 1] + "] y " + y[k] + " -> " + y[k + 1];
            if (delta == 0) {
                assertEquals(0, d[k], 0, at);
                assertEquals(0, d[k + 1], 0, at);
            } else {
                double a = d[k] / delta;
                double b = d[k + 1] / delta;
                assertTrue(a >= 0 && b >= 0 && a * a + b * b <= 9 * (1 + 1e-12), at + ": alpha " + a + " beta " + b);
            }
            double lo = Math.min(y[k], y[k + 1]);
            double hi = Math.max(y[k], y[k + 1]);
            double direction = Math.signum(y[k + 1] - y[k]);
            double previous = y[k];
            int points = 200;
            for (int p = 1; p <= points; p++) {
                // uniform points, and points crowding both ends, where overshoot would show first
                double u = p < points / 2 ? (double) p / (points / 2) : 1 - Math.pow(2, -(p - points / 2));
                double v = x[k] + u * (x[k + 1] - x[k]);
                if (!(v > x[k] && v < x[k + 1])) {
                    continue;
                }
                double value = f.value(v);
                double raw = f.unclamped(v);
                assertTrue(value >= lo && value <= hi, at + ": overshoot " + value + " at " + v);
                assertTrue(raw >= lo - tol && raw <= hi + tol, at + ": overshoot before clamping " + raw + " at " + v);
                assertTrue(Math.abs(raw - value) <= tol, at);
                if (p < points / 2) {
                    assertTrue(direction * (value - previous) >= -tol, at + ": not monotone at " + v + ": "
                            + previous + " then " + value);
                    previous = value;
                }
            }
        }
        assertEquals(y[y.length - 1], f.value(x[x.length - 1]), 0);
    }

    /** On smooth data it converges fast: the error of tanh on [−3, 3] falls ≥ 6× per halving of h. */
    @Test
    void accurateOnSmoothData() {
        double previous = Double.NaN;
        StringBuilder report = new StringBuilder("monotone cubic, max error on tanh:");
        for (int n : new int[] {20, 40, 80, 160}) {
            double[] x = new double[n + 1];
            double[] y = new double[n + 1];
            for (int k = 0; k <= n; k++) {
                x[k] = -3 + 6.0 * k / n;
                y[k] = Math.tanh(x[k]);
            }
            MonotoneCubic f = new MonotoneCubic(x, y);
            double err = 0;
            for (int p = 0; p <= 10000; p++) {
                double v = -3 + 6.0 * p / 10000;
                err = Math.max(err, Math.abs(f.value(v) - Math.tanh(v)));
            }
            report.append(String.format(" n=%d %.2e", n, err));
            if (!Double.isNaN(previous)) {
                assertTrue(previous / err > 6, report.toString());
            }
            previous = err;
        }
        System.out.println(report);
    }

    @Test
    void refusesBadData() {
        String[][] messages = {
            {"abscissae and", "expected the same number, at least 2"},
            {"x[2] = 1.0 after 1.0", "expected strictly increasing abscissae"},
            {"point 1 = (1.0, NaN)", "expected finite values"},
        };
        double[][][] data = {
            {{1}, {1}},
            {{0, 1, 1}, {0, 1, 2}},
            {{0, 1}, {0, Double.NaN}},
        };
        for (int c = 0; c < data.length; c++) {
            double[][] xy = data[c];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new MonotoneCubic(xy[0], xy[1]));
            for (String m : messages[c]) {
                assertTrue(e.getMessage().contains(m), e.getMessage());
            }
        }
        MonotoneCubic f = new MonotoneCubic(new double[] {0, 1}, new double[] {0, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.value(1.5));
        assertTrue(e.getMessage().contains("x = 1.5, expected within [0.0, 1.0]"), e.getMessage());
    }
}
