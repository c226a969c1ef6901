package org.diffsweep.sampler;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.schedule.TimeGrid;
import org.hipparchus.analysis.integration.gauss.GaussIntegrator;
import org.hipparchus.analysis.integration.gauss.GaussIntegratorFactory;

/**
 * DEIS (Zhang &amp; Chen 2023) and DEIS-SN (score-normalised DEIS) as one linear multistep family in x̂ with σ as
 * the integration variable (docs/samplers.md, DEIS):
 * <pre>
 *   x̂_{i+1} = x̂_i + Σ_{j=0..q} C_{i,j} · z_{i−j},        z_k = ε(x̂_k; σ_k) / r(σ_k),
 *   C_{i,j} = ∫_{σ_i}^{σ_{i+1}} r(σ) · ℓ_j(u(σ)) dσ,      q = min(order − 1, i),
 * </pre>
 * where ℓ_j is the Lagrange basis polynomial through the q + 1 most recent evaluation points
 * u_i, u_{i−1}, …, u_{i−q} (ℓ_j is 1 at u_{i−j}, 0 at the others), expressed in the interpolation variable
 * u: the process time u = t(σ) for {@link Variant#TAB} (DEIS's tAB; τ for the discrete DDPM), σ itself for
 * {@link Variant#RHOAB}. This is DEIS's exponential integrator on a VP process rewritten in x̂ = x/s (the factor
 * sqrt(ᾱ_{i+1}/ᾱ_i) is s_{i+1}/s_i). For DEIS r ≡ 1; for DEIS-SN r is a {@link ScoreScale} table. Order 1 with
 * r ≡ 1 is exactly DDIM (Euler in σ). The order warms up over the first {@code order − 1} steps; as the first
 * (Euler) step has a local error O(h²), order 3 is formally second order globally, but on grids that start at a
 * large σ_0, where ε hardly varies, that term is negligible (third order measured up to 4096 steps on the
 * mixture, see DeisConvergenceTest). One model call per step, so N steps cost N NFE; the last level of the grid
 * (σ = 0 or not) is never evaluated.
 *
 * <p>The coefficients depend only on the grid, order, variant and r; they are computed once per grid (and kept
 * for the next call with the same grid) by Gauss–Legendre quadrature in σ on each step, the step split into
 * pieces on which the integrand is analytic with its nearest singularity far away relative to the piece's
 * length:
 * <ul>
 *   <li>at r's table points and, for a discrete-DDPM time, at the σ of its steps τ = k/K, where t(σ) or r(σ)
 *       has a kink;</li>
 *   <li>geometrically towards σ = 0 (pieces [σ, 2σ], and 52 halvings on a step to σ = 0): the times t(σ) of
 *       the processes here have their complex singularities on the imaginary σ axis (VP: σ = ±i and
 *       σ = ±0.0158i, where ½β_d t² + β_min t = ln(1 + σ²) has a double root), so on [σ, 2σ] the
 *       Bernstein-ellipse parameter is at least 3 + √8 ≈ 5.8 and 16 nodes reach an error of ~5.8^−32 ≈ 1e−24,
 *       below double precision.</li>
 * </ul>
 */
public final class Deis implements Sampler {

    private static final long serialVersionUID = 1L;

    /** Gauss–Legendre nodes per piece (see the class comment). */
    static final int DEFAULT_NODES = 16;

    /** Halvings of a step that ends at σ = 0: the last piece [0, 2^−52·σ] holds a negligible part. */
    private static final int HALVINGS_TO_ZERO = 52;

    /** Interpolation variable of the Lagrange basis. */
    public enum Variant {
        /** u = the process time t(σ) (τ for the discrete DDPM): DEIS's tAB. */
        TAB("tab"),
        /** u = σ: DEIS's ρAB. */
        RHOAB("rhoab");

        private final String id;

