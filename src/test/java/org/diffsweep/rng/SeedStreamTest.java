package org.diffsweep.rng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SeedStreamTest {

    @Test
    void aSeedsDrawsDoNotDependOnItsBatch() {
        double[] alone = BatchNoise.latents(new long[] {7}, 5, 80);
        double[] inBatch = BatchNoise.latents(new long[] {3, 7, 11}, 5, 80);
        double[] reordered = BatchNoise.latents(new long[] {7, 3}, 5, 80);
        for (int j = 0; j < 5; j++) {
            assertEquals(alone[j], inBatch[5 + j], 0);
            assertEquals(alone[j], reordered[j], 0);
        }
    }

    @Test
    void purposesAndSeedsGiveDifferentStreams() {
        double a = new SeedStream(1, SeedStream.LATENTS).nextNormal();
        assertNotEquals(a, new SeedStream(1, SeedStream.SAMPLER_NOISE).nextNormal());
        assertNotEquals(a, new SeedStream(2, SeedStream.LATENTS).nextNormal());
    }

    @Test
    void drawsAreStandardNormal() {
        SeedStream s = new SeedStream(42, SeedStream.LATENTS);
        int n = 200_000;
        double sum = 0;
        double sq = 0;
        double quart = 0;
        for (int i = 0; i < n; i++) {
            double x = s.nextNormal();
            sum += x;
            sq += x * x;
            quart += x * x * x * x;
        }
        assertEquals(0, sum / n, 5 / Math.sqrt(n));
        assertEquals(1, sq / n, 5 * Math.sqrt(2.0 / n));
        assertEquals(3, quart / n, 5 * Math.sqrt(96.0 / n));
    }

    @Test
    void drawsArePinned() {
        // Golden values: a change of generator, seeding or normal sampler changes every stored result, so it
        // must be deliberate. Regenerate with the printout below only when it is.
        double[] got = new double[3];
        new SeedStream(0, SeedStream.LATENTS).fill(got, 0, 3);
        System.out.println("seed 0 latents: " + java.util.Arrays.toString(got));
        assertArrayEquals(GOLDEN, got, 0);
    }

    static final double[] GOLDEN = {1.300124763037515, -0.23325270368841963, -0.8525545848851945};
}
