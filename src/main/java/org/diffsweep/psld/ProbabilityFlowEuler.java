package org.diffsweep.psld;

import org.diffsweep.rng.BatchNoise;

/** Euler on the probability-flow ODE (the reverse drift with the score halved, no noise); one call per step. */
public final class ProbabilityFlowEuler extends PsldSampler {

    private static final long serialVersionUID = 1L;

    public ProbabilityFlowEuler(PsldProcess process) {
        super(process, "pf-euler");
    }

    @Override
    public boolean stochastic() {
        return false;
    }

    @Override
    protected double denoiseWeight() {
        return 0.5;
    }

    @Override
    protected Stepper start(Score score, BatchNoise noise) {
        int dim = score.dim();
        return (z, tau, h) -> {
            double t = PsldProcess.T - tau;
            double[] f = process.reverseDrift(z, score.at(z, t), dim, t, 0.5);
            for (int i = 0; i < z.length; i++) {
                z[i] += h * f[i];
            }
        };
    }
}
