package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The shipped Fashion-MNIST feature network (models/fmnist-features.md): through DJL, TorchScript and ONNX, its
 * features for fixed uint8 images (28×28, and 40×40 that it resizes itself) equal the ones the export script
 * recorded with PyTorch.
 */
class ShippedDetectorTest {

    static void check(JsonNode f, String imagesKey, String featuresKey, Path model) throws Exception {
        JsonNode shape = f.get(imagesKey + "_shape");
        int batch = shape.get(0).asInt();
        int h = shape.get(2).asInt();
        int w = shape.get(3).asInt();
        byte[] images = new byte[f.get(imagesKey).size()];
        for (int i = 0; i < images.length; i++) {
            images[i] = (byte) f.get(imagesKey).get(i).asInt();
        }
        try (DjlNet net = DjlNet.load("detector " + model, model, "cpu")) {
            float[] got = new DjlDetector(net, 128, 4, "fmnist-features").features(images, batch, h, w);
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                double e = f.get(featuresKey).get(i).asDouble();
                worst = Math.max(worst, Math.abs(got[i] - e));
                assertEquals(e, got[i], 1e-4 * Math.max(1, Math.abs(e)), model + " " + imagesKey + " value " + i);
            }
            System.out.printf("shipped detector %s, %s: max |diff| vs recorded %.2e%n", model.getFileName(),
                    imagesKey, worst);
        }
    }

    @Test
    void featuresEqualTheRecordedOnes() throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("models/fmnist-features.fixture.json").toFile());
        check(f, "images", "features", Path.of("models/fmnist-features.pt"));
        check(f, "resized_images", "resized_features", Path.of("models/fmnist-features.pt"));
        check(f, "images", "features", Path.of("models/fmnist-features.onnx"));
    }
}
