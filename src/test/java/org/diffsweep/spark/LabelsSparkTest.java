package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.rng.ClassDraw;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Class-conditional and guided sweeps end to end: each seed's label in the features, guidance 1 equal to the
 * conditional sweep, the network calls in the fid table, and classifier-free guidance by a null label equal to the
 * same guidance by a second network that computes the unconditional branch.
 */
@Tag("spark")
class LabelsSparkTest {

    private static final String GMM = """
            name: cond
            output: %s
            model: { type: gmm, random: { components: 4, dim: 3, sigma_data: 0.5, seed: 21, classes: 2 } }
            seeds: { start: 40, count: 12 }
            block_size: 6
            batch_size: 4
            samplers: [ { name: euler } ]
            grids: [ { name: edm } ]
            nfe: [ 5 ]
            """;

    /** config id → seed → (features, label) of a finished sweep. */
    private static Map<String, Map<Long, Row>> features(SparkSession spark, Path out) {
        List<Row> rows = spark.read().option("recursiveFileLookup", "true").parquet(out.resolve("sweep/features")
                .toString()).collectAsList();
        Map<String, Map<Long, Row>> m = new HashMap<>();
        for (Row r : rows) {
            m.computeIfAbsent(r.getAs("config_id"), k -> new HashMap<>()).put(r.getAs("seed"), r);
        }
        return m;
    }

    @Test
    void labelsAreAColumnAndGuidanceOneIsTheConditionalSweep() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("labels");
        SweepConfig conditional = SweepConfig.parse(GMM.formatted(dir.resolve("a")), "a");
        SweepConfig guided = SweepConfig.parse(GMM.formatted(dir.resolve("b")) + "guidance: [1, 2]\n", "b");
        RunJob.run(spark, conditional, 0);
        RunJob.Outcome outcome = RunJob.run(spark, guided, 0);

        Map<Long, Row> a = features(spark, dir.resolve("a")).get(conditional.points().get(0).id());
        Map<String, Map<Long, Row>> b = features(spark, dir.resolve("b"));
        SweepPoint w1 = guided.points().get(0);
        SweepPoint w2 = guided.points().get(1);
        assertEquals(1.0, w1.guidance());
        assertEquals(12, a.size());
        for (long seed = 40; seed < 52; seed++) {
            Row r = a.get(seed);
            assertEquals(ClassDraw.uniform(2).label(seed), (int) r.<Integer>getAs("label"), "seed " + seed);
            assertEquals(r.getList(r.fieldIndex("features")), b.get(w1.id()).get(seed).getList(r.fieldIndex("features")),
                    "guidance 1 is the conditional model exactly, seed " + seed);
            assertEquals((int) r.<Integer>getAs("label"), (int) b.get(w2.id()).get(seed).<Integer>getAs("label"));
        }
        String csv = Files.readString(dir.resolve("b/fid/fid.csv"));
        List<String> lines = csv.lines().filter(l -> !l.startsWith("#")).toList();
        // network_calls is the last column (quoted grid descriptions hold commas: read from the end)
        assertTrue(lines.get(0).endsWith(",network_calls"), lines.get(0));
        assertTrue(lines.get(1).startsWith(w1.id()) && lines.get(1).endsWith(",5"), lines.get(1));
        assertTrue(lines.get(2).startsWith(w2.id()) && lines.get(2).endsWith(",10"), lines.get(2));
        assertEquals(2, outcome.table().size());
        String manifest = Files.readString(dir.resolve("b/sweep/manifest.json"));
        assertTrue(manifest.contains("\"guidance\" : 2.0") && manifest.contains("\"labels\""), manifest);
    }

    @Test
    void aNullLabelAndAnUnconditionalGuideGiveTheSameSamples() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("labels-djl");
        Path ref = dir.resolve("ref.npz");
        double[] cov = new double[16];
        for (int i = 0; i < 4; i++) {
            cov[5 * i] = 1;
        }
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[4], cov, 0)));
        }
        String yaml = """
                name: cfg
                output: %s
                model: { type: djl, path: %s, shape: [1, 2, 2], batch: 3, labels: { count: 3 } }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { start: 0, count: 5 }
                block_size: 5
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [ 3 ]
                reference: %s
                guidance: [ 2.5 ]
                """;
        String cond = DjlSweepSparkTest.model("tiny_cond_onehot.pt");
        SweepConfig nullLabel = SweepConfig.parse(yaml.formatted(dir.resolve("null"), cond, ref)
                + "export: { configs: [ all ], format: npz }\n", "n");
        // tiny.pt is D = 0.5·x + σ: the null-label branch of the conditional network
        SweepConfig secondNet = SweepConfig.parse(yaml.formatted(dir.resolve("guide"), cond, ref)
                + "guide: { type: djl, path: " + DjlSweepSparkTest.model("tiny.pt") + ", shape: [1, 2, 2] }\n", "g");
        RunJob.run(spark, nullLabel, 0);
        RunJob.run(spark, secondNet, 0);
        Map<Long, Row> one = features(spark, dir.resolve("null")).get(nullLabel.points().get(0).id());
        Map<Long, Row> two = features(spark, dir.resolve("guide")).get(secondNet.points().get(0).id());
        assertEquals(5, one.size());
        for (long seed = 0; seed < 5; seed++) {
            List<Object> f1 = one.get(seed).getList(one.get(seed).fieldIndex("features"));
            List<Object> f2 = two.get(seed).getList(two.get(seed).fieldIndex("features"));
            assertEquals(f1, f2, "seed " + seed);
        }
        assertTrue(Files.readString(dir.resolve("guide/sweep/manifest.json")).contains("tiny.pt@"));
        // the exported npz holds each seed's label as arr_1, int64 [N], as ADM's class-conditional samples do
        String id = nullLabel.points().get(0).id();
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("null/samples/" + id + ".npz"))) {
            Npz.Array labels = Npz.read(in, id).get("arr_1");
            assertEquals(List.of(5L), java.util.Arrays.stream(labels.shape()).boxed().toList());
            for (int seed = 0; seed < 5; seed++) {
                assertEquals(ClassDraw.uniform(3).label(seed), labels.values()[seed], 0);
                assertEquals(ClassDraw.uniform(3).label(seed), (int) one.get((long) seed).<Integer>getAs("label"));
            }
        }
    }
}
