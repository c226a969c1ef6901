package org.diffsweep.model.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.diffsweep.features.Detector;
import org.diffsweep.features.DetectorFile;
import org.diffsweep.features.DetectorProtocol;

/**
 * A detector network (TorchScript or ONNX) on uint8 images [B, 3, H, W], resizing to its own input size inside.
 * How features are asked for is read from the file ({@link DetectorFile}): {@code forward(img) -> [B, D]} (the
 * shipped Fashion-MNIST network, the detectors tools/detectors/ builds), or NVIDIA's
 * {@code inception-2015-12-05.pt} interface, {@code forward(img, return_features, use_fp16, no_output_bias)},
 * called as EDM's fid.py calls it ({@code return_features=True}) for features and as StyleGAN3's Inception Score
 * calls it ({@code no_output_bias=True}) for {@link #probabilities}.
 */
public final class DjlDetector implements Detector {

    private final DjlNet net;
    private final int dim;
    private final int maxBatch;
    private final String id;
    private final DetectorFile file;
    private final DetectorProtocol protocol;
    private volatile int classes = -1;

    /** A detector whose file is inspected here for its call convention and provenance. */
    public DjlDetector(DjlNet net, int dim, int maxBatch, String id, String sha256) {
        this(net, dim, maxBatch, id, sha256, inspect(net));
    }

    /** A detector whose file was inspected already ({@link DetectorFile#inspect}, e.g. once per executor). */
    public DjlDetector(DjlNet net, int dim, int maxBatch, String id, String sha256, DetectorFile file) {
        this.net = net;
        this.dim = dim;
        this.maxBatch = maxBatch;
        this.id = id;
        this.file = file;
        this.protocol = DetectorProtocol.of(sha256, file);
    }

    /** What the network's file says of itself. */
    public static DetectorFile inspect(DjlNet net) {
        try {
            return DetectorFile.inspect(net.file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A detector whose hash is not known here (its provenance then names no standard file). */
    public DjlDetector(DjlNet net, int dim, int maxBatch, String id) {
        this(net, dim, maxBatch, id, null);
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public DetectorProtocol protocol() {
        return protocol;
    }

    /** How this file is called for features. */
    public DetectorFile.Call call() {
        return file.call();
    }

    @Override
    public float[] features(byte[] images, int batch, int height, int width) {
        return run(images, batch, height, width, dim, file.call() == DetectorFile.Call.RETURN_FEATURES
                ? new boolean[]{true, false, false} : null);
    }

    /**
     * NVIDIA's interface only: softmax probabilities over its classes (1008 for inception-2015-12-05), from
     * {@code forward(img, return_features=False, use_fp16=False, no_output_bias)}.
     */
    @Override
    public float[] probabilities(byte[] images, int batch, int height, int width, boolean noOutputBias) {
        int k = classes();
        if (k == 0) {
            throw new UnsupportedOperationException(id + ": no classifier output (only a detector with NVIDIA's"
                    + " inception-2015-12-05 interface, forward(img, return_features, use_fp16, no_output_bias),"
                    + " gives class probabilities)");
        }
        return run(images, batch, height, width, k, new boolean[]{false, false, noOutputBias});
    }

    /** Classes of the classifier output (found by one call on a small image the first time), or 0. */
    @Override
    public int classes() {
        if (file.call() != DetectorFile.Call.RETURN_FEATURES) {
            return 0;
        }
        if (classes < 0) {
            classes = net.callWithFlags(m -> m.create(ByteBuffer.allocateDirect(3 * 16 * 16),
                            new Shape(1, 3, 16, 16), DataType.UINT8), new boolean[]{false, false, false},
                    a -> a.getShape().dimension() == 2 ? (int) a.getShape().get(1) : 0);
        }
        return classes;
    }

    private float[] run(byte[] images, int batch, int height, int width, int per, boolean[] flags) {
        int pixels = 3 * height * width;
        if (images.length < batch * pixels) {
            throw new IllegalArgumentException(id + ": " + images.length + " bytes for " + batch + " images of 3×"
                    + height + "×" + width);
        }
        float[] out = new float[batch * per];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            ByteBuffer buf = ByteBuffer.allocateDirect(b * pixels);
            buf.put(images, start * pixels, b * pixels).flip();
            Shape shape = new Shape(b, 3, height, width);
            float[] f;
            if (flags == null) {
                f = net.call(m -> {
                    var a = m.create(buf, shape, DataType.UINT8);
                    a.setName("images");
                    return new NDList(a);
                }, o -> matrix(o.size() == 1 ? o.get(0) : null, o, b, per));
            } else {
                f = net.callWithFlags(m -> m.create(buf, shape, DataType.UINT8), flags,
                        a -> matrix(a, null, b, per));
            }
            System.arraycopy(f, 0, out, start * per, f.length);
        }
        return out;
    }

    /** The output as a [batch, per] matrix; anything else (other shapes, several tensors) is refused. */
    private float[] matrix(NDArray a, NDList all, int batch, int per) {
        if (a == null) {
            return DjlNet.single(net.label(), all, batch, per);
        }
        Shape s = a.getShape();
        if (s.dimension() != 2) {
            throw new IllegalStateException(net.label() + ": output shape " + s + " for a batch of " + batch
                    + ", expected a feature matrix [" + batch + ", " + per + "] (flatten it in the network)");
        }
        return DjlNet.single(net.label(), new NDList(a), batch, per);
    }
}
