package org.diffsweep.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;

/**
 * An IDX image file of the MNIST family ({@code *-images-idx3-ubyte}, optionally {@code .gz}): big-endian
 * magic 0x00000803, count, rows, columns, then the pixels, one byte each, row-major. One channel.
 */
public final class IdxDataset implements ImageDataset {

    private static final long serialVersionUID = 1L;
    private static final int HEADER = 16;

    private final String path;
    private final Sources sources;
    private long count = -1;
    private int rows;
    private int cols;

    public IdxDataset(String path, Configuration conf) {
        this.path = path;
        this.sources = new Sources(conf);
    }

    private void header() throws IOException {
        if (count >= 0) {
            return;
        }
        try (DataInputStream in = new DataInputStream(sources.open(path))) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new IOException(path + ": magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x803 (an IDX file of unsigned-byte images, 3 dimensions)");
            }
            long n = Integer.toUnsignedLong(in.readInt());
            int r = in.readInt();
            int c = in.readInt();
            // The whole file is read through once here, on the driver, so that a truncated or corrupt file (a
            // broken download, a cut .gz) is refused before any task starts, naming the file.
            try {
                Sources.skipFully(in, n * r * c, path);
            } catch (IOException e) {
                throw new IOException(path + ": truncated or corrupt (" + e.getMessage().replace(path + ": ", "")
                        + "), expected " + n + " images of " + r + "x" + c + " after the header");
            }
            count = n;
            rows = r;
            cols = c;
        } catch (java.io.EOFException e) {
            throw new IOException(path + ": ends inside the header, expected an IDX file of images");
        }
    }

    @Override
    public long count() throws IOException {
        header();
        return count;
    }

    @Override
    public int[] shape() throws IOException {
        header();
        return new int[] {1, rows, cols};
    }

    @Override
    public byte[] read(long start, int n) throws IOException {
        header();
        if (start < 0 || start + n > count) {
            throw new IOException(path + ": images " + start + "–" + (start + n) + " of " + count);
        }
        int size = rows * cols;
        try (InputStream in = sources.open(path)) {
            Sources.skipFully(in, HEADER + start * size, path);
            return Sources.readFully(in, n * size, path);
        }
    }

    @Override
    public String describe() {
        return "idx:" + path;
    }
}
