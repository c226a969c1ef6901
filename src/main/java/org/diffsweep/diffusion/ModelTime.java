package org.diffsweep.diffusion;

/**
 * The time input an ε-prediction model was trained with, as a function of the process time (docs/conventions.md,
 * ε-models).
 */
public enum ModelTime {

    /** The DDPM step index of a discrete process: τ·K − 1 (fractional between steps). */
    DDPM_INDEX,
    /** Continuous VP models (score_sde's DDPM++ cont., EDM's VPPrecond): (M − 1)·t with M = 1000. */
    VP_SCALED_999,
    /** The process time t itself. */
    PROCESS_TIME;

    /** The model's time input for process time t. */
    public double of(Process process, double t) {
        return switch (this) {
            case DDPM_INDEX -> {
                if (!(process instanceof DdpmProcess ddpm)) {
                    throw new IllegalArgumentException("model time ddpm-index needs the vp-discrete process, found "
                            + process.name());
                }
                yield ddpm.stepIndex(t);
            }
            case VP_SCALED_999 -> 999 * t;
            case PROCESS_TIME -> t;
        };
    }

    /** Inverse of {@link #of}: the process time for a model time input. */
    public double inverse(Process process, double modelTime) {
        return switch (this) {
            case DDPM_INDEX -> (modelTime + 1) / ((DdpmProcess) process).steps();
            case VP_SCALED_999 -> modelTime / 999;
            case PROCESS_TIME -> modelTime;
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
