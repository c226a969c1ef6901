package org.diffsweep.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.diffsweep.config.Export;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.features.Images;

/**
 * The samples of the configs a sweep's {@code export:} names, as the uint8 images the detector sees
 * ({@link Images#toUint8}), so that EDM's {@code fid.py} or pytorch-fid can measure exactly these samples:
 * <pre>
 *   samples/&lt;config_id&gt;/&lt;seed:06d&gt;.png         png: one file per seed, named as EDM's generate.py names them
 *   samples/&lt;config_id&gt;.npz                    npz: arr_0, uint8 [N, H, W, C], seeds in order (EDM / ADM); in a
 *                                             class-conditional sweep arr_1, int64 [N], each seed's label (ADM)
 *   samples/&lt;config_id&gt;/labels.csv             png, class-conditional: seed,label
 *   samples/_blocks/&lt;config_id&gt;/block-S-E.*   a block's export is done (png: .done marker; npz: its part)
 *   samples/_tmp/                              files being written (renamed into place)
 * </pre>
 * The PNGs are flat, as EDM's generate.py writes them without {@code --subdirs}: pytorch-fid reads only the
 * top level of a folder, and EDM's fid.py reads a folder recursively, so both read {@code samples/<config_id>}.
 * Every file is written under a temporary name and renamed. A block's PNGs are written before its marker and its
 * features, so a block cut short is redone whole by the rerun; an npz is assembled from its blocks' parts on the
 * driver once all are in, then the parts are deleted.
 */
public final class SampleExport {

    private SampleExport() {
    }

    /** {@code OUT/samples}. */
    public static Path dir(SweepLayout layout) {
        return new Path(layout.root(), "samples");
    }

    /** One seed's PNG. */
    public static Path png(SweepLayout layout, String configId, long seed) {
        return new Path(new Path(dir(layout), configId), String.format("%06d.png", seed));
    }

    /** One config's npz. */
    public static Path npz(SweepLayout layout, String configId) {
        return new Path(dir(layout), configId + ".npz");
    }

    private static Path blocks(SweepLayout layout) {
        return new Path(dir(layout), "_blocks");
    }

    private static Path tmp(SweepLayout layout) {
        return new Path(dir(layout), "_tmp");
    }

    /** A block's record: its marker (png) or its raw uint8 part (npz). */
    static Path blockFile(SweepLayout layout, String format, SeedBlock b) {
        return new Path(new Path(blocks(layout), b.configId()), String.format("block-%010d-%010d.%s", b.seedStart(),
                b.seedEnd(), format.equals("png") ? "done" : "u8"));
    }

    /** The blocks of {@code all} whose export is still to be written (none when the config has no export). */
    public static List<SeedBlock> missing(FileSystem fs, SweepLayout layout, SweepConfig config, List<SeedBlock> all)
            throws IOException {
        Export export = config.export();
        List<SeedBlock> out = new ArrayList<>();
        if (export == null) {
            return out;
        }
        Set<String> done = new HashSet<>();
        if (fs.exists(blocks(layout))) {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(blocks(layout), true);
            while (it.hasNext()) {
                done.add(it.next().getPath().toUri().getPath());
            }
        }
        Set<String> finished = new HashSet<>();
        for (SeedBlock b : all) {
            if (!export.exports(b.configId())) {
                continue;
            }
            if (export.format().equals("npz") && (finished.contains(b.configId())
                    || fs.exists(npz(layout, b.configId())))) {
                finished.add(b.configId());
                continue;
            }
            if (!done.contains(blockFile(layout, export.format(), b).toUri().getPath())) {
                out.add(b);
            }
        }
        return out;
    }

    /** Whether one block's export is done (or not asked for). */
    static boolean done(FileSystem fs, SweepLayout layout, Export export, SeedBlock b) throws IOException {
        if (export == null || !export.exports(b.configId())) {
            return true;
        }
        if (export.format().equals("npz") && fs.exists(npz(layout, b.configId()))) {
            return true;
        }
        return fs.exists(blockFile(layout, export.format(), b));
    }