        Variant(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** The variant named {@code tab} or {@code rhoab}. */
        public static Variant of(String name) {
            for (Variant v : values()) {
                if (v.id.equals(name)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("deis: variant = '" + name + "', expected tab or rhoab");
        }
    }

    private final int order;
    private final Variant variant;
    private final Process process;
    private final ScoreScale r;
    private final String name;
    private final int nodes;

    private transient volatile Table cached;

    private record Table(double[] sigmas, double[][] coefficients) {
    }

    /**
     * @param order   1 to 4 (order k combines k model outputs)
     * @param variant {@link Variant#TAB} or {@link Variant#RHOAB}
     * @param process the process whose time t(σ) is u for {@code tab} (unused by {@code rhoab})
     * @param r       the score scale: {@link ScoreScale#constant()} for {@code deis}, a table for {@code deis-sn}
     * @param name    {@code deis} (then r must be constant) or {@code deis-sn}
     */
    public Deis(int order, Variant variant, Process process, ScoreScale r, String name) {
        this(order, variant, process, r, name, DEFAULT_NODES);
    }

    /** Plain DEIS, r ≡ 1. */
    public Deis(int order, Variant variant, Process process) {
        this(order, variant, process, ScoreScale.constant(), "deis");
    }

    /** As the public constructor, with {@code nodes} Gauss–Legendre nodes per piece (tests compare two). */
    Deis(int order, Variant variant, Process process, ScoreScale r, String name, int nodes) {
        if (!"deis".equals(name) && !"deis-sn".equals(name)) {
            throw new IllegalArgumentException("deis: name = '" + name + "', expected deis or deis-sn");
        }
        if (order < 1 || order > 4) {
            throw new IllegalArgumentException(name + ": order = " + order + ", expected 1 to 4 (order k combines "
                    + "k model outputs: DEIS's tAB(k-1))");
        }
        if (variant == null || process == null || r == null) {
            throw new IllegalArgumentException(name + ": variant = " + variant + ", process = " + process
                    + ", r = " + r + ", expected all three given");
        }
        if ("deis".equals(name) && !r.isConstant()) {
            throw new IllegalArgumentException("deis: score table " + r.label()
                    + " given, expected none (r = 1); a table makes the sampler deis-sn");
        }
        if (nodes < 1) {
            throw new IllegalArgumentException(name + ": " + nodes + " quadrature nodes, expected at least 1");
        }
        this.order = order;
        this.variant = variant;
        this.process = process;
        this.r = r;
        this.name = name;
        this.nodes = nodes;
    }

    public int order() {
        return order;
    }

    public Variant variant() {
        return variant;
    }

    /** The same sampler with another score table (a pending table replaced by the one made for it). */
    public Deis withScoreScale(ScoreScale table) {
        return new Deis(order, variant, process, table, name);
    }

    public ScoreScale scoreScale() {
        return r;
    }

    /** Whether this is DEIS-SN: the model output divided by a measured table r(σ), not DEIS's r ≡ 1. */
    public boolean normalised() {
        return "deis-sn".equals(name);
    }

    @Override
    public String describe() {
        return name + "(order=" + order + ",variant=" + variant.id() + ("deis-sn".equals(name)
                ? ",norm=" + r.label() : "") + ")";
    }

    @Override
    public int nfe(int steps) {
        return steps;
    }

    @Override
    public double[] sample(Denoiser model, double[] sigmas, double[] x, BatchNoise noise) {
        Ode.checkShapes(model, sigmas, x, noise.batch());
        double[][] c = table(sigmas);
        double[][] z = new double[order][]; // z[j] = z_{i−j}
        for (int i = 0; i + 1 < sigmas.length; i++) {
            double[] eps = Ode.epsilon(model, x, noise.batch(), sigmas[i]);
            double inv = 1 / r.at(sigmas[i]);
            System.arraycopy(z, 0, z, 1, order - 1);
            z[0] = new double[eps.length];
            for (int k = 0; k < eps.length; k++) {
                z[0][k] = eps[k] * inv;
            }
            int q = Math.min(order - 1, i);
            double[] next = x.clone();
            for (int j = 0; j <= q; j++) {
                double cij = c[i][j];
                double[] zj = z[j];
                for (int k = 0; k < next.length; k++) {
                    next[k] += cij * zj[k];
                }
            }
            x = next;
        }
        return x;
    }

    /**
     * The coefficients C_{i,j} of the class comment for a grid: {@code steps} rows of {@code order} values,
     * row i holding C_{i,0} … C_{i,q} (j &gt; q left 0).
     *
     * @param sigmas a strictly decreasing grid (ending at 0 or not)
     */
    public double[][] coefficients(double[] sigmas) {
        double[][] c = table(sigmas);
        double[][] copy = new double[c.length][];
        for (int i = 0; i < c.length; i++) {
            copy[i] = c[i].clone();
        }
        return copy;
    }

    private double[][] table(double[] sigmas) {
        Table t = cached;
        if (t != null && Arrays.equals(t.sigmas, sigmas)) {
            return t.coefficients;
        }
        TimeGrid.requireDecreasing(sigmas, describe() + " grid");
        double[][] c = compute(sigmas);
        cached = new Table(sigmas.clone(), c);
        return c;
    }

    private double[][] compute(double[] sigmas) {
        int steps = sigmas.length - 1;
        double[] u = new double[steps];
        for (int k = 0; k < steps; k++) {
            u[k] = u(sigmas[k]);
        }
        double[] x = rule(nodes)[0];
        double[] w = rule(nodes)[1];
        double[][] c = new double[steps][order];
        double[] basis = new double[order];
        for (int i = 0; i < steps; i++) {
            int q = Math.min(order - 1, i);
            double[] points = new double[q + 1]; // points[j] = u_{i−j}
            for (int j = 0; j <= q; j++) {
                points[j] = u[i - j];
            }
            double[] sum = new double[q + 1];
            double[] comp = new double[q + 1];
            double[] pieces = pieces(sigmas[i + 1], sigmas[i]);
            for (int p = 0; p + 1 < pieces.length; p++) {
                double half = 0.5 * (pieces[p + 1] - pieces[p]);
                double mid = 0.5 * (pieces[p + 1] + pieces[p]);
                double[] piece = new double[q + 1];
                for (int m = 0; m < x.length; m++) {
                    double s = mid + half * x[m];
                    double weight = half * w[m] * r.at(s);
                    lagrange(points, u(s), basis);
                    for (int j = 0; j <= q; j++) {
                        piece[j] += weight * basis[j];
                    }
                }
                for (int j = 0; j <= q; j++) { // Neumaier summation over the pieces
                    double t = sum[j] + piece[j];
                    comp[j] += Math.abs(sum[j]) >= Math.abs(piece[j]) ? (sum[j] - t) + piece[j]
                            : (piece[j] - t) + sum[j];
                    sum[j] = t;
                }
            }
            for (int j = 0; j <= q; j++) {
                c[i][j] = -(sum[j] + comp[j]); // the pieces run upwards, from σ_{i+1} to σ_i
            }
        }
        return c;
    }

    /** ℓ_j(v) for the nodes {@code points}: Π_{m≠j} (v − p_m)/(p_j − p_m), into {@code out[0..q]}. */
    static void lagrange(double[] points, double v, double[] out) {
        for (int j = 0; j < points.length; j++) {
            double l = 1;
            for (int m = 0; m < points.length; m++) {
                if (m != j) {
                    l *= (v - points[m]) / (points[j] - points[m]);
                }
            }
            out[j] = l;
        }
    }

    /** The interpolation variable at σ. */
    private double u(double sigma) {
        return variant == Variant.RHOAB ? sigma : process.time(sigma);
    }

    /** Break points of [lo, hi], increasing, lo and hi included (see the class comment). */
    private double[] pieces(double lo, double hi) {
        double[] kinksR = r.kinks(lo, hi);
        double[] kinksU = variant == Variant.TAB ? processKinks(process, lo, hi) : new double[0];
        double[] graded = new double[HALVINGS_TO_ZERO];
        int g = 0;
        for (double s = 0.5 * hi; g < HALVINGS_TO_ZERO && s > lo; s *= 0.5) {
            graded[g++] = s;
        }
        double[] all = new double[2 + kinksR.length + kinksU.length + g];
        int n = 0;
        all[n++] = lo;
        all[n++] = hi;
        for (double s : kinksR) {
            all[n++] = s;
        }
        for (double s : kinksU) {
            all[n++] = s;
        }
        for (int k = 0; k < g; k++) {
            all[n++] = graded[k];
        }
        Arrays.sort(all);
        int m = 1;
        for (int k = 1; k < all.length; k++) {
            if (all[k] > all[m - 1] && all[k] > lo && all[k] <= hi) {
                all[m++] = all[k];
            }
        }
        return Arrays.copyOf(all, m);
    }

    /**
     * The σ in the open interval (lo, hi) where the process time t(σ) is not smooth: for the discrete DDPM the
     * levels σ(k/K) of its steps, where ᾱ(τ) is piecewise linear; none for the other processes.
     */
    static double[] processKinks(Process process, double lo, double hi) {
        if (!(process instanceof DdpmProcess ddpm)) {
            return new double[0];
        }
        int steps = ddpm.steps();
        double tauHi = hi >= ddpm.sigma(1.0) ? 1.0 : ddpm.time(hi);
        double tauLo = ddpm.time(lo);
        int first = Math.max(1, (int) Math.floor(tauLo * steps));
        int last = Math.min(steps - 1, (int) Math.ceil(tauHi * steps));
        double[] out = new double[Math.max(0, last - first + 1)];
        int n = 0;
        for (int k = first; k <= last; k++) {
            double s = ddpm.sigma((double) k / steps);
            if (s > lo && s < hi) {
                out[n++] = s;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static final Map<Integer, double[][]> RULES = new ConcurrentHashMap<>();

    /** Gauss–Legendre nodes and weights on [−1, 1] (Hipparchus, computed in high precision then rounded). */
    static double[][] rule(int n) {
        return RULES.computeIfAbsent(n, k -> {
            GaussIntegrator g = new GaussIntegratorFactory().legendreHighPrecision(k);
            double[][] xw = new double[2][k];
            for (int m = 0; m < k; m++) {
                xw[0][m] = g.getPoint(m);
                xw[1][m] = g.getWeight(m);
            }
            return xw;
        });
    }

    @Override
    public String toString() {
        return describe();
    }
}
