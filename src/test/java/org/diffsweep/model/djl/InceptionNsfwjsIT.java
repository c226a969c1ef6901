package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The InceptionV3 rebuilt from nsfwjs@4.4.0 by tools/inception (not in git: 87 MB) gives, through DJL and the
 * same detector code path as any TorchScript detector, the pool3 features the original tfjs model gives
 * (tools/inception/fixtures/tfjs-features.json, made by tools/inception/tfjs_features.mjs). Skipped when the
 * rebuilt file is absent (tools/inception/build.sh makes it), unless DIFFSWEEP_REQUIRE_INCEPTION=1 (as in CI):
 * then it fails instead.
 */
class InceptionNsfwjsIT {

    static final Path MODEL = Path.of("target/models/inception-nsfwjs.pt");
    static final Path FIXTURES = Path.of("tools/inception/fixtures");

    /** Skips naming tools/inception/build.sh when the model is absent, or fails when DIFFSWEEP_REQUIRE_INCEPTION=1. */
    static void requireOrSkip(Path model) {
        if (Files.exists(model)) {
            return;
        }
        String message = model + " is absent; build it with tools/inception/build.sh";
        if ("1".equals(System.getenv("DIFFSWEEP_REQUIRE_INCEPTION"))) {
            fail(message + " (DIFFSWEEP_REQUIRE_INCEPTION=1: this test must run)");
        }
        Assumptions.abort("skipped: " + message);
    }

    @Test
    void featuresMatchTheTfjsModel() throws Exception {
        requireOrSkip(MODEL);
        JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("tfjs-features.json").toFile());
        try (DjlNet net = DjlNet.load("detector inception-nsfwjs", MODEL, "cpu")) {
            DjlDetector det = new DjlDetector(net, 2048, 4, "inception-nsfwjs");
            for (JsonNode img : ref.get("images")) {
                BufferedImage b = ImageIO.read(FIXTURES.resolve(img.get("file").asText()).toFile());
                int h = b.getHeight();
                int w = b.getWidth();
                byte[] nchw = new byte[3 * h * w];
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int rgb = b.getRGB(x, y);
                        nchw[y * w + x] = (byte) (rgb >> 16);
                        nchw[h * w + y * w + x] = (byte) (rgb >> 8);
                        nchw[2 * h * w + y * w + x] = (byte) rgb;
                    }
                }
                float[] got = det.features(nchw, 1, h, w);
                ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(img.get("features_f32le_b64").asText()))
                        .order(ByteOrder.LITTLE_ENDIAN);
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < 2048; i++) {
                    double e = bytes.getFloat();
                    diff += (got[i] - e) * (got[i] - e);
                    norm += e * e;
                }
                double rel = Math.sqrt(diff / norm);
                System.out.printf("inception-nsfwjs %s: relative L2 difference %.2e%n", img.get("name").asText(), rel);
                assertTrue(rel < 1e-4, img.get("name").asText() + ": relative L2 difference " + rel);
            }
        }
    }
}
