package org.diffsweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of docs/architecture.md, checked on the main sources: every reference (import or qualified name in
 * code; comments and string literals do not count) points from the outer layers to the core, never back.
 * <ul>
 *   <li>the core (diffusion, sampler, schedule, metrics, stats, linalg, rng, model, io, features) names no
 *       family, configuration, job, Spark, report, CLI or data-set class, and neither Spark nor Hadoop;</li>
 *   <li>the families (family, psld) name no configuration, job, Spark, report or CLI class, nor Spark; the family
 *       interfaces (family) do not name an implementation (psld);</li>
 *   <li>only the DJL layer (model.djl) names DJL ({@code ai.djl}).</li>
 * </ul>
 */
class ArchitectureTest {

    static final Set<String> CORE = Set.of("diffusion", "sampler", "schedule", "metrics", "stats", "linalg", "rng",
            "model", "io", "features");
    static final Set<String> FAMILIES = Set.of("family", "psld");
    static final Set<String> ABOVE_CORE = Set.of("family", "psld", "config", "jobs", "spark", "cli", "report", "data");
    static final Set<String> ABOVE_FAMILIES = Set.of("config", "jobs", "spark", "cli", "report");
    static final String DJL_LAYER = "model.djl";

    static final Path MAIN = Path.of("src", "main", "java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+org\\.diffsweep\\.([a-z0-9_.]+)\\s*;",
            Pattern.MULTILINE);
    private static final Pattern PROJECT_REF = Pattern.compile("\\borg\\.diffsweep\\.([a-z0-9_]+)\\.");
    private static final Pattern FOREIGN_REF = Pattern.compile("\\b(ai\\.djl|org\\.apache\\.spark|org\\.apache\\.hadoop)\\.");

    @Test
    void everyReferencePointsDown() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> tree = Files.walk(MAIN.resolve("org/diffsweep"))) {
            for (Path p : tree.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                violations.addAll(violations(MAIN.relativize(p).toString(), Files.readString(p)));
                files++;
            }
        }
        assertTrue(files > 100, "scanned " + files + " files under " + MAIN.toAbsolutePath() + ", expected the main sources");
        assertEquals(List.of(), violations, "references against the layers (docs/architecture.md)");
    }

    /** The checker itself finds what it must and ignores comments and strings. */
    @Test
    void theCheckerSeesBadReferencesAndOnlyThose() {
        String bad = """
                package org.diffsweep.sampler;

                import org.diffsweep.family.Cell;
                import ai.djl.ndarray.NDList;
                class X {
                    org.apache.spark.sql.SparkSession s;
                    Object o = new org.diffsweep.config.SweepPoint(null, null, null);
                }
                """;
        assertEquals(List.of(
                "S.java: core package sampler names org.diffsweep.family",
                "S.java: core package sampler names org.diffsweep.config",
                "S.java: package sampler names ai.djl, only model.djl may",
                "S.java: core package sampler names org.apache.spark"), violations("S.java", bad));
        String harmless = """
                package org.diffsweep.psld;

                import org.diffsweep.family.Cell; // a family may use the family interfaces
                /** Not {@link org.diffsweep.config.SweepConfig}: comments do not count. */
                class Y {
                    String s = "org.diffsweep.jobs.FidJob and ai.djl.pytorch.num_threads";
                    char c = '"';
                    String t = \"""
                        org.apache.spark.sql.Dataset in a text block
                        \""";
                }
                """;
        assertEquals(List.of(), violations("Y.java", harmless));
        assertEquals(List.of("F.java: the family interfaces name org.diffsweep.psld, an implementation"),
                violations("F.java", "package org.diffsweep.family;\nimport org.diffsweep.psld.PsldFamily;\n"));
        assertEquals(List.of("M.java: family package psld names org.diffsweep.config"),
                violations("M.java", "package org.diffsweep.psld;\nimport org.diffsweep.config.Families;\n"));
    }

    static List<String> violations(String name, String source) {
        String code = stripCommentsAndLiterals(source);
        Matcher pm = PACKAGE.matcher(code);
        if (!pm.find()) {
            return List.of();
        }
        String pkg = pm.group(1);
        String top = pkg.contains(".") ? pkg.substring(0, pkg.indexOf('.')) : pkg;
        Set<String> out = new LinkedHashSet<>();
        Matcher m = PROJECT_REF.matcher(code);
        while (m.find()) {
            String target = m.group(1);
            if (CORE.contains(top) && ABOVE_CORE.contains(target)) {
                out.add(name + ": core package " + pkg + " names org.diffsweep." + target);
            } else if (FAMILIES.contains(top) && ABOVE_FAMILIES.contains(target)) {
                out.add(name + ": family package " + pkg + " names org.diffsweep." + target);
            } else if (top.equals("family") && target.equals("psld")) {
                out.add(name + ": the family interfaces name org.diffsweep.psld, an implementation");
            }
        }
        Matcher f = FOREIGN_REF.matcher(code);
        while (f.find()) {
            String lib = f.group(1);
            if (lib.equals("ai.djl")) {
                if (!pkg.equals(DJL_LAYER) && !pkg.startsWith(DJL_LAYER + ".")) {
                    out.add(name + ": package " + pkg + " names ai.djl, only " + DJL_LAYER + " may");
                }
            } else if (CORE.contains(top)) {
                out.add(name + ": core package " + pkg + " names " + lib);
            } else if (FAMILIES.contains(top) && lib.equals("org.apache.spark")) {
                out.add(name + ": family package " + pkg + " names " + lib);
            }
        }
        return new ArrayList<>(out);
    }

    /** The source with comments, string and character literals (text blocks too) blanked out. */
    static String stripCommentsAndLiterals(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                b.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? s.length() : end + 3;
                b.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                b.append(c).append(c);
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }
}
