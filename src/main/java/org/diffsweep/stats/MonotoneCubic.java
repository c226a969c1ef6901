package org.diffsweep.stats;

import java.util.Arrays;
import org.hipparchus.analysis.UnivariateFunction;

/**
 * Monotone piecewise-cubic Hermite interpolation (Fritsch &amp; Carlson, "Monotone piecewise cubic interpolation",
 * SIAM J. Numer. Anal. 17(2), 1980). Hipparchus has cubic and Akima splines, neither of which preserves
 * monotonicity, hence this class. On each interval [x_k, x_{k+1}] the interpolant is the cubic Hermite
 * polynomial with values y_k, y_{k+1} and slopes d_k, d_{k+1}; it is monotone wherever the data is:
 * <ol>
 *   <li>secants Δ_k = (y_{k+1} − y_k) / h_k, h_k = x_{k+1} − x_k;</li>
 *   <li>initial slopes: at an interior point where Δ_{k−1} and Δ_k have the same strict sign, the three-point
 *       (parabola) slope d_k = (h_k·Δ_{k−1} + h_{k−1}·Δ_k) / (h_{k−1} + h_k), which handles uneven spacing;
 *       d_k = 0 where the data has a local extremum or a flat neighbour. At the ends the one-sided three-point
 *       slope, set to 0 if its sign differs from the end secant's (a single interval: d = Δ_0 at both ends);</li>
 *   <li>for each interval: if Δ_k = 0, d_k = d_{k+1} = 0 (flat stays flat); otherwise with α = d_k/Δ_k,
 *       β = d_{k+1}/Δ_k (both ≥ 0 after step 2), if α² + β² &gt; 9 scale both by τ = 3/√(α² + β²) — Fritsch
 *       &amp; Carlson's circle, inside their monotonicity region. Scaling a slope down keeps the neighbouring
 *       interval inside the circle, so one pass in order suffices.</li>
 * </ol>
 * At the data points the interpolant returns y_k exactly; between them its floating-point value is clamped to
 * [min(y_k, y_{k+1}), max(y_k, y_{k+1})], which the exact interpolant never leaves, so rounding cannot overshoot.
 * Outside [x_0, x_n] it is not defined.
 */
public final class MonotoneCubic implements UnivariateFunction {

    private final double[] x;
    private final double[] y;
    private final double[] d;

    /**
     * @param x at least 2 strictly increasing finite abscissae
     * @param y as many finite values
     */
    public MonotoneCubic(double[] x, double[] y) {
        int n = x.length;
        if (n < 2 || y.length != n) {
            throw new IllegalArgumentException("monotone cubic: " + n + " abscissae and " + y.length
                    + " values, expected the same number, at least 2");
        }
        for (int k = 0; k < n; k++) {
            if (!Double.isFinite(x[k]) || !Double.isFinite(y[k])) {
                throw new IllegalArgumentException("monotone cubic: point " + k + " = (" + x[k] + ", " + y[k]
                        + "), expected finite values");
            }
            if (k > 0 && !(x[k] > x[k - 1])) {
                throw new IllegalArgumentException("monotone cubic: x[" + k + "] = " + x[k] + " after " + x[k - 1]
                        + ", expected strictly increasing abscissae");
            }
        }
        this.x = x.clone();
        this.y = y.clone();
        this.d = slopes(this.x, this.y);
    }

    private static double[] slopes(double[] x, double[] y) {
        int n = x.length;
        double[] h = new double[n - 1];
        double[] delta = new double[n - 1];
        for (int k = 0; k < n - 1; k++) {
            h[k] = x[k + 1] - x[k];
            delta[k] = (y[k + 1] - y[k]) / h[k];
        }
        double[] d = new double[n];
        if (n == 2) {
            d[0] = delta[0];
            d[1] = delta[0];
        } else {
            for (int k = 1; k < n - 1; k++) {
                d[k] = Math.signum(delta[k - 1]) * Math.signum(delta[k]) > 0
                        ? (h[k] * delta[k - 1] + h[k - 1] * delta[k]) / (h[k - 1] + h[k]) : 0;
            }
            d[0] = end(h[0], h[1], delta[0], delta[1]);
            d[n - 1] = end(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
        }
        for (int k = 0; k < n - 1; k++) {
            if (delta[k] == 0) {
                d[k] = 0;
                d[k + 1] = 0;
                continue;
            }
            double a = d[k] / delta[k];
            double b = d[k + 1] / delta[k];
            double s = a * a + b * b;
            if (s > 9) {
                double tau = 3 / Math.sqrt(s);
                d[k] = tau * a * delta[k];
                d[k + 1] = tau * b * delta[k];
            }
        }
        return d;
    }

    /** One-sided three-point slope at an end: h0, delta0 of the end interval, h1, delta1 of its neighbour. */
    private static double end(double h0, double h1, double delta0, double delta1) {
        double s = ((2 * h0 + h1) * delta0 - h0 * delta1) / (h0 + h1);
        return Math.signum(s) == Math.signum(delta0) ? s : 0;
    }

    /**
     * The interpolant at v.
     *
     * @throws IllegalArgumentException if v is outside [x_0, x_n]
     */
    @Override
    public double value(double v) {
        int k = interval(v);
        if (k < 0) {
            return y[-k - 1];
        }
        // the exact interpolant stays within [y_k, y_{k+1}] (Fritsch–Carlson); this removes rounding only
        return Math.min(Math.max(hermite(k, v), Math.min(y[k], y[k + 1])), Math.max(y[k], y[k + 1]));
    }

    /** The interpolant at v before the clamping of {@link #value} (tests check that it needs none). */
    double unclamped(double v) {
        int k = interval(v);
        return k < 0 ? y[-k - 1] : hermite(k, v);
    }

    /** k with x_k &lt; v &lt; x_{k+1}, or −(j + 1) if v = x_j. */
    private int interval(double v) {
        int n = x.length;
        if (!(v >= x[0] && v <= x[n - 1])) {
            throw new IllegalArgumentException("monotone cubic: x = " + v + ", expected within [" + x[0] + ", "
                    + x[n - 1] + "]");
        }
        int k = Arrays.binarySearch(x, v);
        return k >= 0 ? -k - 1 : -k - 2;
    }

    /** The cubic Hermite polynomial of interval k at v: basis (1 + 2t)u², t²(3 − 2t) and h·t·u², −h·t²·u. */
    private double hermite(int k, double v) {
        double h = x[k + 1] - x[k];
        double t = (v - x[k]) / h;
        double u = 1 - t;
        return (1 + 2 * t) * u * u * y[k] + t * t * (3 - 2 * t) * y[k + 1] + h * t * u * (u * d[k] - t * d[k + 1]);
    }

    /** The slopes d_k at the data points (a copy). */
    public double[] slopes() {
        return d.clone();
    }
}
