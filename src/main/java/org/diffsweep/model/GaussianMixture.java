package org.diffsweep.model;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.diffsweep.diffusion.ConditionalDenoiser;
import org.diffsweep.diffusion.Denoiser;

/**
 * A diagonal Gaussian mixture with its exact denoiser, the reference model against which samplers are
 * measured without any learned network in the way.
 *
 * <p>Data: x₀ ~ Σ_k w_k N(μ_k, diag(v_k)) in D dimensions, k = 1..K. Adding noise σ·n, n ~ N(0, I), gives
 * the marginal p_σ(x̂) = Σ_k w_k N(x̂; μ_k, diag(v_k + σ²)), and the exact posterior mean is
 *
 * <pre>
 *   D(x̂; σ) = E[x₀ | x̂] = Σ_k γ_k(x̂) [μ_k + v_k / (v_k + σ²) ⊙ (x̂ − μ_k)],
 *   γ_k(x̂)  = w_k N(x̂; μ_k, diag(v_k + σ²)) / p_σ(x̂),
 * </pre>
 *
 * with the responsibilities γ_k computed from their logarithms by log-sum-exp, so that the result stays
 * finite for any σ &gt; 0 and any x̂ whose squared distance to the means does not overflow.
 *
 * <p>A class-conditional mixture gives each component a class c_k ∈ 0..K−1 ({@link #withClasses}). The data of class
 * c are the sub-mixture of its components, and its exact denoiser D(x̂; σ, c) is the formula above with the sum
 * restricted to them (the responsibilities renormalise over the class): D_c of classifier-free guidance, exact; the
 * whole mixture's D is D_u, the {@link ConditionalDenoiser#NULL} label.
 *
 * <p>Instances are immutable; the constructor divides the weights by their sum.
 */
public final class GaussianMixture implements Denoiser, ConditionalDenoiser, Serializable {

    private static final long serialVersionUID = 1L;

    /** {@link #random}: every pair of means is at least this many times the largest component std apart. */
    private static final double SEPARATION = 6.0;

    private final double[] weights;
    private final double[][] means;
    private final double[][] variances;
    /** c_k per component, or null for an unconditional mixture. */
    private final int[] classes;
    private final int classCount;
    private final String id;

    /**
     * @param weights   w_k, finite and &gt; 0; divided by their sum
     * @param means     μ_k, one row of D finite values per weight
     * @param variances v_k, one row of D finite values &gt; 0 per weight
     * @throws IllegalArgumentException naming the first bad value and what was expected
     */
    public GaussianMixture(double[] weights, double[][] means, double[][] variances) {
        this(weights, means, variances, null);
    }

    /**
     * A class-conditional mixture (classes null: unconditional).
     *
     * @param classes c_k per weight, each ≥ 0; every class 0..max(c) must have a component
     */
    public GaussianMixture(double[] weights, double[][] means, double[][] variances, int[] classes) {
        int k = weights.length;
        if (k == 0) {
            throw new IllegalArgumentException("gmm: 0 weights, expected at least one component");
        }
        if (means.length != k || variances.length != k) {
            throw new IllegalArgumentException("gmm: " + k + " weights, " + means.length + " means and "
                    + variances.length + " variances, expected one mean and one variance per weight");
        }
        int d = means[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("gmm component 0: mean has 0 values, expected at least 1");
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            if (!(weights[c] > 0 && weights[c] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(
                        "gmm component " + c + ": weight = " + weights[c] + ", expected finite and > 0");
            }
            sum += weights[c];
            checkRow(c, "mean", means[c], d);
            checkRow(c, "variance", variances[c], d);
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(means[c][j])) {
                    throw new IllegalArgumentException("gmm component " + c + ": mean[" + j + "] = "
                            + means[c][j] + ", expected finite");
                }
                if (!(variances[c][j] > 0 && variances[c][j] < Double.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException("gmm component " + c + ": variance[" + j + "] = "
                            + variances[c][j] + ", expected finite and > 0");
                }
            }
        }
        if (sum == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("gmm: weights sum to Infinity, expected a finite sum");
        }
        this.weights = new double[k];
        this.means = new double[k][];
        this.variances = new double[k][];
        for (int c = 0; c < k; c++) {
            this.weights[c] = weights[c] / sum;
            this.means[c] = means[c].clone();
            this.variances[c] = variances[c].clone();
        }
        if (classes != null) {
            if (classes.length != k) {
                throw new IllegalArgumentException("gmm: " + classes.length + " classes for " + k
                        + " components, expected one class per component");
            }
            int max = -1;
            for (int c = 0; c < k; c++) {
                if (classes[c] < 0) {
                    throw new IllegalArgumentException("gmm component " + c + ": class = " + classes[c]
                            + ", expected >= 0");
                }
                max = Math.max(max, classes[c]);
            }
            boolean[] seen = new boolean[max + 1];
            for (int c : classes) {
                seen[c] = true;
            }
            for (int c = 0; c <= max; c++) {
                if (!seen[c]) {
                    throw new IllegalArgumentException("gmm: no component of class " + c + ", expected classes 0.."
                            + max + " each to have at least one component");
                }
            }
            this.classes = classes.clone();
            this.classCount = max + 1;
        } else {
            this.classes = null;
            this.classCount = 0;
        }
        this.id = "gmm-" + k + "x" + d + (classes == null ? "" : "c" + classCount) + "-" + parameterHash();
    }

