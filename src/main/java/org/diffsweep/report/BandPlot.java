package org.diffsweep.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * A PNG plot of one curve with a shaded band around it (e.g. ± 2 standard errors), horizontal reference lines
 * and shaded x ranges (JFreeChart, headless), {@value #WIDTH} × {@value #HEIGHT} pixels.
 */
public final class BandPlot {

    public static final int WIDTH = 900;
    public static final int HEIGHT = 600;

    private static final Color CURVE = new Color(0x1f, 0x77, 0xb4);
    private static final Color REFERENCE = new Color(0xd6, 0x27, 0x28);

    private BandPlot() {
    }

    /** The curve y(x) and its band [lower, upper], point for point. */
    public record Band(String label, double[] x, double[] y, double[] lower, double[] upper) {

        public Band {
            if (y.length != x.length || lower.length != x.length || upper.length != x.length) {
                throw new IllegalArgumentException("band plot '" + label + "': " + x.length + " x, " + y.length
                        + " y, " + lower.length + " lower and " + upper.length + " upper values, expected as many");
            }
        }
    }

    /** A horizontal line at y across the curve's x range, in the legend as {@code label}. */
    public record Reference(String label, double y) {
    }

    /** A shaded x range [from, to] (either order), labelled on the plot. */
    public record Span(String label, double from, double to) {
    }

    /**
     * Writes the plot. Points with a non-finite y or band, or with x ≤ 0 on a logarithmic x axis, are left out.
     *
     * @param subtitle a line under the title, or null
     */
    public static void write(String title, String subtitle, String xLabel, String yLabel, Band band,
                             List<Reference> references, List<Span> spans, boolean logX, OutputStream png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        YIntervalSeries curve = new YIntervalSeries(band.label(), true, true);
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < band.x().length; i++) {
            double x = band.x()[i];
            if ((!logX || x > 0) && Double.isFinite(x) && Double.isFinite(band.y()[i])
                    && Double.isFinite(band.lower()[i]) && Double.isFinite(band.upper()[i])) {
                curve.add(x, band.y()[i], band.lower()[i], band.upper()[i]);
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
            }
        }
        data.addSeries(curve);
        DeviationRenderer renderer = new DeviationRenderer(true, false);
        renderer.setSeriesPaint(0, CURVE);
        renderer.setSeriesFillPaint(0, CURVE);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        renderer.setAlpha(0.3f);
        for (int r = 0; r < references.size() && minX <= maxX; r++) {
            Reference ref = references.get(r);
            YIntervalSeries line = new YIntervalSeries(ref.label(), true, true);
            line.add(minX, ref.y(), ref.y(), ref.y());
            line.add(maxX, ref.y(), ref.y(), ref.y());
            data.addSeries(line);
            int i = data.getSeriesCount() - 1;
            renderer.setSeriesPaint(i, REFERENCE);
            renderer.setSeriesFillPaint(i, REFERENCE);
            renderer.setSeriesStroke(i, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
        }
        ValueAxis xAxis;
        if (logX) {
            xAxis = new OneTwoFiveAxis(xLabel);
        } else {
            xAxis = new NumberAxis(xLabel);
            ((NumberAxis) xAxis).setAutoRangeIncludesZero(false);
        }
        NumberAxis yAxis = new NumberAxis(yLabel);
        yAxis.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (Span span : spans) {
            double from = Math.min(span.from(), span.to());
            double to = Math.max(span.from(), span.to());
            if (logX && from <= 0) {
                continue;
            }
            IntervalMarker marker = new IntervalMarker(from, to, new Color(0.5f, 0.5f, 0.5f, 0.25f));
            marker.setLabel(span.label());
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            marker.setLabelAnchor(RectangleAnchor.BOTTOM_LEFT);
            marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
            plot.addDomainMarker(marker, Layer.BACKGROUND);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        if (subtitle != null) {
            chart.addSubtitle(new TextTitle(subtitle));
        }
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
    }
}
