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
}
