package org.diffsweep.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.VpProcess;
import org.junit.jupiter.api.Test;

class TimeGridsTest {

    @Test
    void edmGridMatchesEdmsPublishedEighteenStepGrid() {
        // EDM's CIFAR-10 setting: 18 steps, ρ = 7, σ from 80 to 0.002; values from the formula of
        // Karras et al. (2022), eq. 5, evaluated here independently of EdmGrid.
        double[] s = new EdmGrid(0.002, 80, 7).sigmas(18);
        assertEquals(19, s.length);
        assertEquals(80, s[0], 0);
        assertEquals(0.002, s[17], 0);
        assertEquals(0, s[18], 0);
        double a = Math.pow(80, 1 / 7.0);
        double b = Math.pow(0.002, 1 / 7.0);
        assertEquals(Math.pow(a + (b - a) / 17, 7), s[1], 1e-12);
        assertEquals(Math.pow(a + 8 * (b - a) / 17, 7), s[8], 1e-12);
    }

    @Test
    void logLinearIsGeometric() {
        double[] s = new LogLinearGrid(0.01, 100).sigmas(5);
        assertArrayEquals(new double[] {100, 10, 1, 0.1, 0.01, 0}, s, 1e-12);
    }

    @Test
    void timeQuadraticIsUniformInSqrtTime() {
        VpProcess vp = new VpProcess();
        double[] s = TimeGrids.of("time-quadratic", Map.of(), vp).sigmas(5);
        assertEquals(6, s.length);
        for (int i = 0; i < 5; i++) {
            double t = vp.time(s[i]);
            double expected = Math.pow(1 + i / 4.0 * (Math.sqrt(1e-3) - 1), 2);
            assertEquals(expected, t, 1e-12);
        }
        double[] u = TimeGrids.of("time-uniform", Map.of(), vp).sigmas(3);
        assertEquals(vp.sigma(0.5005), u[1], 1e-12);
        assertEquals(0, u[3], 0);
    }

    @Test
    void everyGridDecreasesAndEndsAtZero() {
        for (String name : new String[] {"edm", "loglinear", "time-uniform", "time-quadratic"}) {
            for (int n : new int[] {2, 3, 17, 200}) {
                double[] s = TimeGrids.of(name, Map.of(), new EdmProcess()).sigmas(n);
                assertEquals(n + 1, s.length);
                TimeGrid.requireDecreasing(s, name);
                assertEquals(0, s[n], 0);
            }
        }
    }

    @Test
    void refusesImpossibleGrids() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EdmGrid(0.002, 80, 7).sigmas(1));
        assertTrue(e.getMessage().contains("1 steps, expected at least 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EdmGrid(5, 1, 7));
        assertTrue(e.getMessage().contains("sigma_min = 5.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TimeGrids.of("cosine", Map.of(), new EdmProcess()));
        assertTrue(e.getMessage().contains("unknown grid 'cosine'"), e.getMessage());
    }
}
