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
