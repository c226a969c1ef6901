package org.diffsweep.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;

/**
 * An IDX image file of the MNIST family ({@code *-images-idx3-ubyte}, optionally {@code .gz}): big-endian
 * magic 0x00000803, count, rows, columns, then the pixels, one byte each, row-major. One channel.
 *
 * <p>Its class labels are the IDX labels file beside it, when there is one: the name with {@code images} → {@code
 * labels} and {@code idx3} → {@code idx1} ({@code train-images-idx3-ubyte.gz} → {@code train-labels-idx1-ubyte.gz}),
 * magic 0x00000801, count, then one byte per image.
 */
public final class IdxDataset implements ImageDataset {

    private static final long serialVersionUID = 1L;
    private static final int HEADER = 16;

    private final String path;
    private final Sources sources;
    private long count = -1;
    private int rows;
    private int cols;
    private Boolean labelled;

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

    /** The labels file this images file pairs with by name, or null when the name has no images/idx3 part. */
    String labelsPath() {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        String renamed = name.replace("images", "labels").replace("idx3", "idx1");
        return renamed.equals(name) ? null : path.substring(0, slash + 1) + renamed;
    }

    private static final int LABELS_HEADER = 8;

    @Override
    public boolean hasLabels() throws IOException {
        if (labelled != null) {
            return labelled;
        }
        header();
        String lp = labelsPath();
        if (lp == null || !sources.fs(lp).exists(new org.apache.hadoop.fs.Path(lp))) {
            labelled = false;
            return false;
        }
        // Read through once on the driver, as the images are: a labels file that does not pair with the images is
        // refused before any task starts.
        try (DataInputStream in = new DataInputStream(sources.open(lp))) {
            int magic = in.readInt();
            long n = Integer.toUnsignedLong(in.readInt());
            if (magic != 0x00000801) {
                throw new IOException(lp + ": magic 0x" + Integer.toHexString(magic) + ", expected 0x801 (an IDX "
                        + "labels file, the labels of " + path + ")");
            }
            if (n != count) {
                throw new IOException(lp + ": " + n + " labels, expected one per image of " + path + " (" + count
                        + ")");
            }
            Sources.skipFully(in, n, lp);
        } catch (java.io.EOFException e) {
            throw new IOException(lp + ": ends inside the header, expected an IDX labels file");
        }
        labelled = true;
        return true;
    }

    @Override
    public int[] labels(long start, int n) throws IOException {
        if (!hasLabels()) {
            throw new IOException(path + " has no labels file beside it (" + labelsPath() + ")");
        }
        if (start < 0 || start + n > count) {
            throw new IOException(labelsPath() + ": labels " + start + "–" + (start + n) + " of " + count);
        }
        try (InputStream in = sources.open(labelsPath())) {
            Sources.skipFully(in, LABELS_HEADER + start, labelsPath());
            byte[] b = Sources.readFully(in, n, labelsPath());
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = b[i] & 0xff;
            }
            return out;
        }
    }

    @Override
    public String describe() {
        return "idx:" + path;
    }
}
