package org.diffsweep.diffusion;

/**
 * Discrete DDPM as a VP process (docs/conventions.md): β_1 … β_K from a {@link BetaSchedule}, ᾱ_k = Π_{j≤k}(1 − β_j),
 * σ = sqrt((1 − ᾱ)/ᾱ), s = sqrt(ᾱ). Continuous time τ ∈ [0, 1]: ᾱ(τ) interpolates [1, ᾱ_1 … ᾱ_K] linearly at
 * τ = k/K. The model's step index for τ is τ·K − 1.
 *
 * <p>The table is built in float64 ({@code float32 = false}: the schedule's formula in double arithmetic) or as
 * diffusers builds it ({@code float32 = true}): float32 β, 1 − β in float32, and the cumulative product
 * accumulated in float64 with each ᾱ_k rounded to float32, as {@code torch.cumprod} does on the CPU. The ᾱ a
 * diffusers model was trained with are those float32 values; everything after the table is float64.
 */
public final class DdpmProcess implements Process {

    private static final long serialVersionUID = 1L;

    private final BetaSchedule schedule;
    private final double betaStart;
    private final double betaEnd;
    private final int steps;
    private final boolean float32;
    /** alphaBar[k] for k = 0..K, alphaBar[0] = 1. */
    private final double[] alphaBar;
    /** ln σ of the step indices i = 0 … K − 1 (increasing). */
    private final double[] logSigmas;

    /**
     * @param betaStart, betaEnd the β range (ignored by {@link BetaSchedule#SQUAREDCOS_CAP_V2}; pass NaN there)
     * @param float32            build the table as diffusers does (float32), else in float64
     */
    public DdpmProcess(BetaSchedule schedule, double betaStart, double betaEnd, int steps, boolean float32) {
        if (steps < 2 || (schedule.usesBetaRange()
                && (!(betaStart > 0) || !(betaEnd >= betaStart) || !(betaEnd < 1)))) {
            throw new IllegalArgumentException("vp-discrete process: beta_start = " + betaStart + ", beta_end = "
                    + betaEnd + ", steps = " + steps + ", expected 0 < beta_start <= beta_end < 1 and steps >= 2");
        }
        this.schedule = schedule;
        this.betaStart = schedule.usesBetaRange() ? betaStart : Double.NaN;
        this.betaEnd = schedule.usesBetaRange() ? betaEnd : Double.NaN;
        this.steps = steps;
        this.float32 = float32;
        this.alphaBar = new double[steps + 1];
        alphaBar[0] = 1.0;
        if (float32) {
            float[] betas = schedule.betas32(betaStart, betaEnd, steps);
            double product = 1.0;
            for (int k = 1; k <= steps; k++) {
                product *= (float) (1.0f - betas[k - 1]);
                alphaBar[k] = (float) product;
            }
        } else {
            double[] betas = schedule.betas64(betaStart, betaEnd, steps);
            for (int k = 1; k <= steps; k++) {
                alphaBar[k] = alphaBar[k - 1] * (1 - betas[k - 1]);
            }
        }
        if (!(alphaBar[steps] > 0)) {
            throw new IllegalArgumentException("vp-discrete process: " + schedule.configName() + " over " + steps
                    + " steps gives alpha_bar = " + alphaBar[steps] + " at the last step, expected > 0");
        }
        this.logSigmas = new double[steps];
        for (int i = 0; i < steps; i++) {
            logSigmas[i] = Math.log(sigmaAtIndex(i));
        }
    }

    /** A linear β schedule in float64. */
    public DdpmProcess(double betaStart, double betaEnd, int steps) {
        this(BetaSchedule.LINEAR, betaStart, betaEnd, steps, false);
    }

    /** Ho et al.'s setting: linear β from 1e-4 to 0.02 over 1000 steps. */
    public DdpmProcess() {
        this(1e-4, 0.02, 1000);
    }

    public BetaSchedule schedule() {
        return schedule;
    }

    /** Whether the table was built as diffusers builds it (float32). */
    public boolean float32() {
        return float32;
    }

    /** ᾱ_k of step k = 1 … K (ᾱ_0 = 1). */
    public double alphaBarAt(int k) {
        return alphaBar[k];
    }

    /** σ of the DDPM step index i = 0 … K − 1 (step k = i + 1). */
    public double sigmaAtIndex(int i) {
        double ab = alphaBar[i + 1];
        return Math.sqrt((1 - ab) / ab);
    }

    public int steps() {
        return steps;
    }

    public double betaStart() {
        return betaStart;
    }

    public double betaEnd() {
        return betaEnd;
    }

    /** ᾱ(τ), piecewise linear between the points τ = k/K. */
    public double alphaBar(double tau) {
        if (!(tau >= 0 && tau <= 1)) {
            throw new IllegalArgumentException("vp-discrete: tau = " + tau + ", expected 0 <= tau <= 1");
        }
        double u = tau * steps;
        int k = Math.min((int) Math.floor(u), steps - 1);
        double f = u - k;
        return alphaBar[k] + f * (alphaBar[k + 1] - alphaBar[k]);
    }

