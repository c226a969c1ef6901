package org.diffsweep.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.metrics.Npz;

/**
 * uint8 images in a NumPy {@code .npz}: one array of dtype {@code |u1} and shape [N, H, W, C] (C = 1 or 3) or
 * [N, H, W] (grayscale), channels last, as ADM's (guided-diffusion's) reference batches, EDM's and this tool's
 * sample export ({@code export: {format: npz}}) and {@code np.savez(f, images)} store them: the array
 * {@code arr_0}, or else the only 3- or 4-dimensional {@code |u1} array of the archive (other arrays beside it,
 * such as an ADM batch's {@code mu} and {@code sigma}, are ignored). Stored or deflated ({@code np.savez_compressed})
 * entries both stream: a read of images [start, start + n) decodes the entry up to them and no further, and never
 * holds more than those images.
 *
 * <p>Its class labels are {@code arr_1} when that is an integer array of shape [N] ({@code |u1}, {@code <i4},
 * {@code <i8}: each image's class, as ADM's class-conditional batches and this tool's export store them); an
 * {@code arr_1} of another shape or type is ignored like any other array beside the images.
 */
public final class NpzDataset implements ImageDataset {

    private static final long serialVersionUID = 1L;

    private final String path;
    private final Sources sources;
    private String entry;
    private long[] shape;
    private Npz.Header labelHeader;
    private boolean checked;

    public NpzDataset(String path, Configuration conf) {
        this.path = path;
        this.sources = new Sources(conf);
    }

    /** Finds the image array and reads its header. */
    private void locate() throws IOException {
        if (entry != null) {
            return;
        }
        String found = null;
        long[] foundShape = null;
        StringBuilder seen = new StringBuilder();
        try (ZipInputStream zip = new ZipInputStream(sources.open(path))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().endsWith(".npy")) {
                    continue;
                }
                Npz.Header h = Npz.header(zip, path + ":" + e.getName());
                String name = e.getName().substring(0, e.getName().length() - 4);
                seen.append(seen.length() == 0 ? "" : ", ").append(name).append(' ').append(h.descr())
                        .append(Npz.describeShape(h.shape()));
                if (name.equals("arr_1") && h.shape().length == 1 && LABEL_TYPES.contains(h.descr())) {
                    labelHeader = h;
                }
                boolean images = h.descr().equals("|u1") && (h.shape().length == 4 || h.shape().length == 3);
                if (name.equals("arr_0")) {
                    if (!images) {
                        throw new IOException(path + ": arr_0 is " + h.descr() + " of shape "
                                + Npz.describeShape(h.shape()) + ", expected uint8 images [N, H, W, C] (|u1)");
                    }
                    found = name;
                    foundShape = h.shape();
                } else if (images && (found == null)) {
                    found = name;
                    foundShape = h.shape();
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IOException(path + ": not an .npz archive (" + e.getMessage() + ")");
        }
        if (found == null) {
            throw new IOException(path + ": no uint8 image array (" + (seen.length() == 0 ? "no arrays" : seen)
                    + "), expected arr_0 of uint8 images [N, H, W, C]");
        }
        long c = foundShape.length == 4 ? foundShape[3] : 1;
        if (c != 1 && c != 3) {
            throw new IOException(path + ": " + found + " has shape " + Npz.describeShape(foundShape) + ", expected "
                    + "[N, H, W, C] with C = 1 or 3 channels last");
        }
        if (foundShape[1] < 1 || foundShape[2] < 1 || foundShape[1] * foundShape[2] * c > Integer.MAX_VALUE / 16) {
            throw new IOException(path + ": " + found + " has shape " + Npz.describeShape(foundShape)
                    + ", expected images of a size this tool can hold");
        }
        if (labelHeader != null && labelHeader.shape()[0] != foundShape[0]) {
            throw new IOException(path + ": arr_1 holds " + labelHeader.shape()[0] + " labels, expected one per image "
                    + "of " + found + " (" + foundShape[0] + ")");
        }
        entry = found + ".npy";
        shape = foundShape;
    }

    /** The integer types of a labels array. */
    private static final java.util.Set<String> LABEL_TYPES = java.util.Set.of("|u1", "<i4", "<i8");

    @Override
    public boolean hasLabels() throws IOException {
        locate();
        if (labelHeader != null && !checked) {
            int[] all = labels(0, (int) Math.min(Integer.MAX_VALUE, shape[0]));
            for (int i = 0; i < all.length; i++) {
                if (all[i] < 0) {
                    throw new IOException(path + ": arr_1[" + i + "] = " + all[i] + ", expected class labels >= 0");
                }
            }
            checked = true;
        }
        return labelHeader != null;
    }

    @Override
    public int[] labels(long start, int n) throws IOException {
        locate();
        if (labelHeader == null) {
            throw new IOException(path + " has no labels (arr_1 of integers, one per image)");
        }
        int width = labelHeader.descr().equals("|u1") ? 1 : labelHeader.descr().equals("<i4") ? 4 : 8;
        try (ZipInputStream zip = new ZipInputStream(sources.open(path))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().equals("arr_1.npy")) {
                    continue;
                }
                Npz.header(zip, path + ":arr_1");
                Sources.skipFully(zip, start * width, path + ":arr_1");
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Sources.readFully(zip, n * width, path + ":arr_1"))
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    long v = width == 1 ? b.get() & 0xff : width == 4 ? b.getInt() : b.getLong();
                    if (v < 0 || v > Integer.MAX_VALUE) {
                        throw new IOException(path + ": arr_1[" + (start + i) + "] = " + v + ", expected a class "
                                + "label >= 0");
                    }
                    out[i] = (int) v;
                }
                return out;
            }
        }
        throw new IOException(path + ": arr_1 is gone");
    }

    @Override
    public long count() throws IOException {
        locate();
        return shape[0];
    }

    @Override
    public int[] shape() throws IOException {
        locate();
        return new int[] {shape.length == 4 ? (int) shape[3] : 1, (int) shape[1], (int) shape[2]};
    }

    @Override
    public byte[] read(long start, int n) throws IOException {
        locate();
        int[] chw = shape();
        int c = chw[0];
        int plane = chw[1] * chw[2];
        int per = c * plane;
        if (start < 0 || start + n > shape[0]) {
            throw new IOException(path + ": images " + start + "–" + (start + n - 1) + ", but it holds " + shape[0]);
        }
        try (ZipInputStream zip = new ZipInputStream(sources.open(path))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().equals(entry)) {
                    continue;
                }
                Npz.header(zip, path + ":" + entry);
                Sources.skipFully(zip, start * per, path + ":" + entry);
                byte[] nhwc = Sources.readFully(zip, n * per, path + ":" + entry);
                byte[] out = new byte[nhwc.length];
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < plane; p++) {
                        for (int ch = 0; ch < c; ch++) {
                            out[i * per + ch * plane + p] = nhwc[i * per + p * c + ch];
                        }
                    }
                }
                return out;
            }
        }
        throw new IOException(path + ": " + entry + " is gone");
    }

    @Override
    public String describe() {
        return "npz:" + path;
    }
}
