package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.diffsweep.diffusion.ConditionalDenoiser;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.model.LabelInput;
import org.junit.jupiter.api.Test;

/**
 * The shipped class-conditional Fashion-MNIST denoiser (models/fmnist-edm-cond.pt, made by tools/fmnist): loaded as a
 * config's {@code labels: {count: 10, encoding: one_hot, null_label: zeros}} declares it, DJL's libtorch gives the
 * outputs the export script recorded with PyTorch, for labelled rows and for the null (all-zero) label.
 */
class ShippedConditionalDenoiserTest {

    static final Path PT = Path.of("models/fmnist-edm-cond.pt");

    @Test
    void djlReproducesTheRecordedOutputsForEachLabelAndTheNullLabel() throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("models/fmnist-edm-cond.fixture.json").toFile());
        int batch = f.get("x_shape").get(0).asInt();
        double[] x = new double[f.get("x").size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = f.get("x").get(i).asDouble();
        }
        int per = x.length / batch;
        try (DjlNet net = DjlNet.load("model fmnist-edm-cond.pt", PT, "cpu")) {
            ConditionalDenoiser model = new DjlNetwork(net, new int[] {1, 28, 28}, batch, "fmnist-cond", "x", "sigma",
                    new LabelInput(10, LabelInput.Encoding.ONE_HOT, 0)).asConditionalDenoiser();
            assertTrue(model.hasNull());
            double worst = 0;
            double nullVsLabelled = 0;
            for (int b = 0; b < batch; b++) { // each row at its own sigma, with its own label
                int c = f.get("classes").get(b).asInt();
                Denoiser d = model.given(new int[] {c < 0 ? ConditionalDenoiser.NULL : c});
                double[] row = java.util.Arrays.copyOfRange(x, b * per, (b + 1) * per);
                double sigma = f.get("sigma").get(b).asDouble();
                double[] out = d.denoise(row, 1, sigma);
                for (int i = 0; i < per; i++) {
                    double expected = f.get("denoised").get(b * per + i).asDouble();
                    worst = Math.max(worst, Math.abs(out[i] - expected));
                    assertEquals(expected, out[i], 1e-5, "row " + b + " (class " + c + ") value " + i);
                }
                if (c >= 0 && sigma >= 1) { // the label matters where the image is mostly noise
                    double[] u = model.given(new int[] {ConditionalDenoiser.NULL}).denoise(row, 1, sigma);
                    for (int i = 0; i < per; i++) {
                        nullVsLabelled = Math.max(nullVsLabelled, Math.abs(u[i] - out[i]));
                    }
                }
            }
            System.out.printf("shipped conditional denoiser: DJL vs recorded PyTorch outputs, max |diff| %.2e; "
                    + "null vs labelled at sigma 2, max |diff| %.2f%n", worst, nullVsLabelled);
            assertTrue(nullVsLabelled > 0.05, "the label changes nothing: " + nullVsLabelled);
        }
    }
}
