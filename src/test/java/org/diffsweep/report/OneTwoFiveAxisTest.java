package org.diffsweep.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OneTwoFiveAxisTest {

    @Test
    void ticksAreOneTwoFiveTimesPowersOfTenWithPlainLabels() {
        assertArrayEquals(new double[] {5, 10, 20, 50, 100, 200}, OneTwoFiveAxis.ticks(3.1, 251.189), 0);
        assertArrayEquals(new double[] {0.002, 0.005, 0.01, 0.02, 0.05}, OneTwoFiveAxis.ticks(0.0019, 0.06), 0);
        // more than four decades: powers of ten only
        assertArrayEquals(new double[] {0.001, 0.01, 0.1, 1, 10, 100}, OneTwoFiveAxis.ticks(0.001, 100), 0);
        assertEquals(0, OneTwoFiveAxis.ticks(0, 1).length);
        assertEquals("0.002", OneTwoFiveAxis.label(0.002));
        assertEquals("20", OneTwoFiveAxis.label(20));
        assertEquals("0.5", OneTwoFiveAxis.label(0.5));
        assertEquals("1000", OneTwoFiveAxis.label(1000));
        assertEquals("1E7", OneTwoFiveAxis.label(1e7));
    }

    /** An NFE axis ticks at exactly the NFE values (20 included), whatever 1-2-5 would choose, and nowhere else. */
    @Test
    void anAxisGivenValuesTicksAtEveryOneOfThem() {
        OneTwoFiveAxis nfe = new OneTwoFiveAxis("NFE", new double[] {20, 5, 9, 10, 19, 50});
        assertArrayEquals(new double[] {5, 9, 10, 19, 20, 50}, nfe.tickValues(nfe.getLowerBound(), nfe.getUpperBound()),
                0);
        assertEquals(5 / 1.15, nfe.getLowerBound(), 1e-12);
        assertEquals(50 * 1.15, nfe.getUpperBound(), 1e-12);
        assertEquals("20", OneTwoFiveAxis.label(20));
    }
}
