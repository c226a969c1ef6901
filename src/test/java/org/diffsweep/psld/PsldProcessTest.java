package org.diffsweep.psld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.model.GaussianMixture;
import org.junit.jupiter.api.Test;

/** The PSLD kernel, the exact OU piece and the ε → score path, against independent checks. */
class PsldProcessTest {

    static final PsldProcess CIFAR = new PsldProcess(8, 8, 0.02, 4.02, 0.04, 1e-3);

    @Test
    void hsmKernelMatchesTheCheckValues() {
        assertCov(new double[] {0.2341620, 0.1277986, 0.2163019}, CIFAR.hsmCovariance(0.1), 1e-7);
        assertCov(new double[] {0.9999863, 6.0299e-6, 0.2499973}, CIFAR.hsmCovariance(1), 1e-7);
        PsldProcess readme = new PsldProcess(8, 8, 0.01, 4.01, 0.04, 1e-3);
        assertCov(new double[] {0.2280107, 0.1288251, 0.2160312}, readme.hsmCovariance(0.1), 1e-7);
        assertEquals(4, CIFAR.massInverse(), 1e-12);
    }

    /** The closed-form kernel against the moment ODE dμ/dt = Fμ, dΣ/dt = FΣ + ΣFᵀ + GGᵀ integrated by RK4. */
    @Test
    void kernelSolvesTheMomentOde() {
        for (PsldProcess p : new PsldProcess[] {CIFAR, new PsldProcess(0.1, 20, 0.01, 4.01, 0.04, 1e-3)}) {
            for (double[] init : new double[][] {{0, 0.04 * p.mass()}, {0.3, 0.05}, {1.2, 0}}) {
                for (double t : new double[] {0.05, 0.3, 1}) {
                    double[] ode = momentOde(p, init[0], init[1], 0.7, -0.4, t, 40_000);
                    double[] cov = p.covariance(t, init[0], init[1]);
                    double[] a = p.meanMatrix(t);
                    double[] mean = {a[0] * 0.7 + a[1] * -0.4, a[2] * 0.7 + a[3] * -0.4};
                    double[] closed = {mean[0], mean[1], cov[0], cov[1], cov[2]};
                    for (int i = 0; i < 5; i++) {
                        assertEquals(ode[i], closed[i], 1e-9 * Math.max(1e-3, Math.abs(ode[i])),
                                p + " init " + init[0] + "," + init[1] + " t " + t + " component " + i);
                    }
                }
            }
        }
    }

    /** RK4 on (μx, μm, Σxx, Σxm, Σmm) in forward time. */
    static double[] momentOde(PsldProcess p, double sxx0, double smm0, double x0, double m0, double t, int steps) {
        double[] y = {x0, m0, sxx0, 0, smm0};
        double h = t / steps;
        for (int k = 0; k < steps; k++) {
            double s = k * h;
            double[] k1 = rhs(p, s, y);
            double[] k2 = rhs(p, s + h / 2, axpy(y, k1, h / 2));
            double[] k3 = rhs(p, s + h / 2, axpy(y, k2, h / 2));
            double[] k4 = rhs(p, s + h, axpy(y, k3, h));
            for (int i = 0; i < 5; i++) {
                y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
        }
        return y;
    }

    private static double[] rhs(PsldProcess p, double t, double[] y) {
        double b = p.beta(t);
        double f11 = -b / 2 * p.gamma();
        double f12 = b / 2 * p.massInverse();
        double f21 = -b / 2;
        double f22 = -b / 2 * p.nu();
        double xx = y[2];
        double xm = y[3];
        double mm = y[4];
        return new double[] {f11 * y[0] + f12 * y[1], f21 * y[0] + f22 * y[1],
                2 * (f11 * xx + f12 * xm) + b * p.gamma(),
                f11 * xm + f12 * mm + f21 * xx + f22 * xm,
                2 * (f21 * xm + f22 * mm) + b * p.mass() * p.nu()};
    }

    private static double[] axpy(double[] y, double[] k, double h) {
        double[] out = y.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += h * k[i];
        }
        return out;
    }

