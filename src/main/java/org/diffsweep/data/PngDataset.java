package org.diffsweep.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * PNG images in a folder (recursively) or a zip, as EDM's dataset_tool writes them, in the sorted order of
 * their paths. All must share one size; grayscale images give 1 channel, colour ones 3 (alpha is dropped).
 */
public final class PngDataset implements ImageDataset {

    private static final long serialVersionUID = 1L;

    private final String path;
    private final Sources sources;
    private final boolean zip;
    private List<String> names;
    private int[] shape;

    public PngDataset(String path, Configuration conf) {
        this.path = path;
        this.sources = new Sources(conf);
        this.zip = path.toLowerCase(java.util.Locale.ROOT).endsWith(".zip");
    }

    private List<String> names() throws IOException {
        if (names != null) {
            return names;
        }
        List<String> out = new ArrayList<>();
        if (zip) {
            try (ZipInputStream in = new ZipInputStream(sources.open(path))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    if (!e.isDirectory() && e.getName().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
                        out.add(e.getName());
                    }
                }
            }
        } else {
            var fs = sources.fs(path);
            var it = fs.listFiles(new Path(path), true);
            while (it.hasNext()) {
                FileStatus f = it.next();
                if (f.getPath().getName().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
                    out.add(f.getPath().toString());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(path + ": no .png images found");
        }
        Collections.sort(out);
        names = out;
        return out;
    }

    @Override
    public long count() throws IOException {
        return names().size();
    }

    @Override
    public int[] shape() throws IOException {
        if (shape == null) {
            BufferedImage first = decode(read(List.of(names().get(0))).get(0), names().get(0));
            boolean gray = first.getColorModel().getNumColorComponents() == 1;
            shape = new int[] {gray ? 1 : 3, first.getHeight(), first.getWidth()};
        }
        return shape.clone();
    }

    @Override
    public byte[] read(long start, int n) throws IOException {
        int[] s = shape();
        int plane = s[1] * s[2];
        List<String> wanted = names().subList((int) start, (int) start + n);
        List<byte[]> files = read(wanted);
        byte[] out = new byte[n * s[0] * plane];
        for (int i = 0; i < n; i++) {
            BufferedImage img = decode(files.get(i), wanted.get(i));
            if (img.getHeight() != s[1] || img.getWidth() != s[2]) {
                throw new IOException(wanted.get(i) + ": " + img.getWidth() + "×" + img.getHeight() + ", expected "
                        + s[2] + "×" + s[1] + " like the first image");
            }
            for (int y = 0; y < s[1]; y++) {
                for (int x = 0; x < s[2]; x++) {
                    int rgb = img.getRGB(x, y);
                    int base = i * s[0] * plane + y * s[2] + x;
                    if (s[0] == 1) {
                        out[base] = (byte) img.getRaster().getSample(x, y, 0);
                    } else {
                        out[base] = (byte) (rgb >> 16);
                        out[base + plane] = (byte) (rgb >> 8);
                        out[base + 2 * plane] = (byte) rgb;
                    }
                }
            }
        }
        return out;
    }

    private List<byte[]> read(List<String> wanted) throws IOException {
        List<byte[]> out = new ArrayList<>();
        if (!zip) {
            for (String name : wanted) {
                try (InputStream in = sources.open(name)) {
                    out.add(in.readAllBytes());
                }
            }
            return out;
        }
        java.util.Map<String, byte[]> found = new java.util.HashMap<>();
        java.util.Set<String> set = new java.util.HashSet<>(wanted);
        try (ZipInputStream in = new ZipInputStream(sources.open(path))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null && found.size() < set.size(); ) {
                if (set.contains(e.getName())) {
                    found.put(e.getName(), in.readAllBytes());
                }
            }
        }
        for (String name : wanted) {
            out.add(found.get(name));
        }
        return out;
    }

    private static BufferedImage decode(byte[] bytes, String name) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        if (img == null) {
            throw new IOException(name + ": not a readable PNG");
        }
        return img;
    }

    @Override
    public String describe() {
        return (zip ? "png-zip:" : "png-folder:") + path;
    }
}
