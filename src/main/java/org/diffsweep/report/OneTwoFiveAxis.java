package org.diffsweep.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/**
 * A base-10 logarithmic axis a reader can read: ticks at 1, 2 and 5 × 10^k (only 1 × 10^k when the range spans
 * more than four decades), labelled as plain numbers (0.002, 0.5, 20, 1000) instead of JFreeChart's default of
 * evenly spaced logarithms (251.189, 199.526, ...).
 */
public final class OneTwoFiveAxis extends LogAxis {

    private static final long serialVersionUID = 1L;

    /** Ticks at these values (ascending), or null for 1, 2, 5 × 10^k. */
    private final double[] fixed;

    public OneTwoFiveAxis(String label) {
        this(label, null);
    }

    /**
     * A logarithmic axis labelled at exactly the given values (NFE budgets: 5, 10, 20, 50), its range a little
     * wider than theirs so that no marker sits on the frame.
     */
    public OneTwoFiveAxis(String label, double[] values) {
        super(label);
        setBase(10);
        setSmallestValue(1e-12);
        this.fixed = values == null ? null : values.clone();
        if (fixed != null && fixed.length > 0) {
            java.util.Arrays.sort(fixed);
            setAutoRange(false);
            setRange(fixed[0] / 1.15, fixed[fixed.length - 1] * 1.15);
        }
    }

    /** The values this axis ticks in [lo, hi]. */
    public double[] tickValues(double lo, double hi) {
        if (fixed == null) {
            return ticks(lo, hi);
        }
        return java.util.Arrays.stream(fixed).filter(v -> v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)).toArray();
    }

    /** The tick values in [lo, hi], ascending. */
    public static double[] ticks(double lo, double hi) {
        if (!(lo > 0) || !(hi >= lo) || !Double.isFinite(hi)) {
            return new double[0];
        }
        int first = (int) Math.floor(Math.log10(lo));
        int last = (int) Math.ceil(Math.log10(hi));
        double[] mantissas = last - first > 4 ? new double[] {1} : new double[] {1, 2, 5};
        List<Double> out = new ArrayList<>();
        for (int k = first; k <= last; k++) {
            for (double m : mantissas) {
                double v = new BigDecimal(m).scaleByPowerOfTen(k).doubleValue();
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) {
                    out.add(v);
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A tick's label: the shortest plain decimal of the value (scientific past 10^6 or below 10^-4). */
    public static String label(double v) {
        if (v >= 1e6 || v < 1e-4) {
            return new java.text.DecimalFormat("0E0").format(v);
        }
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    @Override
    public List<ValueTick> refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
        List<ValueTick> ticks = new ArrayList<>();
        boolean vertical = RectangleEdge.isLeftOrRight(edge);
        for (double v : tickValues(getLowerBound(), getUpperBound())) {
            TextAnchor anchor;
            TextAnchor rotation;
            if (vertical) {
                anchor = edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT : TextAnchor.CENTER_LEFT;
                rotation = anchor;
            } else {
                anchor = edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER;
                rotation = TextAnchor.CENTER;
            }
            ticks.add(new NumberTick(v, label(v), anchor, rotation, 0.0));
        }
        return ticks;
    }
}
