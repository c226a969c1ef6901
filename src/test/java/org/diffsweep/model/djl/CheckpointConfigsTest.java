package org.diffsweep.model.djl;

import static org.diffsweep.model.djl.CheckpointExportsTest.DIR;
import static org.diffsweep.model.djl.CheckpointExportsTest.compareState;
import static org.diffsweep.model.djl.CheckpointExportsTest.doubles;
import static org.diffsweep.model.djl.CheckpointExportsTest.fixture;
import static org.diffsweep.model.djl.CheckpointExportsTest.times;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.family.Cell;
import org.diffsweep.family.Conditioning;
import org.diffsweep.family.EdmCell;
import org.diffsweep.family.ModelSource;
import org.diffsweep.model.LabelInput;
import org.diffsweep.model.Network;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.junit.jupiter.api.Test;

/**
 * The conditional fixtures of {@link CheckpointExportsTest} run as a user runs them: a YAML config (the model block
 * with its {@code labels}, the process, top-level {@code labels}, {@code guidance} and {@code guide}, a {@code file}
 * grid for diffusers' levels), parsed by {@link SweepConfig}, its model and guide built by the family from
 * {@link ModelCache#source} as a sweep's task builds them ({@link ModelCache#model}), and sampled by the config's
 * own cell with the seeds' labels ({@code config.labelsOf}) and the point's guidance, as {@code BlockRunner} does;
 * only the latents are the fixture's instead of the seeds' streams ({@link EdmCell#sample(SampleModel, long[],
 * Conditioning, double[])}). Each network call is recorded at the network (x as the network sees it, its σ or
 * model time, and the labels) and compared with the reference run's, call by call, at the tolerance of
 * {@link CheckpointExportsTest#TRAJECTORY_REL}.
 */
class CheckpointConfigsTest {

    /** One network call: its input batch, scalar (σ or model time) and labels. */
    record Call(double[] x, double scalar, int[] labels) {
    }

    /** A network that records its calls and passes them on. */
    record RecordingNetwork(Network inner, List<Call> calls) implements Network {
        @Override
        public int dim() {
            return inner.dim();
        }

        @Override
        public String id() {
            return inner.id();
        }

        @Override
        public LabelInput labelInput() {
            return inner.labelInput();
        }

        @Override
        public double[] call(double[] x, int batch, double scalar) {
            calls.add(new Call(x.clone(), scalar, null));
            return inner.call(x, batch, scalar);
        }

        @Override
        public double[] call(double[] x, int batch, double scalar, int[] labels) {
            calls.add(new Call(x.clone(), scalar, labels.clone()));
            return inner.call(x, batch, scalar, labels);
        }
    }

    /** A config's model source ({@link ModelCache#source}) whose network records its calls. */
    record RecordingSource(ModelSource inner, List<Call> calls) implements ModelSource {
        @Override
        public org.diffsweep.model.GaussianMixture mixture() {
            return inner.mixture();
        }

        @Override
        public String output() {
            return inner.output();
        }

        @Override
        public String time() {
            return inner.time();
        }

        @Override
        public String timeDtype() {
            return inner.timeDtype();
        }

        @Override
        public LabelInput labels() {
            return inner.labels();
        }

        @Override
        public int[] shape() {
            return inner.shape();
        }

        @Override
        public String id() {
            return inner.id();
        }

        @Override
        public Network network(int channels, String input, String scalar) {
            return new RecordingNetwork(inner.network(channels, input, scalar), calls);
        }
    }

    /** What a config's first point made: the samples, its model's and its guide's network calls. */
    record Run(SweepConfig config, SweepPoint point, int[] labels, Cell.Sampled sampled, List<Call> calls,
               List<Call> guideCalls) {
    }

    static final HadoopConf HADOOP = new HadoopConf(new Configuration());

