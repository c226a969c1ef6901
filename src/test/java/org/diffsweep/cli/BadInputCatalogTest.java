package org.diffsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad inputs: every one gets exit code 2, exactly one line on stderr that names the bad value and
 * says what was expected, and leaves nothing behind that a later run could take for progress (no output directory
 * at all: no manifest, no block, no marker). Cases that need a network (a file that is not a model, a detector of the
 * wrong dimension, a reference that does not fit) are found by the driver after Spark starts but before anything is
 * written; the others before Spark starts.
 */
class BadInputCatalogTest {

    /** One bad input: what it is, the command line it makes in a fresh directory, and what its line must say. */
    record Case(String name, Setup setup, String... fragments) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Setup {
        String[] args(Path dir) throws Exception;
    }

    private static final String GMM = """
            name: bad
            output: OUT
            model: { type: gmm, random: { components: 2, dim: 3, seed: 1 } }
            seeds: { count: 10 }
            samplers: [ { name: euler } ]
            grids: [ { name: edm } ]
            nfe: [5]
            """;

    /** The tiny DJL network (D = 0.5·x + σ on 1×2×2 images) with the tiny 2-feature detector and a 2-d reference. */
    private static final String DJL = """
            name: bad-djl
            output: OUT
            model: { type: djl, path: MODEL, shape: [1, 2, 2], batch: 3 }
            detector: { path: DETECTOR, dim: 2 }
            process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
            seeds: { count: 4 }
            block_size: 4
            samplers: [ { name: euler } ]
            grids: [ { name: edm } ]
            nfe: [3]
            reference: REF
            """;

    /** The DJL config with two named detectors, (mean, max) with a 2-d reference and the 3-feature one with REF2. */
    private static final String DJL_TWO = DJL.replace("detector: { path: DETECTOR, dim: 2 }\n", """
            detectors:
              - { name: meanmax, path: DETECTOR, dim: 2, metric: FID, reference: REF }
              - { name: second, path: SECOND, dim: 3, metric: FD_DINOv2, reference: REF2 }
            """).replace("reference: REF\n", "");

    /** A multi-detector case: REF2 and SECOND filled in before the DJL placeholders. */
    private static Case two(String name, Yaml yaml, String... fragments) {
        return djl(name, d -> yaml.text(d).replace("REF2", npz(d, "ref2.npz", 3))
                .replace("SECOND", resource("tiny_features2.pt")), fragments);
    }

