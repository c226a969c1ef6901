package org.diffsweep.sampler;

/**
 * Sample mean and covariance of n rows of D values, each entry with its Monte-Carlo standard error estimated
 * from the same samples: SE(mean_j) = sd(x_j)/√n and SE(cov_jk) = sd(y)/√n with y = (x_j − x̄_j)(x_k − x̄_k)
 * (the delta-method SE of a covariance, valid for any distribution with finite fourth moments).
 */
final class SampleMoments {

    final int n;
    final int dim;
    final double[] mean;
    final double[] meanSe;
    /** D × D, row-major, divided by n − 1. */
    final double[] cov;
    final double[] covSe;

    SampleMoments(double[] x, int dim) {
        this.dim = dim;
        this.n = x.length / dim;
        mean = new double[dim];
        meanSe = new double[dim];
        cov = new double[dim * dim];
        covSe = new double[dim * dim];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < dim; j++) {
                mean[j] += x[r * dim + j] / n;
            }
        }
        for (int j = 0; j < dim; j++) {
            for (int k = 0; k < dim; k++) {
                double sum = 0;
                double sumSq = 0;
                for (int r = 0; r < n; r++) {
                    double y = (x[r * dim + j] - mean[j]) * (x[r * dim + k] - mean[k]);
                    sum += y;
                    sumSq += y * y;
                }
                double m = sum / n;
                cov[j * dim + k] = sum / (n - 1);
                covSe[j * dim + k] = Math.sqrt((sumSq / n - m * m) / (n - 1));
            }
            meanSe[j] = Math.sqrt(cov[j * dim + j] / n);
        }
    }

    /** Largest |estimate − exact|/SE over the mean entries and the covariance entries j ≤ k. */
    double maxZ(double[] exactMean, double[] exactCov) {
        double max = 0;
        for (int j = 0; j < dim; j++) {
            max = Math.max(max, Math.abs(mean[j] - exactMean[j]) / meanSe[j]);
            for (int k = j; k < dim; k++) {
                max = Math.max(max, Math.abs(cov[j * dim + k] - exactCov[j * dim + k]) / covSe[j * dim + k]);
            }
        }
        return max;
    }

    /** Every entry as estimate (z = error/SE), for failure messages and the test log. */
    String report(double[] exactMean, double[] exactCov) {
        StringBuilder b = new StringBuilder("n=" + n + " mean");
        for (int j = 0; j < dim; j++) {
            b.append(String.format(" %.4f(exact %.4f, z %.2f)", mean[j], exactMean[j],
                    (mean[j] - exactMean[j]) / meanSe[j]));
        }
        b.append("; cov");
        for (int j = 0; j < dim; j++) {
            for (int k = j; k < dim; k++) {
                int e = j * dim + k;
                b.append(String.format(" [%d%d] %.4f(exact %.4f, z %.2f)", j, k, cov[e], exactCov[e],
                        (cov[e] - exactCov[e]) / covSe[e]));
            }
        }
        return b.toString();
    }
}
