package org.diffsweep.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.features.Images;

/** A PNG grid of samples (8 per row, 2-pixel gaps), their pixels as the detector sees them (docs/conventions.md). */
final class SampleGrid {

    private static final int COLUMNS = 8;
    private static final int GAP = 2;

    private SampleGrid() {
    }

    static void write(FileSystem fs, Path path, double[] samples, int count, int[] chw) throws IOException {
        int c = chw[0];
        int h = chw[1];
        int w = chw[2];
        int cols = Math.min(COLUMNS, count);
        int rows = (count + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * (w + GAP) + GAP, rows * (h + GAP) + GAP, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = Images.toRgbUint8(samples, count, c, h, w);
        int plane = h * w;
        for (int n = 0; n < count; n++) {
            int x0 = GAP + (n % cols) * (w + GAP);
            int y0 = GAP + (n / cols) * (h + GAP);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    int r = rgb[(n * 3) * plane + i] & 0xff;
                    int g = rgb[(n * 3 + 1) * plane + i] & 0xff;
                    int b = rgb[(n * 3 + 2) * plane + i] & 0xff;
                    img.setRGB(x0 + x, y0 + y, r << 16 | g << 8 | b);
                }
            }
        }
        Path tmp = new Path(path.getParent(), "_" + path.getName() + "." + java.util.UUID.randomUUID() + ".tmp");
        fs.mkdirs(path.getParent());
        try (OutputStream out = fs.create(tmp, true)) {
            ImageIO.write(img, "png", out);
        }
        fs.delete(path, false);
        if (!BlockRunner.commit(fs, tmp, path)) {
            fs.delete(tmp, false);
        }
    }
}
