package org.diffsweep.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The uint8 conversion is EDM generate.py's {@code (x * 127.5 + 128).clip(0, 255).to(torch.uint8)}: clip, then
 * truncate toward zero. The expected values below are what that torch expression gives (computed by hand:
 * e.g. x = 0 → 128.0 → 128; x = −1 → 0.5 → 0; x = 1 → 255.5 → clipped 255; x = 0.0039 → 128.497 → 128).
 */
class ImagesTest {

    @Test
    void roundsAndClipsAsEdm() {
        double[] x = {-2, -1, -0.9999, -0.5, 0, 0.0039, 0.004, 0.5, 0.99, 1, 3};
        int[] expected = {0, 0, 0, 64, 128, 128, 128, 191, 254, 255, 255};
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], Images.toUint8(x[i]), "x = " + x[i]);
        }
        // every level k is reached from the centre of its bin, (k − 127.5)/127.5 … i.e. round(x·127.5 + 127.5)
        for (int k = 0; k < 256; k++) {
            assertEquals(k, Images.toUint8((k - 127.5) / 127.5 + 1e-9), "level " + k);
        }
    }

    @Test
    void grayscaleIsRepeatedToThreeChannels() {
        double[] gray = {-1, 0, 1, 0.5}; // one 2×2 image
        byte[] rgb = Images.toRgbUint8(gray, 1, 1, 2, 2);
        byte[] plane = {0, (byte) 128, (byte) 255, (byte) 191};
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(plane, java.util.Arrays.copyOfRange(rgb, c * 4, c * 4 + 4));
        }
        assertArrayEquals(rgb, Images.repeatChannels(plane, 1, 2, 2));
        double[] colour = {-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1};
        byte[] out = Images.toRgbUint8(colour, 1, 3, 2, 2);
        assertEquals(0, out[0]);
        assertEquals((byte) 128, out[4]);
        assertEquals((byte) 255, out[8]);
        assertThrows(IllegalArgumentException.class, () -> Images.toRgbUint8(new double[8], 1, 2, 2, 2));
    }
}
