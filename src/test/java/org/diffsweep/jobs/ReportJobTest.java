package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's text handling: every string is escaped, and the jobs' CSV files read back field for field. */
class ReportJobTest {

    @Test
    void escapesEveryMarkupCharacter() {
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", ReportJob.esc("a <b> & \"c\" 'd'"));
        assertEquals("", ReportJob.esc(null));
    }

    @Test
    void readsQuotedFieldsWithCommasAndQuotes() {
        List<Map<String, String>> rows = ReportJob.csv("config_id,grid,fid\n"
                + "heun_x,\"edm(rho=7,sigma_min=0.002)\",1.5\n" + "a,\"say \"\"hi\"\"\",\n");
        assertEquals(2, rows.size());
        assertEquals("edm(rho=7,sigma_min=0.002)", rows.get(0).get("grid"));
        assertEquals("1.5", rows.get(0).get("fid"));
        assertEquals("say \"hi\"", rows.get(1).get("grid"));
        assertEquals("", rows.get(1).get("fid"));
    }

    /** A metrics.csv row as the job writes it: every number with 17 significant digits. */
    private static java.util.Map<String, String> metricsRow(String id, String sampler, int nfe, String kid,
                                                            String kidSe, String p, String r) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("config_id", id);
        m.put("sampler", sampler);
        m.put("grid", "edm(rho=7,sigma_min=0.002,sigma_max=80)");
        m.put("nfe_requested", Integer.toString(nfe));
        m.put("nfe", Integer.toString(nfe));
        m.put("n_generated", "1000");
        m.put("n_real", "10000");
        m.put("kid_mean", kid);
        m.put("kid_sd", "0.024881234567891234");
        m.put("kid_subsets", "100");
        m.put("kid_subset_size", "500");
        m.put("precision_generated_in_real", p);
        m.put("recall_real_in_generated", r);
        m.put("pr_k", "3");
        m.put("pr_n_real", "1000");
        m.put("pr_n_generated", "1000");
        m.put("metrics_seed", "0");
        m.put("real_features", "fmnist-train-features.features.parquet (10000 rows, 0123456789ab)");
        m.put("detector", "fmnist-features.pt@abcdef012345");
        m.put("kid_se", kidSe);
        m.put("precision_se", "0.012345678901234567");
        m.put("recall_se", "0.023456789012345678");
        m.put("jackknife_groups", "10");
        return m;
    }

    /**
     * The KID/P&R section is pivoted like the FID table, its cells to a few significant digits with ± SE, with the
     * subset sizes, the seed and the detector's hash stated; no 17-digit number reaches the page.
     */
    @Test
    void metricsCellsAreRoundedWithTheirErrorsAndTheirProvenance() throws Exception {
        StringBuilder h = new StringBuilder();
        var rows = java.util.List.of(
                metricsRow("a", "euler", 5, "0.31234567890123456", "0.025123456789012345", "0.73012345678901234",
                        "0.22012345678901234"),
                metricsRow("b", "euler", 10, "0.10512345678901234", "0.016123456789012345", "0.81012345678901234",
                        "0.60012345678901234"));
        rows.get(1).put("density", "0.91234567890123456");
        rows.get(1).put("density_se", "0.031234567890123456");
        rows.get(1).put("coverage", "0.71234567890123456");
        rows.get(1).put("coverage_se", "0.021234567890123456");
        rows.get(1).put("is_mean", "5.2043273116862480");
        rows.get(1).put("is_sd", "0.61785309448830320");
        rows.get(1).put("is_splits", "10");
        rows.get(1).put("is_variant", "torch-fidelity");
        rows.get(0).put("is_splits", "10"); // the provenance is read from the first row
        rows.get(0).put("is_variant", "torch-fidelity");
        java.util.Map<String, String> diff = new java.util.LinkedHashMap<>();
        diff.put("comparison", "b vs a");
        diff.put("nfe_requested", "10");
        diff.put("kid_difference", "-0.20722222222222222");
        diff.put("kid_difference_se", "0.0101234567890123");
        diff.put("precision_difference", "0.080000000000000016");
        diff.put("precision_difference_se", "0.05");
        diff.put("recall_difference", "");
        diff.put("recall_difference_se", "");
        ReportJob.metricsTable(h, rows, java.util.List.of(diff), new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"code_version\":\"diffsweep 1 (x)\",\"finished\":\"2026-01-01T00:00:00Z\"}"));
        String html = h.toString();
        assertTrue(html.contains("<td class=\"num\">0.312 ± 0.025 · 0.730 ± 0.012 · 0.220 ± 0.023</td>"), html);
        assertTrue(html.contains("<th>NFE 10: KID · P · R · D · C · IS</th>"), html);
        assertTrue(html.contains("0.600 ± 0.023 · 0.912 ± 0.031 · 0.712 ± 0.021 · IS 5.204</td>"), html);
        assertTrue(html.contains("variant torch-fidelity, 10 splits"), html);
        assertTrue(html.contains("-0.207 ± 0.010 *"), html);
        assertTrue(html.contains("+0.0800 ± 0.050<"), html);
        assertTrue(html.contains("100 subsets of 500 real and 500 generated features"), html);
        assertTrue(html.contains("k = 3, subsamples of 1000 real and 1000 generated features"), html);
        assertTrue(html.contains("fmnist-features.pt@abcdef012345"), html);
        assertTrue(html.contains("<dt>seed</dt><dd>0 "), html);
        assertTrue(!java.util.regex.Pattern.compile("\\d\\.\\d{9,}").matcher(html).find(),
                "no long raw number: " + html);
    }

    /**
     * A class-conditional sweep's grid is shown by class: a grid drawn here as the sweep writes it (8 per row, 2-pixel
     * gaps, seed order), each sample a flat grey of its own, comes back as one row per class, headed by the class,
     * holding the first samples of that class (at most 8) in seed order.
     */
    @Test
    void gridsOfAConditionalSweepAreArrangedByClass() throws Exception {
        int count = 23;
        int h = 3;
        int w = 2;
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i < 12 ? 2 : i % 3 == 0 ? 0 : 4; // class 2 has 12 samples (8 shown); class 1 and 3 none
        }
        int rows = (count + 7) / 8;
        java.awt.image.BufferedImage grid = new java.awt.image.BufferedImage(8 * (w + 2) + 2, rows * (h + 2) + 2,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int n = 0; n < count; n++) {
            int v = 10 * n + 5;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    grid.setRGB(2 + (n % 8) * (w + 2) + x, 2 + (n / 8) * (h + 2) + y, v << 16 | v << 8 | v);
                }
            }
        }
        StringBuilder html = new StringBuilder();
        ReportJob.classGrid(html, grid, labels, h, w, "cfg<1>");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<tr><th>(\\d+)</th><td><img class=\"strip\" "
                + "alt=\"([^\"]*)\" src=\"data:image/png;base64,([^\"]+)\"></td></tr>").matcher(html);
        Map<Integer, List<Integer>> shown = new java.util.LinkedHashMap<>();
        while (m.find()) {
            assertTrue(m.group(2).contains("cfg&lt;1&gt;"), m.group(2));
            java.awt.image.BufferedImage strip = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                    java.util.Base64.getDecoder().decode(m.group(3))));
            List<Integer> seeds = new java.util.ArrayList<>();
            for (int i = 0; 2 + i * (w + 2) < strip.getWidth(); i++) {
                int v = strip.getRGB(2 + i * (w + 2) + 1, 2 + h - 1) & 0xff;
                seeds.add((v - 5) / 10);
            }
            shown.put(Integer.parseInt(m.group(1)), seeds);
        }
        assertEquals(Map.of(0, List.of(12, 15, 18, 21), 2, List.of(0, 1, 2, 3, 4, 5, 6, 7),
                4, List.of(13, 14, 16, 17, 19, 20, 22)), shown);
        assertEquals(List.of(0, 2, 4), List.copyOf(shown.keySet()), "classes in ascending order");
    }

    /**
     * The per-class table is pivoted like the FID table (a row per config, a column per class), each cell FID ± SE
     * to a few digits with its n and flag; no 17-digit number reaches the page.
     */
    @Test
    void perClassTableIsPivotedAndRounded() {
        List<Map<String, String>> rows = new java.util.ArrayList<>();
        String[][] values = {{"0", "12.345678901234567", "0.51234567890123456", "40", ""},
            {"1", "NaN", "NaN", "1", "n<2"}, {"2", "30.123456789012345", "NaN", "5", "n<=D"}};
        for (String[] v : values) {
            Map<String, String> r = new java.util.LinkedHashMap<>();
            r.put("config_id", "euler_edm_nfe10");
            r.put("sampler", "euler");
            r.put("grid", "edm(rho=7)");
            r.put("nfe_requested", "10");
            r.put("nfe", "9");
            r.put("label", v[0]);
            r.put("n", v[3]);
            r.put("fid", v[1]);
            r.put("fid_se", v[2]);
            r.put("flag", v[4]);
            r.put("n_reference", "6000");
            rows.add(r);
        }
        StringBuilder h = new StringBuilder();
        ReportJob.classTable(h, rows);
        String html = h.toString();
        assertTrue(html.contains("<th>class 0</th><th>class 1</th><th>class 2</th>"), html);
        assertTrue(html.contains("<td class=\"num\">10 (9)</td><td class=\"num\">12.35 ± 0.51 (n 40)</td>"
                + "<td class=\"num\">– (n 1) n&lt;2</td><td class=\"num\">30.12 (n 5) n&lt;=D</td>"), html);
        assertTrue(!java.util.regex.Pattern.compile("\\d\\.\\d{9,}").matcher(html).find(), html);

        List<Map<String, String>> kid = new java.util.ArrayList<>();
        for (String[] v : new String[][] {{"0", "0.012345678901234567", "0.0023456789012345678", "40", "38"},
            {"1", "", "", "1", "30"}}) {
            Map<String, String> r = new java.util.LinkedHashMap<>(rows.get(0));
            r.put("label", v[0]);
            r.put("kid_mean", v[1]);
            r.put("kid_se", v[2]);
            r.put("n_generated", v[3]);
            r.put("n_real", v[4]);
            kid.add(r);
        }
        StringBuilder k = new StringBuilder();
        ReportJob.kidClassTable(k, kid);
        assertTrue(k.toString().contains("<td class=\"num\">0.0123 ± 0.0023 (n 40, real 38)</td>"
                + "<td class=\"num\">– (n 1, real 30)</td>"), k.toString());
    }

    /** Long identifiers wrap between any characters only where they must, not in the middle of every word. */
    @Test
    void styleWrapsOnlyWhereNeededAndTheFooterNamesTheProgramOnce() {
        assertTrue(ReportJob.CSS.contains("overflow-wrap: anywhere"), ReportJob.CSS);
        assertTrue(!ReportJob.CSS.contains("break-all"), ReportJob.CSS);
        String footer = ReportJob.footer();
        assertTrue(footer.startsWith("<footer>Written by diffsweep ") && !footer.contains("diffsweep diffsweep"),
                footer);
    }

    @Test
    void processRecordsAreWrittenAsAReaderWouldWriteThem() {
        assertEquals("edm (sigma_min 0.002, sigma_max 80)",
                ReportJob.process("EdmProcess[sigmaMinValue=0.002, sigmaMaxValue=80.0]"));
        assertEquals("vp (beta_min 0.1, beta_max 20)", ReportJob.process("VpProcess[betaMin=0.1, betaMax=20.0]"));
        assertEquals("something else", ReportJob.process("something else"));
    }
}
