package org.diffsweep.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
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

    private Plots() {
    }

    /**
     * A line plot with one series per entry: {@code series} maps a label to its points {x[], y[]}.
     * Points with y ≤ 0 are left out on a logarithmic y axis.
     */
    public static void lines(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                             boolean logX, boolean logY, OutputStream png) throws IOException {
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
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.writeChartAsPNG(png, chart, 900, 600);
    }

    /**
     * A line plot with error bars, log y against linear integer x: {@code series} maps a label to {x[], y[], se[]}; each point gets a bar
     * of ±2 SE (cut at y/100 below, where a log axis cannot go to 0). NaN SEs draw no bar.
     */
    public static void linesWithErrors(String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                       OutputStream png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        org.jfree.data.xy.YIntervalSeriesCollection data = new org.jfree.data.xy.YIntervalSeriesCollection();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            org.jfree.data.xy.YIntervalSeries s = new org.jfree.data.xy.YIntervalSeries(e.getKey(), false, true);
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            double[] se = e.getValue()[2];
            for (int i = 0; i < x.length; i++) {
                if (y[i] > 0 && Double.isFinite(y[i])) {
                    double d = Double.isFinite(se[i]) ? 2 * se[i] : 0;
                    s.add(x[i], y[i], Math.max(y[i] - d, y[i] / 100), y[i] + d);
                }
            }
            data.addSeries(s);
        }
        org.jfree.chart.renderer.xy.XYErrorRenderer renderer = new org.jfree.chart.renderer.xy.XYErrorRenderer();
        renderer.setDefaultLinesVisible(true);
        renderer.setDrawXError(false);
        renderer.setCapLength(6);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        NumberAxis x = linearAxis(xLabel);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new XYPlot(data, x, logAxis(yLabel), renderer);
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