    private static void checkRow(int component, String what, double[] row, int dim) {
        if (row.length != dim) {
            throw new IllegalArgumentException("gmm component " + component + ": " + what + " has "
                    + row.length + " values, expected " + dim + " (the dim of component 0's mean)");
        }
    }

    /**
     * A deterministic mixture for tests and benchmarks, built from {@code new SplittableRandom(seed)}:
     *
     * <ul>
     *   <li>weights w_k ∝ 1/2 + E_k with E_k ~ Exp(1): a Dirichlet(1) draw pulled towards uniform, so the
     *       weights are unequal but none is negligible;
     *   <li>variances v_kd = s² · 10^(u_kd − 1/2) with u_kd ~ U[0, 1): any two entries differ by a factor
     *       of at most 10;
     *   <li>means μ_k drawn from N(0, a² I), each redrawn until it lies at least 6 · max_jd √v_jd (six times
     *       the largest component standard deviation) from every earlier mean; a starts at that distance
     *       divided by √D and grows by 10% after every 32 rejected draws, so the loop ends for any K and D;
     *   <li>then the means are shifted so that the mixture mean is 0, and the common scale s is chosen so
     *       that (1/D) · trace(covariance()) = sigmaData², i.e. the root-mean-square over the D dimensions
     *       of the per-dimension standard deviation is sigmaData. As the mean is 0, this is also the
     *       standard deviation of all D coordinates pooled, E[|x₀|²] / D = sigmaData².
     * </ul>
     *
     * <p>The shift and the common scale leave the separation and variance ratios above unchanged.
     *
     * @throws IllegalArgumentException if components or dim is &lt; 1 or sigmaData is not finite and &gt; 0
     */
    public static GaussianMixture random(int components, int dim, double sigmaData, long seed) {
        if (components < 1 || dim < 1) {
            throw new IllegalArgumentException("gmm random: components = " + components + ", dim = " + dim
                    + ", expected both >= 1");
        }
        if (!(sigmaData > 0 && sigmaData < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(
                    "gmm random: sigmaData = " + sigmaData + ", expected finite and > 0");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = new double[components];
        double wSum = 0;
        double[][] v = new double[components][dim];
        double maxVariance = 0;
        for (int k = 0; k < components; k++) {
            w[k] = 0.5 - Math.log(1 - rng.nextDouble());
            wSum += w[k];
            for (int d = 0; d < dim; d++) {
                v[k][d] = Math.pow(10, rng.nextDouble() - 0.5);
                maxVariance = Math.max(maxVariance, v[k][d]);
            }
        }
        double minGap = SEPARATION * Math.sqrt(maxVariance);
        double spread = minGap / Math.sqrt(dim);
        double[][] mu = new double[components][];
        for (int k = 0; k < components; k++) {
            for (int rejected = 0; mu[k] == null; rejected++) {
                double[] candidate = new double[dim];
                for (int d = 0; d < dim; d++) {
                    candidate[d] = spread * rng.nextGaussian();
                }
                if (farFromAll(candidate, mu, k, minGap)) {
                    mu[k] = candidate;
                } else if (rejected % 32 == 31) {
                    spread *= 1.1;
                }
            }
        }
        double[] centre = new double[dim];
        for (int k = 0; k < components; k++) {
            for (int d = 0; d < dim; d++) {
                centre[d] += w[k] / wSum * mu[k][d];
            }
        }
        double meanVariance = 0;
        for (int k = 0; k < components; k++) {
            for (int d = 0; d < dim; d++) {
                mu[k][d] -= centre[d];
                meanVariance += w[k] / wSum * (v[k][d] + mu[k][d] * mu[k][d]) / dim;
            }
        }
        double scale = sigmaData / Math.sqrt(meanVariance);
        for (int k = 0; k < components; k++) {
            for (int d = 0; d < dim; d++) {
                mu[k][d] *= scale;
                v[k][d] *= scale * scale;
            }
        }
        return new GaussianMixture(w, mu, v);
    }

    private static boolean farFromAll(double[] candidate, double[][] chosen, int count, double minGap) {
        for (int j = 0; j < count; j++) {
            double squared = 0;
            for (int d = 0; d < candidate.length; d++) {
                double diff = candidate[d] - chosen[j][d];
                squared += diff * diff;
            }
            if (squared < minGap * minGap) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int dim() {
        return means[0].length;
    }

    /** The same mixture with component k in class {@code classes[k]}. */
    public GaussianMixture withClasses(int[] classes) {
        return new GaussianMixture(weights, means, variances, classes);
    }

    /** K, the number of classes (0 for an unconditional mixture). */
    @Override
    public int classes() {
        return classCount;
    }

    /** c_k per component (a copy), or null for an unconditional mixture. */
    public int[] componentClasses() {
        return classes == null ? null : classes.clone();
    }

    /** The whole mixture is the unconditional branch. */
    @Override
    public boolean hasNull() {
        return true;
    }

    /**
     * The mixture whose data are those of a class drawn with {@code probabilities} (then its sub-mixture): weights
     * w_k · p(c_k) / W(c_k), W(c) the weight of class c; components of classes of probability 0 are left out. It is
     * the distribution a conditional sampler targets at guidance 1 when the labels are drawn so.
     */
    public GaussianMixture conditioned(double[] probabilities) {
        if (classes == null) {
            throw new IllegalArgumentException("gmm " + id + " has no classes");
        }
        double[] classWeight = new double[classCount];
        for (int k = 0; k < weights.length; k++) {
            classWeight[classes[k]] += weights[k];
        }
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        for (int k = 0; k < weights.length; k++) {
            if (classes[k] < probabilities.length && probabilities[classes[k]] > 0) {
                kept.add(k);
            }
        }
        double[] w = new double[kept.size()];
        double[][] mu = new double[kept.size()][];
        double[][] v = new double[kept.size()][];
        for (int i = 0; i < w.length; i++) {
            int k = kept.get(i);
            w[i] = weights[k] * probabilities[classes[k]] / classWeight[classes[k]];
            mu[i] = means[k];
            v[i] = variances[k];
        }
        return new GaussianMixture(w, mu, v);
    }

    /** The exact class-conditional denoiser D(x̂; σ, c) of each row's label ({@link ConditionalDenoiser#NULL}: D). */
    @Override
    public Denoiser given(int[] labels) {
        int[] rows = labels.clone();
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] != NULL && (rows[r] < 0 || rows[r] >= classCount)) {
                throw new IllegalArgumentException("gmm " + id + ": label " + rows[r] + ", expected 0.."
                        + (classCount - 1) + " or the null label");
            }
        }
        GaussianMixture self = this;
        return new Denoiser() {
            @Override
            public int dim() {
                return self.dim();
            }

            @Override
            public String id() {
                return self.id();
            }

            @Override
            public double[] denoise(double[] x, int batch, double sigma) {
                if (batch != rows.length) {
                    throw new IllegalArgumentException("gmm denoise: a batch of " + batch + " rows for "
                            + rows.length + " labels, expected one label per row");
                }
                return self.denoise(x, batch, sigma, rows);
            }
        };
    }

    /** K, the number of components. */
    public int components() {
        return weights.length;
    }

    /** The weights w_k, normalised to sum to 1 (a copy). */
    public double[] weights() {
        return weights.clone();
    }

    /** The means μ_k, K rows of D values (a copy). */
    public double[][] means() {
        return deepCopy(means);
    }

    /** The per-dimension variances v_k, K rows of D values (a copy). */
    public double[][] variances() {
        return deepCopy(variances);
    }

    private static double[][] deepCopy(double[][] rows) {
        double[][] copy = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            copy[k] = rows[k].clone();
        }
        return copy;
    }

