package org.diffsweep.data;

import java.io.IOException;
import java.io.Serializable;

/**
 * A data set of uint8 images, read by index range so that Spark tasks can each read their own share.
 * Images come out NCHW with the data set's own channel count (1 for the MNIST family, 3 for CIFAR-10 and RGB
 * PNGs).
 */
public interface ImageDataset extends Serializable {

    /** Number of images. */
    long count() throws IOException;

    /** C, H, W of every image. */
    int[] shape() throws IOException;

    /** Images [start, start + n) as {@code n·C·H·W} bytes, NCHW. */
    byte[] read(long start, int n) throws IOException;

    /** What outputs call it. */
    String describe();

    /**
     * Whether the data set has a class label per image (an IDX labels file beside the images, CIFAR-10's label byte,
     * an {@code .npz}'s {@code arr_1}); false by default. Checks the labels once: a labels file that does not match
     * the images is refused here, naming it.
     */
    default boolean hasLabels() throws IOException {
        return false;
    }

    /** The class labels (each ≥ 0) of images [start, start + n); only where {@link #hasLabels()}. */
    default int[] labels(long start, int n) throws IOException {
        throw new UnsupportedOperationException(describe() + " has no labels");
    }
}
