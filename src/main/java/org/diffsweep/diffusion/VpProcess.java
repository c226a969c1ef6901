package org.diffsweep.diffusion;

/**
 * Continuous VP process (Song et al.): σ(t) = sqrt(exp(½β_d t² + β_min t) − 1), s(t) = 1/sqrt(1 + σ²),
 * t ∈ [ε_t, 1].
 */
public record VpProcess(double betaD, double betaMin, double epsT) implements Process {

    public VpProcess {
        if (!(betaD > 0) || !(betaMin >= 0) || !(epsT > 0 && epsT < 1)) {
            throw new IllegalArgumentException("vp process: beta_d = " + betaD + ", beta_min = " + betaMin
                    + ", eps_t = " + epsT + ", expected beta_d > 0, beta_min >= 0, 0 < eps_t < 1");
        }
    }

    /** Song et al.'s defaults: β_d = 19.9, β_min = 0.1, ε_t = 1e-3. */
    public VpProcess() {
        this(19.9, 0.1, 1e-3);
    }

    @Override public String name() { return "vp"; }

    @Override public boolean variancePreserving() { return true; }

    @Override
    public double sigma(double t) {
        return Math.sqrt(Math.expm1(0.5 * betaD * t * t + betaMin * t));
    }

    /** Inverse: solve ½β_d t² + β_min t = ln(1 + σ²) for t ≥ 0. */
    @Override
    public double time(double sigma) {
        double c = Math.log1p(sigma * sigma);
        // t = (−β_min + sqrt(β_min² + 2 β_d c)) / β_d, written to avoid cancellation for small c.
        return 2 * c / (betaMin + Math.sqrt(betaMin * betaMin + 2 * betaD * c));
    }

    @Override
    public double scale(double t) {
        double s = sigma(t);
        return 1 / Math.sqrt(1 + s * s);
    }

    /** With B(t) = ½β_d t² + β_min t: σ̇ = B'·e^B / (2σ). */
    @Override
    public double sigmaDerivative(double t) {
        double b = 0.5 * betaD * t * t + betaMin * t;
        return (betaD * t + betaMin) * Math.exp(b) / (2 * sigma(t));
    }

    /** s = e^{−B/2}, so ṡ = −½B'·s. */
    @Override
    public double scaleDerivative(double t) {
        return -0.5 * (betaD * t + betaMin) * scale(t);
    }

    @Override public double tMax() { return 1.0; }
    @Override public double tMin() { return epsT; }
}