    /** The mixture mean μ = Σ_k w_k μ_k. */
    public double[] mean() {
        double[] m = new double[dim()];
        for (int k = 0; k < weights.length; k++) {
            for (int d = 0; d < m.length; d++) {
                m[d] += weights[k] * means[k][d];
            }
        }
        return m;
    }

    /**
     * The mixture covariance Σ_k w_k (diag(v_k) + μ_k μ_kᵀ) − μ μᵀ, computed in the equal and better
     * conditioned form Σ_k w_k (diag(v_k) + (μ_k − μ)(μ_k − μ)ᵀ).
     *
     * @return D × D values, row-major
     */
    public double[] covariance() {
        int dim = dim();
        double[] m = mean();
        double[] cov = new double[dim * dim];
        for (int k = 0; k < weights.length; k++) {
            for (int i = 0; i < dim; i++) {
                double di = means[k][i] - m[i];
                for (int j = 0; j < dim; j++) {
                    cov[i * dim + j] += weights[k] * di * (means[k][j] - m[j]);
                }
                cov[i * dim + i] += weights[k] * variances[k][i];
            }
        }
        return cov;
    }

    /**
     * Draws one x₀: a component k with probability w_k, then μ_k + √v_k ⊙ n with n ~ N(0, I).
     *
     * @return D values
     */
    public double[] sample(RandomGenerator rng) {
        int k = 0;
        double u = rng.nextDouble();
        while (k < weights.length - 1 && u >= weights[k]) {
            u -= weights[k];
            k++;
        }
        double[] x = new double[dim()];
        for (int d = 0; d < x.length; d++) {
            x[d] = means[k][d] + Math.sqrt(variances[k][d]) * rng.nextGaussian();
        }
        return x;
    }

