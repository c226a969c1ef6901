package org.diffsweep.data;

import org.apache.hadoop.conf.Configuration;

/** Opens a data set by its format, or guesses the format from the path. */
public final class ImageDatasets {

    public static final String FORMATS = "idx, png (folder or .zip), cifar10";

    private ImageDatasets() {
    }

    public static ImageDataset open(String path, String format, Configuration conf) {
        String f = format != null ? format : guess(path);
        return switch (f) {
            case "idx" -> new IdxDataset(path, conf);
            case "png" -> new PngDataset(path, conf);
            case "cifar10" -> new CifarDataset(path, conf);
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
        return "png";
    }
}
