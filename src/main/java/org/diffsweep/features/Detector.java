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

    /** Which published protocol the features follow, for table headers and provenance lines. */
    default DetectorProtocol protocol() {
        return DetectorProtocol.of(null, null);
    }

    /**
     * Classes of the detector's classifier output, for the Inception Score: 1008 for NVIDIA's
     * {@code inception-2015-12-05}; 0 for a detector without one.
     */
    default int classes() {
        return 0;
    }

    /**
     * Softmax class probabilities, {@code batch·classes()} row-major, of the same uint8 images
     * {@link #features} takes.
     *
     * @param noOutputBias drop the output layer's bias before the softmax, as StyleGAN3's Inception Score does
     *                     ({@code no_output_bias=True}) to match the original TensorFlow implementation
     * @throws UnsupportedOperationException where {@link #classes()} is 0
     */
    default float[] probabilities(byte[] images, int batch, int height, int width, boolean noOutputBias) {
        throw new UnsupportedOperationException(id() + ": no classifier output");
    }
}
