package org.diffsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The band plot is a valid PNG of the stated size, on log and linear axes, with or without decorations. */
class BandPlotTest {

    @Test
    void writesAPngOfTheStatedSize() throws Exception {
        int n = 50;
        double[] x = new double[n];
        double[] y = new double[n];
        double[] lo = new double[n];
        double[] hi = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 80 * Math.pow(0.002 / 80, i / (n - 1.0));
            y[i] = 0.8 - 0.2 * Math.exp(-x[i] / 0.05);
            lo[i] = y[i] - 0.01;
            hi[i] = y[i] + 0.01;
        }
        y[3] = Double.NaN;
        BandPlot.Band band = new BandPlot.Band("r", x, y, lo, hi);
        for (boolean logX : new boolean[] {true, false}) {
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            BandPlot.write("title", logX ? "subtitle" : null, "sigma", "r", band,
                    logX ? List.of(new BandPlot.Reference("sqrt(2/pi)", Math.sqrt(2 / Math.PI))) : List.of(),
                    logX ? List.of(new BandPlot.Span("truncated", x[n - 1], x[n - 6])) : List.of(), logX, png);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
            assertNotNull(image, "not a PNG");
            assertEquals(BandPlot.WIDTH, image.getWidth());
            assertEquals(BandPlot.HEIGHT, image.getHeight());
        }
        assertThrows(IllegalArgumentException.class, () -> new BandPlot.Band("r", x, y, lo, new double[3]));
    }
}
