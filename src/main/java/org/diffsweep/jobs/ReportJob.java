package org.diffsweep.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.SweepLayout;

/**
 * The {@code report} job: one self-contained HTML page of a finished run, {@code OUT/report/index.html}, written
 * from the files the stages left (fid/fid.csv, fid/differences.csv, fid/fid-vs-nfe.png, fid/_COMPLETE,
 * metrics/metrics.csv, sweep/manifest.json, sweep/grids/*.png, and the plots beside the offline statistics the
 * config reads) on any Hadoop file system. Images are embedded as data: URIs, so the page alone is the report:
 * it loads nothing, runs no script, and can be mailed or archived as one file. Every string from the files is
 * HTML-escaped. Written under a temporary name and renamed into place.
 */
public final class ReportJob {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the samples become the detector's images (features/Images.java, EDM's generate.py). */
    static final String IMAGE_CONVENTION = "samples in [-1, 1] become uint8 as EDM's generate.py writes them: "
            + "(x·127.5 + 128) clipped to [0, 255] and truncated; 1 channel is repeated to RGB; the detector sees "
            + "uint8 [B, 3, H, W]";

    private ReportJob() {
    }

    /** Where the report goes: {@code OUT/report/index.html}. */
    public static Path index(SweepConfig config) {
        return new Path(new Path(new SweepLayout(config.output()).root(), "report"), "index.html");
    }

    /**
     * Writes the report of a finished run.
     *
     * @return the path of index.html
     * @throws ConfigException if the fid stage has not finished
     */
    public static Path run(Configuration conf, SweepConfig config) throws IOException {
        SweepLayout layout = new SweepLayout(config.output());
        FileSystem fs = layout.root().getFileSystem(conf);
        if (!fs.exists(layout.fidComplete())) {
            throw new ConfigException("report: the fid table " + layout.fidDir() + " is not complete, expected a "
                    + "finished fid stage (run 'diffsweep run' or 'diffsweep fid' first)");
        }
        Path index = index(config);
        try (org.diffsweep.spark.OutputLock lock = org.diffsweep.spark.OutputLock.acquire(layout.root(), conf,
                "report " + config.name(), java.time.Duration.ofSeconds(org.diffsweep.spark.OutputLock.DEFAULT_TIMEOUT_S))) {
            String html = html(fs, conf, config, layout);
            OutputFiles.write(fs, index, out -> out.write(html.getBytes(StandardCharsets.UTF_8)));
        }
        System.out.println("report " + config.name() + ": written to " + index);
        return index;
    }

    static String html(FileSystem fs, Configuration conf, SweepConfig config, SweepLayout layout) throws IOException {
        JsonNode manifest = fs.exists(layout.manifest()) ? JSON.readTree(text(fs, layout.manifest())) : null;
        JsonNode fidDone = JSON.readTree(text(fs, layout.fidComplete()));
        List<Map<String, String>> fid = csv(text(fs, new Path(layout.fidDir(), "fid.csv")));
        Path differencesFile = new Path(layout.fidDir(), "differences.csv");
        List<Map<String, String>> differences = fs.exists(differencesFile) ? csv(text(fs, differencesFile)) : List.of();
        Path byClassFile = new Path(layout.fidDir(), "fid-by-class.csv");
        List<Map<String, String>> byClass = fs.exists(byClassFile) ? csv(text(fs, byClassFile))
                : List.of();
        Path kidByClassFile = new Path(layout.metricsDir(), "kid-by-class.csv");
        List<Map<String, String>> kidByClass = fs.exists(layout.metricsComplete()) && fs.exists(kidByClassFile)
                ? csv(text(fs, kidByClassFile)) : List.of();
        Path metricsFile = new Path(layout.metricsDir(), "metrics.csv");
        List<Map<String, String>> metrics = fs.exists(layout.metricsComplete()) && fs.exists(metricsFile)
                ? csv(text(fs, metricsFile)) : List.of();
        if (config.multiDetector()) {
            // The report shows the first detector's column group under the single-detector names; fid.csv, fid.md
            // and metrics.csv hold every detector's.
            org.diffsweep.config.DetectorSpec d = config.resolveFiles(p -> org.diffsweep.spark.ModelFiles.sha256(p,
                    conf)).detectors().get(0);
            String g = FidJob.group(d);
            fid = renamed(fid, Map.of("fid", g, "fid_se", g + "_se", "detector", d.name() + "_detector",
                    "n_reference", d.name() + "_n_reference", "reference", d.name() + "_reference"));
            differences = renamed(differences, Map.of("candidate_fid", g + "_candidate", "baseline_fid",
                    g + "_baseline", "difference", g + "_difference", "difference_se", g + "_difference_se"));
            String n = d.name();
            metrics = renamed(metrics, Map.of("kid_mean", n + "_kid_mean", "kid_se", n + "_kid_se",
                    "precision_generated_in_real", n + "_precision", "precision_se", n + "_precision_se",
                    "recall_real_in_generated", n + "_recall", "recall_se", n + "_recall_se", "real_features",
                    n + "_real_features", "n_real", n + "_n_real", "detector", n + "_detector"));
        }

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>diffsweep report: ").append(esc(config.name())).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>diffsweep report: ").append(esc(config.name())).append("</h1>\n");
        // The manifest's model id carries the network's hash, which a config read from its YAML has not resolved.
        String modelId = manifest == null ? config.model().id()
                : manifest.path("plan").path("model").path("id").asText(config.model().id());
        h.append("<p class=\"lead\">").append(esc(fid.size() + " configs × " + config.seedCount() + " seeds, model "
                + modelId + ", reference " + fidDone.path("reference").asText("?"))).append("</p>\n");
        h.append("<nav>").append(link("fid", "FID")).append(byClass.isEmpty() && kidByClass.isEmpty() ? ""
                : link("by-class", "By class")).append(differences.isEmpty() ? "" : link("differences", "Paired differences")).append(link("plot", "FID vs NFE")).append(metrics.isEmpty() ? ""
                : link("metrics", "KID and precision/recall")).append(link("grids", "Sample grids"))
                .append(link("statistics", "Offline statistics")).append(link("provenance", "Provenance"))
                .append("</nav>\n");

        fidTables(h, fid);
        if (!byClass.isEmpty() || !kidByClass.isEmpty()) {
            h.append("<section id=\"by-class\"><h2>By class</h2>\n");
            if (!byClass.isEmpty()) {
                classTable(h, byClass);
            }
            if (!kidByClass.isEmpty()) {
                kidClassTable(h, kidByClass);
            }
            h.append("</section>\n");
        }
        if (!differences.isEmpty()) {
            differencesTable(h, differences);
        }
        h.append("<section id=\"plot\"><h2>FID vs NFE</h2>\n");
        image(h, fs, new Path(layout.fidDir(), "fid-vs-nfe.png"), "FID against the NFE actually used, ±2 SE bars; "
                + "one colour per sampler, one marker and dash per grid");
        h.append("</section>\n");
        if (!metrics.isEmpty()) {
            Path metricsDiffFile = new Path(layout.metricsDir(), "differences.csv");
            metricsTable(h, metrics, fs.exists(metricsDiffFile) ? csv(text(fs, metricsDiffFile)) : List.of(),
                    JSON.readTree(text(fs, layout.metricsComplete())));
            h.append("<section id=\"metrics-plots\"><h3>KID, precision/recall, density/coverage and IS vs NFE</h3>\n");
            for (String[] plot : MetricsJob.PLOTS) {
                Path png = new Path(layout.metricsDir(), plot[0] + "-vs-nfe.png");
                if (fs.exists(png)) {
                    h.append("<figure class=\"plot\">");
                    image(h, fs, png, plot[1] + " against the NFE actually used, ±2 SE bars");
                    h.append("</figure>\n");
                }
            }
            h.append("</section>\n");
        }
        grids(h, fs, config, layout);
        statistics(h, fs, conf, config);
        provenance(h, fs, conf, config, manifest, fidDone, fid);
        h.append(footer()).append("\n</body>\n</html>\n");
        return h.toString();
    }

    /** The page's footer: the code version (which begins with the program's name) and the time. */
    static String footer() {
        return "<footer>Written by " + esc(CodeVersion.get()) + " at " + esc(java.time.Instant.now().toString())
                + ".</footer>";
    }

    static final String CSS = """
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
                   max-width: 1150px; padding: 0 16px; color: #222; background: #fff; }
            h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px;
                   border-bottom: 1px solid #ddd; padding-bottom: 4px; } h3 { font-size: 15px; }
            .lead { color: #555; margin-top: 0; } nav a { margin-right: 14px; }
            table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
            th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
            tbody tr:nth-child(even) { background: #fafafa; }
            .note { color: #555; font-size: 13px; max-width: 900px; }
            img { max-width: 100%; border: 1px solid #e3e3e3; }
            img.grid { image-rendering: pixelated; min-width: 240px; }
            img.strip { image-rendering: pixelated; height: 48px; border: 0; display: block; }
            table.class-grid { margin: 0; } table.class-grid td { padding: 0 4px; }
            figure { display: inline-block; margin: 6px 14px 14px 0; vertical-align: top; }
            figure.plot { width: 32%; min-width: 300px; margin: 4px 0.5% 8px 0; }
            figcaption { font-size: 12px; color: #444; max-width: 360px; }
            dl.prov { display: grid; grid-template-columns: max-content auto; gap: 3px 16px; }
            dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; overflow-wrap: anywhere; }
            td { overflow-wrap: anywhere; } .wide { overflow-x: auto; }
            footer { margin-top: 36px; color: #777; font-size: 12px; }
            """;

    private static String link(String id, String text) {
        return "<a href=\"#" + id + "\">" + esc(text) + "</a>";
    }

    /** Rows with the columns {@code as} (name → source column) added, copied from their sources. */
    static List<Map<String, String>> renamed(List<Map<String, String>> rows, Map<String, String> as) {
        List<Map<String, String>> out = new java.util.ArrayList<>();
        for (Map<String, String> r : rows) {
            Map<String, String> m = new LinkedHashMap<>(r);
            as.forEach((name, source) -> {
                if (r.containsKey(source)) {
                    m.put(name, r.get(source));
                }
            });
            out.add(m);
        }
        return out;
    }

    /** The FID table pivoted (sampler and grid × requested NFE), then every row as fid.csv has it. */
    private static void fidTables(StringBuilder h, List<Map<String, String>> fid) {
        h.append("<section id=\"fid\"><h2>FID</h2>\n");
        Map<String, Map<Integer, Map<String, String>>> byRow = new LinkedHashMap<>();
        TreeSet<Integer> nfes = new TreeSet<>();
        for (Map<String, String> r : fid) {
            int nfe = Integer.parseInt(r.get("nfe_requested"));
            nfes.add(nfe);
            byRow.computeIfAbsent(r.get("sampler") + "\u0000" + r.get("grid"), k -> new LinkedHashMap<>()).put(nfe, r);
        }
        h.append("<table class=\"pivot\"><thead><tr><th>sampler</th><th>grid</th>");
        for (int n : nfes) {
            h.append("<th>NFE ").append(n).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Map.Entry<String, Map<Integer, Map<String, String>>> row : byRow.entrySet()) {
            String[] sg = row.getKey().split("\u0000", 2);
            h.append("<tr><td>").append(esc(sg[0])).append("</td><td>").append(esc(sg[1])).append("</td>");
            for (int n : nfes) {
                Map<String, String> r = row.getValue().get(n);
                h.append("<td class=\"num\">");
                if (r != null) {
                    StringBuilder cell = new StringBuilder(fmt(r.get("fid"), "%.4g"));
                    double se = num(r.get("fid_se"));
                    if (!Double.isNaN(se)) {
                        cell.append(" ± ").append(fmt(r.get("fid_se"), "%.2g"));
                    }
                    if (!r.get("nfe").equals(r.get("nfe_requested"))) {
                        cell.append(" (").append(r.get("nfe")).append(')');
                    }
                    h.append(esc(cell.toString()));
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n");
        Map<String, String> first = fid.isEmpty() ? Map.of() : fid.get(0);
        h.append("<p class=\"note\">± is the standard error over draws of the seeds (delete-a-group jackknife over ")
                .append(esc(first.getOrDefault("jackknife_groups", "?"))).append(" seed groups). A number in "
                + "parentheses is the NFE actually used, when the sampler cannot spend the budget exactly.");
        double floor = num(first.get("floor_mean"));
        if (!Double.isNaN(floor)) {
            h.append(" Floor: exact samples of the model score FID ").append(esc(fmt(first.get("floor_mean"), "%.4g")))
                    .append(" ± ").append(esc(fmt(first.get("floor_sd"), "%.2g")))
                    .append(" (mean ± sd over independent draws of as many samples): a perfect sampler scores "
                            + "about this.");
        }
        h.append("</p>\n<h3>Every config (fid.csv, full precision; the sampler and grid are in the id)</h3>\n");
        table(h, "fid-rows", fid, List.of("config_id", "nfe_requested", "steps", "nfe", "n", "fid", "fid_se"));
        h.append("</section>\n");
    }

    /**
     * The per-class FID table (fid-by-class.csv) pivoted: one row per config (sampler, grid, NFE), one column per
     * class, each cell FID ± SE (n) to a few significant digits as in fid.md, a flag after it.
     */
    static void classTable(StringBuilder h, List<Map<String, String>> rows) {
        h.append("<h3>FID by class</h3>\n");
        classPivot(h, "fid-by-class", rows, r -> FidJob.classCell(num(r.get("fid")), num(r.get("fid_se")),
                Long.parseLong(r.get("n")), r.getOrDefault("flag", "")));
        Map<String, String> first = rows.get(0);
        h.append("<p class=\"note\">Each cell: the FID of the config's seeds of that class "
                + "against the reference's statistics of the class (n_reference ").append(esc(first.getOrDefault(
                "n_reference", "?"))).append(" for class ").append(esc(first.get("label"))).append("), ± its "
                + "jackknife SE over the same seed groups, and n, the class's seeds. Flags: n&lt;=D, fewer samples "
                + "than features + 1, so the class's covariance cannot have full rank and its FID is biased up; "
                + "n&lt;2, no FID; no reference, the reference's class has fewer than 2 images. fid-by-class.csv has "
                + "every digit.</p>\n");
    }

    /** The per-class KID table (metrics/kid-by-class.csv) pivoted as the FID's: KID ± SE (n) per class. */
    static void kidClassTable(StringBuilder h, List<Map<String, String>> rows) {
        h.append("<h3>KID by class</h3>\n");
        classPivot(h, "kid-by-class", rows, r -> {
            String kid = r.getOrDefault("kid_mean", "");
            String cell = kid.isEmpty() ? "–" : withSe(kid, r.get("kid_se"), "%.3g");
            return cell + " (n " + r.get("n_generated") + ", real " + r.get("n_real") + ")";
        });
        h.append("<p class=\"note\">Each cell: the KID of the config's seeds of that class against the real "
                + "features of that class, ± its SE over draws of the seeds, with both counts; subsets of the "
                + "configured size or of the smaller set, whichever is smaller (kid_subset_size in kid-by-class.csv); "
                + "– where either set has fewer than 2 rows.</p>\n");
    }

    /** A pivot of per-class rows: a row per config (sampler, grid, NFE), a column per class, {@code cell} in each. */
    private static void classPivot(StringBuilder h, String id, List<Map<String, String>> rows,
                                   java.util.function.Function<Map<String, String>, String> cell) {
        TreeSet<Integer> labels = new TreeSet<>();
        Map<String, Map<Integer, Map<String, String>>> byConfig = new LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            int c = Integer.parseInt(r.get("label"));
            labels.add(c);
            byConfig.computeIfAbsent(r.get("config_id"), k -> new LinkedHashMap<>()).put(c, r);
        }
        h.append("<div class=\"wide\"><table class=\"pivot\" id=\"").append(id).append("\"><thead><tr>"
                + "<th>sampler</th><th>grid</th><th>NFE</th>");
        for (int c : labels) {
            h.append("<th>class ").append(c).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Map<Integer, Map<String, String>> config : byConfig.values()) {
            Map<String, String> any = config.values().iterator().next();
            String nfe = any.get("nfe").equals(any.get("nfe_requested")) ? any.get("nfe")
                    : any.get("nfe_requested") + " (" + any.get("nfe") + ")";
            h.append("<tr><td>").append(esc(any.get("sampler"))).append("</td><td>").append(esc(any.get("grid")))
                    .append("</td><td class=\"num\">").append(esc(nfe)).append("</td>");
            for (int c : labels) {
                Map<String, String> r = config.get(c);
                h.append("<td class=\"num\">");
                if (r != null) {
                    h.append(esc(cell.apply(r)));
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n");
    }

    private static void differencesTable(StringBuilder h, List<Map<String, String>> differences) {
        h.append("<section id=\"differences\"><h2>Paired differences (candidate − baseline, same seeds)</h2>\n");
        h.append("<table><thead><tr><th>comparison</th><th>NFE</th><th>candidate</th><th>baseline</th>"
                + "<th>candidate FID</th><th>baseline FID</th><th>difference ± SE</th></tr></thead>\n<tbody>\n");
        for (Map<String, String> d : differences) {
            h.append("<tr><td>").append(esc(d.get("comparison"))).append("</td><td class=\"num\">")
                    .append(esc(d.get("nfe_requested"))).append("</td><td>").append(esc(d.get("candidate_id")))
                    .append("</td><td>").append(esc(d.get("baseline_id"))).append("</td><td class=\"num\">")
                    .append(esc(fmt(d.get("candidate_fid"), "%.4g"))).append("</td><td class=\"num\">")
                    .append(esc(fmt(d.get("baseline_fid"), "%.4g"))).append("</td><td class=\"num\">")
                    .append(esc(FidJob.signedCell(num(d.get("difference")), num(d.get("difference_se")))))
                    .append("</td></tr>\n");
        }
        h.append("</tbody></table>\n<p class=\"note\">Negative: the candidate has the lower FID. * marks a difference "
                + "larger than twice its paired SE (jackknife over the same seed groups).</p>\n</section>\n");
    }

    /**
     * The KID and precision/recall table pivoted like the FID table (sampler and grid × requested NFE, each cell
     * KID ± SE · P ± SE · R ± SE to a few significant digits), the paired differences, and the measures' provenance:
     * the subset and subsample sizes, the seed, the real features and the detector with its hash.
     */
    static void metricsTable(StringBuilder h, List<Map<String, String>> metrics, List<Map<String, String>> diffs,
                             JsonNode done) {
        h.append("<section id=\"metrics\"><h2>KID and precision/recall</h2>\n");
        Map<String, Map<Integer, Map<String, String>>> byRow = new LinkedHashMap<>();
        TreeSet<Integer> nfes = new TreeSet<>();
        for (Map<String, String> r : metrics) {
            int nfe = Integer.parseInt(r.get("nfe_requested"));
            nfes.add(nfe);
            byRow.computeIfAbsent(r.get("sampler") + "\u0000" + r.get("grid"), k -> new LinkedHashMap<>()).put(nfe, r);
        }
        h.append("<div class=\"wide\"><table class=\"pivot\" id=\"metrics-pivot\"><thead><tr><th>sampler</th>"
                + "<th>grid</th>");
        for (int n : nfes) {
            h.append("<th>NFE ").append(n).append(": KID · P · R · D · C · IS</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Map.Entry<String, Map<Integer, Map<String, String>>> row : byRow.entrySet()) {
            String[] sg = row.getKey().split("\u0000", 2);
            h.append("<tr><td>").append(esc(sg[0])).append("</td><td>").append(esc(sg[1])).append("</td>");
            for (int n : nfes) {
                Map<String, String> r = row.getValue().get(n);
                h.append("<td class=\"num\">");
                if (r != null) {
                    List<String> parts = new ArrayList<>();
                    if (!r.getOrDefault("kid_mean", "").isEmpty()) {
                        parts.add(withSe(r.get("kid_mean"), r.get("kid_se"), "%.3g"));
                    }
                    if (!r.getOrDefault("precision_generated_in_real", "").isEmpty()) {
                        parts.add(withSe(r.get("precision_generated_in_real"), r.get("precision_se"), "%.3f"));
                        parts.add(withSe(r.get("recall_real_in_generated"), r.get("recall_se"), "%.3f"));
                    }
                    if (!r.getOrDefault("density", "").isEmpty()) {
                        parts.add(withSe(r.get("density"), r.get("density_se"), "%.3f"));
                        parts.add(withSe(r.get("coverage"), r.get("coverage_se"), "%.3f"));
                    }
                    if (!r.getOrDefault("is_mean", "").isEmpty()) {
                        parts.add("IS " + fmt(r.get("is_mean"), "%.4g"));
                    }
                    String cell = String.join(" · ", parts);
                    if (!r.get("nfe").equals(r.get("nfe_requested"))) {
                        cell += " (" + r.get("nfe") + ")";
                    }
                    h.append(esc(cell));
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n");
        Map<String, String> first = metrics.get(0);
        h.append("<p class=\"note\">KID: unbiased MMD² under the cubic kernel (x·y/D + 1)³, mean over random subsets. "
                + "P (precision): the fraction of generated samples inside the real k-NN manifold; R (recall): the "
                + "fraction of real samples inside the generated one. D (density): real k-NN balls holding a "
                + "generated sample, on average, over k; C (coverage): the fraction of real balls holding at least "
                + "one generated sample (Naeem et al. 2020, from the same radii). IS: Inception Score (its variant "
                + "and the spread over splits are below and in metrics.csv). ± is the standard error over draws of "
                + "the seeds "
                + "(delete-a-group jackknife over ").append(esc(first.getOrDefault("jackknife_groups", "?")))
                .append(" seed groups; the real features and subsets held fixed). A number in parentheses is the NFE "
                        + "actually used.</p>\n");
        if (!diffs.isEmpty()) {
            h.append("<h3>Paired differences (candidate − baseline, same seeds)</h3>\n<table><thead><tr>"
                    + "<th>comparison</th><th>NFE</th><th>KID</th><th>precision</th><th>recall</th></tr></thead>\n"
                    + "<tbody>\n");
            for (Map<String, String> d : diffs) {
                h.append("<tr><td>").append(esc(d.get("comparison"))).append("</td><td class=\"num\">")
                        .append(esc(d.get("nfe_requested"))).append("</td>");
                for (String m : List.of("kid", "precision", "recall")) {
                    String v = d.getOrDefault(m + "_difference", "");
                    h.append("<td class=\"num\">").append(v.isEmpty() ? "" : esc(FidJob.signedCell(num(v),
                            num(d.get(m + "_difference_se"))))).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</tbody></table>\n<p class=\"note\">* marks a difference larger than twice its paired SE."
                    + "</p>\n");
        }
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("real features", first.getOrDefault("real_features", "?") + " (n_real " + first.getOrDefault("n_real",
                "?") + ")");
        rows.put("generated", first.getOrDefault("n_generated", "?") + " per config");
        rows.put("detector", first.getOrDefault("detector", "?"));
        if (!first.getOrDefault("kid_subsets", "").isEmpty()) {
            rows.put("KID subsets", first.get("kid_subsets") + " subsets of " + first.get("kid_subset_size")
                    + " real and " + first.get("kid_subset_size") + " generated features");
        }
        if (!first.getOrDefault("pr_k", "").isEmpty()) {
            rows.put("precision/recall", "k = " + first.get("pr_k") + ", subsamples of " + first.get("pr_n_real")
                    + " real and " + first.get("pr_n_generated") + " generated features");
        }
        if (!first.getOrDefault("is_variant", "").isEmpty()) {
            rows.put("Inception Score", "variant " + first.get("is_variant") + ", " + first.get("is_splits")
                    + " splits (mean ± sd over splits in metrics.csv: is_mean, is_sd)");
        }
        rows.put("seed", first.getOrDefault("metrics_seed", "?") + " (chooses the KID subsets and the subsamples)");
        rows.put("jackknife groups", first.getOrDefault("jackknife_groups", "?"));
        rows.put("code version (metrics)", done.path("code_version").asText("?"));
        rows.put("metrics finished", done.path("finished").asText("?"));
        h.append("<h3>Provenance of these measures</h3>\n<dl class=\"prov\">\n");
        rows.forEach((k, v) -> h.append("<dt>").append(esc(k)).append("</dt><dd>").append(esc(v)).append("</dd>\n"));
        h.append("</dl>\n<h3>Every config (metrics.csv has every digit)</h3>\n");
        List<String> cols = List.of("config_id", "nfe", "kid_mean", "kid_se", "kid_sd", "precision_generated_in_real",
                "precision_se", "recall_real_in_generated", "recall_se", "density", "density_se", "coverage",
                "coverage_se", "is_mean", "is_sd");
        List<Map<String, String>> shown = new ArrayList<>();
        for (Map<String, String> r : metrics) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String c : cols) {
                String v = r.getOrDefault(c, "");
                f.put(c, c.equals("config_id") || c.equals("nfe") ? v : fmt(v, c.startsWith("kid") || c.endsWith("_se")
                        || c.startsWith("is_") ? "%.3g" : "%.4f"));
            }
            shown.add(f);
        }
        h.append("<div class=\"wide\">");
        table(h, "metrics-rows", shown, cols);
        h.append("</div>\n</section>\n");
    }

    /** A value to a few significant digits with its SE, when there is one. */
    private static String withSe(String value, String se, String format) {
        String v = fmt(value, format);
        double e = num(se);
        return Double.isNaN(e) ? v : v + " ± " + String.format(Locale.ROOT, "%.2g", e);
    }

    /**
     * A process as the manifest names it (a record's text, e.g. {@code EdmProcess[sigmaMinValue=0.002,
     * sigmaMaxValue=80.0]}) as a reader would write it: {@code edm (sigma_min 0.002, sigma_max 80)}.
     */
    static String process(String raw) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z0-9]+?)Process\\[(.*)]").matcher(raw);
        if (!m.matches()) {
            return raw;
        }
        List<String> fields = new ArrayList<>();
        for (String f : m.group(2).split(",\\s*")) {
            String[] kv = f.split("=", 2);
            if (kv.length != 2) {
                continue;
            }
            String name = kv[0].replaceAll("Value$", "").replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
            String value = kv[1];
            double v = num(value);
            if (!Double.isNaN(v)) {
                value = new java.math.BigDecimal(value).stripTrailingZeros().toPlainString();
            }
            fields.add(name + " " + value);
        }
        String name = m.group(1).toLowerCase(Locale.ROOT);
        return fields.isEmpty() ? name : name + " (" + String.join(", ", fields) + ")";
    }

    private static void grids(StringBuilder h, FileSystem fs, SweepConfig config, SweepLayout layout)
            throws IOException {
        h.append("<section id=\"grids\"><h2>Sample grids</h2>\n");
        int shown = 0;
        int[] labels = gridLabels(config);
        for (SweepPoint p : config.points()) {
            Path grid = layout.grid(p.id());
            if (fs.exists(grid) && labels != null) {
                java.awt.image.BufferedImage img;
                try (InputStream in = fs.open(grid)) {
                    img = javax.imageio.ImageIO.read(in);
                }
                int[] chw = config.model().imageShape();
                h.append("<figure>");
                classGrid(h, img, labels, chw[1], chw[2], p.id());
                h.append("<figcaption>").append(esc(p.id())).append("<br>").append(esc(p.label() + ", NFE " + p.nfe()))
                        .append("</figcaption></figure>\n");
                shown++;
            } else if (fs.exists(grid)) {
                h.append("<figure><img class=\"grid\" alt=\"").append(esc("samples of " + p.id())).append("\" src=\"")
                        .append(dataUri(fs, grid)).append("\"><figcaption>").append(esc(p.id())).append("<br>")
                        .append(esc(p.label() + ", NFE " + p.nfe())).append("</figcaption></figure>\n");
                shown++;
            }
        }
        if (shown == 0) {
            h.append("<p class=\"note\">None: the model's samples are not images (or the config sets grid_images: 0)."
                    + "</p>\n");
        } else if (labels != null) {
            h.append("<p class=\"note\">Each config's grid samples (its first ").append(labels.length)
                    .append(" seeds) by class: one row per class, the first seeds of that class (at most ")
                    .append(org.diffsweep.spark.SampleGrid.ROW).append(") in seed order.</p>\n");
        }
        h.append("</section>\n");
    }

    /**
     * The labels of a class-conditional sweep's grid samples (the first seeds of the first block, as many as
     * {@code grid_images}), or null for an unconditional sweep or one without image grids.
     */
    static int[] gridLabels(SweepConfig config) {
        if (config.labels() == null || config.model().imageShape() == null) {
            return null;
        }
        int count = (int) Math.min(config.gridImages(), Math.min(config.blockSize(), config.seedCount()));
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) {
            seeds[i] = config.seedStart() + i;
        }
        return count == 0 ? null : config.labelsOf(seeds);
    }

    /**
     * A grid's samples arranged by class: a table of one row per class (ascending), headed by the class index, holding
     * the first seeds of that class (at most a grid row's worth) side by side in seed order.
     *
     * @param labels the label of each sample of the grid, in seed order
     */
    static void classGrid(StringBuilder h, java.awt.image.BufferedImage grid, int[] labels, int height, int width,
                          String id) throws IOException {
        java.awt.image.BufferedImage[] tiles = org.diffsweep.spark.SampleGrid.tiles(grid, labels.length, height,
                width);
        java.util.TreeMap<Integer, List<java.awt.image.BufferedImage>> byClass = new java.util.TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            List<java.awt.image.BufferedImage> row = byClass.computeIfAbsent(labels[i], k -> new ArrayList<>());
            if (row.size() < org.diffsweep.spark.SampleGrid.ROW) {
                row.add(tiles[i]);
            }
        }
        h.append("<table class=\"class-grid\"><tbody>\n");
        for (Map.Entry<Integer, List<java.awt.image.BufferedImage>> e : byClass.entrySet()) {
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(org.diffsweep.spark.SampleGrid.row(e.getValue(), height, width), "png", png);
            h.append("<tr><th>").append(e.getKey()).append("</th><td><img class=\"strip\" alt=\"")
                    .append(esc("samples of class " + e.getKey() + " of " + id)).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(png.toByteArray())).append("\"></td></tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    /** The plots beside the offline statistics (DEIS-SN tables X.png, schedules X.png and X-grid.png) it reads. */
    private static void statistics(StringBuilder h, FileSystem fs, Configuration conf, SweepConfig config)
            throws IOException {
        h.append("<section id=\"statistics\"><h2>Offline statistics</h2>\n");
        Set<String> files = new LinkedHashSet<>();
        for (SweepPoint p : config.points()) {
            files.addAll(p.cell().statisticsFiles());
        }
        org.diffsweep.spark.HadoopStore store = new org.diffsweep.spark.HadoopStore(conf);
        int shown = 0;
        for (String f : files) {
            String q;
            try {
                q = store.qualify(f);
            } catch (IllegalArgumentException e) {
                continue;
            }
            for (String suffix : List.of(".png", "-grid.png")) {
                Path png = new Path(OutputFiles.sibling(q, ".csv", suffix));
                FileSystem pfs = png.getFileSystem(conf);
                if (pfs.exists(png)) {
                    h.append("<h3>").append(esc(f + " (" + png.getName() + ")")).append("</h3>\n");
                    image(h, pfs, png, "plot of " + f);
                    shown++;
                }
            }
        }
        if (shown == 0) {
            h.append("<p class=\"note\">None: the config reads no DEIS-SN table or schedule file with a plot beside it."
                    + "</p>\n");
        }
        h.append("</section>\n");
    }

    private static void provenance(StringBuilder h, FileSystem fs, Configuration conf, SweepConfig config,
                                   JsonNode manifest, JsonNode fidDone, List<Map<String, String>> fid) {
        JsonNode plan = manifest == null ? JSON.createObjectNode() : manifest.path("plan");
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("sweep", plan.path("name").asText(config.name()));
        rows.put("output", config.output());
        rows.put("model", plan.path("model").path("id").asText(config.model().id()) + " ("
                + plan.path("model").path("type").asText(config.model().type()) + ")");
        rows.put("detector", plan.path("detector").asText(config.detector() == null ? "none" : config.detector().id()));
        rows.put("process", process(plan.path("process").asText("")));
        String reference = fidDone.path("reference").asText(config.reference());
        rows.put("reference", reference);
        rows.put("reference n", referenceN(conf, config));
        long start = plan.path("seeds").path("start").asLong(config.seedStart());
        long count = plan.path("seeds").path("count").asLong(config.seedCount());
        rows.put("seeds", count + " seeds, " + start + " to " + (start + count - 1) + " (every config the same), blocks"
                + " of " + plan.path("block_size").asText(Integer.toString(config.blockSize())));
        rows.put("samples per config (n)", fid.isEmpty() ? "?" : fid.get(0).get("n"));
        rows.put("image convention", config.detector() == null && plan.path("model").path("type").asText("")
                .equals("gmm") ? "none: the features are the samples themselves" : IMAGE_CONVENTION);
        rows.put("code version (sweep)", manifest == null ? "?" : manifest.path("code_version").asText("?"));
        rows.put("code version (fid)", fidDone.path("code_version").asText("?"));
        rows.put("sweep created", manifest == null ? "?" : manifest.path("created").asText("?"));
        rows.put("fid finished", fidDone.path("finished").asText("?"));
        if (manifest != null) {
            Set<String> tables = new TreeSet<>();
            for (JsonNode c : plan.path("configs")) {
                if (c.has("score_table")) {
                    tables.add(c.get("score_table").asText());
                }
            }
            if (!tables.isEmpty()) {
                rows.put("score tables", String.join("; ", tables));
            }
        }
        h.append("<section id=\"provenance\"><h2>Provenance</h2>\n<dl class=\"prov\">\n");
        rows.forEach((k, v) -> h.append("<dt>").append(esc(k)).append("</dt><dd>").append(esc(v)).append("</dd>\n"));
        h.append("</dl>\n<p class=\"note\">Networks are named by file and the first 12 hex digits of their SHA-256; "
                + "the full plan (every config's noise levels) is in sweep/manifest.json.</p>\n</section>\n");
    }

    private static String referenceN(Configuration conf, SweepConfig config) {
        if (config.reference().equals("exact")) {
            return "exact: the model's own mean and covariance";
        }
        Path npz = new Path(config.reference());
        try (InputStream in = npz.getFileSystem(conf).open(npz)) {
            return Long.toString(org.diffsweep.metrics.Npz.gaussian(org.diffsweep.metrics.Npz.read(in,
                    config.reference()), config.reference()).n());
        } catch (IOException | RuntimeException e) {
            return "unknown (" + OutputFiles.firstLine(e) + ")";
        }
    }

    /** A table of the given columns (those the rows have), the cells as the file has them. */
    private static void table(StringBuilder h, String id, List<Map<String, String>> rows, List<String> columns) {
        List<String> cols = new ArrayList<>();
        for (String c : columns) {
            if (!rows.isEmpty() && rows.get(0).containsKey(c)) {
                cols.add(c);
            }
        }
        h.append("<table id=\"").append(esc(id)).append("\"><thead><tr>");
        for (String c : cols) {
            h.append("<th>").append(esc(c)).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Map<String, String> r : rows) {
            h.append("<tr>");
            for (String c : cols) {
                String v = r.getOrDefault(c, "");
                boolean numeric = !v.isEmpty() && !Double.isNaN(num(v));
                h.append(numeric ? "<td class=\"num\">" : "<td>").append(esc(v)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    private static void image(StringBuilder h, FileSystem fs, Path png, String alt) throws IOException {
        if (!fs.exists(png)) {
            h.append("<p class=\"note\">").append(esc(png.getName() + " is missing")).append("</p>\n");
            return;
        }
        h.append("<img alt=\"").append(esc(alt)).append("\" src=\"").append(dataUri(fs, png)).append("\">\n");
    }

    private static String dataUri(FileSystem fs, Path png) throws IOException {
        try (InputStream in = fs.open(png)) {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(in.readAllBytes());
        }
    }

    private static String text(FileSystem fs, Path path) throws IOException {
        try (InputStream in = fs.open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** HTML-escapes text for an element's content or a quoted attribute. */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static double num(String s) {
        if (s == null || s.isBlank()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String fmt(String s, String format) {
        double v = num(s);
        return Double.isNaN(v) ? (s == null ? "" : s) : String.format(Locale.ROOT, format, v);
    }

    /**
     * The rows of a CSV file with a header, as the jobs write it: fields separated by commas, a field in double
     * quotes may hold commas and doubled quotes.
     */
    public static List<Map<String, String>> csv(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                any = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                if (any || field.length() > 0) {
                    fields.add(field.toString());
                    records.add(fields);
                }
                fields = new ArrayList<>();
                field.setLength(0);
                any = false;
            } else {
                field.append(c);
                any = true;
            }
        }
        if (any || field.length() > 0) {
            fields.add(field.toString());
            records.add(fields);
        }
        List<Map<String, String>> rows = new ArrayList<>();
        if (records.isEmpty()) {
            return rows;
        }
        List<String> header = records.get(0);
        for (List<String> r : records.subList(1, records.size())) {
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), i < r.size() ? r.get(i) : "");
            }
            rows.add(row);
        }
        return rows;
    }
}
