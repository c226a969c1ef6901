package org.diffsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.awt.BasicStroke;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The colour rule: a sampler's colour is fixed by its position among the config's samplers, in every plot. */
class PlotStylesTest {

    private static final List<String> SAMPLERS = List.of("euler", "heun", "dpmpp-2m", "deis(order=3)");

    @Test
    void aSamplerHasItsPositionsColourWhateverSeriesAPlotHas() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("euler | edm", "euler");
        all.put("heun | edm", "heun");
        all.put("dpmpp-2m | edm", "dpmpp-2m");
        all.put("deis | edm", "deis(order=3)");
        Map<String, Plots.Style> full = Plots.styles(SAMPLERS, all);
        for (int k = 0; k < SAMPLERS.size(); k++) {
            assertEquals(Plots.PALETTE[k], full.get(List.copyOf(all.keySet()).get(k)).colour());
        }
        // A plot with only some samplers, in another order (e.g. the oracle's ODE samplers): the same colours.
        Map<String, String> some = new LinkedHashMap<>();
        some.put("deis | edm", "deis(order=3)");
        some.put("heun | edm", "heun");
        Map<String, Plots.Style> part = Plots.styles(SAMPLERS, some);
        assertEquals(full.get("deis | edm").colour(), part.get("deis | edm").colour());
        assertEquals(full.get("heun | edm").colour(), part.get("heun | edm").colour());
    }

    @Test
    void gridsOfOneSamplerShareItsColourAndDifferInMarkerAndDash() {
        Map<String, String> series = new LinkedHashMap<>();
        series.put("euler | edm", "euler");
        series.put("euler | log-linear", "euler");
        series.put("heun | edm", "heun");
        series.put("heun | log-linear", "heun");
        Map<String, Plots.Style> s = Plots.styles(SAMPLERS, series);
        assertEquals(s.get("euler | edm").colour(), s.get("euler | log-linear").colour());
        assertNotEquals(s.get("euler | edm").colour(), s.get("heun | edm").colour());
        assertNotEquals(s.get("euler | edm").marker().getBounds2D(), s.get("euler | log-linear").marker()
                .getBounds2D());
        BasicStroke first = (BasicStroke) s.get("euler | edm").stroke();
        BasicStroke second = (BasicStroke) s.get("euler | log-linear").stroke();
        assertEquals(null, first.getDashArray());
        assertNotEquals(null, second.getDashArray());
        // The k-th grid looks the same whichever sampler it belongs to.
        assertEquals(s.get("euler | log-linear").marker().getBounds2D(), s.get("heun | log-linear").marker()
                .getBounds2D());
    }

    @Test
    void samplersBeyondThePaletteWrapAndUnknownOnesComeAfterTheConfigs() {
        Map<String, String> series = new LinkedHashMap<>();
        series.put("other", "other");
        assertEquals(Plots.PALETTE[SAMPLERS.size()], Plots.styles(SAMPLERS, series).get("other").colour());
        List<String> many = java.util.stream.IntStream.range(0, 12).mapToObj(i -> "s" + i).toList();
        Map<String, String> eleventh = Map.of("s10", "s10");
        assertEquals(Plots.PALETTE[0], Plots.styles(many, eleventh).get("s10").colour());
    }
}
