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

    /**
     * The text array in which {@code ref-stats} records the SHA-256 of the detector its statistics were made with
     * ("none" for the pixels themselves); files of pytorch-fid, EDM and clean-fid have none.
     */
    public static final String DETECTOR_SHA256 = "detector_sha256";

    /**
     * The per-class arrays {@code ref-stats} adds for a data set with class labels: {@code class_n} [K] (images of
     * each class), {@code class_mu} [K, D] and {@code class_sigma} [K, D, D] (each class's mean and unbiased
     * covariance; zeros where the class has fewer than 2 images, whose statistics are undefined). pytorch-fid, EDM
     * and clean-fid read {@code mu} and {@code sigma} only and ignore them.
     */
    public static final String CLASS_N = "class_n";
    public static final String CLASS_MU = "class_mu";
    public static final String CLASS_SIGMA = "class_sigma";

    private Npz() {
    }

    /**
     * An array: its shape and its values in C order; or a text array (numpy's {@code <U} or {@code |S} dtype, as
     * {@code np.savez(..., name="text")} stores a string), whose first element is {@code text} and whose
     * {@code values} are empty.
     */
    public record Array(long[] shape, double[] values, String text) {
        public Array(long[] shape, double[] values) {
            this(shape, values, null);
        }

        /** A numpy string scalar (shape ()), as {@code np.savez(f, name="...")} writes one. */
        public static Array text(String text) {
            return new Array(new long[0], new double[0], text);
        }
    }

    /** The text of a string array of the archive, or null when it has none by that name or it is not text. */
    public static String text(Map<String, Array> arrays, String name) {
        Array a = arrays.get(name);
        return a == null ? null : a.text();
    }

    /** Reads every array of an archive, by name (without the {@code .npy} suffix). */
    public static Map<String, Array> read(InputStream in, String source) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                out.put(name, readNpy(entryBytes(zip, e), source + ":" + e.getName()));
            }
        }
        if (out.isEmpty()) {
            throw new IOException(source + ": not an .npz archive (no arrays found)");
        }
        return out;
    }

    /**
     * The bytes of the entry the stream is at: read straight into one array of the size its header gives (numpy
     * writes it), else grown as they come. A 32 MB σ then costs one fresh array instead of a chain of buffers and
     * their copy.
     */
    private static byte[] entryBytes(ZipInputStream zip, ZipEntry e) throws IOException {
        long size = e.getSize();
        if (size < 0 || size > (1L << 30)) {
            return zip.readAllBytes();
        }
        byte[] bytes = new byte[(int) size];
        int got = zip.readNBytes(bytes, 0, bytes.length);
        // Fewer bytes than the header says: what there is, for readNpy to report as truncated.
        return got == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, got);
    }

    /** A {@code .npy} header: dtype, shape (C order only). */
    public record Header(String descr, long[] shape) {
        /** The number of elements. */
        public long count() {
            long c = 1;
            for (long d : shape) {
                c *= d;
            }
            return c;
        }
    }

    /**
     * Reads a {@code .npy} header from a stream positioned at its start (an archive entry), leaving the stream at the
     * first value: for reading large arrays (images) in pieces without holding them.
     */
    public static Header header(java.io.InputStream in, String source) throws IOException {
        byte[] start = in.readNBytes(MAGIC.length + 2);
        for (int i = 0; i < MAGIC.length; i++) {
            if (start.length <= i || start[i] != MAGIC[i]) {
                throw new IOException(source + ": not a .npy array (bad magic)");
            }
        }
        if (start.length < MAGIC.length + 2) {
            throw new IOException(source + ": .npy header truncated");
        }
        int major = start[MAGIC.length];
        byte[] len = in.readNBytes(major == 1 ? 2 : 4);
        ByteBuffer lb = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = major == 1 ? Short.toUnsignedInt(lb.getShort()) : lb.getInt();
        byte[] text = in.readNBytes(Math.max(0, headerLength));
        if (headerLength < 0 || text.length != headerLength) {
            throw new IOException(source + ": .npy header truncated");
        }
        String header = new String(text, StandardCharsets.ISO_8859_1);
        if (group(FORTRAN, header, source, "fortran_order").equals("True")) {
            throw new IOException(source + ": fortran_order arrays are not supported, expected C order");
        }
        String shapeText = group(SHAPE, header, source, "shape").trim();
        long[] shape = shapeText.isEmpty() ? new long[0]
                : java.util.Arrays.stream(shapeText.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        return new Header(group(DESCR, header, source, "descr"), shape);
    }

    /** The shape as numpy prints it, e.g. {@code (3, 4)} or {@code (5,)}. */
    public static String describeShape(long[] shape) {
        return shape(shape);
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
        if (headerLength < 0 || headerLength > buf.remaining()) {
            throw new IOException(source + ": .npy header of " + headerLength + " bytes, but " + buf.remaining()
                    + " bytes follow (truncated?)");
        }
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
        java.util.regex.Matcher textType = Pattern.compile("([<>|])([US])(\\d+)").matcher(descr);
        if (textType.matches()) {
            int chars = Integer.parseInt(textType.group(3));
            boolean unicode = textType.group(2).equals("U");
            int width = unicode ? 4 * chars : chars;
            if (count < 1 || buf.remaining() < width) {
                throw new IOException(source + ": a text array of shape " + shape(shape) + " holds " + buf.remaining()
                        + " bytes, expected at least one " + descr + " element");
            }
            byte[] raw = new byte[width];
            buf.get(raw);
            String text = new String(raw, unicode ? (textType.group(1).equals(">")
                    ? java.nio.charset.Charset.forName("UTF-32BE") : java.nio.charset.Charset.forName("UTF-32LE"))
                    : StandardCharsets.ISO_8859_1);
            int end = text.indexOf('\0');
            return new Array(shape, new double[0], end < 0 ? text : text.substring(0, end));
        }
        double[] values = new double[Math.toIntExact(count)];
        int width = switch (descr) {
            case "<f8", "<i8" -> 8;
            case "<f4", "<i4" -> 4;
            default -> 1;
        };
        if (buf.remaining() < count * width) {
            throw new IOException(source + ": holds " + buf.remaining() + " bytes of values, expected " + count * width
                    + " for shape " + shape(shape) + " of " + descr + " (truncated?)");
        }
        switch (descr) {
            case "<f8" -> buf.asDoubleBuffer().get(values);
            case "<f4" -> {
                java.nio.FloatBuffer floats = buf.asFloatBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = floats.get(i);
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
        if (a.text() != null) {
            return npyText(a.text());
        }
        StringBuilder shape = new StringBuilder();
        for (long d : a.shape()) {
            shape.append(d).append(", ");
        }
        String dims = a.shape().length == 1 ? a.shape()[0] + "," : shape.length() == 0 ? ""
                : shape.substring(0, shape.length() - 2);
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
        ByteArrayOutputStream bytes = npyHeader(dict);
        ByteBuffer values = ByteBuffer.allocate(a.values().length * 8).order(ByteOrder.LITTLE_ENDIAN);
        values.asDoubleBuffer().put(a.values());
        bytes.writeBytes(values.array());
        return bytes.toByteArray();
    }

    /** The .npy version 1.0 preamble: magic, version, and the header dict padded with spaces to 64 bytes. */
    private static ByteArrayOutputStream npyHeader(String dict) {
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
        return bytes;
    }

    /** A numpy string scalar: dtype {@code <U<length>} (UTF-32LE), shape (). */
    private static byte[] npyText(String text) {
        int chars = Math.max(1, text.codePointCount(0, text.length()));
        String dict = "{'descr': '<U" + chars + "', 'fortran_order': False, 'shape': (), }";
        ByteArrayOutputStream bytes = npyHeader(dict);
        byte[] utf32 = text.getBytes(java.nio.charset.Charset.forName("UTF-32LE"));
        bytes.writeBytes(utf32);
        bytes.writeBytes(new byte[4 * chars - utf32.length]);
        return bytes.toByteArray();
    }

    /** Reference statistics as pytorch-fid and EDM write them: {@code mu} [D], {@code sigma} [D, D]. */
    public static Gaussian gaussian(Map<String, Array> arrays, String source) throws IOException {
        Array mu = arrays.get("mu");
        Array sigma = arrays.get("sigma");
        if (mu == null || sigma == null) {
            throw new IOException(source + ": arrays " + arrays.keySet() + ", expected 'mu' and 'sigma'");
        }
        if (mu.shape().length != 1 || mu.shape()[0] < 1) {
            throw new IOException(source + ": mu has shape " + shape(mu.shape()) + ", expected (D,), one mean per "
                    + "feature");
        }
        int d = mu.values().length;
        if (sigma.shape().length != 2 || sigma.shape()[0] != d || sigma.shape()[1] != d) {
            throw new IOException(source + ": sigma has shape " + shape(sigma.shape()) + ", expected (" + d + ", " + d
                    + ") to match mu's " + d + " features");
        }
        requireFinite(mu.values(), source, "mu", 1);
        requireFinite(sigma.values(), source, "sigma", d);
        double[] factor = requireCovariance(sigma.values(), d, source);
        long n = 0;
        if (arrays.containsKey("n")) {
            double[] nv = arrays.get("n").values();
            if (nv.length != 1 || !(nv[0] >= 0) || nv[0] != Math.rint(nv[0]) || nv[0] > Long.MAX_VALUE) {
                throw new IOException(source + ": n = " + java.util.Arrays.toString(nv) + ", expected one sample "
                        + "count >= 0");
            }
            n = (long) nv[0];
        }
        return new Gaussian(mu.values(), sigma.values(), n, factor);
    }

    /** Tolerance of the symmetry check, relative to the largest |σ_ij|: float32 round-off of a covariance is ~1e-7. */
    static final double SYMMETRY_TOLERANCE = 1e-5;

    /** Tolerance of the PSD check: the smallest eigenvalue must be at least −this · trace(σ). */
    static final double PSD_TOLERANCE = 1e-6;

    /**
     * A covariance as FID needs it: symmetric (max |σ_ij − σ_ji| ≤ {@value #SYMMETRY_TOLERANCE} · max |σ_ij|) and
     * positive semi-definite (smallest eigenvalue ≥ −{@value #PSD_TOLERANCE} · trace), so that neither half of it is
     * silently ignored nor a negative eigenvalue silently clamped. PSD is checked by a Cholesky factorisation of σ
     * (positive definite, the usual case), else of σ + tol · trace · I; only when both fail are the eigenvalues
     * computed (LAPACK), to say by how much.
     *
     * @return σ's lower Cholesky factor when σ is positive definite (the factor the Fréchet distance to it uses,
     *         so that it is not computed twice), else null
     */
    static double[] requireCovariance(double[] s, int d, String source) throws IOException {
        double scale = 0;
        for (double v : s) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = -1;
        int wi = 0;
        int wj = 0;
        // In square tiles, so that the transposed reads stay in cache (a plain row scan reads σ's columns with a
        // stride of D values, a cache and TLB miss each at D = 2048); the first worst pair in row order is kept.
        int tile = 64;
        for (int i0 = 0; i0 < d; i0 += tile) {
            for (int j0 = i0; j0 < d; j0 += tile) {
                for (int i = i0; i < Math.min(d, i0 + tile); i++) {
                    for (int j = Math.max(j0, i + 1); j < Math.min(d, j0 + tile); j++) {
                        double diff = Math.abs(s[i * d + j] - s[j * d + i]);
                        if (diff > worst || (diff == worst && (i < wi || (i == wi && j < wj)))) {
                            worst = diff;
                            wi = i;
                            wj = j;
                        }
                    }
                }
            }
        }
        if (worst > SYMMETRY_TOLERANCE * scale) {
            throw new IOException(source + ": sigma is not symmetric: sigma[" + wi + ", " + wj + "] = "
                    + s[wi * d + wj] + " but sigma[" + wj + ", " + wi + "] = " + s[wj * d + wi] + ", expected a "
                    + "covariance, symmetric to " + SYMMETRY_TOLERANCE + " x max|sigma| (" + scale + ")");
        }
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += s[i * d + i];
        }
        if (trace > 0) {
            double[] l = org.diffsweep.linalg.Lapack.cholesky(s, d);
            if (l != null) {
                return l;
            }
        }
        double tol = PSD_TOLERANCE * Math.max(trace, 0);
        double[] shifted = s.clone();
        for (int i = 0; i < d; i++) {
            shifted[i * d + i] += tol;
        }
        if (trace > 0 && org.diffsweep.linalg.Lapack.cholesky(shifted, d) != null) {
            return null;
        }
        double smallest = org.diffsweep.linalg.Lapack.symmetricEigenvalues(s, d)[0];
        if (!(smallest >= -tol)) {
            throw new IOException(source + ": sigma is not positive semi-definite: its smallest eigenvalue is "
                    + String.format(java.util.Locale.ROOT, "%.4g (trace %.4g)", smallest, trace) + ", expected a covariance, eigenvalues >= -" + PSD_TOLERANCE
                    + " x trace");
        }
        return null;
    }

    private static void requireFinite(double[] v, String source, String name, int cols) throws IOException {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                String at = cols == 1 ? "[" + i + "]" : "[" + i / cols + ", " + i % cols + "]";
                throw new IOException(source + ": " + name + at + " = " + v[i] + ", expected finite values");
            }
        }
    }

    private static String shape(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
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

    /**
     * The per-class arrays ({@link #CLASS_N}, {@link #CLASS_MU}, {@link #CLASS_SIGMA}) of per-class sums, all of
     * dimension D; a null entry is a class without images.
     */
    public static Map<String, Array> ofClasses(FeatureStats[] byClass, int dim) {
        int k = byClass.length;
        double[] n = new double[k];
        double[] mu = new double[k * dim];
        double[] sigma = new double[Math.multiplyExact(k, dim * dim)];
        for (int c = 0; c < k; c++) {
            FeatureStats s = byClass[c];
            if (s == null || s.count() == 0) {
                continue;
            }
            n[c] = s.count();
            System.arraycopy(s.mean(), 0, mu, c * dim, dim);
            if (s.count() >= 2) {
                System.arraycopy(s.covariance(), 0, sigma, c * dim * dim, dim * dim);
            }
        }
        Map<String, Array> m = new LinkedHashMap<>();
        m.put(CLASS_N, new Array(new long[] {k}, n));
        m.put(CLASS_MU, new Array(new long[] {k, dim}, mu));
        m.put(CLASS_SIGMA, new Array(new long[] {k, dim, dim}, sigma));
        return m;
    }

    /**
     * The per-class reference statistics of an archive, or null when it has none ({@link #CLASS_N} absent): one
     * Gaussian per class, null for a class of fewer than 2 images. Checked as {@link #gaussian} checks mu and sigma.
     *
     * @param dim the features of the archive's {@code mu}
     */
    public static Gaussian[] classGaussians(Map<String, Array> arrays, int dim, String source) throws IOException {
        Array n = arrays.get(CLASS_N);
        if (n == null) {
            return null;
        }
        Array mu = arrays.get(CLASS_MU);
        Array sigma = arrays.get(CLASS_SIGMA);
        if (n.shape().length != 1 || mu == null || sigma == null) {
            throw new IOException(source + ": " + CLASS_N + " of shape " + shape(n.shape()) + " with "
                    + (mu == null ? "no " + CLASS_MU : CLASS_MU) + " and " + (sigma == null ? "no " + CLASS_SIGMA
                    : CLASS_SIGMA) + ", expected " + CLASS_N + " (K,), " + CLASS_MU + " (K, D), " + CLASS_SIGMA
                    + " (K, D, D)");
        }
        int k = (int) n.shape()[0];
        if (!java.util.Arrays.equals(mu.shape(), new long[] {k, dim})
                || !java.util.Arrays.equals(sigma.shape(), new long[] {k, dim, dim})) {
            throw new IOException(source + ": " + CLASS_MU + " " + shape(mu.shape()) + " and " + CLASS_SIGMA + " "
                    + shape(sigma.shape()) + ", expected (" + k + ", " + dim + ") and (" + k + ", " + dim + ", " + dim
                    + ") for " + k + " classes of " + dim + " features");
        }
        Gaussian[] out = new Gaussian[k];
        for (int c = 0; c < k; c++) {
            double count = n.values()[c];
            if (!(count >= 0) || count != Math.rint(count)) {
                throw new IOException(source + ": " + CLASS_N + "[" + c + "] = " + count + ", expected a count >= 0");
            }
            if (count < 2) {
                continue;
            }
            double[] m = java.util.Arrays.copyOfRange(mu.values(), c * dim, (c + 1) * dim);
            double[] s = java.util.Arrays.copyOfRange(sigma.values(), c * dim * dim, (c + 1) * dim * dim);
            requireFinite(m, source, CLASS_MU + "[" + c + "]", 1);
            requireFinite(s, source, CLASS_SIGMA + "[" + c + "]", dim);
            double[] factor = requireCovariance(s, dim, source + " (" + CLASS_SIGMA + "[" + c + "])");
            out[c] = new Gaussian(m, s, (long) count, factor);
        }
        return out;
    }
}
