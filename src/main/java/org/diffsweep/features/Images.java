package org.diffsweep.features;

/**
 * Samples in [−1, 1] as uint8 images, exactly as EDM's generate.py writes them:
 * {@code (x·127.5 + 128).clip(0, 255).to(uint8)}, i.e. the value is clipped to [0, 255] and then truncated, which
 * is round(x·127.5 + 127.5): the images the published FIDs were computed on (docs/conventions.md, Images).
 * Grayscale is repeated to 3 channels.
 */
public final class Images {

    private Images() {
    }

    /** One value as uint8 (returned as 0–255): clip(x·127.5 + 128, 0, 255), truncated. */
    public static int toUint8(double x) {
        double v = Math.max(0, Math.min(255, x * 127.5 + 128));
        return (int) v;
    }

    /**
     * A batch of samples as 3-channel uint8 NCHW images.
     *
     * @param samples  {@code batch·channels·height·width} values, NCHW
     * @param channels 1 (repeated to 3) or 3
     */
    public static byte[] toRgbUint8(double[] samples, int batch, int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images: " + channels + " channels, expected 1 or 3");
        }
        int plane = height * width;
        if (samples.length != batch * channels * plane) {
            throw new IllegalArgumentException("images: " + samples.length + " values, expected " + batch + "×"
                    + channels + "×" + height + "×" + width);
        }
        byte[] out = new byte[batch * 3 * plane];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < 3; c++) {
                int src = (b * channels + (channels == 1 ? 0 : c)) * plane;
                int dst = (b * 3 + c) * plane;
                for (int i = 0; i < plane; i++) {
                    out[dst + i] = (byte) toUint8(samples[src + i]);
                }
            }
        }
        return out;
    }

    /** Grayscale uint8 images [B,1,H,W] repeated to [B,3,H,W]. */
    public static byte[] repeatChannels(byte[] gray, int batch, int height, int width) {
        int plane = height * width;
        byte[] out = new byte[batch * 3 * plane];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(gray, b * plane, out, (b * 3 + c) * plane, plane);
            }
        }
        return out;
    }
}
