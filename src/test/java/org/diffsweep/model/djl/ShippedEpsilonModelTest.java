package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.diffsweep.diffusion.EpsilonModel;
import org.junit.jupiter.api.Test;

/**
 * The shipped DDPM ε-prediction model (models/fmnist-ddpm-eps.md): DJL gives the outputs the export script
 * recorded with PyTorch, for TorchScript and ONNX, with the model's own time input (the step index).
 */
class ShippedEpsilonModelTest {

    @Test
    void djlReproducesTheRecordedOutputs() throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("models/fmnist-ddpm-eps.fixture.json").toFile());
        int batch = f.get("x_shape").get(0).asInt();
        double[] x = new double[f.get("x").size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = f.get("x").get(i).asDouble();
        }
        int per = x.length / batch;
        for (String file : new String[] {"models/fmnist-ddpm-eps.pt", "models/fmnist-ddpm-eps.onnx"}) {
            try (DjlNet net = DjlNet.load("model " + file, Path.of(file), "cpu")) {
                EpsilonModel m = DjlNetwork.epsilonModel(net, new int[] {1, 28, 28}, batch, "ddpm");
                double worst = 0;
                for (int b = 0; b < batch; b++) { // each row at its own time input
                    double[] row = java.util.Arrays.copyOfRange(x, b * per, (b + 1) * per);
                    double[] eps = m.epsilon(row, 1, f.get("t").get(b).asDouble());
                    for (int i = 0; i < per; i++) {
                        double expected = f.get("eps").get(b * per + i).asDouble();
                        worst = Math.max(worst, Math.abs(eps[i] - expected));
                        assertEquals(expected, eps[i], 1e-4, file + " row " + b + " value " + i);
                    }
                }
                System.out.printf("shipped epsilon model %s: max |diff| vs recorded %.2e%n", file, worst);
            }
        }
    }
}
