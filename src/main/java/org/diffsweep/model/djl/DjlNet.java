package org.diffsweep.model.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
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
    private final ZooModel<NDList, NDList> model;

    private DjlNet(String label, ZooModel<NDList, NDList> model) {
        this.label = label;
        this.model = model;
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
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file)
                .optEngine(engineFor(file))
                .optDevice(device(device))
                .optTranslator(new NoopTranslator())
                .build();
        try {
            return new DjlNet(label, criteria.loadModel());
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new IllegalArgumentException(label + ": cannot load " + file + " (" + e.getMessage() + ")", e);
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
             Predictor<NDList, NDList> predictor = model.newPredictor()) {
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
     */
    double[] samplewise(double[] x, int batch, int[] chw, int maxBatch, double scalar, String inputName,
                        String scalarName) {
        int dim = chw[0] * chw[1] * chw[2];
        double[] out = new double[x.length];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            float[] xs = new float[b * dim];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) x[start * dim + i];
            }
            float[] scalars = new float[b];
            java.util.Arrays.fill(scalars, (float) scalar);
            float[] y = call(m -> {
                var xa = m.create(xs, new ai.djl.ndarray.types.Shape(b, chw[0], chw[1], chw[2]));
                xa.setName(inputName);
                var sa = m.create(scalars, new ai.djl.ndarray.types.Shape(b));
                sa.setName(scalarName);
                return new NDList(xa, sa);
            }, o -> single(label, o, (long) b * dim));
            for (int i = 0; i < y.length; i++) {
                out[start * dim + i] = y[i];
            }
        }
        return out;
    }

    /** The single output of a call, checked for its element count. */
    static float[] single(String label, NDList out, long expected) {
        if (out.size() < 1) {
            throw new IllegalStateException(label + ": the model returned no output, expected one tensor");
        }
        NDArray a = out.get(0);
        if (a.size() != expected) {
            throw new IllegalStateException(label + ": output shape " + a.getShape() + " (" + a.size()
                    + " values), expected " + expected + " values");
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

    public String label() {
        return label;
    }

    @Override
    public void close() {
        model.close();
    }
}
