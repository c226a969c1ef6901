package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessTest {

    @Test
    void vpMatchesItsDefinitionAndInverts() {
        VpProcess vp = new VpProcess();
        for (double t : new double[] {1e-3, 0.01, 0.3, 0.77, 1}) {
            double expected = Math.sqrt(Math.exp(0.5 * 19.9 * t * t + 0.1 * t) - 1);
            assertEquals(expected, vp.sigma(t), 1e-12 * expected);
            assertEquals(t, vp.time(vp.sigma(t)), 1e-12);
            double s = vp.sigma(t);
            assertEquals(1 / Math.sqrt(1 + s * s), vp.scale(t), 1e-15);
        }
        // EDM's VP range: σ(1) ≈ 152, σ(1e-3) ≈ 0.01 (σ(ε_t) = sqrt(exp(β_d ε²/2 + β_min ε) − 1))
        assertEquals(152.0, vp.sigmaMax(), 0.5);
    }

    @Test
    void ddpmMatchesTheProductOfAlphas() {
        DdpmProcess ddpm = new DdpmProcess();
        double alphaBar = 1;
        for (int k = 1; k <= 1000; k++) {
            alphaBar *= 1 - (1e-4 + (0.02 - 1e-4) * (k - 1) / 999.0);
            if (k == 1 || k == 500 || k == 1000) {
                double tau = k / 1000.0;
                assertEquals(alphaBar, ddpm.alphaBar(tau), 1e-15);
                assertEquals(Math.sqrt((1 - alphaBar) / alphaBar), ddpm.sigma(tau), 1e-12 * ddpm.sigma(tau));
                assertEquals(tau, ddpm.time(ddpm.sigma(tau)), 1e-12);
                assertEquals(k - 1, ddpm.stepIndex(tau), 1e-9);
            }
        }
        // Between points ᾱ is linear in τ and time() inverts it there too.
        double tau = 0.4567;
        assertEquals(tau, ddpm.time(ddpm.sigma(tau)), 1e-12);
        // Known value: ᾱ_1000 of the linear schedule ≈ 4.04e-5, σ_max ≈ 157.4
        assertEquals(157.4, ddpm.sigmaMax(), 0.1);
        assertThrows(IllegalArgumentException.class, () -> ddpm.time(1e4));
    }

    @Test
    void theLinearFloat64TableKeepsItsIdentity() {
        // manifests of existing sweeps record this text: the default process must keep it
        assertEquals("DdpmProcess[betaStart=1.0E-4, betaEnd=0.02, steps=1000]", new DdpmProcess().toString());
        assertEquals(new DdpmProcess(), new DdpmProcess(BetaSchedule.LINEAR, 1e-4, 0.02, 1000, false));
        DdpmProcess cos = new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, Double.NaN, Double.NaN, 1000, true);
        assertEquals("DdpmProcess[schedule=squaredcos_cap_v2, steps=1000, tableDtype=float32]", cos.toString());
        assertEquals(cos, new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, 0.1, 0.2, 1000, true));
        assertTrue(!cos.equals(new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, Double.NaN, Double.NaN, 1000, false)));
        assertEquals("DdpmProcess[schedule=scaled_linear, betaStart=8.5E-4, betaEnd=0.012, steps=1000, tableDtype=float64]",
                new DdpmProcess(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, 1000, false).toString());
    }

    @Test
    void schedulesMatchTheirFormulas() {
        // scaled_linear: sqrt(β) linear; the cosine schedule: ᾱ_k = f(k/K)/f(0) while no β is capped
        DdpmProcess sl = new DdpmProcess(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, 1000, false);
        double r = Math.sqrt(0.00085) + (Math.sqrt(0.012) - Math.sqrt(0.00085)) * 499 / 999;
        assertEquals(sl.alphaBarAt(499) * (1 - r * r), sl.alphaBarAt(500), 1e-16);
        DdpmProcess cos = new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, Double.NaN, Double.NaN, 1000, false);
        java.util.function.DoubleUnaryOperator f = t -> Math.pow(Math.cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        for (int k : new int[] {1, 10, 500, 990}) {
            assertEquals(f.applyAsDouble(k / 1000.0) / f.applyAsDouble(0), cos.alphaBarAt(k),
                    1e-13 * cos.alphaBarAt(k), "k = " + k);
        }
        // the last β is capped at 0.999
        assertEquals(0.001, cos.alphaBarAt(1000) / cos.alphaBarAt(999), 1e-12);
        assertEquals(BetaSchedule.SCALED_LINEAR, BetaSchedule.of("scaled_linear"));
        assertThrows(IllegalArgumentException.class, () -> BetaSchedule.of("cosine"));
    }

    @Test
    void logSigmaIndexInterpolatesInLogSigma() {
        DdpmProcess ddpm = new DdpmProcess();
        for (int i : new int[] {0, 1, 500, 998, 999}) {
            assertEquals(i, ddpm.logSigmaIndex(ddpm.sigmaAtIndex(i)), 1e-9);
        }
        double mid = Math.sqrt(ddpm.sigmaAtIndex(400) * ddpm.sigmaAtIndex(401));
        assertEquals(400.5, ddpm.logSigmaIndex(mid), 1e-9);
        assertEquals(400.25, ddpm.logSigmaIndex(ddpm.sigmaOfLogSigmaIndex(400.25)), 1e-9);
        // ᾱ-linear and log-σ indices agree on the table and differ between its points
        assertEquals(400, ddpm.stepIndex(ddpm.time(ddpm.sigmaAtIndex(400))), 1e-9);
        assertTrue(Math.abs(ddpm.stepIndex(ddpm.time(mid)) - 400.5) > 1e-6);
    }

    @Test
    void onlyVpProcessesAreVariancePreserving() {
        assertTrue(new VpProcess().variancePreserving());
        assertTrue(new DdpmProcess().variancePreserving());
        assertTrue(!new EdmProcess().variancePreserving());
        for (Process p : new Process[] {new VpProcess(), new DdpmProcess()}) {
            for (double t : new double[] {0.01, 0.5, 1}) {
                double s = p.scale(t);
                double sig = p.sigma(t);
                assertEquals(1, s * s * (1 + sig * sig), 1e-12, p.name());
            }
        }
    }

    @Test
    void edmIsTheIdentity() {
        EdmProcess edm = new EdmProcess();
        assertEquals(80, edm.sigmaMax(), 0);
        assertEquals(0.002, edm.sigmaMin(), 0);
        assertEquals(3.5, edm.time(3.5), 0);
        assertEquals(1, edm.scale(3.5), 0);
    }

    @Test
    void derivativesMatchCentralDifferences() {
        Process[] processes = {new EdmProcess(), new VpProcess(), new DdpmProcess()};
        double[] times = {0.0123, 0.3, 0.6543, 0.9};
        for (Process p : processes) {
            for (double t0 : times) {
                double t = p instanceof EdmProcess ? t0 * 50 : t0;
                // off the DDPM's breakpoints k/1000, so that the difference stays inside one linear piece
                t = p instanceof DdpmProcess ? Math.floor(t * 1000) / 1000 + 0.0005 : t;
                double h = 1e-7;
                double ds = (p.sigma(t + h) - p.sigma(t - h)) / (2 * h);
                double dsc = (p.scale(t + h) - p.scale(t - h)) / (2 * h);
                assertEquals(ds, p.sigmaDerivative(t), 1e-6 * Math.max(1, Math.abs(ds)), p.name() + " t=" + t);
                assertEquals(dsc, p.scaleDerivative(t), 1e-6 * Math.max(1, Math.abs(dsc)), p.name() + " t=" + t);
            }
        }
    }
}
