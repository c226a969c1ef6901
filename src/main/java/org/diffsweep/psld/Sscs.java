package org.diffsweep.psld;

import org.diffsweep.rng.BatchNoise;

/**
 * Symmetric splitting (SSCS): O_{h/2}, then one model call at the new state and forward time T − τ and the
 * score part of the drift for h on both x and m, then O_{h/2}. One call per step.
 */
public final class Sscs extends PsldSampler {

    private static final long serialVersionUID = 1L;

    public Sscs(PsldProcess process) {
        super(process, "sscs");
    }

    @Override
    protected Stepper start(Score score, BatchNoise noise) {
        int dim = score.dim();
        return (z, tau, h) -> {
            ou(z, dim, tau, h / 2, 1, noise);
            double t = PsldProcess.T - tau;
            double[] s = score.at(z, t);
            positionUpdate(z, s, dim, t, h);
            momentumUpdate(z, s, dim, t, h);
            ou(z, dim, tau + h / 2, h / 2, 1, noise);
        };
    }
}
