package org.diffsweep.diffusion;

/** EDM (Karras et al.): σ(t) = t, s(t) = 1. */
public record EdmProcess(double sigmaMinValue, double sigmaMaxValue) implements Process {

    public static final double DEFAULT_SIGMA_MIN = 0.002;
    public static final double DEFAULT_SIGMA_MAX = 80.0;

    public EdmProcess {
        if (!(sigmaMinValue > 0) || !(sigmaMaxValue > sigmaMinValue) || Double.isInfinite(sigmaMaxValue)) {
            throw new IllegalArgumentException("edm process: sigma_min = " + sigmaMinValue + ", sigma_max = "
                    + sigmaMaxValue + ", expected 0 < sigma_min < sigma_max < infinity");
        }
    }

    public EdmProcess() {
        this(DEFAULT_SIGMA_MIN, DEFAULT_SIGMA_MAX);
    }

    @Override public String name() { return "edm"; }
    @Override public double sigma(double t) { return t; }
    @Override public double time(double sigma) { return sigma; }
    @Override public double scale(double t) { return 1.0; }
    @Override public double sigmaDerivative(double t) { return 1.0; }
    @Override public double scaleDerivative(double t) { return 0.0; }
    @Override public double tMax() { return sigmaMaxValue; }
    @Override public double tMin() { return sigmaMinValue; }
}
