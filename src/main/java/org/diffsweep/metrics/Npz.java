package org.diffsweep.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} archives of float64 arrays, the format pytorch-fid and EDM store reference statistics in
 * ({@code mu}, {@code sigma}). An archive is a zip of {@code .npy} files (NumPy format 1.0: magic, a header
 * dict with {@code descr}, {@code fortran_order} and {@code shape}, then the raw values). Reads little-endian
 * {@code <f8}, {@code <f4}, {@code <i8} and {@code <i4} in C order; writes {@code <f8}.
 */
public final class Npz {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npz() {
    }

    /** An array: its shape and its values in C order. */
    public record Array(long[] shape, double[] values) {
    }

    /** Reads every array of an archive, by name (without the {@code .npy} suffix). */
    public static Map<String, Array> read(InputStream in, String source) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                out.put(name, readNpy(zip.readAllBytes(), source + ":" + e.getName()));
            }
        }
        if (out.isEmpty()) {
            throw new IOException(source + ": not an .npz archive (no arrays found)");
        }
        return out;
    }

    static Array readNpy(byte[] bytes, String source) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (!buf.hasRemaining() || buf.get() != b) {
                throw new IOException(source + ": not a .npy array (bad magic)");
            }
        }
        int major = buf.get();
        buf.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
        String header = new String(bytes, buf.position(), headerLength, StandardCharsets.ISO_8859_1);
        buf.position(buf.position() + headerLength);
        String descr = group(DESCR, header, source, "descr");
        if (group(FORTRAN, header, source, "fortran_order").equals("True")) {
            throw new IOException(source + ": fortran_order arrays are not supported, expected C order");
        }
        String shapeText = group(SHAPE, header, source, "shape").trim();
        long[] shape = shapeText.isEmpty() ? new long[0]
                : java.util.Arrays.stream(shapeText.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        double[] values = new double[Math.toIntExact(count)];
        switch (descr) {
            case "<f8" -> buf.asDoubleBuffer().get(values);
            case "<f4" -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.getFloat();
                }
            }
            case "<i8" -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.getLong();
                }
            }
            case "<i4" -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.getInt();
                }
            }
            case "|u1" -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.get() & 0xff;
                }
            }
            default -> throw new IOException(source + ": dtype " + descr + ", expected <f8, <f4, <i8, <i4 or |u1");
        }
        return new Array(shape, values);
    }

    private static String group(Pattern p, String header, String source, String what) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(source + ": .npy header has no " + what + ": " + header.trim());
        }
        return m.group(1);
    }

    /** Writes float64 arrays as an archive (stored uncompressed, as numpy.savez does). */
    public static void write(OutputStream out, Map<String, Array> arrays) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Array> e : arrays.entrySet()) {
            byte[] npy = npy(e.getValue());
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(npy.length);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(npy);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(npy);
            zip.closeEntry();
        }
        zip.finish();
    }

    static byte[] npy(Array a) {
        StringBuilder shape = new StringBuilder();
        for (long d : a.shape()) {
            shape.append(d).append(", ");
        }
        String dims = a.shape().length == 1 ? a.shape()[0] + "," : shape.length() == 0 ? ""
                : shape.substring(0, shape.length() - 2);
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(MAGIC);
        bytes.write(1);
        bytes.write(0);
        bytes.write(header.length() & 0xff);
        bytes.write(header.length() >> 8);
        bytes.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer values = ByteBuffer.allocate(a.values().length * 8).order(ByteOrder.LITTLE_ENDIAN);
        values.asDoubleBuffer().put(a.values());
        bytes.writeBytes(values.array());
        return bytes.toByteArray();
    }

    /** Reference statistics as pytorch-fid and EDM write them: {@code mu} [D], {@code sigma} [D, D]. */
    public static Gaussian gaussian(Map<String, Array> arrays, String source) throws IOException {
        Array mu = arrays.get("mu");
        Array sigma = arrays.get("sigma");
        if (mu == null || sigma == null) {
            throw new IOException(source + ": arrays " + arrays.keySet() + ", expected 'mu' and 'sigma'");
        }
        long n = arrays.containsKey("n") ? (long) arrays.get("n").values()[0] : 0;
        try {
            return new Gaussian(mu.values(), sigma.values(), n);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage());
        }
    }

    /** The arrays of {@link #gaussian}: mu, sigma, and n (the sample count, an extra pytorch-fid ignores). */
    public static Map<String, Array> of(Gaussian g) {
        int d = g.mean().length;
        Map<String, Array> m = new LinkedHashMap<>();
        m.put("mu", new Array(new long[] {d}, g.mean()));
        m.put("sigma", new Array(new long[] {d, d}, g.cov()));
        m.put("n", new Array(new long[] {1}, new double[] {g.n()}));
        return m;
    }
}
