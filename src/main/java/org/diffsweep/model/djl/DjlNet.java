package org.diffsweep.model.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * One network loaded by DJL from a local TorchScript ({@code .pt}, PyTorch engine) or ONNX ({@code .onnx},
 * ONNX Runtime engine) file, called with NDArrays. Thread-safe: each call uses its own predictor, so the tasks
 * of an executor share one loaded network.
 */
public final class DjlNet implements AutoCloseable {

    static {
        // Never download anything: libtorch comes from the pytorch-native-cpu jar on the class path.
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    }

    private final String label;
    private final Model model;
    private final Path file;

    private DjlNet(String label, Model model, Path file) {
        this.label = label;
        this.model = model;
        this.file = file;
    }

    /** The verdict of {@link #convolutionSelfCheck()}: null until computed once in this JVM. */
    private static String convolutionVerdict;

    /**
     * A check of the engine itself, made once per JVM (a few milliseconds): libtorch's 3×3 {@code conv2d} (padding 1,
     * 16 outputs, a batch of 2 of 4×4 inputs) with 12 and with 20 input channels, against a float64 direct sum. DJL
     * 0.36's libtorch 2.7.1 computes these wrongly on some CPUs (docs/checkpoints.md: measured off by 0.1 and more,
     * or NaN, for input channels above one SIMD width and not a multiple of it, on batches of 2 or more; batches of
     * 1 right). The bound is float32's for a dot product of n = 9·C + 1 terms: n·u·Σ|terms| (u = 2⁻²⁴).
     *
     * @return the empty string when the convolutions are right to that bound, else one line saying which are not
     */
    public static synchronized String convolutionSelfCheck() {
        if (convolutionVerdict == null) {
            convolutionVerdict = convolutionCheck();
        }
        return convolutionVerdict;
    }

