package org.diffsweep.data;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;

/**
 * A CIFAR-10 binary batch ({@code data_batch_N.bin}, {@code test_batch.bin}): records of 1 label byte then
 * 3072 pixel bytes, the 1024 red, 1024 green and 1024 blue values of a 32×32 image (already CHW). The label byte
 * is each image's class.
 */
public final class CifarDataset implements ImageDataset {

    private static final long serialVersionUID = 1L;
    private static final int PIXELS = 3 * 32 * 32;
    private static final int RECORD = 1 + PIXELS;

    private final String path;
    private final Sources sources;

    public CifarDataset(String path, Configuration conf) {
        this.path = path;
        this.sources = new Sources(conf);
    }

    @Override
    public long count() throws IOException {
        long bytes = sources.fs(path).getFileStatus(new org.apache.hadoop.fs.Path(path)).getLen();
        if (bytes % RECORD != 0) {
            throw new IOException(path + ": " + bytes + " bytes, expected a multiple of " + RECORD
                    + " (CIFAR-10 binary records)");
        }
        return bytes / RECORD;
    }

    @Override
    public int[] shape() {
        return new int[] {3, 32, 32};
    }

    @Override
    public byte[] read(long start, int n) throws IOException {
        byte[] out = new byte[n * PIXELS];
        try (InputStream in = sources.open(path)) {
            Sources.skipFully(in, start * RECORD, path);
            for (int i = 0; i < n; i++) {
                Sources.skipFully(in, 1, path);
                System.arraycopy(Sources.readFully(in, PIXELS, path), 0, out, i * PIXELS, PIXELS);
            }
        }
        return out;
    }

    @Override
    public boolean hasLabels() {
        return true;
    }

    @Override
    public int[] labels(long start, int n) throws IOException {
        int[] out = new int[n];
        try (InputStream in = sources.open(path)) {
            Sources.skipFully(in, start * RECORD, path);
            for (int i = 0; i < n; i++) {
                out[i] = Sources.readFully(in, 1, path)[0] & 0xff;
                Sources.skipFully(in, PIXELS, path);
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return "cifar10:" + path;
    }
}
