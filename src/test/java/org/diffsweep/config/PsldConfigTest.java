package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A PSLD config parses into the PSLD family; what does not fit it is refused in one line naming both sides. */
class PsldConfigTest {

    static final String PROCESS = "process: { name: psld, beta_min: 8, beta_max: 8, gamma: 0.02, nu: 4.02, kappa: 0.04 }\n";
    static final String GMM = "name: p\nmodel: { type: gmm, random: { components: 2, dim: 3, seed: 1 } }\n"
            + "seeds: { count: 10 }\n";

    static SweepConfig parse(String yaml) {
        return SweepConfig.parse(yaml, "test.yaml");
    }

    static void refused(String yaml, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void shippedConfigsParseWithTheirNfeAccounting() {
        SweepConfig c = SweepConfig.load(Path.of("conf/gmm-psld-oracle.yaml"));
        assertEquals("psld", c.family().name());
        SweepPoint naive = c.points().stream().filter(p -> p.sampler().equals("splitting(OBA,naive,lambda_s=1)")
                && p.nfeRequested() == 20).findFirst().orElseThrow();
        assertEquals(9, naive.steps());
        assertEquals(19, naive.nfe());
        SweepPoint reduced = c.points().stream().filter(p -> p.sampler().equals("splitting(OBA,reduced,lambda_s=1)")
                && p.nfeRequested() == 20).findFirst().orElseThrow();
        assertEquals(19, reduced.steps());
        assertEquals(20, reduced.nfe());
        assertEquals(0, reduced.levels()[0], 0);
        assertEquals(0.999, reduced.levels()[19], 1e-15);
        assertTrue(c.family().process().startsWith("psld(beta_min=8,beta_max=8,gamma=0.02,nu=4.02,kappa=0.04"));
        SweepConfig f = SweepConfig.load(Path.of("conf/fmnist-psld.yaml"));
        assertEquals("psld-epsilon", f.model().net().signature());
        assertTrue(f.seedCount() >= 2000);
    }

    @Test
    void aModelsConstantsAreNeverDefaulted() {
        refused(GMM + "process: { name: psld, beta_min: 8, beta_max: 8, nu: 4.02, kappa: 0.04 }\n"
                + "samplers: [ { name: sscs } ]\ngrids: [ { name: uniform } ]\nnfe: [10]\n",
                "process", "gamma missing", "no default");
        refused(GMM + PROCESS.replace("nu: 4.02", "nu: 0.01") + "samplers: [ { name: sscs } ]\n"
                + "grids: [ { name: uniform } ]\nnfe: [10]\n", "nu = 0.01", "expected > gamma");
    }

    @Test
    void samplersGridsAndModelsOfAnotherFamilyAreRefused() {
        refused(GMM + PROCESS + "samplers: [ { name: heun } ]\ngrids: [ { name: uniform } ]\nnfe: [10]\n",
                "samplers[0]", "unknown sampler 'heun' for process psld", "sscs");
        refused(GMM + "process: { name: edm }\nsamplers: [ { name: sscs } ]\ngrids: [ { name: edm } ]\nnfe: [10]\n",
                "unknown sampler 'sscs'", "euler, heun");
        refused(GMM + PROCESS + "samplers: [ { name: sscs } ]\ngrids: [ { name: edm } ]\nnfe: [10]\n",
                "grids[0]", "unknown grid 'edm'", "uniform, quadratic");
        String net = "name: p\nmodel: { type: djl, path: models/fmnist-edm-denoiser.pt, shape: [1, 28, 28] }\n"
                + "reference: models/fmnist-train-features.npz\nseeds: { count: 10 }\n";
        refused(net + PROCESS + "samplers: [ { name: sscs } ]\ngrids: [ { name: uniform } ]\nnfe: [10]\n",
                "output 'denoiser'", "fmnist-edm-denoiser.pt", "does not fit process psld", "psld-epsilon");
        refused(net.replace("shape:", "output: psld-epsilon, shape:") + "samplers: [ { name: heun } ]\n"
                + "grids: [ { name: edm } ]\nnfe: [10]\n", "output 'psld-epsilon'", "does not fit process edm");
    }

    @Test
    void splittingOptionsAreChecked() {
        refused(GMM + PROCESS + "samplers: [ { name: splitting, scheme: OXA } ]\ngrids: [ { name: uniform } ]\n"
                + "nfe: [10]\n", "scheme = 'OXA'", "O, A and B");
        refused(GMM + PROCESS + "samplers: [ { name: splitting, scheme: OBA, variant: fast } ]\n"
                + "grids: [ { name: uniform } ]\nnfe: [10]\n", "variant = 'fast'", "naive or reduced");
        refused(GMM + PROCESS + "samplers: [ { name: splitting, scheme: OBA, lambda: 0.5 } ]\n"
                + "grids: [ { name: uniform } ]\nnfe: [10]\n", "unknown option(s) [lambda]", "lambda_s");
        refused(GMM + PROCESS + "samplers: [ { name: splitting, scheme: BAOAB, variant: naive } ]\n"
                + "grids: [ { name: uniform } ]\nnfe: [4]\n", "nfe = 4", "at least 5");
    }
}
