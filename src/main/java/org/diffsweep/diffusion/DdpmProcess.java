package org.diffsweep.diffusion;

/**
 * Discrete DDPM as a VP process (docs/conventions.md): β_k linear from β_1 to β_K, ᾱ_k = Π_{j≤k}(1 − β_j),
 * σ = sqrt((1 − ᾱ)/ᾱ), s = sqrt(ᾱ). Continuous time τ ∈ [0, 1]: ᾱ(τ) interpolates [1, ᾱ_1 … ᾱ_K]
 * linearly at τ = k/K. The model's step index for τ is τ·K − 1.
 */
public final class DdpmProcess implements Process {

    private static final long serialVersionUID = 1L;

    private final double betaStart;
    private final double betaEnd;
    private final int steps;
    /** alphaBar[k] for k = 0..K, alphaBar[0] = 1. */
    private final double[] alphaBar;

    public DdpmProcess(double betaStart, double betaEnd, int steps) {
        if (!(betaStart > 0) || !(betaEnd >= betaStart) || !(betaEnd < 1) || steps < 2) {
            throw new IllegalArgumentException("vp-discrete process: beta_start = " + betaStart + ", beta_end = "
                    + betaEnd + ", steps = " + steps + ", expected 0 < beta_start <= beta_end < 1 and steps >= 2");
        }
        this.betaStart = betaStart;
        this.betaEnd = betaEnd;
        this.steps = steps;
        this.alphaBar = new double[steps + 1];
        alphaBar[0] = 1.0;
        for (int k = 1; k <= steps; k++) {
            double beta = betaStart + (betaEnd - betaStart) * (k - 1) / (steps - 1);
            alphaBar[k] = alphaBar[k - 1] * (1 - beta);
        }
    }

    /** Ho et al.'s setting: linear β from 1e-4 to 0.02 over 1000 steps. */
    public DdpmProcess() {
        this(1e-4, 0.02, 1000);
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
        return "DdpmProcess[betaStart=" + betaStart + ", betaEnd=" + betaEnd + ", steps=" + steps + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DdpmProcess d && d.betaStart == betaStart && d.betaEnd == betaEnd && d.steps == steps;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(betaStart, betaEnd, steps);
    }
}
