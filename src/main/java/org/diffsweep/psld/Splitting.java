package org.diffsweep.psld;

import java.util.Locale;
import org.diffsweep.rng.BatchNoise;

/**
 * Splitting integrators (docs/psld.md): each step applies the pieces of a composition string in order,
 * <ul>
 *   <li>O: the exact Ornstein–Uhlenbeck piece (its position noise scaled by λ_s),</li>
 *   <li>A: the position update x ← x + δ·β·Γ·(s_x + x),</li>
 *   <li>B: the momentum update m ← m + δ·β·Mν·(s_m + M⁻¹m),</li>
 * </ul>
 * a letter that appears k times in the string taking δ = h/k each, so that the three add up to the reverse SDE.
 * <b>Naive</b>: a fresh model call at the current state and forward time t₀ = T − τ before every A and B.
 * <b>Reduced</b>: one call per step, at the first A or B, reused by every A and B up to the step's last A; pieces
 * after that last position update use one call at the state reached and the time it has reached, t₀ − h, and that
 * call is carried into the next step's first A or B, so a step still costs one call.
 */
public final class Splitting extends PsldSampler {

    private static final long serialVersionUID = 1L;

    private final String scheme;
    private final boolean reduced;
    private final double lambda;

    /**
     * @param scheme  the composition, e.g. OBA, BAO, OBAB, BAOAB: letters O, A, B, with at least one of each
     * @param reduced the reduced form (else naive)
     * @param lambda  λ_s, the scale of O's position noise (1 keeps the marginals exact)
     */
    public Splitting(PsldProcess process, String scheme, boolean reduced, double lambda) {
        super(process, "splitting");
        if (!scheme.matches("[OAB]+") || scheme.indexOf('O') < 0 || scheme.indexOf('A') < 0
                || scheme.indexOf('B') < 0) {
            throw new IllegalArgumentException("splitting: scheme = '" + scheme + "', expected a composition of the "
                    + "letters O, A and B with each at least once (OBA, BAO, OBAB, BAOAB, ...)");
        }
        if (!(lambda >= 0 && lambda <= 10)) {
            throw new IllegalArgumentException("splitting: lambda_s = " + lambda + ", expected 0 <= lambda_s <= 10");
        }
        this.scheme = scheme;
        this.reduced = reduced;
        this.lambda = lambda;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "splitting(%s,%s,lambda_s=%s)", scheme, reduced ? "reduced" : "naive",
                lambda == Math.rint(lambda) ? Long.toString((long) lambda) : Double.toString(lambda));
    }

    private int count(char letter) {
        return (int) scheme.chars().filter(c -> c == letter).count();
    }

    /** Whether some A or B comes after the last A (then reduced steps carry a call into the next step). */
    private boolean hasTail() {
        return scheme.lastIndexOf('B') > scheme.lastIndexOf('A');
    }

    @Override
    public int nfe(int steps) {
        if (reduced) {
            return steps + (hasTail() ? 1 : 0) + 1;
        }
        return steps * (count('A') + count('B')) + 1;
    }

    @Override
    protected Stepper start(Score score, BatchNoise noise) {
        int dim = score.dim();
        int lastA = scheme.lastIndexOf('A');
        double oShare = 1.0 / count('O');
        double aShare = 1.0 / count('A');
        double bShare = 1.0 / count('B');
        return new Stepper() {
            /** The call made after the previous step's last position update, for this step's first A or B. */
            private double[] carried;

            @Override
            public void step(double[] z, double tau, double h) {
                double t0 = PsldProcess.T - tau;
                double oClock = tau;
                double[] stepScore = carried;
                double[] tailScore = null;
                carried = null;
                for (int i = 0; i < scheme.length(); i++) {
                    char piece = scheme.charAt(i);
                    if (piece == 'O') {
                        ou(z, dim, oClock, h * oShare, lambda, noise);
                        oClock += h * oShare;
                        continue;
                    }
                    double[] s;
                    double t;
                    if (!reduced) {
                        t = t0;
                        s = score.at(z, t);
                    } else if (i <= lastA) {
                        t = t0;
                        if (stepScore == null) {
                            stepScore = score.at(z, t);
                        }
                        s = stepScore;
                    } else {
                        t = t0 - h;
                        if (tailScore == null) {
                            tailScore = score.at(z, t);
                            carried = tailScore;
                        }
                        s = tailScore;
                    }
                    if (piece == 'A') {
                        positionUpdate(z, s, dim, t, h * aShare);
                    } else {
                        momentumUpdate(z, s, dim, t, h * bShare);
                    }
                }
            }
        };
    }
}
