package org.diffsweep.psld;

import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Stepping;

/**
 * A PSLD sampler (docs/psld.md): from z at reverse time τ_0 = 0 through a grid τ_0 &lt; … &lt; τ_n = T − ε, then
 * one drift-only denoising step from forward time ε to 0. Rows hold x then m; arithmetic is float64; every
 * random draw comes from the per-seed {@link BatchNoise} (2·dim normals per row per draw).
 */
public abstract class PsldSampler implements Stepping {

    private static final long serialVersionUID = 1L;

    protected final PsldProcess process;
    private final String name;

    /** @param name the sampler's config name, which {@link #describe} returns unless the sampler has options */
    protected PsldSampler(PsldProcess process, String name) {
        this.process = process;
        this.name = name;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public boolean stochastic() {
        return true;
    }

    /**
     * Model calls for a grid of {@code steps} steps, the denoising step included: one per step and one for the
     * denoising step, unless a sampler says otherwise.
     */
    @Override
    public int nfe(int steps) {
        return steps + 1;
    }

    /** The weight of the score in the denoising step's drift: 1 for the reverse SDE, ½ for the flow ODE. */
    protected double denoiseWeight() {
        return 1;
    }

    /** A run's state across its steps (what a multi-piece scheme carries from one step to the next). */
    protected interface Stepper {
        /** One step from reverse time τ over h, z updated in place. */
        void step(double[] z, double tau, double h);
    }

    protected abstract Stepper start(Score score, BatchNoise noise);

    /** The most steps whose cost fits {@code nfe}; at least one step. */
    @Override
    public int stepsForNfe(int nfe) {
        if (nfe < nfe(1)) {
            throw new IllegalArgumentException(describe() + ": nfe = " + nfe + ", expected at least " + nfe(1)
                    + " (1 step and the denoising step)");
        }
        int steps = 1;
        while (nfe(steps + 1) <= nfe) {
            steps++;
        }
        return steps;
    }

    /**
     * Runs the sampler.
     *
     * @param taus the grid, increasing from 0 to T − ε
     * @param z    the batch at τ = 0, modified in place and returned
     */
    public double[] sample(Score score, double[] taus, double[] z, BatchNoise noise) {
        Stepper stepper = start(score, noise);
        for (int k = 0; k + 1 < taus.length; k++) {
            stepper.step(z, taus[k], taus[k + 1] - taus[k]);
        }
        double eps = PsldProcess.T - taus[taus.length - 1];
        double[] s = score.at(z, eps);
        double[] f = process.reverseDrift(z, s, score.dim(), eps, denoiseWeight());
        for (int i = 0; i < z.length; i++) {
            z[i] += eps * f[i];
        }
        return z;
    }

    /**
     * The exact Ornstein–Uhlenbeck piece over reverse times [τ, τ + δ], in place, its position noise scaled by
     * {@code lambda}.
     */
    protected void ou(double[] z, int dim, double tau, double delta, double lambda, BatchNoise noise) {
        double[] o = process.ouStep(process.reverseIntegratedBeta(tau, delta));
        double[] l = PsldProcess.cholesky(new double[] {o[4], o[5], o[6]});
        double[] xi = noise.next();
        for (int row = 0; row < z.length; row += 2 * dim) {
            for (int i = 0; i < dim; i++) {
                double x = z[row + i];
                double m = z[row + dim + i];
                double nx = xi[row + i];
                double nm = xi[row + dim + i];
                z[row + i] = o[0] * x + o[1] * m + lambda * l[0] * nx;
                z[row + dim + i] = o[2] * x + o[3] * m + l[1] * nx + l[2] * nm;
            }
        }
    }

    /** A: the position update x ← x + δ·β·Γ·(s_x + x), with β at forward time t. */
    protected void positionUpdate(double[] z, double[] s, int dim, double t, double delta) {
        double c = delta * process.beta(t) * process.gamma();
        for (int row = 0; row < z.length; row += 2 * dim) {
            for (int i = row; i < row + dim; i++) {
                z[i] += c * (s[i] + z[i]);
            }
        }
    }

    /** B: the momentum update m ← m + δ·β·Mν·(s_m + M⁻¹m), with β at forward time t. */
    protected void momentumUpdate(double[] z, double[] s, int dim, double t, double delta) {
        double c = delta * process.beta(t) * process.mass() * process.nu();
        double mi = process.massInverse();
        for (int row = 0; row < z.length; row += 2 * dim) {
            for (int i = row + dim; i < row + 2 * dim; i++) {
                z[i] += c * (s[i] + mi * z[i]);
            }
        }
    }
}