    /** A block's samples (NCHW values, seeds in order) as uint8 NHWC pixels. */
    static byte[] uint8Nhwc(double[] samples, int count, int[] chw) {
        int c = chw[0];
        int plane = chw[1] * chw[2];
        byte[] out = new byte[count * c * plane];
        for (int n = 0; n < count; n++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < plane; i++) {
                    out[(n * plane + i) * c + ch] = (byte) Images.toUint8(samples[(n * c + ch) * plane + i]);
                }
            }
        }
        return out;
    }

    /**
     * Writes one block's export: its PNGs, then its marker (png), or its part (npz).
     *
     * @param pixels uint8 NHWC pixels of the block's seeds, in order
     */
    static void write(FileSystem fs, SweepLayout layout, String format, SeedBlock b, byte[] pixels, int[] chw)
            throws IOException {
        int c = chw[0];
        int h = chw[1];
        int w = chw[2];
        fs.mkdirs(tmp(layout));
        if (format.equals("png")) {
            int size = h * w * c;
            for (int n = 0; n < b.size(); n++) {
                BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY
                        : BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int at = n * size + (y * w + x) * c;
                        if (c == 1) {
                            img.getRaster().setSample(x, y, 0, pixels[at] & 0xff);
                        } else {
                            img.setRGB(x, y, (pixels[at] & 0xff) << 16 | (pixels[at + 1] & 0xff) << 8
                                    | (pixels[at + 2] & 0xff));
                        }
                    }
                }
                Path target = png(layout, b.configId(), b.seedStart() + n);
                commit(fs, layout, target, out -> ImageIO.write(img, "png", out));
            }
            commit(fs, layout, blockFile(layout, format, b), out -> { });
        } else {
            commit(fs, layout, blockFile(layout, format, b), out -> out.write(pixels));
        }
    }

    /**
     * On the driver, once every block is in: assembles each exported config's npz from its parts (seeds in order)
     * and deletes them, and clears temporary files.
     */
    public static void finish(FileSystem fs, SweepLayout layout, SweepConfig config, List<SeedBlock> all)
            throws IOException {
        Export export = config.export();
        if (export == null) {
            return;
        }
        long[] seeds = new long[(int) config.seedCount()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = config.seedStart() + i;
        }
        // A seed's label is a function of the seed alone: the driver writes them, in seed order.
        int[] labels = config.labelsOf(seeds);
        if (export.format().equals("npz")) {
            int[] chw = config.model().imageShape();
            for (String id : export.configIds()) {
                if (fs.exists(npz(layout, id))) {
                    continue;
                }
                List<Path> parts = all.stream().filter(b -> b.configId().equals(id))
                        .map(b -> blockFile(layout, "npz", b)).toList();
                writeNpz(fs, layout, npz(layout, id), parts, config.seedCount(), chw, labels);
                fs.delete(new Path(blocks(layout), id), true);
            }
        } else if (labels != null) {
            for (String id : export.configIds()) {
                Path csv = new Path(new Path(dir(layout), id), "labels.csv");
                if (!fs.exists(csv)) {
                    StringBuilder text = new StringBuilder("seed,label\n");
                    for (int i = 0; i < seeds.length; i++) {
                        text.append(seeds[i]).append(',').append(labels[i]).append('\n');
                    }
                    commit(fs, layout, csv, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        fs.delete(tmp(layout), true);
    }

    /** Whether every block of every exported config is exported (true when nothing is). */
    public static boolean complete(FileSystem fs, SweepLayout layout, SweepConfig config) throws IOException {
        return missing(fs, layout, config, SeedBlock.plan(config)).isEmpty()
                && (config.export() == null || !config.export().format().equals("npz")
                || config.export().configIds().stream().allMatch(id -> exists(fs, npz(layout, id))));
    }

    private static boolean exists(FileSystem fs, Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code arr_0.npy}, uint8 [n, h, w, c], stored uncompressed as numpy.savez does, streamed from the parts. */
    private static void writeNpz(FileSystem fs, SweepLayout layout, Path target, List<Path> parts, long n, int[] chw,
                                 int[] labels) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", " + chw[1] + ", " + chw[2]
                + ", " + chw[0] + "), }";
        int unpadded = 6 + 2 + 2 + dict.length() + 1;
        String headerText = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        byte[] header = new byte[10 + headerText.length()];
        header[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.ISO_8859_1), 0, header, 1, 5);
        header[6] = 1;
        header[7] = 0;
        header[8] = (byte) (headerText.length() & 0xff);
        header[9] = (byte) (headerText.length() >> 8);
        System.arraycopy(headerText.getBytes(StandardCharsets.ISO_8859_1), 0, header, 10, headerText.length());
        CRC32 crc = new CRC32();
        crc.update(header);
        long size = header.length;
        byte[] buf = new byte[1 << 16];
        for (Path p : parts) {
            try (InputStream in = fs.open(p)) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    crc.update(buf, 0, r);
                    size += r;
                }
            }
        }
        long expected = header.length + n * chw[0] * chw[1] * chw[2];
        if (size != expected) {
            throw new IOException("export " + target + ": the blocks hold " + (size - header.length)
                    + " bytes of pixels, expected " + (expected - header.length));
        }
        long total = size;
        commit(fs, layout, target, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            ZipEntry entry = new ZipEntry("arr_0.npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(total);
            entry.setCompressedSize(total);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(header);
            for (Path p : parts) {
                try (InputStream in = fs.open(p)) {
                    in.transferTo(zip);
                }
            }
            zip.closeEntry();
            if (labels != null) {
                // arr_1: int64 [n], each seed's class, as ADM's class-conditional sample files hold them
                String d = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + labels.length + ",), }";
                int pad = (64 - (10 + d.length() + 1) % 64) % 64;
                String h = d + " ".repeat(pad) + "\n";
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + h.length() + 8 * labels.length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0)
                        .putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1));
                for (int l : labels) {
                    b.putLong(l);
                }
                byte[] npy = b.array();
                CRC32 lc = new CRC32();
                lc.update(npy);
                ZipEntry le = new ZipEntry("arr_1.npy");
                le.setMethod(ZipEntry.STORED);
                le.setSize(npy.length);
                le.setCompressedSize(npy.length);
                le.setCrc(lc.getValue());
                zip.putNextEntry(le);
                zip.write(npy);
                zip.closeEntry();
            }
            zip.finish();
        });
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes a file under a temporary name and renames it into place. Where the file is already there (another
     * attempt of the same block, whose content is the same), that one is kept.
     */
    private static void commit(FileSystem fs, SweepLayout layout, Path target, Writer writer) throws IOException {
        Path tmp = new Path(tmp(layout), target.getName() + "." + UUID.randomUUID() + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            writer.write(out);
        }
        fs.mkdirs(target.getParent());
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            if (!fs.exists(target)) {
                throw new IOException("could not commit " + target + " (rename from " + tmp + " failed)");
            }
        }
    }
}
