import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Loads the TorchScript detector with DJL (PyTorch engine, the project's libtorch) and compares its features
 * on the fixture PNGs with fixtures/tfjs-features.json. Single-file program, no build:
 *
 * <pre>
 * M=~/.m2/repository
 * CP=$M/ai/djl/api/0.36.0/api-0.36.0.jar:$M/ai/djl/pytorch/pytorch-engine/0.36.0/pytorch-engine-0.36.0.jar:\
 * $M/ai/djl/pytorch/pytorch-jni/2.7.1-0.36.0/pytorch-jni-2.7.1-0.36.0.jar:\
 * $M/ai/djl/pytorch/pytorch-native-cpu/2.7.1/pytorch-native-cpu-2.7.1-linux-x86_64.jar:\
 * $M/com/google/code/gson/gson/2.13.1/gson-2.13.1.jar:$M/net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar:\
 * $M/org/apache/commons/commons-compress/1.27.1/commons-compress-1.27.1.jar:$M/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar
 * DJL_CACHE_DIR=/work/inception-work/djl-cache java -cp "$CP" tools/inception/DjlCheck.java \
 *     target/models/inception-nsfwjs.pt tools/inception/fixtures
 * </pre>
 */
public class DjlCheck {
    public static void main(String[] args) throws Exception {
        Path pt = Path.of(args[0]);
        Path fixtures = Path.of(args[1]);
        JsonObject ref = JsonParser.parseString(Files.readString(fixtures.resolve("tfjs-features.json")))
                .getAsJsonObject();
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(pt)
                .optEngine("PyTorch")
                .optTranslator(new NoopTranslator())
                .build();
        double worst = 0;
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
             Predictor<NDList, NDList> predictor = model.newPredictor();
             NDManager manager = NDManager.newBaseManager()) {
            byte[] batch8 = null;
            for (var el : ref.getAsJsonArray("images")) {
                JsonObject e = el.getAsJsonObject();
                BufferedImage img = ImageIO.read(fixtures.resolve(e.get("file").getAsString()).toFile());
                int h = img.getHeight(), w = img.getWidth();
                byte[] chw = new byte[3 * h * w];
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int rgb = img.getRGB(x, y);
                        chw[y * w + x] = (byte) (rgb >> 16);
                        chw[h * w + y * w + x] = (byte) (rgb >> 8);
                        chw[2 * h * w + y * w + x] = (byte) rgb;
                    }
                }
                if (h == 299 && batch8 == null) {
                    batch8 = new byte[8 * chw.length];
                    for (int i = 0; i < 8; i++) System.arraycopy(chw, 0, batch8, i * chw.length, chw.length);
                }
                NDArray in = manager.create(ByteBuffer.wrap(chw), new Shape(1, 3, h, w), DataType.UINT8);
                float[] f = predictor.predict(new NDList(in)).singletonOrThrow().toFloatArray();
                float[] r = new float[f.length];
                ByteBuffer.wrap(Base64.getDecoder().decode(e.get("features_f32le_b64").getAsString()))
                        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(r);
                double d2 = 0, r2 = 0, maxAbs = 0;
                for (int i = 0; i < f.length; i++) {
                    double d = f[i] - r[i];
                    d2 += d * d;
                    r2 += (double) r[i] * r[i];
                    maxAbs = Math.max(maxAbs, Math.abs(d));
                }
                double rel = Math.sqrt(d2 / r2);
                worst = Math.max(worst, rel);
                System.out.printf("%-24s dim %d  max|d| %.3e  ||d||/||ref|| %.3e%n", e.get("name").getAsString(),
                        f.length, maxAbs, rel);
            }
            NDArray x8 = manager.create(ByteBuffer.wrap(batch8), new Shape(8, 3, 299, 299), DataType.UINT8);
            predictor.predict(new NDList(x8));
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                NDList out = predictor.predict(new NDList(x8));
                best = Math.min(best, System.nanoTime() - t0);
                if (i == 0) System.out.println("batch-8 output shape " + out.singletonOrThrow().getShape());
            }
            System.out.printf("DJL forward [8,3,299,299] uint8: %.3f s (best of 3)%n", best / 1e9);
        }
        System.out.printf("worst ||d||/||ref|| = %.3e%n", worst);
        if (worst > 1e-4) System.exit(1);
    }
}
