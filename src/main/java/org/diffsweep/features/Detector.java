package org.diffsweep.features;

/**
 * A feature detector (docs/conventions.md): uint8 images [B, 3, H, W] in, features [B, D] out. Resizing to its own
 * input size is the detector's job; the convention is stated by each detector and fixed per table.
 */
public interface Detector {

    /** Feature dimension D. */
    int dim();

    /**
     * @param images {@code batch·3·height·width} bytes, NCHW, each the unsigned value 0–255
     * @return {@code batch·dim()} features, row-major
     */
    float[] features(byte[] images, int batch, int height, int width);

    /** Identity written into outputs, e.g. {@code fmnist-features.pt (sha256 1a2b…)}. */
    String id();
}
