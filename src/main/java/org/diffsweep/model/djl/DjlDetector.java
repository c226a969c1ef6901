package org.diffsweep.model.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import org.diffsweep.features.Detector;

/**
 * A detector network {@code (uint8 images[B,3,H,W]) -> features[B,D]} (TorchScript or ONNX), e.g. the shipped
 * Fashion-MNIST feature network or NVIDIA's {@code inception-2015-12-05} TorchScript. The network resizes to its
 * own input size.
 */
public final class DjlDetector implements Detector {

    private final DjlNet net;
    private final int dim;
    private final int maxBatch;
    private final String id;

    public DjlDetector(DjlNet net, int dim, int maxBatch, String id) {
        this.net = net;
        this.dim = dim;
        this.maxBatch = maxBatch;
        this.id = id;
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
    public float[] features(byte[] images, int batch, int height, int width) {
        int per = 3 * height * width;
        float[] out = new float[batch * dim];
        for (int start = 0; start < batch; start += maxBatch) {
            int b = Math.min(maxBatch, batch - start);
            ByteBuffer buf = ByteBuffer.allocateDirect(b * per);
            buf.put(images, start * per, b * per).flip();
            float[] f = net.call(m -> {
                var a = m.create(buf, new Shape(b, 3, height, width), DataType.UINT8);
                a.setName("images");
                return new NDList(a);
            }, o -> DjlNet.single(net.label(), o, b, dim));
            System.arraycopy(f, 0, out, start * dim, f.length);
        }
        return out;
    }
}
