package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.hipparchus.ode.ODEState;
import org.hipparchus.ode.ODEStateAndDerivative;
import org.hipparchus.ode.OrdinaryDifferentialEquation;
import org.hipparchus.ode.nonstiff.DormandPrince853Integrator;

/**
 * A high-accuracy solution of the probability-flow ODE dx̂/dσ = (x̂ − D(x̂; σ))/σ by Hipparchus's adaptive
 * Dormand–Prince 8(5,3) integrator: the reference that samplers' integration errors are measured against.
 *
 * <p>At σ = 0 the right-hand side is taken as its limit 0, which holds for models whose data have a density
 * (D(x̂; σ) − x̂ = O(σ²), as for the Gaussian mixture), so a solution can run all the way to σ = 0.
 */
public final class ReferenceSolver {

    private ReferenceSolver() {
    }

    /**
     * @param tolerance absolute and relative tolerance of the integrator
     * @return the batch at {@code sigmaTo}
     */
    public static double[] solve(Denoiser model, double[] x0, int batch, double sigmaFrom, double sigmaTo,
                                 double tolerance) {
        OrdinaryDifferentialEquation ode = new OrdinaryDifferentialEquation() {
            @Override
            public int getDimension() {
                return x0.length;
            }

            @Override
            public double[] computeDerivatives(double sigma, double[] x) {
                double[] eps = new double[x.length];
                if (sigma <= 0) {
                    return eps;
                }
                double[] d = model.denoise(x, batch, sigma);
                for (int i = 0; i < x.length; i++) {
                    eps[i] = (x[i] - d[i]) / sigma;
                }
                return eps;
            }
        };
        DormandPrince853Integrator integrator = new DormandPrince853Integrator(1e-14, 100, tolerance, tolerance);
        ODEStateAndDerivative end = integrator.integrate(ode, new ODEState(sigmaFrom, x0.clone()), sigmaTo);
        return end.getPrimaryState();
    }
}
