package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;

/** The reference ODE solution the convergence tests measure errors against (see {@link ReferenceSolver}). */
final class ReferenceOde {

    private ReferenceOde() {
    }

    static double[] solve(Denoiser model, double[] x0, int batch, double sigmaFrom, double sigmaTo, double tol) {
        return ReferenceSolver.solve(model, x0, batch, sigmaFrom, sigmaTo, tol);
    }
}