    private static String convolutionCheck() {
        StringBuilder wrong = new StringBuilder();
        String version;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            version = m.getEngine().getVersion();
            for (int c : new int[] {12, 20}) {
                int b = 2;
                int o = 16;
                int hw = 4;
                float[] x = new float[b * c * hw * hw];
                float[] w = new float[o * c * 9];
                float[] bias = new float[o];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.sin(0.7 * i + 0.3);
                }
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (Math.cos(1.3 * i) / Math.sqrt(9.0 * c));
                }
                for (int i = 0; i < o; i++) {
                    bias[i] = (float) (0.1 * Math.sin(i));
                }
                float[] y = ai.djl.nn.convolutional.Conv2d.conv2d(m.create(x, new ai.djl.ndarray.types.Shape(b, c, hw,
                        hw)), m.create(w, new ai.djl.ndarray.types.Shape(o, c, 3, 3)), m.create(bias),
                        new ai.djl.ndarray.types.Shape(1, 1), new ai.djl.ndarray.types.Shape(1, 1),
                        new ai.djl.ndarray.types.Shape(1, 1), 1).singletonOrThrow().toFloatArray();
                double worst = 0;
                double bound = 0;
                for (int n = 0; n < b; n++) {
                    for (int oc = 0; oc < o; oc++) {
                        for (int i = 0; i < hw; i++) {
                            for (int j = 0; j < hw; j++) {
                                double sum = bias[oc];
                                double abs = Math.abs(bias[oc]);
                                for (int ic = 0; ic < c; ic++) {
                                    for (int ki = 0; ki < 3; ki++) {
                                        for (int kj = 0; kj < 3; kj++) {
                                            int ii = i + ki - 1;
                                            int jj = j + kj - 1;
                                            if (ii < 0 || jj < 0 || ii >= hw || jj >= hw) {
                                                continue;
                                            }
                                            double t = (double) x[((n * c + ic) * hw + ii) * hw + jj]
                                                    * w[((oc * c + ic) * 3 + ki) * 3 + kj];
                                            sum += t;
                                            abs += Math.abs(t);
                                        }
                                    }
                                }
                                float got = y[((n * o + oc) * hw + i) * hw + j];
                                double err = Float.isFinite(got) ? Math.abs(got - sum) : Double.POSITIVE_INFINITY;
                                worst = Math.max(worst, err);
                                bound = Math.max(bound, (9.0 * c + 2) * 0x1p-24 * abs);
                            }
                        }
                    }
                }
                if (!(worst <= bound)) {
                    wrong.append(wrong.length() == 0 ? "" : "; ").append(String.format("%d input channels off by "
                            + "%.3g (float32 bound %.2g)", c, worst, bound));
                }
            }
        }
        return wrong.length() == 0 ? "" : "this machine's libtorch " + version + " (DJL) computes 3x3 conv2d wrongly on "
                + "a batch of 2: " + wrong + " (docs/checkpoints.md; ONEDNN_MAX_CPU_ISA=SSE41 in the environment was "
                + "measured right)";
    }

    /** The DJL engine for a model file: PyTorch for TorchScript, OnnxRuntime for ONNX. */
    public static String engineFor(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return "OnnxRuntime";
        }
        if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript")) {
            return "PyTorch";
        }
        throw new IllegalArgumentException("model file " + file + ": unknown format, expected .pt (TorchScript) or .onnx");
    }

    /**
     * Loads a model file.
     *
     * @param label  how errors name it (the config's model or detector)
     * @param device {@code cpu} or {@code gpu:N}
     */
    public static DjlNet load(String label, Path file, String device) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(label + ": model file " + file + " not found");
        }
        String engine = engineFor(file);
        Model model = Model.newInstance(label, device(device), engine);
        try {
            model.load(file);
            return new DjlNet(label, model, file);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            model.close();
            IllegalArgumentException refusal = new IllegalArgumentException(label + ": cannot load " + file + " ("
                    + rootMessage(e) + "), expected a " + (engine.equals("PyTorch") ? "TorchScript network "
                    + "(torch.jit.save)" : "ONNX network"));
            refusal.addSuppressed(e);
            throw refusal;
        }
    }

    static Device device(String device) {
        if (device.equals("cpu")) {
            return Device.cpu();
        }
        if (device.startsWith("gpu:")) {
            return Device.gpu(Integer.parseInt(device.substring(4)));
        }
        throw new IllegalArgumentException("device '" + device + "', expected cpu or gpu:N");
    }

    /**
     * Runs the network: {@code inputs} builds the input list in a fresh manager (released after the call),
     * {@code output} reads what is needed from the outputs before they are released.
     */
    public <T> T call(Function<NDManager, NDList> inputs, Function<NDList, T> output) {
        try (NDManager manager = model.getNDManager().newSubManager();
             Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            NDList in = inputs.apply(manager);
            NDList out = predictor.predict(in);
            try {
                return output.apply(out);
            } finally {
                out.close();
            }
        } catch (TranslateException e) {
            throw new IllegalStateException(label + ": forward pass failed (" + rootMessage(e) + ")", e);
        }
    }

    /**
     * Runs a per-sample network {@code (x[B,C,H,W], scalar[B]) -> y[B,C,H,W]} on float64 samples: float32 at the
     * boundary, batches above {@code maxBatch} split into several passes, the output's size checked.
     *
     * @param inputName, scalarName the names of its two inputs (ONNX graphs bind inputs by name), e.g. {@code x}
     *                              and {@code sigma} or {@code t}
     * @param int64Scalar           the scalar as an int64 tensor (it must be an integer), else float32
     */
    double[] samplewise(double[] x, int batch, int[] chw, int maxBatch, double scalar, String inputName,
                        String scalarName, boolean int64Scalar) {
        return samplewise(x, batch, chw, maxBatch, scalar, inputName, scalarName, int64Scalar, null, null);
    }

    /** The input name of a class-conditional network's labels (EDM's and diffusers' argument name). */
    static final String LABEL_INPUT = "class_labels";

    /**
     * As above, with a third input for a class-conditional network: the rows' labels encoded as {@code labels}
     * declares (one-hot float32 [B, K] or int64 [B]), split with the rows.
     */
    double[] samplewise(double[] x, int batch, int[] chw, int maxBatch, double scalar, String inputName,
                        String scalarName, boolean int64Scalar, org.diffsweep.model.LabelInput labels,
                        int[] rowLabels) {
        if (int64Scalar && scalar != Math.rint(scalar)) {
            throw new IllegalArgumentException(label + ": time " + scalar + " for an int64 time input, expected an "
                    + "integer step index");
        }
        int dim = chw[0] * chw[1] * chw[2];
        double[] out = new double[x.length];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            float[] xs = new float[b * dim];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) x[start * dim + i];
            }
            int[] part = labels == null ? null : java.util.Arrays.copyOfRange(rowLabels, start, start + b);
            float[] y = call(m -> {
                var xa = m.create(xs, new ai.djl.ndarray.types.Shape(b, chw[0], chw[1], chw[2]));
                xa.setName(inputName);
                NDArray sa;
                if (int64Scalar) {
                    long[] steps = new long[b];
                    java.util.Arrays.fill(steps, (long) scalar);
                    sa = m.create(steps, new ai.djl.ndarray.types.Shape(b));
                } else {
                    float[] scalars = new float[b];
                    java.util.Arrays.fill(scalars, (float) scalar);
                    sa = m.create(scalars, new ai.djl.ndarray.types.Shape(b));
                }
                sa.setName(scalarName);
                if (labels == null) {
                    return new NDList(xa, sa);
                }
                NDArray la = labels.encoding() == org.diffsweep.model.LabelInput.Encoding.ONE_HOT
                        ? m.create(labels.oneHot(part), new ai.djl.ndarray.types.Shape(b, labels.count()))
                        : m.create(labels.indices(part), new ai.djl.ndarray.types.Shape(b));
                la.setName(LABEL_INPUT);
                return new NDList(xa, sa, la);
            }, o -> single(label, o, b, dim));
            for (int i = 0; i < y.length; i++) {
                out[start * dim + i] = y[i];
            }
        }
        return out;
    }

    /**
     * Runs a TorchScript network's {@code forward} with a tensor and further arguments of other types (e.g.
     * NVIDIA's Inception: {@code forward(img, return_features=True)}, its keyword arguments passed by position),
     * which an NDList cannot carry. {@code output} reads the result before it is released.
     *
     * @param flags the boolean arguments after the tensor, in the order of the forward's parameters
     */
    public <T> T callWithFlags(Function<NDManager, NDArray> input, boolean[] flags, Function<NDArray, T> output) {
        if (!(model.getBlock() instanceof ai.djl.pytorch.engine.PtSymbolBlock block)) {
            throw new IllegalStateException(label + ": a call with boolean arguments needs a TorchScript network");
        }
        ai.djl.pytorch.jni.IValue[] args = new ai.djl.pytorch.jni.IValue[1 + flags.length];
        ai.djl.pytorch.jni.IValue result = null;
        try (NDManager manager = model.getNDManager().newSubManager()) {
            args[0] = ai.djl.pytorch.jni.IValue.from((ai.djl.pytorch.engine.PtNDArray) input.apply(manager));
            for (int i = 0; i < flags.length; i++) {
                args[i + 1] = ai.djl.pytorch.jni.IValue.from(flags[i]);
            }
            boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            try {
                result = block.forward(args);
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
            }
            if (!result.isTensor()) {
                throw new IllegalStateException(label + ": forward returned " + result.getType()
                        + ", expected one tensor");
            }
            return output.apply(result.toTensor((ai.djl.pytorch.engine.PtNDManager) manager));
        } catch (ai.djl.engine.EngineException e) {
            throw new IllegalStateException(label + ": forward pass failed (" + rootMessage(e) + ")", e);
        } finally {
            for (ai.djl.pytorch.jni.IValue a : args) {
                if (a != null) {
                    a.close();
                }
            }
            if (result != null) {
                result.close();
            }
        }
    }

    /** The single output of a call on a batch of {@code batch}, checked for {@code per} values per sample. */
    static float[] single(String label, NDList out, int batch, long per) {
        long expected = batch * per;
        if (out.size() < 1) {
            throw new IllegalStateException(label + ": the model returned no output, expected one tensor");
        }
        if (out.size() > 1) {
            StringBuilder shapes = new StringBuilder();
            for (NDArray t : out) {
                shapes.append(shapes.length() > 0 ? ", " : "").append(t.getShape());
            }
            throw new IllegalStateException(label + ": the model returned " + out.size() + " tensors (" + shapes
                    + ") for a batch of " + batch + ", expected one tensor of " + per + " values per sample");
        }
        NDArray a = out.get(0);
        if (a.size() != expected) {
            throw new IllegalStateException(label + ": output shape " + a.getShape() + " for a batch of " + batch
                    + (a.size() % batch == 0 ? " (" + a.size() / batch + " values each)" : " (" + a.size()
                    + " values)") + ", expected " + per + " values each");
        }
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage());
        return m.lines().findFirst().orElse(m);
    }

    /** The local file the network was loaded from. */
    public Path file() {
        return file;
    }

    public String label() {
        return label;
    }

    @Override
    public void close() {
        model.close();
    }
}
