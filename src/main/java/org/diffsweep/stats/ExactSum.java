package org.diffsweep.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A sum of doubles kept exactly (as a {@link BigDecimal}: every double is a finite decimal, and decimal addition
 * is exact). The sum therefore does not depend on the order of the additions, so statistics summed over shards
 * of seeds and merged in any order are equal bit for bit to those of one run over all seeds — as long as each
 * term is computed the same way wherever its sample is (the per-sample terms here are computed row by row).
 */
final class ExactSum implements Serializable {

    private static final long serialVersionUID = 1L;

    private BigDecimal sum = BigDecimal.ZERO;

    /** Adds a finite term. */
    void add(double term) {
        if (!Double.isFinite(term)) {
            throw new IllegalArgumentException("exact sum: term = " + term + ", expected a finite value");
        }
        sum = sum.add(new BigDecimal(term));
    }

    /** Adds another sum. */
    void add(ExactSum other) {
        sum = sum.add(other.sum);
    }

    /** Adds an exact value (e.g. another sum as stored), exactly. */
    void add(BigDecimal value) {
        sum = sum.add(value);
    }

    BigDecimal exact() {
        return sum;
    }

    /** The sum rounded to a double. */
    double value() {
        return sum.doubleValue();
    }

    /** sum / n, to double precision. */
    double mean(long n) {
        return n == 0 ? Double.NaN : sum.divide(BigDecimal.valueOf(n), MathContext.DECIMAL128).doubleValue();
    }

    /**
     * The standard error of the mean of n terms x_s, given Σx_s and Σx_s²: sd/√n with the unbiased
     * sd² = (n·Σx² − (Σx)²) / (n(n − 1)). The numerator is formed exactly (no cancellation); NaN for n &lt; 2.
     */
    static double standardError(long n, ExactSum sum, ExactSum sumOfSquares) {
        if (n < 2) {
            return Double.NaN;
        }
        BigDecimal bn = BigDecimal.valueOf(n);
        BigDecimal numerator = bn.multiply(sumOfSquares.sum).subtract(sum.sum.multiply(sum.sum));
        BigDecimal variance = numerator.divide(bn.multiply(BigDecimal.valueOf(n - 1)), MathContext.DECIMAL128);
        return Math.sqrt(Math.max(0, variance.doubleValue()) / n);
    }
}
