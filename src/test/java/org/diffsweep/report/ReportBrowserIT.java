package org.diffsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.ReportJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The report of a real run as a browser shows it: headless Chromium loads OUT/report/index.html from the file
 * system, and the DOM after load must hold every config's row with its FID as fid.csv has it, and every image must
 * be an embedded PNG (nothing fetched); its screenshot must be a non-blank PNG of the window's size. Skips without
 * /usr/bin/chromium (Debian's {@code chromium}) unless DIFFSWEEP_REQUIRE_CHROMIUM=1, as CI sets.
 */
@Tag("spark")
class ReportBrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final int WIDTH = 1200;
    private static final int HEIGHT = 2000;
    private static final Pattern IMG = Pattern.compile("<img\\b[^>]*>");
    private static final Pattern SRC = Pattern.compile("\\bsrc=\"([^\"]*)\"");

    static void requireChromium() {
        if (!Files.isExecutable(CHROMIUM)) {
            if ("1".equals(System.getenv("DIFFSWEEP_REQUIRE_CHROMIUM"))) {
                fail(CHROMIUM + " not found and DIFFSWEEP_REQUIRE_CHROMIUM=1: install Debian's chromium package");
            }
            Assumptions.assumeTrue(false, CHROMIUM + " not found (install Debian's chromium to run this test)");
        }
    }

    @Test
    void gmmRunsReportShowsItsTablesAndPlot() throws Exception {
        requireChromium();
        Path dir = SparkTestSupport.tempDir("report-gmm");
        SweepConfig config = SweepConfig.parse(SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 40, 20)
                .replace("samplers: [ { name: euler }, { name: heun } ]", "samplers: [ { name: euler, label: euler }, "
                        + "{ name: heun, label: heun, vs: euler } ]") + """
                metrics:
                  kid: { subsets: 6, subset_size: 10 }
                  precision_recall: { k: 3, samples: 20 }
                """, "test");
        RunJob.run(SparkTestSupport.spark(), config, 0);
        Path index = dir.resolve("out/report/index.html");
        assertTrue(Files.isRegularFile(index), "run writes " + index);
        List<String> images = checkInBrowser(dir, index, dir.resolve("out/fid/fid.csv"));
        String dom = Files.readString(dir.resolve("dom.html"));
        assertFalse(dom.contains("class=\"grid\"") || dom.contains("class=\"strip\""),
                "the gmm model has no sample grids");
        assertTrue(images.size() >= 2, "the FID plot and the metrics plots beside it: " + images.size());
        assertTrue(dom.contains("alt=\"FID against the NFE"), "the FID plot");
        assertTrue(dom.contains("alt=\"KID against the NFE"), "the KID plot beside it");
        assertTrue(dom.contains("Paired differences"), "the vs: pair's table");
        assertTrue(dom.contains("<td>heun_vs_euler") || dom.contains(">heun"), "the pair's row");
        assertTrue(dom.contains("exact: the model"), "the reference's n");
        assertTrue(dom.contains("KID"), "the metrics table");
        // The FID section keeps fid.csv's full precision on purpose; the metrics table is formatted like fid.md.
        int from = dom.indexOf("<section id=\"metrics\"");
        assertTrue(from >= 0, "the metrics section");
        String metrics = dom.substring(from, dom.indexOf("</section>", from));
        assertTrue(metrics.contains(" ± "), "KID and P&R cells with their SE");
        Matcher longCell = Pattern.compile("<td[^>]*>[^<]*\\d\\.\\d{9,}").matcher(metrics);
        assertFalse(longCell.find(), "a raw many-digit cell: " + (longCell.find(0) ? longCell.group() : ""));
        assertFitsTheWindow(dir, index);
    }

    /**
     * The page's width at the test window's: no table or line runs off it. Measured on a copy of the page with one
     * line of script that writes the document's scroll width into the DOM (the report itself runs no script).
     */
    private static void assertFitsTheWindow(Path dir, Path index) throws Exception {
        String html = Files.readString(index, StandardCharsets.UTF_8);
        Path probe = index.resolveSibling("width-probe.html");
        Files.writeString(probe, html.replace("</body>", "<script>document.body.setAttribute('data-scroll-width', "
                + "document.documentElement.scrollWidth)</script></body>"), StandardCharsets.UTF_8);
        Path dom = dir.resolve("width-dom.html");
        chromium(dir, dom, "--window-size=" + WIDTH + "," + HEIGHT, "--dump-dom", probe.toAbsolutePath().toUri()
                .toString());
        Matcher w = Pattern.compile("data-scroll-width=\"(\\d+)\"").matcher(Files.readString(dom));
        assertTrue(w.find(), "the probe wrote the width");
        int width = Integer.parseInt(w.group(1));
        assertTrue(width <= WIDTH, "the page is " + width + " px wide in a " + WIDTH + " px window");
        Files.delete(probe);
    }

    @Test
    void imageModelsReportShowsEachConfigsSampleGrid() throws Exception {
        requireChromium();
        Path dir = SparkTestSupport.tempDir("report-djl");
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[] {0.5, 0.6}, new double[] {0.01, 0, 0, 0.02}, 100)));
        }
        String yaml = """
                name: djl-tiny
                output: %s
                model: { type: djl, path: %s, shape: [1, 2, 2], batch: 3 }
                detector: { path: %s, dim: 2 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { start: 5, count: 10 }
                block_size: 5
                batch_size: 5
                samplers: [ { name: euler }, { name: heun } ]
                grids: [ { name: edm } ]
                nfe: [ 3 ]
                reference: %s
                grid_images: 4
                """.formatted(dir.resolve("out"), model("tiny.pt"), model("tiny_features.pt"), ref);
        SweepConfig config = SweepConfig.parse(yaml, "test");
        RunJob.run(SparkTestSupport.spark(), config, 0);
        Path index = dir.resolve("out/report/index.html");
        List<String> images = checkInBrowser(dir, index, dir.resolve("out/fid/fid.csv"));
        assertEquals(1 + config.points().size(), images.size(), "the FID plot and one grid per config");
        String dom = Files.readString(dir.resolve("dom.html"));
        assertTrue(dom.contains("tiny.pt@"), "the model's hash");
        assertTrue(dom.contains("tiny_features.pt@"), "the detector's hash");
        assertTrue(dom.contains("ref.npz@"), "the reference's hash");
        assertTrue(dom.contains("<dd>100</dd>"), "the reference's n");
        assertTrue(dom.contains("127.5"), "the image convention");
    }

    private static String model(String file) throws Exception {
        return Path.of(ReportBrowserIT.class.getResource("/models/" + file).toURI()).toString();
    }

    /** Loads the page in Chromium; checks the rows, images and screenshot; returns the images' data URIs. */
    private static List<String> checkInBrowser(Path dir, Path index, Path fidCsv) throws Exception {
        String url = index.toAbsolutePath().toUri().toString();
        Path dom = dir.resolve("dom.html");
        chromium(dir, dom, "--dump-dom", url);
        String html = Files.readString(dom, StandardCharsets.UTF_8);
        assertTrue(html.contains("</table>"), "the DOM after load holds the tables:\n" + head(html));

        List<Map<String, String>> rows = ReportJob.csv(Files.readString(fidCsv));
        assertFalse(rows.isEmpty());
        for (Map<String, String> r : rows) {
            assertTrue(html.contains("<td>" + r.get("config_id") + "</td>"), "row of " + r.get("config_id"));
            assertTrue(html.contains(">" + r.get("fid") + "</td>"), "FID " + r.get("fid") + " of "
                    + r.get("config_id") + " as in fid.csv");
        }
        assertFalse(html.matches("(?s).*\\b(src|href)=\"(https?|ftp):.*"), "the page fetches nothing");
        assertFalse(html.contains("<script"), "the page runs no script");

        List<String> images = new ArrayList<>();
        Matcher m = IMG.matcher(html);
        while (m.find()) {
            Matcher src = SRC.matcher(m.group());
            assertTrue(src.find(), "an <img> without src: " + m.group());
            String uri = src.group(1);
            assertTrue(uri.startsWith("data:image/png;base64,"), "an embedded PNG, not " + head(uri));
            byte[] bytes = Base64.getDecoder().decode(uri.substring("data:image/png;base64,".length()));
            assertEquals((byte) 0x89, bytes[0]);
            assertEquals("PNG", new String(bytes, 1, 3, StandardCharsets.US_ASCII));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            assertNotNull(img, "ImageIO reads the embedded PNG");
            assertTrue(img.getWidth() > 0 && img.getHeight() > 0);
            images.add(uri);
        }

        Path png = dir.resolve("screenshot.png");
        chromium(dir, null, "--screenshot=" + png.toAbsolutePath(), "--window-size=" + WIDTH + "," + HEIGHT,
                "--hide-scrollbars", url);
        BufferedImage shot = ImageIO.read(png.toFile());
        assertNotNull(shot, "the screenshot is a PNG");
        assertEquals(WIDTH, shot.getWidth());
        assertEquals(HEIGHT, shot.getHeight());
        long dark = 0;
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < shot.getHeight(); y += 2) {
            for (int x = 0; x < shot.getWidth(); x += 2) {
                int rgb = shot.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                int lum = ((rgb >> 16 & 0xff) + (rgb >> 8 & 0xff) + (rgb & 0xff)) / 3;
                if (lum < 160) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 2000, "the screenshot shows text and plots, not a blank page: " + dark + " dark pixels");
        assertTrue(colours.size() > 20, "more than a few colours: " + colours.size());
        return images;
    }

    private static void chromium(Path dir, Path stdout, String... args) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile-");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("chromium-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        pb.redirectOutput(stdout != null ? stdout.toFile() : log.resolveSibling(log.getFileName() + ".out").toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s: " + String.join(" ", cmd));
        }
        assertEquals(0, p.exitValue(), "chromium " + String.join(" ", args) + " failed:\n"
                + head(Files.readString(log)));
    }

    private static String head(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
    }
}
