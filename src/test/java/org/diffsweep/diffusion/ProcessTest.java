package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
