package org.diffsweep.diffusion;

/**
 * The time input a network was trained with, as a function of the process time t and the noise level σ
 * (docs/conventions.md, model time). A config names it in {@code model.time}.
 */
public enum ModelTime {

    /** The DDPM step index of a discrete process: τ·K − 1 with τ = t(σ) (ᾱ linear in τ between steps). */
    DDPM_INDEX("ddpm-index"),
    /**
     * The DDPM step index as diffusers' EulerDiscreteScheduler maps a noise level to it ({@code _sigma_to_t}):
     * linear in ln σ between the two neighbouring steps of the σ table, clamped to [0, K − 1].
     */
    DDPM_INDEX_LOG_SIGMA("ddpm-index-log-sigma"),
    /** Continuous VP models (score_sde's DDPM++ cont., EDM's VPPrecond): (M − 1)·t with M = 1000. */
    VP_SCALED_999("vp-999t"),
    /** The process time t itself. */
    PROCESS_TIME("process-time"),
    /** The noise level σ. */
    SIGMA("sigma"),
    /** EDM's c_noise = ¼·ln σ (EDMPrecond; diffusers' Euler scheduler with {@code timestep_type: continuous}). */
    C_NOISE("c-noise");

    private final String configName;

    ModelTime(String configName) {
        this.configName = configName;
    }

    /** The name as configs write it. */
    public String configName() {
        return configName;
    }

    /** The convention of a config name. */
    public static ModelTime of(String name) {
        for (ModelTime m : values()) {
            if (m.configName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("time '" + name + "', expected one of " + names());
    }

    /** The config names, comma-separated. */
    public static String names() {
        StringBuilder b = new StringBuilder();
        for (ModelTime m : values()) {
            b.append(b.length() > 0 ? ", " : "").append(m.configName);
        }
        return b.toString();
    }

    /** Whether the convention is a DDPM step index, which a network may take as an integer (int64). */
    public boolean isStepIndex() {
        return this == DDPM_INDEX || this == DDPM_INDEX_LOG_SIGMA;
    }

    /** Why the convention does not apply to a process, or null if it does. */
    public String refusal(Process process) {
        if (isStepIndex() && !(process instanceof DdpmProcess)) {
            return "time " + configName + " is a DDPM step index, which only the vp-discrete process has (found "
                    + process.name() + ")";
        }
        return null;
    }

    /** The model's time input for process time t at noise level σ(t). */
    public double of(Process process, double t) {
        return of(process, t, process.sigma(t));
    }

    /**
     * The model's time input at process time t and noise level σ (the sampler's σ, of which t = t(σ); the
     * conventions that depend on σ alone take it as given, without the round trip through t).
     */
    public double of(Process process, double t, double sigma) {
        String refusal = refusal(process);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        return switch (this) {
            case DDPM_INDEX -> ((DdpmProcess) process).stepIndex(t);
            case DDPM_INDEX_LOG_SIGMA -> ((DdpmProcess) process).logSigmaIndex(sigma);
            case VP_SCALED_999 -> 999 * t;
            case PROCESS_TIME -> t;
            case SIGMA -> sigma;
            case C_NOISE -> Math.log(sigma) / 4;
        };
    }

    /** Inverse of {@link #of}: the process time for a model time input. */
    public double inverse(Process process, double modelTime) {
        return switch (this) {
            case DDPM_INDEX -> (modelTime + 1) / ((DdpmProcess) process).steps();
            case DDPM_INDEX_LOG_SIGMA -> process.time(((DdpmProcess) process).sigmaOfLogSigmaIndex(modelTime));
            case VP_SCALED_999 -> modelTime / 999;
            case PROCESS_TIME -> modelTime;
            case SIGMA -> process.time(modelTime);
            case C_NOISE -> process.time(Math.exp(4 * modelTime));
        };
    }

    /** The convention a process's ε-models use unless told otherwise. */
    public static ModelTime defaultFor(Process process) {
        return switch (process.name()) {
            case "vp-discrete" -> DDPM_INDEX;
            case "vp" -> VP_SCALED_999;
            default -> PROCESS_TIME;
        };
    }
}