    /**
     * The exact posterior mean D(x̂; σ) of the class comment, row by row. With t_kd = v_kd + σ², each row's
     * log-responsibilities are, up to a constant shared by all k,
     * log w_k − ½ Σ_d [log t_kd + (x̂_d − μ_kd)² / t_kd]; they are shifted by their maximum before
     * exponentiating.
     *
     * @throws IllegalArgumentException if sigma is not finite and &gt; 0, or x.length ≠ batch · dim()
     */
    @Override
    public double[] denoise(double[] x, int batch, double sigma) {
        return denoise(x, batch, sigma, null);
    }

    /** Row r restricted to the components of class labels[r] (all of them for NULL, or when labels is null). */
    private double[] denoise(double[] x, int batch, double sigma, int[] labels) {
        int dim = dim();
        int k = weights.length;
        if (!(sigma > 0 && sigma < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("gmm denoise: sigma = " + sigma + ", expected finite and > 0");
        }
        if (batch < 0 || x.length != (long) batch * dim) {
            throw new IllegalArgumentException("gmm denoise: x has " + x.length + " values, expected batch * dim = "
                    + batch + " * " + dim);
        }
        double s2 = sigma * sigma;
        double[] logNorm = new double[k];
        for (int c = 0; c < k; c++) {
            double logDet = 0;
            for (int d = 0; d < dim; d++) {
                logDet += Math.log(variances[c][d] + s2);
            }
            logNorm[c] = Math.log(weights[c]) - 0.5 * logDet;
        }
        double[] out = new double[x.length];
        double[] gamma = new double[k];
        for (int row = 0; row < batch; row++) {
            int off = row * dim;
            double max = Double.NEGATIVE_INFINITY;
            int label = labels == null ? NULL : labels[row];
            for (int c = 0; c < k; c++) {
                if (label != NULL && classes[c] != label) {
                    gamma[c] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double quad = 0;
                for (int d = 0; d < dim; d++) {
                    double r = x[off + d] - means[c][d];
                    quad += r * r / (variances[c][d] + s2);
                }
                gamma[c] = logNorm[c] - 0.5 * quad;
                max = Math.max(max, gamma[c]);
            }
            double total = 0;
            for (int c = 0; c < k; c++) {
                gamma[c] = Math.exp(gamma[c] - max);
                total += gamma[c];
            }
            for (int c = 0; c < k; c++) {
                double g = gamma[c] / total;
                for (int d = 0; d < dim; d++) {
                    double v = variances[c][d];
                    out[off + d] += g * (means[c][d] + v / (v + s2) * (x[off + d] - means[c][d]));
                }
            }
        }
        return out;
    }

    /**
     * "gmm-&lt;K&gt;x&lt;D&gt;-" followed by the first 12 hex digits of the SHA-256 of the normalised weights,
     * the means and the variances (IEEE bits, in that order), so identical parameters share an id and
     * different ones, in practice, never do.
     */
    @Override
    public String id() {
        return id;
    }

    private String parameterHash() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        update(sha, weights);
        for (double[][] block : new double[][][] {means, variances}) {
            for (double[] row : block) {
                update(sha, row);
            }
        }
        if (classes != null) {
            ByteBuffer bits = ByteBuffer.allocate(4 * classes.length);
            bits.asIntBuffer().put(classes);
            sha.update(bits.array());
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 6);
    }

    private static void update(MessageDigest sha, double[] values) {
        ByteBuffer bits = ByteBuffer.allocate(8 * values.length);
        bits.asDoubleBuffer().put(values);
        sha.update(bits.array());
    }

    @Override
    public String toString() {
        return id;
    }
}