    /**
     * Parses a config, resolves its files as the driver does, builds its model (and guide) as a task does, and
     * samples its first point on seeds {@code seeds.start …} from the given standard normal latents.
     */
    static Run run(String yaml, double[] unitLatents, int batch) {
        SweepConfig config = ModelFiles.resolve(SweepConfig.parse(yaml, "parity.yaml"), new Configuration());
        assertEquals(1, config.points().size(), "one config");
        SweepPoint point = config.points().get(0);
        List<Call> calls = new ArrayList<>();
        List<Call> guideCalls = new ArrayList<>();
        SampleModel model = config.family().model(new RecordingSource(ModelCache.source(config.model(), HADOOP),
                calls));
        SampleModel guide = config.guide() == null ? null : config.family().model(
                new RecordingSource(ModelCache.source(config.guide(), HADOOP), guideCalls));
        long[] seeds = new long[batch];
        for (int r = 0; r < batch; r++) {
            seeds[r] = config.seedStart() + r;
        }
        int[] labels = config.labelsOf(seeds);
        Cell.Sampled sampled = ((EdmCell) point.cell()).sample(model, seeds,
                new Conditioning(labels, point.guidance(), guide), unitLatents);
        // what BlockRunner checks of every batch
        assertEquals(point.nfe(), sampled.calls(), "model calls");
        assertEquals(point.networkCalls(), sampled.networkCalls(), "network calls per sample");
        return new Run(config, point, labels, sampled, calls, guideCalls);
    }

    static String path(String file) {
        return DIR.resolve(file).toAbsolutePath().toString();
    }