    /** Statistics of dimension {@code dim} that record a detector's SHA-256, as ref-stats writes them. */
    private static String npzOf(Path d, String name, int dim, String detectorSha256) throws Exception {
        double[] cov = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            cov[i * dim + i] = 1;
        }
        java.util.Map<String, Npz.Array> m = new java.util.LinkedHashMap<>(Npz.of(new Gaussian(new double[dim], cov,
                0)));
        m.put(Npz.DETECTOR_SHA256, Npz.Array.text(detectorSha256));
        Path p = d.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            Npz.write(o, m);
        }
        return p.toString();
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // --- the YAML itself
        c.add(yaml("malformed YAML", "name: bad\nseeds: { count: 10\nsamplers: [", "malformed YAML", "line"));
        c.add(yaml("empty file", "", "empty file", "expected a sweep configuration"));
        c.add(yaml("duplicate top-level key", GMM + "nfe: [10]\n", "Duplicate field 'nfe'"));
        c.add(yaml("duplicate key in a mapping", GMM.replace("seeds: { count: 10 }", "seeds: { count: 10, count: 20 }"),
                "Duplicate field 'count'"));
        c.add(yaml("unknown top-level key", GMM + "batchsize: 4\n", "batchsize: unknown key", "expected one of"));
        // --- the metrics: key's measures
        String exact = GMM + "reference: exact\n";
        c.add(yaml("inception score variant unknown", exact + "metrics: { inception_score: { variant: tf } }\n",
                "inception_score.variant", "'tf'", "expected one of torch-fidelity, stylegan3, adm"));
        c.add(yaml("inception score of 0 splits", exact + "metrics: { inception_score: { splits: 0 } }\n",
                "inception_score.splits", "expected 1 to 1000 splits"));
        c.add(yaml("inception score splits with adm", exact
                + "metrics: { inception_score: { variant: adm, splits: 10 } }\n", "given with variant adm",
                "5000 samples"));
        c.add(yaml("inception score without a detector", exact + "metrics: { inception_score: {} }\n",
                "inception_score", "without a detector", "class probabilities"));
        c.add(yaml("inception score unknown option", exact + "metrics: { inception_score: { shuffle: true } }\n",
                "shuffle: unknown key", "splits, variant"));
        c.add(yaml("precision/recall k of 0", exact + "metrics: { precision_recall: { k: 0 } }\n", "k",
                "expected 1 <= k <= 1000"));
        c.add(yaml("name with a space", GMM.replace("name: bad", "name: bad name"), "'bad name'",
                "expected letters"));
        c.add(yaml("name missing", GMM.replace("name: bad\n", ""), "name: missing"));
        // --- seeds and blocks
        c.add(yaml("seeds.count missing", GMM.replace("{ count: 10 }", "{ start: 3 }"), "seeds.count: missing"));
        c.add(yaml("seeds.count 0", GMM.replace("count: 10", "count: 0"), "seeds.count: 0"));
        c.add(yaml("seeds.start negative", GMM.replace("{ count: 10 }", "{ start: -1, count: 10 }"), "seeds.start: -1"));
        c.add(yaml("seeds past 2^32", GMM.replace("{ count: 10 }", "{ start: 4294967290, count: 10 }"),
                "seeds.count: 10", "4294967295"));
        c.add(yaml("seeds.count not a number", GMM.replace("count: 10", "count: ten"), "seeds.count", "ten"));
        c.add(yaml("block_size 0", GMM + "block_size: 0\n", "block_size: 0", "expected an integer between 1"));
        c.add(yaml("batch_size negative", GMM + "batch_size: -5\n", "batch_size: -5"));
        c.add(yaml("a plan of four billion blocks", GMM.replace("{ count: 10 }", "{ count: 4294967295 }")
                + "block_size: 1\n", "4294967295 seeds in blocks of 1", "expected at most 1000000"));
        // --- samplers, grids, budgets, process
        c.add(yaml("no samplers", GMM.replace("[ { name: euler } ]", "[]"), "samplers", "expected"));
        c.add(yaml("unknown sampler", GMM.replace("name: euler", "name: eulr"), "samplers[0]",
                "unknown sampler 'eulr'", "euler, heun"));
        c.add(yaml("unknown sampler option", GMM.replace("{ name: euler }", "{ name: heun, S_churn: 3 }"),
                "S_churn", "unknown option"));
        c.add(yaml("unknown grid", GMM.replace("{ name: edm }", "{ name: karras }"), "unknown grid 'karras'"));
        c.add(yaml("grid option not a number", GMM.replace("{ name: edm }", "{ name: edm, rho: seven }"), "rho",
                "seven", "expected a number"));
        c.add(yaml("nfe 0", GMM.replace("nfe: [5]", "nfe: [0]"), "nfe[0]", "0, expected an NFE"));
        c.add(yaml("nfe listed twice", GMM.replace("nfe: [5]", "nfe: [5, 5]"), "5 is listed twice"));
        c.add(yaml("nfe below the sampler's minimum", GMM.replace("euler", "heun").replace("[5]", "[2]"), "heun",
                "nfe = 2", "nfe >= 3"));
        c.add(yaml("unknown process", GMM + "process: { name: ve }\n", "'ve'", "expected one of"));
        c.add(yaml("unknown process option", GMM + "process: { name: edm, sigma_mn: 0.01 }\n", "sigma_mn"));
        c.add(yaml("two samplers with one label", GMM.replace("[ { name: euler } ]",
                "[ { name: euler, label: a }, { name: heun, label: a } ]"), "'a' labels two samplers"));
        c.add(yaml("vs an unknown label", GMM.replace("{ name: euler }", "{ name: euler, vs: nope }"),
                "unknown sampler label 'nope'"));
        c.add(yaml("grid_images too many", GMM + "grid_images: 5000\n", "grid_images: 5000", "expected 0 to 1024"));
        // --- models
        c.add(yaml("unknown model type", GMM.replace("type: gmm", "type: keras"), "'keras'", "expected gmm or djl"));
        c.add(yaml("gmm with both random and components", GMM.replace("seed: 1 }", "seed: 1 }, components: []"),
                "exactly one of 'random' or 'components'"));
        c.add(yaml("gmm of dimension 0", GMM.replace("dim: 3", "dim: 0"), "dim: 0", "expected 1 to"));
        c.add(djl("djl shape of two numbers", d -> DJL.replace("[1, 2, 2]", "[2, 2]"), "2 numbers", "[C, H, W]"));
        c.add(djl("djl with two channels", d -> DJL.replace("[1, 2, 2]", "[2, 2, 2]"), "C = 2",
                "expected 1 or 3 channels"));
        c.add(djl("djl unknown output", d -> DJL.replace("batch: 3 }", "batch: 3, output: logits }"), "'logits'",
                "expected denoiser"));
        c.add(djl("epsilon model without its time", d -> DJL.replace("batch: 3 }", "batch: 3, output: epsilon }"),
                "needs 'time'"));
        c.add(djl("v model on a process that is not variance-preserving", d -> DJL.replace("batch: 3 }",
                "batch: 3, output: v, time: sigma }"), "output v", "variance-preserving", "found edm", "tiny.pt"));
        c.add(djl("int64 time that is not a step index", d -> DJL.replace("batch: 3 }",
                "batch: 3, output: sample, time: sigma, time_dtype: int64 }"), "model.time_dtype",
                "int64 with time 'sigma'", "ddpm-index"));
        c.add(yaml("unknown beta schedule", GMM + "process: { name: vp-discrete, beta_schedule: cosine }\n",
                "beta_schedule 'cosine'", "squaredcos_cap_v2"));
        c.add(djl("model file missing", d -> DJL.replace("MODEL", d.resolve("missing.pt").toString()),
                "missing.pt", "not found"));
        c.add(djl("a text file named .pt", d -> DJL.replace("MODEL", text(d, "fake.pt")), "model", "fake.pt"));
        c.add(djl("a corrupt .onnx", d -> DJL.replace("MODEL", text(d, "fake.onnx")), "model", "fake.onnx"));
        c.add(djl("a model whose output has the wrong shape", d -> DJL.replace("MODEL", resource("tiny_shape.pt")),
                "tiny_shape.pt", "output shape"));
        c.add(djl("a model that returns NaN for every input", d -> DJL.replace("MODEL", resource("tiny_nan.pt")),
                "tiny_nan.pt", "returned NaN for 8 of 8 values of a probe batch of 2", "expected finite values"));
        c.add(djl("a model that only takes a batch of 1", d -> DJL.replace("MODEL", resource("tiny_batch1.pt")),
                "tiny_batch1.pt", "runs on a batch of 1 but fails on a batch of 2", "invalid for input of size 8",
                "expected a network that takes any batch size"));
        c.add(djl("a model whose rows depend on their batch (as an engine that computes a batch wrongly)",
                d -> DJL.replace("MODEL", resource("tiny_batchmix.pt")), "tiny_batchmix.pt",
                "row 0 of a probe batch of 2 at sigma = 2.0 differs from the same row alone by",
                "expected the same values to float32 round-off"));
        c.add(djl("a model.shape the network does not take", d -> DJL.replace("MODEL",
                Path.of("models/fmnist-edm-denoiser.pt").toAbsolutePath().toString()).replace("[1, 2, 2]",
                "[1, 30, 30]"), "fmnist-edm-denoiser.pt", "model.shape [1, 30, 30]", "RuntimeError: Sizes of tensors"));
        c.add(djl("a model directory named .pt", d -> DJL.replace("MODEL",
                Files.createDirectories(d.resolve("dir.pt")).toString()), "dir.pt"));
        c.add(djl("an s3a:// model without credentials", d -> DJL.replace("MODEL", "s3a://no-such-bucket/tiny.pt"),
                "model file s3a://no-such-bucket/tiny.pt: cannot read", "expected a file this machine may read"));
        // --- class labels and guidance
        c.add(djl("a label count the network does not take", d -> DJL.replace("MODEL", resource("tiny_cond_onehot.pt"))
                .replace("batch: 3 }", "batch: 3, labels: { count: 5 } }"), "tiny_cond_onehot.pt",
                "labels (5 classes)", "failed in the network", "expected the label count and encoding the network takes"));
        c.add(new Case("norm-stats on a class-conditional network", d -> new String[] {"norm-stats",
                conf(d, DJL.replace("MODEL", resource("tiny_cond_onehot.pt")).replace("DETECTOR",
                resource("tiny_features.pt")).replace("REF", npz(d, "ref.npz", 2)).replace("batch: 3 }",
                "batch: 3, labels: { count: 3 } }")), "--out", d.resolve("out/n.csv").toString(), "--seeds", "4"},
                "norm-stats measures a model without labels", "expected an unconditional model"));
        c.add(yaml("a guidance scale on an unconditional model", GMM + "guidance: [2]\n", "guidance:",
                "unconditional", "expected a class-conditional model"));
        c.add(yaml("labels for an unconditional model", GMM + "labels: uniform\n", "labels:", "is unconditional"));
        c.add(yaml("a label outside the model's classes", GMM.replace("seed: 1 }", "seed: 1, classes: 2 }")
                + "labels: [0, 2]\n", "labels[1]: 2", "expected a class from 0 to 1"));
        c.add(yaml("a label cycle with a class outside the model's", GMM.replace("seed: 1 }", "seed: 1, classes: 2 }")
                + "labels: { cycle: [1, 3] }\n", "labels.cycle[1]: 3", "expected a class from 0 to 1"));
        c.add(djl("a guide network of another shape", d -> DJL.replace("MODEL", resource("tiny_cond_onehot.pt"))
                .replace("batch: 3 }", "batch: 3, labels: { count: 3 } }") + "guidance: [2]\nguide: { type: djl, "
                + "path: " + resource("tiny.pt") + ", shape: [1, 4, 4] }\n", "guide.shape: [1, 4, 4]",
                "expected the model's shape [1, 2, 2]"));
        c.add(djl("a guide network whose output has the wrong shape", d -> DJL.replace("MODEL",
                resource("tiny_cond_onehot.pt")).replace("batch: 3 }", "batch: 3, labels: { count: 3 } }")
                + "guidance: [2]\nguide: { type: djl, path: " + resource("tiny_shape.pt") + ", shape: [1, 2, 2] }\n",
                "guide", "tiny_shape.pt", "output shape"));
        // --- detector and reference
        c.add(yaml("a detector on a gmm", GMM + "detector: { path: x.pt, dim: 2 }\n", "a detector needs an image "
                + "model"));
        c.add(djl("detector dim 0", d -> DJL.replace("dim: 2", "dim: 0"), "dim: 0", "expected 1 to"));
        c.add(djl("detector dim differs from its output", d -> DJL.replace("dim: 2", "dim: 3")
                .replace("REF", npz(d, "ref3.npz", 3)), "detector", "tiny_features.pt", "(2 values each)",
                "expected 3 values each"));
        c.add(djl("a text file as detector", d -> DJL.replace("DETECTOR", text(d, "det.pt")), "detector", "det.pt"));
        c.add(djl("a detector that returns a tuple", d -> DJL.replace("DETECTOR", resource("tiny_tuple.pt")),
                "tiny_tuple.pt", "returned 2 tensors ((2, 1), (2, 1))", "expected one tensor of 2 values"));
        c.add(djl("a weight file (.pth) as detector", d -> DJL.replace("DETECTOR", resource("tiny_weights.pth")),
                "detector", "tiny_weights.pth is a weight file (torch.save, no network code)",
                "expected a TorchScript detector", "tools/detectors/build_pytorch_fid.py"));
        c.add(djl("a detector whose output is not a [B, D] matrix", d -> DJL.replace("DETECTOR",
                resource("tiny_features4d.pt")), "tiny_features4d.pt", "output shape (2, 2, 1, 1)",
                "expected a feature matrix [2, 2]"));
        c.add(djl("an Inception Score from a detector without class probabilities", d -> DJL
                + "reference_features: " + d.resolve("none.features.parquet") + "\n"
                + "metrics: { inception_score: { splits: 2, variant: stylegan3 } }\n", "metrics.inception_score",
                "tiny_features.pt", "has no class probabilities", "expected a detector with NVIDIA's"));
        c.add(djl("a detector without dim whose file does not state it", d -> DJL.replace(
                "detector: { path: DETECTOR, dim: 2 }", "detector: { path: DETECTOR }"), "tiny_features.pt",
                "does not state its feature dimension", "expected dim:"));
        c.add(djl("a dim that contradicts NVIDIA's interface", d -> DJL.replace("DETECTOR", detectorResource(
                "standin-tiny.pt")), "standin-tiny.pt", "dim 2, but the file gives 2048 features",
                "expected dim: 2048 or none"));
        c.add(djl("reference sigma not symmetric", d -> DJL.replace("REF", npz(d, "asym.npz", new long[] {2},
                new long[] {2, 2}, 1, 0.5, 0, 1)), "asym.npz", "sigma is not symmetric: sigma[0, 1] = 0.5 but sigma[1, 0]"
                + " = 0.0", "expected a covariance"));
        c.add(djl("reference sigma not PSD", d -> DJL.replace("REF", npz(d, "npsd.npz", new long[] {2},
                new long[] {2, 2}, 1, 2, 2, 1)), "npsd.npz", "not positive semi-definite", "smallest eigenvalue is "
                + "-1.000", "expected a covariance"));
        c.add(djl("reference sigma with a NaN", d -> DJL.replace("REF", npz(d, "nan.npz", new long[] {2},
                new long[] {2, 2}, 1, 0, 0, Double.NaN)), "nan.npz", "sigma[1, 1] = NaN", "expected finite"));
        c.add(yaml("reference sigma (4, 16) for 8 features", GMM.replace("dim: 3", "dim: 8") + "reference: REF\n",
                "shape416.npz", "sigma has shape (4, 16), expected (8, 8)"));
        c.add(djl("reference mu of two dimensions", d -> DJL.replace("REF", npz(d, "mu2.npz", new long[] {1, 2},
                new long[] {2, 2}, 1, 0, 0, 1)), "mu2.npz", "mu has shape (1, 2), expected (D,)"));
        c.add(djl("reference missing", d -> DJL.replace("REF", d.resolve("nope.npz").toString()), "nope.npz",
                "not found"));
        c.add(djl("reference of the wrong dimension", d -> DJL.replace("REF", npz(d, "ref3.npz", 3)), "ref3.npz",
                "has 3 features, expected 2"));
        c.add(djl("reference truncated", d -> DJL.replace("REF", truncated(npz(d, "cut.npz", 2))), "cut.npz",
                "expected"));
        c.add(djl("reference that is a directory", d -> DJL.replace("REF",
                Files.createDirectories(d.resolve("dir.npz")).toString()), "dir.npz"));
        c.add(yaml("reference not .npz", GMM + "reference: stats.pkl\n", "'stats.pkl'", "expected 'exact' or a "
                + ".npz file"));
        c.add(djl("reference 'exact' for a network", d -> DJL.replace("REF", "exact"), "'exact' needs an analytic "
                + "model"));
        // --- statistics files the samplers and grids name
        c.add(yaml("a score table that is not a table", GMM.replace("{ name: euler }",
                "{ name: deis-sn, order: 2, norm: NORM }"), "score table", "bad.csv", "line 1"));
        c.add(yaml("a schedule file without sigma", GMM.replace("{ name: edm }", "{ name: file, path: GRID }"),
                "grid file", "grid.csv", "no 'sigma' column"));
        c.add(new Case("a schedule file that is a directory", d -> new String[] {"run", conf(d, GMM.replace(
                "{ name: edm }", "{ name: file, path: " + Files.createDirectories(d.resolve("sched.csv")) + " }"))},
                "grid file", "sched.csv", "it is a directory, expected a file"));
        // --- outputs and command-line values
        c.add(new Case("output under a file", d -> {
            Path f = Files.writeString(d.resolve("a-file"), "x");
            return new String[] {"run", conf(d, GMM), "--out", f.resolve("out").toString()};
        }, "is a file, expected a writable directory"));
        c.add(new Case("output under /proc", d -> new String[] {"run", conf(d, GMM), "--out", "/proc/diffsweep-out"},
                "/proc", "expected a writable directory"));
        c.add(new Case("output on an unreachable HDFS", d -> new String[] {"run", conf(d, GMM), "--out",
                "hdfs://127.0.0.1:1/x"}, "hdfs://127.0.0.1:1/x", "cannot reach it"));
        c.add(new Case("output on an unknown file system", d -> new String[] {"run", conf(d, GMM), "--out",
                "nofs://bucket/x"}, "nofs://bucket/x", "expected a path on a file system"));
        c.add(new Case("--partitions negative", d -> new String[] {"sweep", conf(d, GMM), "--partitions", "-1"},
                "--partitions -1", "expected 0"));
        c.add(new Case("--master that Spark cannot parse", d -> new String[] {"run", conf(d, GMM), "--master",
                "foo://bar"}, "--master foo://bar: not a Spark master URL", "expected local[*]"));
        c.add(new Case("a config file of random bytes", d -> {
            byte[] junk = new byte[300];
            new java.util.Random(3).nextBytes(junk);
            return new String[] {"run", Files.write(d.resolve("junk.yaml"), junk).toString()};
        }, "junk.yaml: not UTF-8 text", "expected a YAML"));
        c.add(new Case("ref-stats on a .gz that is not gzip", d -> {
            byte[] junk = new byte[300];
            new java.util.Random(4).nextBytes(junk);
            return new String[] {"ref-stats", "--data", Files.write(d.resolve("junk-idx3-ubyte.gz"), junk).toString(),
                "--out", d.resolve("out/ref.npz").toString()};
        }, "junk-idx3-ubyte.gz: not a gzip file", "expected a .gz file"));
        c.add(new Case("ref-stats --dim the detector does not return", d -> new String[] {"ref-stats", "--data",
                idx(d), "--detector", resource("tiny_features.pt"), "--dim", "64", "--out",
                d.resolve("out/ref.npz").toString()}, "--dim 64", "tiny_features.pt", "output shape (2, 2)",
                "(2 values each), expected 64 values each"));
        c.add(new Case("ref-stats with a weight file as detector", d -> new String[] {"ref-stats", "--data",
                idx(d), "--detector", resource("tiny_weights.pth"), "--out", d.resolve("out/ref.npz").toString()},
                "tiny_weights.pth is a weight file", "expected a TorchScript detector"));
        c.add(new Case("ref-stats detector that returns a tuple", d -> new String[] {"ref-stats", "--data",
                idx(d), "--detector", resource("tiny_tuple.pt"), "--dim", "2", "--out",
                d.resolve("out/ref.npz").toString()}, "tiny_tuple.pt", "returned 2 tensors"));
        c.add(new Case("norm-stats with a model that returns NaN", d -> new String[] {"norm-stats",
                djlConf(d, "tiny_nan.pt"), "--out", d.resolve("out/n.csv").toString(), "--seeds", "4", "--shard", "2",
                "--steps", "10"}, "tiny_nan.pt", "returned NaN", "expected finite values"));
        c.add(new Case("schedule with a model that only takes a batch of 1", d -> new String[] {"schedule",
                djlConf(d, "tiny_batch1.pt"), "--out", d.resolve("out/s.csv").toString(), "--seeds", "4", "--shard",
                "2", "--steps", "4", "--points", "10"}, "tiny_batch1.pt", "runs on a batch of 1 but fails"));
        c.add(yaml("a tab in the indentation", "name: bad\n\tseeds: 3\n", "malformed YAML at line 2",
                "found character '\\t(TAB)' that cannot start any token"));
        c.add(new Case("config file missing", d -> new String[] {"run", d.resolve("nope.yaml").toString()},
                "nope.yaml: no such file"));
        c.add(new Case("oracle --seeds 0", d -> new String[] {"oracle", conf(d, GMM), "--seeds", "0"},
                "--seeds 0", "expected at least 1"));
        c.add(new Case("norm-stats --out not .csv", d -> new String[] {"norm-stats", conf(d, GMM), "--out",
                d.resolve("out/t.txt").toString()}, "t.txt", "expected a .csv file"));
        c.add(new Case("ref-stats on a truncated .gz", d -> new String[] {"ref-stats", "--data", truncatedIdxGz(d),
                "--out", d.resolve("out/ref.npz").toString()}, "images-idx3-ubyte.gz", "truncated or corrupt"));
        c.add(new Case("ref-stats with a labels file of another count", d -> {
            String images = idx(d);
            try (java.io.DataOutputStream o = new java.io.DataOutputStream(Files.newOutputStream(
                    d.resolve("labels-idx1-ubyte")))) {
                o.writeInt(0x801);
                o.writeInt(3);
                o.write(new byte[] {0, 1, 2});
            }
            return new String[] {"ref-stats", "--data", images, "--out", d.resolve("out/ref.npz").toString()};
        }, "labels-idx1-ubyte: 3 labels", "expected one per image", "(4)"));
        c.add(new Case("reference class_sigma of the wrong shape", d -> {
            java.util.Map<String, Npz.Array> m = new java.util.LinkedHashMap<>(Npz.of(new Gaussian(new double[3],
                    new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0)));
            m.put(Npz.CLASS_N, new Npz.Array(new long[] {2}, new double[] {5, 5}));
            m.put(Npz.CLASS_MU, new Npz.Array(new long[] {2, 3}, new double[6]));
            m.put(Npz.CLASS_SIGMA, new Npz.Array(new long[] {2, 3}, new double[6]));
            Path p = d.resolve("classes.npz");
            try (OutputStream o = Files.newOutputStream(p)) {
                Npz.write(o, m);
            }
            return new String[] {"run", conf(d, GMM + "reference: " + p + "\n")};
        }, "classes.npz", "class_mu (2, 3) and class_sigma (2, 3), expected (2, 3) and (2, 3, 3)"));
        c.add(new Case("ref-stats data set missing", d -> new String[] {"ref-stats", "--data",
                d.resolve("none-idx3-ubyte").toString(), "--out", d.resolve("out/ref.npz").toString()},
                "none-idx3-ubyte", "not found"));
        // --- several detectors (detectors:) and their references
        c.add(two("two detectors with one name", d -> DJL_TWO.replace("name: second", "name: meanmax"),
                "detectors[1].name", "'meanmax' names two detectors", "expected unique names"));
        c.add(two("detector: beside detectors:", d -> DJL_TWO.replace("detectors:",
                "detector: { path: DETECTOR, dim: 2 }\ndetectors:"), "detector: given beside detectors:",
                "expected each detector of the list to name its own network"));
        c.add(two("reference: beside detectors:", d -> DJL_TWO + "reference: REF\n", "reference: given beside "
                + "detectors:", "its own reference"));
        c.add(two("a detector of the list without its reference", d -> DJL_TWO.replace(", reference: REF2", ""),
                "detectors[1].reference: missing"));
        c.add(two("a detector name with capitals", d -> DJL_TWO.replace("name: second", "name: Second"),
                "'Second'", "expected a lower-case letter"));
        c.add(two("a metric name with a space", d -> DJL_TWO.replace("metric: FD_DINOv2", "metric: 'FD DINOv2'"),
                "'FD DINOv2'", "expected a name such as FID or FD_DINOv2"));
        c.add(two("a further detector's reference made with another detector", d -> DJL_TWO.replace("REF2",
                npzOf(d, "other.npz", 3, "ab".repeat(32))), "other.npz was made with detector sha256 "
                + "ab".repeat(32), "expected detector second (tiny_features2.pt@", "rerun ref-stats"));
        c.add(two("a further detector's reference of the wrong dimension", d -> DJL_TWO.replace("REF2",
                npz(d, "ref2d.npz", 2)), "ref2d.npz has 2 features, expected 3 (detector tiny_features2.pt@"));
        c.add(djl("a single detector's reference made with another detector", d -> DJL.replace("REF",
                npzOf(d, "other1.npz", 2, "cd".repeat(32))), "other1.npz was made with detector sha256 "
                + "cd".repeat(32), "expected tiny_features.pt@"));
        c.add(new Case("ref-stats with two --detector and one --dim", d -> new String[] {"ref-stats", "--data",
                idx(d), "--detector", resource("tiny_features.pt"), "--detector", resource("tiny_features2.pt"),
                "--dim", "2", "--out", d.resolve("out/a.npz").toString(), "--out", d.resolve("out/b.npz").toString()},
                "2 --detector, 1 --dim", "expected one --dim per --detector"));
        c.add(new Case("ref-stats with two detectors and one --out", d -> new String[] {"ref-stats", "--data",
                idx(d), "--detector", resource("tiny_features.pt"), "--detector", resource("tiny_features2.pt"),
                "--dim", "2", "--dim", "3", "--out", d.resolve("out/a.npz").toString()},
                "--out given 1 times", "expected one .npz per detector (2)"));
        c.add(new Case("ref-stats on an .npz of statistics, not images", d -> new String[] {"ref-stats", "--data",
                npz(d, "stats.npz", 2), "--out", d.resolve("out/ref.npz").toString()}, "stats.npz",
                "no uint8 image array", "expected arr_0 of uint8 images [N, H, W, C]"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedInOneLineWithNothingWritten(Case bad) throws Exception {
        Path dir = SparkTestSupport.tempDir("catalogue");
        String[] args = bad.setup().args(dir);
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        String line = err.toString().trim();
        assertEquals(Main.EXIT_BAD_INPUT, code, bad + ": " + line);
        assertEquals(1, line.lines().count(), bad + ": expected one line, got: " + line);
        assertTrue(line.startsWith("diffsweep: error: "), line);
        for (String f : bad.fragments()) {
            assertTrue(line.contains(f), bad + ": '" + f + "' not in: " + line);
        }
        assertFalse(Files.exists(dir.resolve("out")), bad + ": nothing may be written, found " + list(dir));
    }

    // --- helpers: each writes what a case needs into its own directory

    private static Case yaml(String name, String yaml, String... fragments) {
        return new Case(name, d -> new String[] {"run", conf(d, yaml)}, fragments);
    }

    @FunctionalInterface
    interface Yaml {
        String text(Path dir) throws Exception;
    }

    private static Case djl(String name, Yaml yaml, String... fragments) {
        return new Case(name, d -> {
            String text = yaml.text(d).replace("MODEL", resource("tiny.pt"))
                    .replace("DETECTOR", resource("tiny_features.pt")).replace("REF", npz(d, "ref.npz", 2));
            return new String[] {"run", conf(d, text)};
        }, fragments);
    }

    /** The DJL config with the tiny detector, a 2-d reference and the given test model; its path. */
    private static String djlConf(Path d, String model) throws Exception {
        return conf(d, DJL.replace("MODEL", resource(model)).replace("DETECTOR", resource("tiny_features.pt"))
                .replace("REF", npz(d, "ref.npz", 2)));
    }

    /** Writes the config with OUT, NORM and GRID filled in, and returns its path. */
    private static String conf(Path d, String yaml) throws Exception {
        Path bad = Files.writeString(d.resolve("bad.csv"), "this,is\nnot,a table\n");
        Path grid = Files.writeString(d.resolve("grid.csv"), "steps,level\n2,1\n");
        Path conf = d.resolve("conf.yaml");
        if (yaml.contains("reference: REF")) {
            yaml = yaml.replace("REF", npz(d, "shape416.npz", new long[] {8}, new long[] {4, 16}, new double[64]));
        }
        Files.writeString(conf, yaml.replace("OUT", d.resolve("out").toString()).replace("NORM", bad.toString())
                .replace("GRID", grid.toString()));
        return conf.toString();
    }

    private static String resource(String file) throws Exception {
        return Path.of(BadInputCatalogTest.class.getResource("/models/" + file).toURI()).toString();
    }

    private static String detectorResource(String file) throws Exception {
        return Path.of(BadInputCatalogTest.class.getResource("/detectors/" + file).toURI()).toString();
    }

    private static String text(Path d, String name) throws Exception {
        return Files.writeString(d.resolve(name), "this is not a network\n").toString();
    }

    /** Reference statistics of dimension {@code dim}: zero mean, identity covariance. */
    private static String npz(Path d, String name, int dim) throws Exception {
        double[] cov = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            cov[i * dim + i] = 1;
        }
        Path p = d.resolve(name);
        if (!Files.exists(p)) {
            try (OutputStream o = Files.newOutputStream(p)) {
                Npz.write(o, Npz.of(new Gaussian(new double[dim], cov, 0)));
            }
        }
        return p.toString();
    }

    /** Arrays mu and sigma of the given shapes, sigma's values as given, mu zero. */
    private static String npz(Path d, String name, long[] muShape, long[] sigmaShape, double... sigma)
            throws Exception {
        java.util.Map<String, Npz.Array> m = new java.util.LinkedHashMap<>();
        m.put("mu", new Npz.Array(muShape, new double[(int) Arrays.stream(muShape).reduce(1, (a, b) -> a * b)]));
        m.put("sigma", new Npz.Array(sigmaShape, sigma));
        Path p = d.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            Npz.write(o, m);
        }
        return p.toString();
    }

    /** An IDX file of 4 images of 4×4 pixels. */
    private static String idx(Path d) throws Exception {
        Path p = d.resolve("images-idx3-ubyte");
        try (java.io.DataOutputStream o = new java.io.DataOutputStream(Files.newOutputStream(p))) {
            o.writeInt(0x803);
            o.writeInt(4);
            o.writeInt(4);
            o.writeInt(4);
            byte[] px = new byte[4 * 16];
            new java.util.Random(1).nextBytes(px);
            o.write(px);
        }
        return p.toString();
    }

    private static String truncated(String path) throws Exception {
        byte[] b = Files.readAllBytes(Path.of(path));
        Files.write(Path.of(path), Arrays.copyOf(b, b.length / 2));
        return path;
    }

    /** An IDX file of 100 images of 4×4 pixels, gzipped, then cut in half. */
    private static String truncatedIdxGz(Path d) throws Exception {
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream o = new java.io.DataOutputStream(new GZIPOutputStream(raw))) {
            o.writeInt(0x803);
            o.writeInt(100);
            o.writeInt(4);
            o.writeInt(4);
            java.util.Random r = new java.util.Random(1);
            byte[] px = new byte[100 * 16];
            r.nextBytes(px);
            o.write(px);
        }
        byte[] b = raw.toByteArray();
        Path p = d.resolve("images-idx3-ubyte.gz");
        Files.write(p, Arrays.copyOf(b, b.length / 2));
        return p.toString();
    }

    private static String list(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(dir::relativize).map(Path::toString).toList().toString();
        }
    }
}
