package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The report's offline-statistics section shows the plots beside the schedule file a config reads, found through
 * the path the config gives relative to its own folder (not the working directory).
 */
@Tag("spark")
class ReportStatisticsSparkTest {

    @Test
    void theReportEmbedsThePlotsBesideAScheduleFileNamedRelativeToTheConfig() throws Exception {
        Path dir = SparkTestSupport.tempDir("report-stats");
        Path project = Files.createDirectories(dir.resolve("project/conf")).getParent();
        Path tables = Files.createDirectories(project.resolve("tables"));
        for (String f : new String[] {"gmm-8x16.schedule.csv", "gmm-8x16.schedule.png", "gmm-8x16.schedule-grid.png"}) {
            Files.copy(Path.of("models", f), tables.resolve(f));
        }
        Path config = project.resolve("conf/stats.yaml");
        Files.writeString(config, """
                name: report-stats
                output: ../out
                model: { type: gmm, random: { components: 8, dim: 16, sigma_data: 0.5, seed: 2024 } }
                seeds: { count: 8 }
                block_size: 8
                samplers: [ { name: euler } ]
                grids: [ { name: file, path: ../tables/gmm-8x16.schedule.csv } ]
                nfe: [ 5 ]
                """);
        SweepConfig c = SweepConfig.load(config, new HadoopStore(new org.apache.hadoop.conf.Configuration()));
        RunJob.run(SparkTestSupport.spark(), c, 0);
        String html = Files.readString(project.resolve("out/report/index.html"));
        int at = html.indexOf("<section id=\"statistics\">");
        assertTrue(at >= 0, "no offline statistics section");
        String section = html.substring(at, html.indexOf("</section>", at));
        assertTrue(!section.contains("None:"), section);
        Matcher m = Pattern.compile("<img [^>]*src=\"data:image/png;base64,").matcher(section);
        int images = 0;
        while (m.find()) {
            images++;
        }
        assertEquals(2, images, "the schedule's plot and its grid plot: " + section.substring(0,
                Math.min(400, section.length())));
        assertTrue(section.contains("gmm-8x16.schedule.png") && section.contains("gmm-8x16.schedule-grid.png"),
                section.substring(0, Math.min(400, section.length())));
    }
}
