package org.diffsweep.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG line plots of the jobs' results (JFreeChart, headless). */
public final class Plots {

    /**
     * One colour per sampler (Tableau 10, which stays apart for the common colour-vision deficiencies), by the
     * sampler's position among the config's samplers, so a sampler has the same colour in every plot of a run.
     */
    static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    /** The dash patterns of a sampler's 1st, 2nd, ... grid (null: solid). */
    private static final float[][] DASHES = {null, {8f, 4f}, {2f, 3f}, {10f, 3f, 2f, 3f}};

    private static final double MARKER = 4.5;

    /** How one series is drawn: its sampler's colour, and a marker and dash of its own among that sampler's. */
    public record Style(Color colour, Shape marker, Stroke stroke) {
    }

    private Plots() {
    }

    /**
     * The styles of series, each naming its sampler ({@code seriesSampler}: series label → sampler, in the plot's
     * series order): the colour is {@link #PALETTE}[k mod 10] for the sampler's position k in {@code samplers} (the
     * config's samplers in order, so that it does not depend on which series a plot has); the j-th series of one
     * sampler (its j-th grid) gets the j-th marker shape and dash pattern, so grids of a sampler differ in those.
     * A sampler not in {@code samplers} takes the next positions after them.
     */
    public static Map<String, Style> styles(List<String> samplers, Map<String, String> seriesSampler) {
        List<String> order = new ArrayList<>(samplers);
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Style> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : seriesSampler.entrySet()) {
            String sampler = e.getValue();
            if (!order.contains(sampler)) {
                order.add(sampler);
            }
            int k = order.indexOf(sampler);
            int j = seen.merge(sampler, 1, Integer::sum) - 1;
            out.put(e.getKey(), new Style(PALETTE[k % PALETTE.length], marker(j), stroke(j)));
        }
        return out;
    }

    /** The j-th marker: circle, square, up triangle, diamond, down triangle, then again. */
    static Shape marker(int j) {
        double s = MARKER;
        return switch (j % 5) {
            case 0 -> new Ellipse2D.Double(-s, -s, 2 * s, 2 * s);
            case 1 -> new Rectangle2D.Double(-s * 0.9, -s * 0.9, 1.8 * s, 1.8 * s);
            case 2 -> ShapeUtils.createUpTriangle((float) (s * 1.1));
            case 3 -> ShapeUtils.createDiamond((float) (s * 1.2));
            default -> ShapeUtils.createDownTriangle((float) (s * 1.1));
        };
    }

    /** The j-th line: solid, dashed, dotted, dash-dot, then again. */
    static Stroke stroke(int j) {
        float[] dash = DASHES[j % DASHES.length];
        return dash == null ? new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
    }

    /** Applies the styles (by series label, in the collection's order) to a renderer; a missing one keeps its default. */
    private static void apply(org.jfree.chart.renderer.xy.XYLineAndShapeRenderer renderer, List<String> labels,
                              Map<String, Style> styles) {
        for (int i = 0; i < labels.size(); i++) {
            renderer.setSeriesShapesVisible(i, true);
            renderer.setSeriesShapesFilled(i, true);
            Style st = styles == null ? null : styles.get(labels.get(i));
            if (st == null) {
                renderer.setSeriesStroke(i, new BasicStroke(2f));
                continue;
            }
            renderer.setSeriesPaint(i, st.colour());
            renderer.setSeriesFillPaint(i, st.colour());
            renderer.setSeriesShape(i, st.marker());
            renderer.setSeriesStroke(i, st.stroke());
        }
    }

    /**
     * A line plot with one series per entry: {@code series} maps a label to its points {x[], y[]}.
     * Points with y ≤ 0 are left out on a logarithmic y axis.
     */
    public static void lines(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                             boolean logX, boolean logY, OutputStream png) throws IOException {
        lines(title, xLabel, yLabel, series, null, logX, logY, png);
    }

    /** {@link #lines} with a style per series label ({@link #styles}); null: JFreeChart's defaults. */
    public static void lines(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                             Map<String, Style> styles, boolean logX, boolean logY, OutputStream png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey(), false, true);
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            for (int i = 0; i < x.length; i++) {
                if ((!logY || y[i] > 0) && Double.isFinite(y[i])) {
                    s.add(x[i], y[i]);
                }
            }
            data.addSeries(s);
        }
        ValueAxis xAxis = logX ? logAxis(xLabel) : linearAxis(xLabel);
        ValueAxis yAxis = logY ? logAxis(yLabel) : linearAxis(yLabel);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        apply(renderer, new ArrayList<>(series.keySet()), styles);
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.writeChartAsPNG(png, chart, 900, 600);
    }

    /**
     * A line plot with error bars, log y against log x labelled at each x value: {@code series} maps a label to {x[], y[], se[]}; each point gets a bar
     * of ±2 SE (cut at y/100 below, where a log axis cannot go to 0). NaN SEs draw no bar.
     */
    public static void linesWithErrors(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                       OutputStream png) throws IOException {
        linesWithErrors(title, xLabel, yLabel, series, null, png);
    }

    /**
     * {@link #linesWithErrors} with a style per series label ({@link #styles}); null: JFreeChart's defaults. Every
     * point is drawn with a marker at its x, so a point at an NFE other than its neighbours' budget shows as such.
     */
    public static void linesWithErrors(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                       Map<String, Style> styles, OutputStream png) throws IOException {
        linesWithErrors(title, xLabel, yLabel, series, styles, true, png);
    }

    /**
     * {@link #linesWithErrors} on a log or linear y axis (linear: bars are ±2 SE uncut, for values that may be 0 or
     * negative, as KID, precision and recall can be); x is logarithmic, labelled at every x a point has.
     */
    public static void linesWithErrors(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                       Map<String, Style> styles, boolean logY, OutputStream png) throws IOException {
        linesWithErrors(title, xLabel, yLabel, series, styles, logY, null, png);
    }

    /**
     * {@link #linesWithErrors} with the x axis labelled at {@code xTicks} (the NFE budgets, so that a point at 19 or
     * 49 evaluations sits just left of its budget's label instead of crowding it with a label of its own); null:
     * at every x a point has.
     */
    public static void linesWithErrors(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                       Map<String, Style> styles, boolean logY, double[] xTicks, OutputStream png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        org.jfree.data.xy.YIntervalSeriesCollection data = new org.jfree.data.xy.YIntervalSeriesCollection();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            org.jfree.data.xy.YIntervalSeries s = new org.jfree.data.xy.YIntervalSeries(e.getKey(), false, true);
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            double[] se = e.getValue()[2];
            for (int i = 0; i < x.length; i++) {
                if ((!logY || y[i] > 0) && Double.isFinite(y[i])) {
                    double d = Double.isFinite(se[i]) ? 2 * se[i] : 0;
                    s.add(x[i], y[i], logY ? Math.max(y[i] - d, y[i] / 100) : y[i] - d, y[i] + d);
                }
            }
            data.addSeries(s);
        }
        org.jfree.chart.renderer.xy.XYErrorRenderer renderer = new org.jfree.chart.renderer.xy.XYErrorRenderer();
        renderer.setDefaultLinesVisible(true);
        renderer.setDrawXError(false);
        renderer.setCapLength(6);
        apply(renderer, new ArrayList<>(series.keySet()), styles);
        java.util.TreeSet<Double> xs = new java.util.TreeSet<>();
        for (double[][] v : series.values()) {
            for (double x : v[0]) {
                xs.add(x);
            }
        }
        // Log NFE, labelled at every NFE a point has: budgets 5, 10, 20, 50 sit evenly apart instead of crowding at
        // the left of a linear axis.
        OneTwoFiveAxis x = new OneTwoFiveAxis(xLabel, xTicks != null ? xTicks
                : xs.stream().mapToDouble(Double::doubleValue).toArray());
        if (xTicks != null && !xs.isEmpty()) { // the range covers the points as well as the labels
            x.setRange(Math.min(xs.first(), x.getLowerBound() * 1.15) / 1.15,
                    Math.max(xs.last(), x.getUpperBound() / 1.15) * 1.15);
        }
        ValueAxis y = logY ? logAxis(yLabel) : linearAxis(yLabel);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, new java.awt.Font("SansSerif", java.awt.Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.writeChartAsPNG(png, chart, 1000, 700);
    }

    private static NumberAxis linearAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static LogAxis logAxis(String label) {
        return new OneTwoFiveAxis(label);
    }
}
