package org.diffsweep.sampler;

import org.diffsweep.diffusion.Denoiser;
import org.hipparchus.ode.ODEState;
import org.hipparchus.ode.ODEStateAndDerivative;
import org.hipparchus.ode.OrdinaryDifferentialEquation;
import org.hipparchus.ode.nonstiff.DormandPrince853Integrator;

/**
 * A high-accuracy solution of the probability-flow ODE dx̂/dσ = (x̂ − D(x̂; σ))/σ by Hipparchus's adaptive
 * Dormand–Prince 8(5,3) integrator at tight tolerances: the reference the samplers' errors are measured against.
 */
final class ReferenceOde {

    private ReferenceOde() {
    }

    static double[] solve(Denoiser model, double[] x0, int batch, double sigmaFrom, double sigmaTo, double tol) {
        OrdinaryDifferentialEquation ode = new OrdinaryDifferentialEquation() {
            @Override
            public int getDimension() {
                return x0.length;
            }

            @Override
            public double[] computeDerivatives(double sigma, double[] x) {
                double[] d = model.denoise(x, batch, sigma);
                double[] eps = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    eps[i] = (x[i] - d[i]) / sigma;
                }
                return eps;
            }
        };
        DormandPrince853Integrator integrator = new DormandPrince853Integrator(1e-14, 100, tol, tol);
        ODEStateAndDerivative end = integrator.integrate(ode, new ODEState(sigmaFrom, x0.clone()), sigmaTo);
        return end.getPrimaryState();
    }
}
