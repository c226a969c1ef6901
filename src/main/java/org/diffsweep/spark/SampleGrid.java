package org.diffsweep.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.features.Images;

/**
 * A PNG grid of samples (8 per row, 2-pixel gaps), their pixels as the detector sees them (docs/conventions.md): the
 * first {@code grid_images} seeds of a config, in seed order, left to right, then top to bottom.
 */
public final class SampleGrid {

    private static final int COLUMNS = 8;
    private static final int GAP = 2;

    private SampleGrid() {
    }

    /**
     * The {@code count} samples of a grid written by {@link #write}, each an image of h × w, in seed order.
     *
     * @throws IllegalArgumentException when the grid is too small to hold them
     */
    public static BufferedImage[] tiles(BufferedImage grid, int count, int h, int w) {
        int cols = Math.min(COLUMNS, count);
        int rows = (count + cols - 1) / cols;
        if (grid.getWidth() < cols * (w + GAP) + GAP || grid.getHeight() < rows * (h + GAP) + GAP) {
            throw new IllegalArgumentException("a grid of " + grid.getWidth() + "x" + grid.getHeight() + " pixels, "
                    + "expected " + count + " samples of " + h + "x" + w);
        }
        BufferedImage[] out = new BufferedImage[count];
        for (int n = 0; n < count; n++) {
            out[n] = grid.getSubimage(GAP + (n % cols) * (w + GAP), GAP + (n / cols) * (h + GAP), w, h);
        }
        return out;
    }

    /** Samples side by side in one row, with the grid's gaps. */
    public static BufferedImage row(java.util.List<BufferedImage> tiles, int h, int w) {
        BufferedImage img = new BufferedImage(tiles.size() * (w + GAP) + GAP, h + 2 * GAP, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        try {
            for (int i = 0; i < tiles.size(); i++) {
                g.drawImage(tiles.get(i), GAP + i * (w + GAP), GAP, null);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Samples per row of a grid. */
    public static final int ROW = COLUMNS;

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
