package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EpsilonDenoiser;
import org.diffsweep.diffusion.EpsilonModel;
import org.diffsweep.diffusion.ModelTime;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Deis;
import org.diffsweep.sampler.DpmSolverPlusPlus2M;
import org.diffsweep.sampler.Euler;
import org.diffsweep.sampler.Heun;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.ClampedGrid;
import org.diffsweep.schedule.EdmGrid;
import org.diffsweep.schedule.FileGrid;
import org.diffsweep.schedule.TimeGrid;
import org.junit.jupiter.api.Test;

/**
 * The files tools/export/ writes, on small random-weight networks of NVlabs/edm, NVlabs/edm2 and diffusers
 * (src/test/resources/checkpoints/, made by tools/fixtures/checkpoint_fixtures.py; docs/checkpoints.md):
 * <ul>
 *   <li>DJL's libtorch loads each TorchScript file saved by the export's torch, and its forward pass on the
 *       fixture's inputs (labels included, as float one-hot rows or int64 indices) gives the original Python
 *       module's outputs;</li>
 *   <li>diffsweep's samplers on the exported networks take the reference samplers' steps: {@code heun} against
 *       NVlabs/edm's {@code edm_sampler}, and {@code euler}, {@code dpmpp-2m} and {@code deis} against diffusers'
 *       schedulers from the same noise on the same levels, every model call's input and the final sample.</li>
 * </ul>
 * The conditional files (labels, guidance, a guide network) are sampled through a user's config, with the same
 * fixtures and tolerances, by {@link CheckpointConfigsTest}.
 * Tolerances are float32's: the models run in float32, in DJL's libtorch here and in the export's torch there,
 * which may sum a convolution in another order (a few float32 ulps of the largest value per layer, through a
 * dozen layers: {@link #FORWARD_REL} of the output's scale); along a trajectory the states are compared relative
 * to the largest value of the reference state ({@link #TRAJECTORY_REL}: the per-call error times the ≤ 10 calls
 * whose errors a state carries, the samplers' steps being contractions or near them at these step sizes).
 */
class CheckpointExportsTest {

    static final Path DIR = Path.of("src/test/resources/checkpoints");
    /** Forward pass: |DJL − Python| ≤ FORWARD_REL · max(1, max |Python output|). */
    static final double FORWARD_REL = 1e-5;
    /** A state along a trajectory: |diffsweep − reference| ≤ TRAJECTORY_REL · max(1, max |reference state|). */
    static final double TRAJECTORY_REL = 1e-4;