    /** The classes of one-hot rows. */
    static int[] classes(JsonNode oneHot, int k) {
        double[] v = doubles(oneHot);
        int[] out = new int[v.length / k];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < k; c++) {
                if (v[r * k + c] == 1) {
                    out[r] = c;
                }
            }
        }
        return out;
    }

    /** A 5-step heun config on EDM's grid from a model block and the top-level conditioning keys. */
    static String heunConfig(String model, String conditioning) {
        return """
                name: parity
                output: %s
                model: %s
                process: { name: edm, sigma_min: 0.002, sigma_max: 80 }
                seeds: { start: 0, count: 2 }
                batch_size: 2
                samplers: [ { name: heun } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 9 ]
                reference: ref.npz   # not read: nothing here computes FID
                %s
                """.formatted(outputDir(), model, conditioning);
    }

    static String outputDir() {
        return Path.of(System.getProperty("diffsweep.test.tmp", System.getProperty("java.io.tmpdir")), "parity")
                .toString();
    }

    /**
     * heun through the config against a recorded edm_sampler run: σ, x and labels of every call of the main network,
     * and the sample; returns {max relative difference over the calls, at the sample}.
     */
    static double[] heunAgainst(JsonNode s, Run run, String what) {
        int steps = s.get("num_steps").intValue();
        double[] sigmas = new EdmGrid(s.get("sigma_min").doubleValue(), s.get("sigma_max").doubleValue(),
                s.get("rho").doubleValue()).sigmas(steps);
        int[] labels = classes(s.get("labels"), 10);
        assertArrayEquals(labels, run.labels(), what + ": the seeds' labels are the fixture's");
        JsonNode calls = s.get("calls");
        assertEquals(calls.size(), run.calls().size(), what + ": network calls");
        double worst = 0;
        for (int i = 0; i < calls.size(); i++) {
            Call c = run.calls().get(i);
            assertEquals(calls.get(i).get("sigma").doubleValue(), c.scalar(), 1e-8 * c.scalar(),
                    what + ": sigma of call " + i); // the fixture keeps 9 digits
            assertArrayEquals(labels, c.labels(), what + ": labels of call " + i);
            worst = Math.max(worst, compareState(what + " call " + i, c.x(), doubles(calls.get(i).get("x"))));
        }
        // the grid the config made is edm_sampler's (checked through the σ of the calls above, here whole)
        assertArrayEquals(sigmas, run.point().levels(), 1e-12 * sigmas[0], what + ": levels");
        double last = compareState(what + " sample", run.sampled().samples(), doubles(s.get("sample")));
        return new double[] {worst, last};
    }

    @Test
    void edmConditionalThroughTheConfig() throws IOException {
        JsonNode s = fixture("edm-cond.json").get("sampler");
        String yaml = heunConfig("{ type: djl, path: " + path("edm-cond.pt") + ", shape: [3, 8, 8], output: denoiser, "
                + "labels: { count: 10, encoding: one_hot } }", "labels: { cycle: [3, 7] }");
        Run run = run(yaml, doubles(s.get("latents")), 2);
        assertNull(run.point().guidance());
        double[] d = heunAgainst(s, run, "edm-cond.pt");
        System.out.printf("config heun, labels {cycle: [3, 7]} on edm-cond.pt vs %s: max relative difference %.3e "
                + "over the %d calls, %.3e at the sample%n", s.get("reference").textValue(), d[0], run.calls().size(),
                d[1]);
    }

    /**
     * edm2's sampler with its guide network (autoguidance, D = D_gnet + w·(D_net − D_gnet), w = 2) through the
     * config's {@code guide} and {@code guidance} keys; and the combined export (the guidance inside one network)
     * as a plain conditional model without them. Both against the same reference run.
     */
    @Test
    void edm2AutoguidanceThroughTheConfig() throws IOException {
        JsonNode f = fixture("edm2-cond.json");
        JsonNode s = f.get("sampler");
        double w = f.get("guidance").doubleValue();
        String labels = "{ count: 10, encoding: one_hot }";
        String yaml = heunConfig("{ type: djl, path: " + path("edm2-cond.pt") + ", shape: [3, 8, 8], output: denoiser, "
                + "labels: " + labels + " }", "labels: { cycle: [3, 7] }\nguidance: [ " + w + " ]\nguide: { type: djl, "
                + "path: " + path("edm2-cond-gnet.pt") + ", shape: [3, 8, 8], output: denoiser, labels: " + labels + " }");
        Run run = run(yaml, doubles(s.get("latents")), 2);
        assertEquals(w, run.point().guidance());
        assertEquals(2 * run.point().nfe(), run.point().networkCalls(), "guided: two networks per call");
        double[] d = heunAgainst(s, run, "edm2-cond.pt with guide edm2-cond-gnet.pt");
        // the guide saw the main network's inputs and labels, call by call
        assertEquals(run.calls().size(), run.guideCalls().size(), "guide calls");
        for (int i = 0; i < run.calls().size(); i++) {
            assertArrayEquals(run.calls().get(i).x(), run.guideCalls().get(i).x(), 0, "guide input of call " + i);
            assertEquals(run.calls().get(i).scalar(), run.guideCalls().get(i).scalar(), 0);
            assertArrayEquals(run.labels(), run.guideCalls().get(i).labels());
        }
        System.out.printf("config heun, guide edm2-cond-gnet.pt, guidance %s, labels {cycle: [3, 7]} on edm2-cond.pt "
                + "vs %s: max relative difference %.3e over the %d calls, %.3e at the sample%n", w,
                s.get("reference").textValue(), d[0], run.calls().size(), d[1]);

        Run combined = run(heunConfig("{ type: djl, path: " + path("edm2-cond-guided.pt") + ", shape: [3, 8, 8], "
                + "output: denoiser, labels: " + labels + " }", "labels: { cycle: [3, 7] }"), doubles(s.get("latents")), 2);
        double[] c = heunAgainst(s, combined, "edm2-cond-guided.pt");
        System.out.printf("config heun, labels {cycle: [3, 7]} on edm2-cond-guided.pt (guidance inside) vs %s: max "
                + "relative difference %.3e over the %d calls, %.3e at the sample%n", s.get("reference").textValue(),
                c[0], combined.calls().size(), c[1]);
    }

    /**
     * diffusers' schedulers on the class-conditional v-prediction UNet (squaredcos_cap_v2, labels 3 and 7, the
     * scheduler's table recomputed in float64) against diffsweep's samplers from configs: the {@code vp-discrete}
     * process with diffusers' β schedule, {@code output: v}, {@code time: ddpm-index}, {@code labels: {encoding:
     * index}}, and diffusers' σ levels as a {@code file} grid (DEIS's, which ends above 0, with a 0 appended as
     * {@code export_diffusers.py --grid deis:N} writes it: diffsweep then takes one more step, and the input of that
     * last call is DEIS's returned state).
     */
    @Test
    void diffusersVPredictionWithClassLabelsThroughTheConfig() throws IOException {
        JsonNode f = fixture("diffusers-v-cond.json");
        int[] labels = new int[f.get("labels").size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = f.get("labels").get(i).intValue();
        }
        double[] noise = doubles(f.get("noise"));
        int batch = f.get("noise_shape").get(0).intValue();
        Path dir = Files.createDirectories(Path.of(outputDir()));
        String[][] runs = {{"euler/float64", "euler"}, {"dpmsolver++2m/float64", "dpmpp-2m"},
            {"deis1/float64", "{ name: deis, order: 1 }"}};
        for (String[] r : runs) {
            JsonNode run = f.get("runs").get(r[0]);
            double[] sigmas = doubles(run.get("sigmas"));
            boolean endsAtZero = sigmas[sigmas.length - 1] == 0;
            StringBuilder csv = new StringBuilder("sigma\n");
            for (double v : sigmas) {
                csv.append(v).append('\n');
            }
            if (!endsAtZero) {
                csv.append("0\n");
            }
            Path grid = dir.resolve(r[0].replace('/', '-') + ".csv");
            Files.writeString(grid, csv);
            int steps = sigmas.length - (endsAtZero ? 1 : 0);
            String sampler = r[1].startsWith("{") ? r[1] : "{ name: " + r[1] + " }";
            String yaml = """
                    name: parity
                    output: %s
                    model: { type: djl, path: %s, shape: [3, 8, 8], output: v, time: ddpm-index,
                             labels: { count: 10, encoding: index } }
                    process: { name: vp-discrete, beta_schedule: squaredcos_cap_v2, num_train_timesteps: 1000 }
                    seeds: { start: 0, count: %d }
                    labels: { cycle: %s }
                    samplers: [ %s ]
                    grids: [ { name: file, path: %s } ]
                    nfe: [ %d ]
                    reference: ref.npz
                    """.formatted(outputDir(), path("diffusers-v-cond.pt"), batch, java.util.Arrays.toString(labels),
                    sampler, grid, steps);
            // diffusers' initial state: Euler's x̂ = noise·init_noise_sigma; the VP schedulers' x = noise
            // (init_noise_sigma 1) in the scaled state, that is x̂ = noise·√(1 + σ_0²)
            boolean vpState = !run.get("scheduler").textValue().startsWith("Euler");
            double init = run.get("init_noise_sigma").doubleValue();
            double[] x0 = times(noise, vpState ? init * Math.sqrt(1 + sigmas[0] * sigmas[0]) : init);
            // the config's first level (σ_0, clamped into the process's range as every grid is)
            SweepConfig parsed = SweepConfig.parse(yaml, "parity.yaml");
            double sigma0 = parsed.points().get(0).levels()[0];
            Run ours = run(yaml, times(x0, 1 / sigma0), batch);
            assertArrayEquals(labels, ours.labels(), r[0] + ": the seeds' labels are the fixture's");
            JsonNode calls = run.get("calls");
            assertEquals(calls.size() + (endsAtZero ? 0 : 1), ours.calls().size(), r[0] + ": network calls");
            // diffusers steps in float32 (its schedulers cast the state to it), and the first step from σ_0 = 20291
            // (squaredcos_cap_v2's last level) subtracts terms of magnitude A far above their result: Euler's
            // x̂ + (x̂ − D)·(σ_1 − σ_0)/σ_0 with |x̂| = σ_0·|n|; DDIM's (α_1/α_0)·x − σ_1(e^h − 1)·ε with α_1/α_0 =
            // √(1 + σ_0²)/√(1 + σ_1²) ≈ 3150 and h from float32 log-SNRs λ = −log σ. The rounding this leaves in the
            // reference's next state is at most K·u·A (u = 2⁻²⁴; K = 4 for the product, quotient and sums, plus
            // |λ_0| + |λ_1| for DDIM's log-SNRs, whose absolute error is |λ|·u); later steps carry it on without
            // growth (as TRAJECTORY_REL assumes). Euler's inputs are x̂/√(1 + σ²), which scales it down with them.
            // DPM-Solver++ forms (σ_1/σ_0)·x and α_1·x₀ terms of magnitude |n|: K·u·|n|, negligible.
            double u = 0x1p-24;
            double n = CheckpointExportsTest.maxAbs(noise);
            double first = vpState ? (r[1].startsWith("{") ? (4 + Math.log(sigmas[0]) + Math.abs(Math.log(sigmas[1])))
                    * u * n * Math.sqrt(1 + sigmas[0] * sigmas[0]) / Math.sqrt(1 + sigmas[1] * sigmas[1]) : 4 * u * n)
                    : 4 * u * init * n;
            double worst = 0;
            double worstTime = 0;
            for (int i = 0; i < calls.size(); i++) {
                Call c = ours.calls().get(i);
                double t = calls.get(i).get("t").doubleValue();
                worstTime = Math.max(worstTime, Math.abs(c.scalar() - t));
                assertEquals(t, c.scalar(), 1e-3, r[0] + ": model time of call " + i);
                assertArrayEquals(labels, c.labels(), r[0] + ": labels of call " + i);
                double allowance = i == 0 ? 0 : vpState ? first : first / Math.sqrt(1 + sigmas[i] * sigmas[i]);
                worst = Math.max(worst, compareState(r[0] + " call " + i, c.x(), doubles(calls.get(i).get("x")),
                        allowance));
            }
            double atSample;
            if (endsAtZero) {
                // at σ = 0 the scaled state is x̂ itself
                atSample = compareState(r[0] + " sample", ours.sampled().samples(), doubles(run.get("sample")), first);
            } else {
                // DEIS returns the scaled state at its last level: the input of diffsweep's extra call, at t = 0
                Call extra = ours.calls().get(calls.size());
                assertEquals(0, extra.scalar(), 1e-3, r[0] + ": the appended step's model time");
                atSample = compareState(r[0] + " sample", extra.x(), doubles(run.get("sample")), first);
            }
            System.out.printf("config %s, labels {cycle: %s}, file grid, on diffusers-v-cond.pt vs diffusers %s: max "
                    + "relative difference %.3e over the %d calls, %.3e at the sample; model times differ by at "
                    + "most %.2e steps (allowance for the reference's float32 first step: %.2e absolute)%n",
                    ours.point().sampler(), java.util.Arrays.toString(labels), r[0], Math.max(worst, atSample),
                    calls.size(), atSample, worstTime, first);
        }
    }

    /**
     * The block each export printed for its fixture (tools/export writes it as {@code NAME.model.yaml}; the fixtures
     * keep it as {@code model_block}) is a config's model as it stands: pasted above a sweep's other keys, with the
     * network paths pointed at the fixtures, it parses, its first line names the exported file's SHA-256, and it
     * declares the output, labels, process and guide that the parity runs above use.
     */
    @Test
    void theBlocksTheExportsPrintAreConfigsAsTheyStand() throws IOException {
        String skeleton = """
                name: pasted
                output: %s
                seeds: { start: 0, count: 2 }
                samplers: [ { name: euler } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 4 ]
                reference: ref.npz   # not read
                """.formatted(outputDir());
        String[][] expected = {
            // fixture, output, label count and encoding (or -), process, guide network (or -)
            {"edm-uncond", "denoiser", "-", "EdmProcess[sigmaMinValue=0.002, sigmaMaxValue=80.0]", "-"},
            {"edm-cond", "denoiser", "10 ONE_HOT", "EdmProcess[sigmaMinValue=0.002, sigmaMaxValue=80.0]", "-"},
            {"edm2-cond", "denoiser", "10 ONE_HOT", "EdmProcess[sigmaMinValue=0.002, sigmaMaxValue=80.0]",
                "edm2-cond-gnet.pt"},
            {"diffusers-eps", "epsilon", "-", "DdpmProcess[schedule=linear, betaStart=1.0E-4, betaEnd=0.02, "
                + "steps=1000, tableDtype=float32]", "-"},
            {"diffusers-v-cond", "v", "10 INDEX", "DdpmProcess[schedule=squaredcos_cap_v2, steps=1000, "
                + "tableDtype=float32]", "-"},
        };
        for (String[] e : expected) {
            JsonNode f = fixture(e[0] + ".json");
            String block = f.get("model_block").asText();
            String first = block.lines().findFirst().orElse("");
            assertTrue(first.startsWith("# exported by torch ") && first.endsWith("sha256 "
                    + f.get("model_sha256").asText()), e[0] + ": first line '" + first + "'");
            String yaml = block.replaceAll("path: ([\\w.-]+\\.pt)", "path: " + DIR.toAbsolutePath() + "/$1")
                    + (e[2].equals("-") ? "" : "labels: uniform\n") + skeleton;
            SweepConfig c = SweepConfig.parse(yaml, e[0] + ".model.yaml");
            String what = e[0] + "'s block:\n" + block;
            assertEquals(e[1], new com.fasterxml.jackson.databind.ObjectMapper().readTree(c.model().json())
                    .path("output").asText("denoiser"), what);
            LabelInput labels = c.model().labels();
            assertEquals(e[2], labels == null ? "-" : labels.count() + " " + labels.encoding(), what);
            assertEquals(e[3], c.family().process(), what);
            assertEquals(e[4], c.guide() == null ? "-" : Path.of(c.guide().net().path()).getFileName().toString(),
                    what);
        }
    }
}