    /** The model's (fractional) step index for τ: τ·K − 1. */
    public double stepIndex(double tau) {
        return tau * steps - 1;
    }

    @Override public String name() { return "vp-discrete"; }

    @Override public boolean variancePreserving() { return true; }

    /**
     * diffusers' map from a noise level to a fractional step index (EulerDiscreteScheduler's {@code _sigma_to_t}):
     * linear interpolation of the index in ln σ between the two neighbouring entries of the table σ_0 … σ_{K−1},
     * clamped to [0, K − 1].
     */
    public double logSigmaIndex(double sigma) {
        double ls = Math.log(Math.max(sigma, 1e-10));
        int lo = 0; // the last index with ln σ_i <= ln σ (0 if none), then at most K − 2
        int hi = steps; // the first index with ln σ_i > ln σ, or K
        if (logSigmas[0] <= ls) {
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (logSigmas[mid] <= ls) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        lo = Math.min(lo, steps - 2);
        double low = logSigmas[lo];
        double high = logSigmas[lo + 1];
        double w = Math.min(1, Math.max(0, (low - ls) / (low - high)));
        return (1 - w) * lo + w * (lo + 1);
    }

    /** Inverse of {@link #logSigmaIndex} on [0, K − 1]: σ with ln σ linear in the index between table entries. */
    public double sigmaOfLogSigmaIndex(double index) {
        if (!(index >= 0 && index <= steps - 1)) {
            throw new IllegalArgumentException("vp-discrete: step index " + index + ", expected 0 to " + (steps - 1));
        }
        int lo = Math.min((int) Math.floor(index), steps - 2);
        double w = index - lo;
        return Math.exp((1 - w) * logSigmas[lo] + w * logSigmas[lo + 1]);
    }

    @Override
    public double sigma(double tau) {
        double ab = alphaBar(tau);
        return Math.sqrt((1 - ab) / ab);
    }

    /** Inverse of σ(τ): ᾱ = 1/(1 + σ²), then invert the piecewise-linear ᾱ(τ) (decreasing). */
    @Override
    public double time(double sigma) {
        double ab = 1 / (1 + sigma * sigma);
        if (ab >= 1) {
            return 0;
        }
        if (ab <= alphaBar[steps]) {
            if (ab < alphaBar[steps] * (1 - 1e-12)) {
                throw new IllegalArgumentException("vp-discrete: sigma = " + sigma + " exceeds sigma_max = "
                        + sigma(1.0));
            }
            return 1;
        }
        int lo = 0;
        int hi = steps; // alphaBar[lo] > ab >= alphaBar[hi]
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (alphaBar[mid] > ab) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double f = (alphaBar[lo] - ab) / (alphaBar[lo] - alphaBar[hi]);
        return (lo + f) / steps;
    }

    @Override
    public double scale(double tau) {
        return Math.sqrt(alphaBar(tau));
    }

    /** dᾱ/dτ on the segment holding τ (right derivative at the points τ = k/K). */
    public double alphaBarDerivative(double tau) {
        alphaBar(tau);
        int k = Math.min((int) Math.floor(tau * steps), steps - 1);
        return steps * (alphaBar[k + 1] - alphaBar[k]);
    }

    /** σ = sqrt(1/ᾱ − 1), so σ̇ = −ᾱ'/(2ᾱ²σ). */
    @Override
    public double sigmaDerivative(double tau) {
        double ab = alphaBar(tau);
        return -alphaBarDerivative(tau) / (2 * ab * ab * sigma(tau));
    }

    /** s = sqrt(ᾱ), so ṡ = ᾱ'/(2s). */
    @Override
    public double scaleDerivative(double tau) {
        return alphaBarDerivative(tau) / (2 * scale(tau));
    }

    @Override public double tMax() { return 1.0; }

    /** The first discrete step, τ = 1/K (σ of step index 0). */
    @Override public double tMin() { return 1.0 / steps; }

    /**
     * The parameters, like the record processes' {@code toString}: sweep manifests compare plans by this text, so
     * it must not depend on the object's identity.
     */
    @Override
    public String toString() {
        if (schedule == BetaSchedule.LINEAR && !float32) {
            // the text of every sweep made before the other schedules existed: their manifests must still match
            return "DdpmProcess[betaStart=" + betaStart + ", betaEnd=" + betaEnd + ", steps=" + steps + "]";
        }
        return "DdpmProcess[schedule=" + schedule.configName()
                + (schedule.usesBetaRange() ? ", betaStart=" + betaStart + ", betaEnd=" + betaEnd : "")
                + ", steps=" + steps + ", tableDtype=" + (float32 ? "float32" : "float64") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DdpmProcess d && d.schedule == schedule && d.float32 == float32 && d.steps == steps
                && Double.compare(d.betaStart, betaStart) == 0 && Double.compare(d.betaEnd, betaEnd) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(schedule, float32, betaStart, betaEnd, steps);
    }
}
