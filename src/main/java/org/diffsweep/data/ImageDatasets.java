package org.diffsweep.data;

import org.apache.hadoop.conf.Configuration;

/** Opens a data set by its format, or guesses the format from the path. */
public final class ImageDatasets {

    public static final String FORMATS = "idx, png (folder or .zip), cifar10, npz (uint8 images [N, H, W, C])";

    private ImageDatasets() {
    }

    public static ImageDataset open(String path, String format, Configuration conf) {
        String f = format != null ? format : guess(path);
        return switch (f) {
            case "idx" -> new IdxDataset(path, conf);
            case "png" -> new PngDataset(path, conf);
            case "cifar10" -> new CifarDataset(path, conf);
            case "npz" -> new NpzDataset(path, conf);
            default -> throw new IllegalArgumentException("data set format '" + f + "', expected one of: " + FORMATS);
        };
    }

    static String guess(String path) {
        String p = path.toLowerCase(java.util.Locale.ROOT);
        if (p.contains("idx3-ubyte")) {
            return "idx";
        }
        if (p.endsWith(".bin")) {
            return "cifar10";
        }
        if (p.endsWith(".npz")) {
            return "npz";
        }
        return "png";
    }
}