    static JsonNode fixture(String name) throws IOException {
        return new ObjectMapper().readTree(DIR.resolve(name).toFile());
    }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).doubleValue();
        }
        return out;
    }

    static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).doubleValue();
        }
        return out;
    }

    static int[] chw(JsonNode shape) {
        return new int[] {shape.get(0).intValue(), shape.get(1).intValue(), shape.get(2).intValue()};
    }

    /** The input list of a fixture's forward call: x, the scalar (sigma or t), and labels if it has them. */
    static NDList inputs(ai.djl.ndarray.NDManager m, JsonNode f, String scalar) {
        int b = f.get("batch").intValue();
        int[] s = chw(f.get("shape"));
        NDList list = new NDList(m.create(floats(f.get("x")), new Shape(b, s[0], s[1], s[2])),
                m.create(floats(f.get(scalar)), new Shape(b)));
        if (f.has("labels")) {
            list.add(labels(m, f.get("labels"), f.get("labels_dtype").textValue(), b));
        }
        return list;
    }

    static NDArray labels(ai.djl.ndarray.NDManager m, JsonNode values, String dtype, int batch) {
        if (dtype.equals("int64")) {
            long[] idx = new long[values.size()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = values.get(i).longValue();
            }
            return m.create(idx, new Shape(batch));
        }
        return m.create(floats(values), new Shape(batch, values.size() / batch));
    }

    /** Runs {@code file} through DJL on the forward fixture {@code f}; asserts and returns max |DJL − Python|. */
    static double forward(String file, JsonNode f, String scalar) {
        double[] expected = doubles(f.get("output"));
        int b = f.get("batch").intValue();
        float[] got;
        try (DjlNet net = DjlNet.load(file, DIR.resolve(file), "cpu")) {
            got = net.call(m -> inputs(m, f, scalar), o -> DjlNet.single(file, o, b, expected.length / b));
        }
        double scale = 1;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
        }
        System.out.printf("%s: DJL vs Python module, max |diff| %.3e (relative to max |output| %.3e)%n", file, worst,
                worst / scale);
        assertTrue(worst <= FORWARD_REL * scale, file + ": max |DJL - Python| = " + worst + " > " + FORWARD_REL * scale);
        return worst;
    }

    @Test
    void edmExportsGiveThePythonOutputs() throws IOException {
        forward("edm-uncond.pt", fixture("edm-uncond.json").get("forward"), "sigma");
        forward("edm-cond.pt", fixture("edm-cond.json").get("forward"), "sigma"); // one-hot labels [B, 10]
    }

    @Test
    void edm2ExportsGiveThePythonOutputs() throws IOException {
        JsonNode f = fixture("edm2-cond.json");
        forward("edm2-cond.pt", f.get("forward").get("net"), "sigma");
        forward("edm2-cond-gnet.pt", f.get("forward").get("gnet"), "sigma");
        forward("edm2-cond-guided.pt", f.get("forward").get("guided"), "sigma");
    }

    @Test
    void diffusersExportsGiveThePythonOutputs() throws IOException {
        forward("diffusers-eps.pt", fixture("diffusers-eps.json").get("forward"), "t");
        forward("diffusers-v-cond.pt", fixture("diffusers-v-cond.json").get("forward"), "t"); // int64 labels [B]
    }

    // ------------------------------------------------------------------------------------------ trajectories

    /** One model call as a sampler made it: the noise level or model time, and the input batch. */
    record Call(double time, double[] x) {
    }

    /** Records every call of a denoiser. */
    static final class RecordingDenoiser implements Denoiser {
        final Denoiser inner;
        final List<Call> calls = new ArrayList<>();

        RecordingDenoiser(Denoiser inner) {
            this.inner = inner;
        }

        @Override
        public int dim() {
            return inner.dim();
        }

        @Override
        public double[] denoise(double[] x, int batch, double sigma) {
            calls.add(new Call(sigma, x.clone()));
            return inner.denoise(x, batch, sigma);
        }
    }

    /** Records every call of an ε-model: its model time and its (scaled) input. */
    static final class RecordingEpsilon implements EpsilonModel {
        final EpsilonModel inner;
        final List<Call> calls = new ArrayList<>();

        RecordingEpsilon(EpsilonModel inner) {
            this.inner = inner;
        }

        @Override
        public int dim() {
            return inner.dim();
        }

        @Override
        public double[] epsilon(double[] x, int batch, double modelTime) {
            calls.add(new Call(modelTime, x.clone()));
            return inner.epsilon(x, batch, modelTime);
        }
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Asserts |ours − reference| ≤ TRAJECTORY_REL · max(1, max|reference|); returns the relative difference. */
    static double compareState(String what, double[] ours, double[] reference) {
        return compareState(what, ours, reference, 0);
    }

    /**
     * The same with an absolute allowance added to the bound: the round-off a reference's own float32 arithmetic
     * leaves in its state where that exceeds the float32 model calls' (derived where it is used).
     */
    static double compareState(String what, double[] ours, double[] reference, double allowance) {
        assertEquals(reference.length, ours.length, what);
        double scale = Math.max(1, maxAbs(reference));
        double worst = 0;
        for (int i = 0; i < ours.length; i++) {
            worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
        }
        double bound = TRAJECTORY_REL * scale + allowance;
        assertTrue(worst <= bound, what + ": max |diffsweep - reference| = " + worst + " > " + bound);
        return worst / scale;
    }

    static double[] times(double[] v, double c) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * c;
        }
        return out;
    }

    @Test
    void heunOnTheExportedEdmNetworkTakesEdmSamplersSteps() throws IOException {
        JsonNode f = fixture("edm-uncond.json");
        JsonNode s = f.get("sampler");
        int steps = s.get("num_steps").intValue();
        double[] sigmas = new EdmGrid(s.get("sigma_min").doubleValue(), s.get("sigma_max").doubleValue(),
                s.get("rho").doubleValue()).sigmas(steps);
        double[] unit = doubles(s.get("latents"));
        int batch = s.get("latents_shape").get(0).intValue();
        int[] shape = chw(f.get("forward").get("shape"));
        try (DjlNet net = DjlNet.load("edm-uncond.pt", DIR.resolve("edm-uncond.pt"), "cpu")) {
            RecordingDenoiser d = new RecordingDenoiser(DjlNetwork.denoiser(net, shape, 8, "edm-uncond"));
            Sampler heun = new Heun();
            double[] out = heun.sample(d, sigmas, times(unit, sigmas[0]), BatchNoise.samplerNoise(new long[batch],
                    d.dim()));
            JsonNode calls = s.get("calls");
            assertEquals(calls.size(), d.calls.size(), "model calls");
            assertEquals(heun.nfe(steps), calls.size());
            double worst = 0;
            for (int i = 0; i < calls.size(); i++) {
                assertEquals(calls.get(i).get("sigma").doubleValue(), d.calls.get(i).time(),
                        1e-8 * d.calls.get(i).time(), "sigma of call " + i); // the fixture keeps 9 digits
                worst = Math.max(worst, compareState("heun call " + i, d.calls.get(i).x(),
                        doubles(calls.get(i).get("x"))));
            }
            double last = compareState("heun sample", out, doubles(s.get("sample")));
            System.out.printf("heun vs edm_sampler on edm-uncond.pt, %d steps: max relative difference %.3e over "
                    + "the %d model inputs, %.3e at the sample%n", steps, worst, calls.size(), last);
        }
    }

    /** A diffusers scheduler run of the fixture and what diffsweep runs in its place. */
    record Run(String key, Sampler sampler, boolean unitLatentsAtInitSigma) {
    }

    static double[] csvGrid(double[] sigmas, DdpmProcess process) {
        // through diffsweep's file grid, as a user's `grids: [{name: file, path: ...}]` would give it
        List<String> lines = new ArrayList<>(List.of("sigma"));
        for (double v : sigmas) {
            lines.add(Double.toString(v));
        }
        TimeGrid grid = FileGrid.parse(lines, "diffusers.csv");
        int steps = sigmas.length - 1;
        return ClampedGrid.ifNeeded(grid, steps, process.sigmaMin(), process.sigmaMax()).sigmas(steps);
    }

    static double[] clamp(double[] sigmas, DdpmProcess process) {
        double[] out = sigmas.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.min(process.sigmaMax(), Math.max(process.sigmaMin(), out[i]));
        }
        return out;
    }

    /**
     * diffsweep's sampler on the exported ε-network against one diffusers scheduler run (float64 table). Returns
     * {max relative state difference, at the sample, max |model time difference|}.
     */
    static double[] compareRun(JsonNode f, String key, Sampler sampler, DjlNet net) {
        JsonNode run = f.get("runs").get(key);
        DdpmProcess process = new DdpmProcess(1e-4, 0.02, 1000);
        double[] sigmas = doubles(run.get("sigmas"));
        boolean endsAtZero = sigmas[sigmas.length - 1] == 0;
        // a file grid ends at 0; diffusers' DEIS ends at σ(t = 0) > 0, given here as it is, clamped as the sweep
        // clamps a grid into the process's range (diffusers' float32 σ_max lies above the float64 one by 4e-8)
        double[] grid = endsAtZero ? csvGrid(sigmas, process) : clamp(sigmas, process);
        int[] shape = chw(f.get("forward").get("shape"));
        double[] noise = doubles(f.get("noise"));
        int batch = f.get("noise_shape").get(0).intValue();
        // diffusers starts from noise · init_noise_sigma in its own state: x̂ for Euler (σ_0 with linspace
        // spacing), the scaled x = s·x̂ for the VP multistep schedulers (1), i.e. x̂ = noise · √(1 + σ_0²)
        double init = run.get("init_noise_sigma").doubleValue();
        boolean vpState = !run.get("scheduler").textValue().startsWith("Euler");
        double[] x0 = times(noise, vpState ? init * Math.sqrt(1 + grid[0] * grid[0]) : init);
        RecordingEpsilon eps = new RecordingEpsilon(DjlNetwork.epsilonModel(net, shape, 8, "diffusers-eps"));
        Denoiser d = new EpsilonDenoiser(eps, process, ModelTime.DDPM_INDEX);
        double[] out = sampler.sample(d, grid, x0, BatchNoise.samplerNoise(new long[batch], d.dim()));
        JsonNode calls = run.get("calls");
        assertEquals(calls.size(), eps.calls.size(), key + ": model calls");
        double worst = 0;
        double worstTime = 0;
        for (int i = 0; i < calls.size(); i++) {
            double t = calls.get(i).get("t").doubleValue();
            worstTime = Math.max(worstTime, Math.abs(eps.calls.get(i).time() - t));
            assertEquals(t, eps.calls.get(i).time(), 1e-3, key + ": model time of call " + i);
            worst = Math.max(worst, compareState(key + " call " + i, eps.calls.get(i).x(),
                    doubles(calls.get(i).get("x"))));
        }
        double last = grid[grid.length - 1];
        // the sample in diffusers' state: x̂ at σ = 0, else s·x̂
        double[] ours = vpState ? times(out, 1 / Math.sqrt(1 + last * last)) : out;
        double atSample = compareState(key + " sample", ours, doubles(run.get("sample")));
        return new double[] {Math.max(worst, atSample), atSample, worstTime};
    }

    @Test
    void diffsweepSamplersOnTheExportedUnetTakeTheDiffusersSchedulersSteps() throws IOException {
        JsonNode f = fixture("diffusers-eps.json");
        DdpmProcess process = new DdpmProcess(1e-4, 0.02, 1000);
        Object[][] runs = {
            {"euler/float64", new Euler()},
            {"dpmsolver++2m/float64", new DpmSolverPlusPlus2M()},
            {"deis1/float64", new Deis(1, Deis.Variant.TAB, process)},
        };
        try (DjlNet net = DjlNet.load("diffusers-eps.pt", DIR.resolve("diffusers-eps.pt"), "cpu")) {
            for (Object[] r : runs) {
                double[] d = compareRun(f, (String) r[0], (Sampler) r[1], net);
                System.out.printf("%s vs diffusers %s: max relative difference %.3e over the trajectory, %.3e at "
                        + "the sample; model times differ by at most %.2e steps%n", ((Sampler) r[1]).describe(),
                        r[0], d[0], d[1], d[2]);
            }
        }
    }

    /**
     * Differences of convention, measured (docs/checkpoints.md): the schedulers as diffusers ships them build
     * ᾱ in float32, which moves their σ levels and so diffsweep's model times off the trained steps; and diffusers'
     * DEIS of order 2 interpolates ε in log σ, where diffsweep's {@code deis} interpolates in t ({@code tab}) or σ
     * ({@code rhoab}). Its first step is first order in all three, so the first two model inputs agree.
     */
    @Test
    void conventionDifferencesWithTheDiffusersSchedulersAsShipped() throws IOException {
        JsonNode f = fixture("diffusers-eps.json");
        DdpmProcess process = new DdpmProcess(1e-4, 0.02, 1000);
        int[] shape = chw(f.get("forward").get("shape"));
        double[] noise = doubles(f.get("noise"));
        int batch = f.get("noise_shape").get(0).intValue();
        try (DjlNet net = DjlNet.load("diffusers-eps.pt", DIR.resolve("diffusers-eps.pt"), "cpu")) {
            for (String key : new String[] {"euler/float32", "dpmsolver++2m/float32", "deis1/float32"}) {
                JsonNode run = f.get("runs").get(key);
                double[] sigmas = clamp(doubles(run.get("sigmas")), process);
                if (sigmas[sigmas.length - 1] > 0 && doubles(run.get("sigmas"))[sigmas.length - 1] == 0) {
                    sigmas[sigmas.length - 1] = 0;
                }
                boolean vp = !run.get("scheduler").textValue().startsWith("Euler");
                double init = run.get("init_noise_sigma").doubleValue();
                RecordingEpsilon eps = new RecordingEpsilon(DjlNetwork.epsilonModel(net, shape, 8, "eps"));
                Sampler sampler = key.startsWith("euler") ? new Euler() : key.startsWith("dpm")
                        ? new DpmSolverPlusPlus2M() : new Deis(1, Deis.Variant.TAB, process);
                double[] out = sampler.sample(new EpsilonDenoiser(eps, process, ModelTime.DDPM_INDEX), sigmas,
                        times(noise, vp ? init * Math.sqrt(1 + sigmas[0] * sigmas[0]) : init),
                        BatchNoise.samplerNoise(new long[batch], eps.dim()));
                double last = sigmas[sigmas.length - 1];
                double[] ours = vp ? times(out, 1 / Math.sqrt(1 + last * last)) : out;
                double[] ref = doubles(run.get("sample"));
                double d = 0;
                for (int i = 0; i < ref.length; i++) {
                    d = Math.max(d, Math.abs(ours[i] - ref[i]));
                }
                double dt = 0;
                for (int i = 0; i < eps.calls.size(); i++) {
                    dt = Math.max(dt, Math.abs(eps.calls.get(i).time() - run.get("calls").get(i).get("t").doubleValue()));
                }
                double rel = d / Math.max(1, maxAbs(ref));
                System.out.printf("%s as shipped (float32 table): model times off the trained steps by up to %.2e, "
                        + "sample differs by %.3e relative%n", key, dt, rel);
                // float32 rounding of the cumulative product ᾱ moves a level, and so the model time diffsweep
                // finds for it, off the trained step by ~1e-4 of a step: present (> 1e-6), small (< 1e-3), and on
                // these networks it changes the samples by no more than the float32 tolerance
                assertTrue(dt > 1e-6 && dt < 1e-3, key + ": model time offset " + dt);
                assertTrue(rel <= TRAJECTORY_REL, key + ": sample differs by " + rel);
            }
            JsonNode run = f.get("runs").get("deis2/float64");
            double[] sigmas = clamp(doubles(run.get("sigmas")), process);
            for (Deis.Variant v : Deis.Variant.values()) {
                RecordingEpsilon eps = new RecordingEpsilon(DjlNetwork.epsilonModel(net, shape, 8, "eps"));
                double[] out = new Deis(2, v, process).sample(new EpsilonDenoiser(eps, process, ModelTime.DDPM_INDEX),
                        sigmas, times(noise, Math.sqrt(1 + sigmas[0] * sigmas[0])),
                        BatchNoise.samplerNoise(new long[batch], eps.dim()));
                for (int i = 0; i < 2; i++) { // the first step is DDIM in both
                    compareState("deis2 " + v.id() + " call " + i, eps.calls.get(i).x(),
                            doubles(run.get("calls").get(i).get("x")));
                }
                double last = sigmas[sigmas.length - 1];
                double[] ours = times(out, 1 / Math.sqrt(1 + last * last));
                double[] ref = doubles(run.get("sample"));
                double d = 0;
                for (int i = 0; i < ref.length; i++) {
                    d = Math.max(d, Math.abs(ours[i] - ref[i]));
                }
                System.out.printf("deis(order=2,variant=%s) vs diffusers DEIS order 2 (log-sigma interpolation, "
                        + "first order on the last step): sample differs by %.3e relative%n", v.id(),
                        d / Math.max(1, maxAbs(ref)));
            }
        }
    }
}
