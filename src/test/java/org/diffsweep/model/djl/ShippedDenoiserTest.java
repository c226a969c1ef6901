package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.Heun;
import org.diffsweep.schedule.EdmGrid;
import org.junit.jupiter.api.Test;

/**
 * The shipped Fashion-MNIST denoiser (models/, made by tools/fmnist): DJL's libtorch gives the outputs the export
 * script recorded with PyTorch, and its TorchScript and ONNX exports give the same samples.
 */
class ShippedDenoiserTest {

    static final Path PT = Path.of("models/fmnist-edm-denoiser.pt");
    static final Path ONNX = Path.of("models/fmnist-edm-denoiser.onnx");
    static final int[] SHAPE = {1, 28, 28};

    @Test
    void djlReproducesTheRecordedOutputs() throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("models/fmnist-edm-denoiser.fixture.json").toFile());
        int batch = f.get("x_shape").get(0).asInt();
        double[] x = new double[f.get("x").size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = f.get("x").get(i).asDouble();
        }
        try (DjlNet net = DjlNet.load("model fmnist-edm-denoiser.pt", PT, "cpu")) {
            Denoiser d = DjlNetwork.denoiser(net, SHAPE, batch, "fmnist");
            double worst = 0;
            int per = x.length / batch;
            for (int b = 0; b < batch; b++) { // each row at its own sigma
                double[] row = java.util.Arrays.copyOfRange(x, b * per, (b + 1) * per);
                double[] out = d.denoise(row, 1, f.get("sigma").get(b).asDouble());
                for (int i = 0; i < per; i++) {
                    double expected = f.get("denoised").get(b * per + i).asDouble();
                    worst = Math.max(worst, Math.abs(out[i] - expected));
                    assertEquals(expected, out[i], 1e-5, "row " + b + " value " + i);
                }
            }
            System.out.printf("shipped denoiser: DJL vs recorded PyTorch outputs, max |diff| %.2e%n", worst);
        }
    }

    @Test
    void torchScriptAndOnnxGiveTheSameSamples() throws Exception {
        long[] seeds = {0, 1, 2, 3, 4, 5, 6, 7};
        int dim = 28 * 28;
        double[] sigmas = new EdmGrid(0.002, 80, 7).sigmas(8);
        double[][] samples = new double[2][];
        Path[] files = {PT, ONNX};
        for (int k = 0; k < 2; k++) {
            try (DjlNet net = DjlNet.load("model " + files[k], files[k], "cpu")) {
                Denoiser d = DjlNetwork.denoiser(net, SHAPE, 8, "fmnist");
                samples[k] = new Heun().sample(d, sigmas, BatchNoise.latents(seeds, dim, sigmas[0]),
                        BatchNoise.samplerNoise(seeds, dim));
            }
        }
        double worst = 0;
        for (int i = 0; i < samples[0].length; i++) {
            worst = Math.max(worst, Math.abs(samples[0][i] - samples[1][i]));
        }
        System.out.printf("shipped denoiser: TorchScript vs ONNX samples (Heun, 15 NFE), max |diff| %.2e%n", worst);
        assertTrue(worst < 1e-4, "TorchScript and ONNX samples differ by " + worst);
    }
}
