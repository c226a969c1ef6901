package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // the report shows each config's grid by class, one row per class among the grid's 5 seeds; a reference
        // without per-class statistics gives no per-class table, and fid.md says why
        String html = Files.readString(Path.of(org.diffsweep.jobs.ReportJob.run(
                spark.sparkContext().hadoopConfiguration(), nullLabel).toUri().getPath()));
        java.util.Set<Integer> classes = new java.util.TreeSet<>();
        for (int seed = 0; seed < 5; seed++) {
            classes.add(ClassDraw.uniform(3).label(seed));
        }
        assertEquals(classes.size(), html.split("<img class=\"strip\"", -1).length - 1, "one row per class");
        for (int c : classes) {
            assertTrue(html.contains("<tr><th>" + c + "</th>"), "class " + c);
        }
        assertTrue(!html.contains("id=\"fid-by-class\""));
        assertTrue(Files.readString(dir.resolve("null/fid/fid.md")).contains("FID by class: not measured, the "
                + "reference has no per-class statistics"));
    }

    /** Mean and unbiased covariance of rows by the two-pass textbook formulas. */
    private static Gaussian twoPass(List<double[]> rows, int d) {
        double[] mean = new double[d];
        for (double[] r : rows) {
            for (int i = 0; i < d; i++) {
                mean[i] += r[i] / rows.size();
            }
        }
        double[] cov = new double[d * d];
        for (double[] r : rows) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    cov[i * d + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (rows.size() - 1);
                }
            }
        }
        return new Gaussian(mean, cov, rows.size());
    }

    /**
     * The exact distribution of class c of a mixture with diagonal components, in closed form: the class's components
     * renormalised, mean Σ w_k μ_k / W and covariance Σ w_k (diag v_k + μ_k μ_kᵀ) / W − μμᵀ.
     */
    private static Gaussian exactClass(org.diffsweep.model.GaussianMixture m, int c) {
        int d = m.dim();
        double total = 0;
        double[] mean = new double[d];
        double[] second = new double[d * d];
        for (int k = 0; k < m.components(); k++) {
            if (m.componentClasses()[k] != c) {
                continue;
            }
            double w = m.weights()[k];
            double[] mu = m.means()[k];
            total += w;
            for (int i = 0; i < d; i++) {
                mean[i] += w * mu[i];
                second[i * d + i] += w * m.variances()[k][i];
                for (int j = 0; j < d; j++) {
                    second[i * d + j] += w * mu[i] * mu[j];
                }
            }
        }
        double[] cov = new double[d * d];
        for (int i = 0; i < d; i++) {
            mean[i] /= total;
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                cov[i * d + j] = second[i * d + j] / total - mean[i] * mean[j];
            }
        }
        return new Gaussian(mean, cov, 0);
    }

    /**
     * FID by class: each config's seeds of class c against class c's exact distribution, equal to the FID of those
     * seeds' features computed here directly (two-pass moments, FrechetDistance), and its SE equal to a jackknife
     * over the same seed groups computed here from the rows; the Spark reduce, the local reduce and a reference .npz
     * carrying the same per-class statistics give the same table; the report shows it.
     */
    @Test
    void fidByClassIsTheFidOfEachClasssSeeds() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("labels-by-class");
        String yaml = GMM.formatted(dir.resolve("run")).replace("count: 12", "count: 40").replace("block_size: 6",
                "block_size: 20") + "guidance: [1, 3]\n";
        SweepConfig config = SweepConfig.parse(yaml, "c");
        RunJob.run(spark, config, 0);
        Path csv = dir.resolve("run/fid/fid-by-class.csv");
        assertTrue(Files.exists(dir.resolve("run/fid/by-class.parquet")));
        List<Map<String, String>> rows = org.diffsweep.jobs.ReportJob.csv(Files.readString(csv).lines()
                .filter(l -> !l.startsWith("#")).collect(java.util.stream.Collectors.joining("\n")));
        assertEquals(4, rows.size(), "2 configs x 2 classes");
        org.diffsweep.model.GaussianMixture m = config.model().mixture();
        Map<String, Map<Long, Row>> features = features(spark, dir.resolve("run"));
        int groups = org.diffsweep.metrics.JackknifeFid.groups(40);
        for (Map<String, String> r : rows) {
            int c = Integer.parseInt(r.get("label"));
            Gaussian ref = exactClass(m, c);
            List<double[]> mine = new java.util.ArrayList<>();
            List<Integer> group = new java.util.ArrayList<>();
            for (long seed = 40; seed < 80; seed++) {
                Row f = features.get(r.get("config_id")).get(seed);
                if ((int) f.<Integer>getAs("label") == c) {
                    List<Object> v = f.getList(f.fieldIndex("features"));
                    mine.add(v.stream().mapToDouble(x -> (Float) x).toArray());
                    group.add(org.diffsweep.metrics.JackknifeFid.group(seed - 40, 40, groups));
                }
            }
            assertEquals(mine.size(), Long.parseLong(r.get("n")));
            assertTrue(mine.size() > 3 && r.get("flag").isEmpty(), "about 20 seeds of a class in D = 3: " + r);
            double fid = org.diffsweep.metrics.FrechetDistance.between(twoPass(mine, 3), ref);
            double got = Double.parseDouble(r.get("fid"));
            // float features of size O(1), 20 rows, D = 3: the two summation orders agree to ~1e-14 relative
            assertEquals(fid, got, 1e-9 * (1 + fid), r.toString());
            double[] loo = new double[groups];
            for (int g = 0; g < groups; g++) {
                List<double[]> rest = new java.util.ArrayList<>();
                for (int i = 0; i < mine.size(); i++) {
                    if (group.get(i) != g) {
                        rest.add(mine.get(i));
                    }
                }
                loo[g] = org.diffsweep.metrics.FrechetDistance.between(twoPass(rest, 3), ref);
            }
            double se = org.diffsweep.metrics.JackknifeFid.standardError(loo);
            assertEquals(se, Double.parseDouble(r.get("fid_se")), 1e-7 * (1 + se), r.toString());
            assertTrue(se > 0);
            assertEquals("exact", r.get("n_reference"));
        }
        // The same per-class statistics in a reference .npz, reduced without Spark: the same numbers.
        Path npz = dir.resolve("ref.npz");
        Gaussian whole = org.diffsweep.model.Models.exactReference(config.referenceModel());
        Map<String, Npz.Array> arrays = new java.util.LinkedHashMap<>(Npz.of(new Gaussian(whole.mean(), whole.cov(),
                1000)));
        double[] mu = new double[2 * 3];
        double[] sigma = new double[2 * 9];
        for (int c = 0; c < 2; c++) {
            Gaussian g = exactClass(m, c);
            System.arraycopy(g.mean(), 0, mu, 3 * c, 3);
            System.arraycopy(g.cov(), 0, sigma, 9 * c, 9);
        }
        arrays.put(Npz.CLASS_N, new Npz.Array(new long[] {2}, new double[] {500, 500}));
        arrays.put(Npz.CLASS_MU, new Npz.Array(new long[] {2, 3}, mu));
        arrays.put(Npz.CLASS_SIGMA, new Npz.Array(new long[] {2, 3, 3}, sigma));
        try (OutputStream o = Files.newOutputStream(npz)) {
            Npz.write(o, arrays);
        }
        SweepConfig fromFile = SweepConfig.parse(yaml + "reference: " + npz + "\n", "c");
        org.diffsweep.jobs.FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), fromFile, 2);
        List<Map<String, String>> local = org.diffsweep.jobs.ReportJob.csv(Files.readString(csv).lines()
                .filter(l -> !l.startsWith("#")).collect(java.util.stream.Collectors.joining("\n")));
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(rows.get(i).get("n"), local.get(i).get("n"));
            assertEquals(Double.parseDouble(rows.get(i).get("fid")), Double.parseDouble(local.get(i).get("fid")),
                    1e-12 * (1 + Double.parseDouble(rows.get(i).get("fid"))));
            assertEquals("500", local.get(i).get("n_reference"));
        }
        assertTrue(Files.readString(dir.resolve("run/fid/fid.md")).contains("## FID by class"));
        // the report shows the table, its cells as fid.md's: FID ± SE (n)
        String html = Files.readString(Path.of(org.diffsweep.jobs.ReportJob.run(
                spark.sparkContext().hadoopConfiguration(), fromFile).toUri().getPath()));
        Map<String, String> first = local.get(0);
        String cell = org.diffsweep.jobs.FidJob.classCell(Double.parseDouble(first.get("fid")),
                Double.parseDouble(first.get("fid_se")), Long.parseLong(first.get("n")), first.get("flag"));
        assertTrue(html.contains("id=\"fid-by-class\"") && html.contains(org.diffsweep.jobs.ReportJob.esc(cell)),
                cell + " in " + html);

        // KID by class against real features with labels (here the guidance-1 config's own features, as ref-stats
        // --keep writes them): each class's KID equals KID of that class's rows taken here, subsets of min(10, n).
        String w1 = config.points().get(0).id();
        long[] index = new long[40];
        float[] realRows = new float[40 * 3];
        int[] realLabels = new int[40];
        for (int i = 0; i < 40; i++) {
            Row f = features.get(w1).get(40L + i);
            index[i] = i;
            realLabels[i] = f.<Integer>getAs("label");
            List<Object> v = f.getList(f.fieldIndex("features"));
            for (int j = 0; j < 3; j++) {
                realRows[i * 3 + j] = (Float) v.get(j);
            }
        }
        Path kept = dir.resolve("real.parquet");
        FeatureParquet.writeKept(new org.apache.hadoop.fs.Path(kept.toString()), spark.sparkContext()
                .hadoopConfiguration(), index, realRows, 3, realLabels, Map.of());
        SweepConfig metrics = SweepConfig.parse(yaml + "metrics: { kid: { subsets: 5, subset_size: 10 } }\n"
                + "reference_features: " + kept + "\n", "c");
        org.diffsweep.jobs.MetricsJob.run(spark, metrics);
        List<Map<String, String>> kid = org.diffsweep.jobs.ReportJob.csv(Files.readString(
                dir.resolve("run/metrics/kid-by-class.csv")));
        assertEquals(4, kid.size());
        for (Map<String, String> r : kid) {
            int c = Integer.parseInt(r.get("label"));
            List<Float> gen = new java.util.ArrayList<>();
            List<Float> real = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Row f = features.get(r.get("config_id")).get(40L + i);
                if ((int) f.<Integer>getAs("label") == c) {
                    f.getList(f.fieldIndex("features")).forEach(x -> gen.add((Float) x));
                }
                if (realLabels[i] == c) {
                    for (int j = 0; j < 3; j++) {
                        real.add(realRows[i * 3 + j]);
                    }
                }
            }
            float[] g = new float[gen.size()];
            float[] re = new float[real.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = gen.get(i);
            }
            for (int i = 0; i < re.length; i++) {
                re[i] = real.get(i);
            }
            int size = Math.min(10, Math.min(g.length, re.length) / 3);
            org.diffsweep.metrics.Kid.Result expected = org.diffsweep.metrics.Kid.of(re, re.length / 3, g,
                    g.length / 3, 3, 5, size, metrics.metrics().seed());
            assertEquals(g.length / 3, Long.parseLong(r.get("n_generated")));
            assertEquals(re.length / 3, Long.parseLong(r.get("n_real")));
            assertEquals(Integer.toString(size), r.get("kid_subset_size"));
            assertEquals(expected.mean(), Double.parseDouble(r.get("kid_mean")), 0, r.toString());
            assertEquals(expected.se(), Double.parseDouble(r.get("kid_se")), 0, r.toString());
        }
        String withKid = Files.readString(Path.of(org.diffsweep.jobs.ReportJob.run(
                spark.sparkContext().hadoopConfiguration(), metrics).toUri().getPath()));
        assertTrue(withKid.contains("id=\"kid-by-class\"") && withKid.contains("id=\"fid-by-class\""));

        // per-class sums beyond the stage's memory budget: the config's FIDs as before, the classes left out, said so
        String before = Files.readString(dir.resolve("run/fid/fid.csv"));
        System.setProperty("spark.diffsweep.fid.memory", "1k");
        try {
            org.diffsweep.jobs.FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), fromFile, 2);
        } finally {
            System.clearProperty("spark.diffsweep.fid.memory");
        }
        assertTrue(Files.readString(dir.resolve("run/fid/fid.md")).contains("more than the fid stage's memory budget"));
        assertFalse(Files.exists(csv), "no per-class table when it was not measured");
        assertEquals(before.lines().filter(l -> !l.startsWith("#")).toList(), Files.readString(
                dir.resolve("run/fid/fid.csv")).lines().filter(l -> !l.startsWith("#")).toList());
    }
}
