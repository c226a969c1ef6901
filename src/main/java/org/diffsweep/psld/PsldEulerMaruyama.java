package org.diffsweep.psld;

import org.diffsweep.rng.BatchNoise;

/** Euler–Maruyama on the reverse SDE: z ← z + h·f̄(z, τ) + ḡ·√h·ξ; one model call per step. */
public final class PsldEulerMaruyama extends PsldSampler {

    private static final long serialVersionUID = 1L;

    public PsldEulerMaruyama(PsldProcess process) {
        super(process, "euler-maruyama");
    }

    @Override
    protected Stepper start(Score score, BatchNoise noise) {
        int dim = score.dim();
        return (z, tau, h) -> {
            double t = PsldProcess.T - tau;
            double[] f = process.reverseDrift(z, score.at(z, t), dim, t, 1);
            double[] g = process.reverseNoise(t);
            double[] xi = noise.next();
            double root = Math.sqrt(h);
            for (int row = 0; row < z.length; row += 2 * dim) {
                for (int i = row; i < row + 2 * dim; i++) {
                    z[i] += h * f[i] + (i < row + dim ? g[0] : g[1]) * root * xi[i];
                }
            }
        };
    }
}