    @Test
    void ouPieceMatchesTheCheckValuesAndItsMomentOde() {
        double dB = CIFAR.reverseIntegratedBeta(0, 0.05);
        assertEquals(0.4, dB, 1e-15);
        double[] o = CIFAR.ouStep(dB);
        assertEquals(0.5741739443, o[0] * 0.5 + o[1] * -0.2, 1e-9);
        assertEquals(-0.0133528824, o[2] * 0.5 + o[3] * -0.2, 1e-9);
        assertCov(new double[] {0.0550128140, -0.0713197876, 0.1920526726}, new double[] {o[4], o[5], o[6]}, 1e-9);
        // In B-time the piece is dz = L̃z dB + noise with L̃ = ½[[−Γ, −M⁻¹], [1, −ν]] and noise diag(Γ, Mν).
        double[] y = {0.5, -0.2, 0, 0, 0};
        int steps = 20_000;
        double h = dB / steps;
        PsldProcess p = CIFAR;
        java.util.function.UnaryOperator<double[]> f = v -> {
            double l11 = -p.gamma() / 2;
            double l12 = -p.massInverse() / 2;
            double l21 = 0.5;
            double l22 = -p.nu() / 2;
            return new double[] {l11 * v[0] + l12 * v[1], l21 * v[0] + l22 * v[1],
                    2 * (l11 * v[2] + l12 * v[3]) + p.gamma(), l11 * v[3] + l12 * v[4] + l21 * v[2] + l22 * v[3],
                    2 * (l21 * v[3] + l22 * v[4]) + p.mass() * p.nu()};
        };
        for (int k = 0; k < steps; k++) {
            double[] k1 = f.apply(y);
            double[] k2 = f.apply(axpy(y, k1, h / 2));
            double[] k3 = f.apply(axpy(y, k2, h / 2));
            double[] k4 = f.apply(axpy(y, k3, h));
            for (int i = 0; i < 5; i++) {
                y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
        }
        double[] closed = {o[0] * 0.5 + o[1] * -0.2, o[2] * 0.5 + o[3] * -0.2, o[4] - PsldProcess.JITTER, o[5],
                o[6] - PsldProcess.JITTER};
        for (int i = 0; i < 5; i++) {
            assertEquals(y[i], closed[i], 1e-12, "component " + i);
        }
    }

    /** The oracle's ε through the production ε → score path returns its score, which is ∇ log p_t. */
    @Test
    void scorePathReturnsTheOracleScoreWhichIsTheGradientOfItsLogDensity() {
        GaussianMixture mix = new GaussianMixture(new double[] {0.3, 0.7},
                new double[][] {{-0.6, 0.4}, {0.5, -0.2}}, new double[][] {{0.04, 0.2}, {0.1, 0.01}});
        PsldOracle oracle = new PsldOracle(mix, CIFAR);
        double[] z = {0.3, -0.1, 0.2, 0.05, -0.4, 0.6, -0.3, 0.1};
        for (double t : new double[] {1e-3, 0.02, 0.1, 0.5, 1}) {
            double[] exact = oracle.score(z, 2, t);
            double[] viaEps = oracle.epsilon(z, 2, t);
            CIFAR.scoreFromEpsilon(viaEps, 2, t);
            for (int i = 0; i < z.length; i++) {
                assertEquals(exact[i], viaEps[i], 1e-9 * Math.max(1, Math.abs(exact[i])), "t " + t + " i " + i);
            }
            for (int i = 0; i < 4; i++) {
                double hStep = 1e-6;
                double[] up = java.util.Arrays.copyOf(z, 4);
                double[] down = java.util.Arrays.copyOf(z, 4);
                up[i] += hStep;
                down[i] -= hStep;
                double fd = (oracle.logDensity(up, t) - oracle.logDensity(down, t)) / (2 * hStep);
                assertEquals(fd, exact[i], 1e-5 * Math.max(1, Math.abs(fd)), "t " + t + " i " + i);
            }
        }
    }

    @Test
    void badConstantsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PsldProcess(8, 8, 0.02, 0.01, 0.04, 1e-3));
        assertTrue(e.getMessage().contains("nu = 0.01"), e.getMessage());
    }

    private static void assertCov(double[] expected, double[] actual, double tol) {
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], actual[i], tol, "covariance entry " + i);
        }
    }
}
