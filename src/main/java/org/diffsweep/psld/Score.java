package org.diffsweep.psld;

/**
 * The score as a PSLD sampler sees it: each evaluation is one model call, ε̂ turned into s = −L⁻ᵀε̂ with the HSM
 * kernel's factor at that forward time. It counts the calls, so that a sampler's declared NFE is checked.
 */
public final class Score {

    private final PsldModel model;
    private final PsldProcess process;
    private final int batch;
    private int calls;

    public Score(PsldModel model, PsldProcess process, int batch) {
        this.model = model;
        this.process = process;
        this.batch = batch;
    }

    /** s(z, t) for the whole batch; z is not modified. */
    public double[] at(double[] z, double t) {
        calls++;
        double[] s = model.epsilon(z, batch, t);
        process.scoreFromEpsilon(s, model.dim(), t);
        return s;
    }

    public int calls() {
        return calls;
    }

    public int dim() {
        return model.dim();
    }
}
