package org.diffsweep.family;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.junit.jupiter.api.Test;

/**
 * Pins the EDM family's outputs across the change that made sampler families plug-ins: every sampler of the family
 * on the exact mixture (edm and vp-discrete processes) and on both shipped networks. The expected values were
 * recorded with the code before the change (sampler, grid, budget, model calls, then the sum of the batch and two
 * of its values as exact hexadecimal doubles); any change to a bit of any sample fails here.
 */
class EdmFamilyPinTest {

    private static final String GMM = "name: pin\nmodel: {type: gmm, random: {components: 8, dim: 16, "
            + "sigma_data: 0.5, seed: 2024}}\nseeds: {start: 7, count: 3}\n";

    private static final String[] EXPECTED = {
            "euler|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.55f6737df44bep-2 -0x1.f4574f0af272ap-4 -0x1.235ee10a56548p-3",
            "heun|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 9 -0x1.44f7555c984bp2 0x1.bb1a4d48bbc1p-2 -0x1.6a28fa73ad8eap-2",
            "dpmpp-2m|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.c417b63edb11cp-4 -0x1.5b7dfc9d6cb4cp-3 -0x1.89e5de479e5b7p-3",
            "edm-stochastic(S_churn=20,S_tmin=0.05,S_tmax=50,S_noise=1)|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 9 -0x1.90b393f4949f7p2 0x1.cde2463c83612p-1 -0x1.ef23cde93049bp-1",
            "euler-maruyama|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.798192b4f5458p2 0x1.33e11aaaacb17p-2 -0x1.ba4ada993077cp-3",
            "ipndm|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.31a868a72db1cp-2 -0x1.61ce7b8f21b2cp-3 -0x1.21eb60ef89b3ap-3",
            "deis(order=3,variant=tab)|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.020ed5f1dc9b7p-2 -0x1.0f59aad14d934p-3 -0x1.48fa6f4a57fp-3",
            "deis-sn(order=2,variant=tab,norm=mc-gmm-8x16-bb25ba902fe0-n4096-s0)|edm(rho=7,sigma_min=0.002,sigma_max=80)|10 10 0x1.af80219bb44a8p-2 -0x1.5711cee0da3a9p-3 -0x1.f23a71e9eb0e7p-4",
            "deis(order=2,variant=tab)|ddpm-quadratic(vp-discrete)|8 8 0x1.e97cbe010229ap-3 -0x1.2117011ff4d2cp-3 -0x1.4b1545e5937ecp-3",
            "deis(order=2,variant=tab)|time-uniform(vp-discrete)|8 8 -0x1.1df0b9e368b32p-4 -0x1.55a7349842cd1p-4 -0x1.f74034c10481p-3",
            "deis-sn(order=3,variant=tab,norm=mc-gmm-8x16-bb25ba902fe0-n4096-s0)|ddpm-quadratic(vp-discrete)|8 8 0x1.3ef3601904dd7p-2 -0x1.520bf8c2bcf28p-3 -0x1.27e12533edeaep-3",
            "deis-sn(order=3,variant=tab,norm=mc-gmm-8x16-bb25ba902fe0-n4096-s0)|time-uniform(vp-discrete)|8 8 0x1.1d34aff099538p-2 -0x1.64306d3daaf87p-3 -0x1.51f3b61450a8dp-3",
            "ipndm|ddpm-quadratic(vp-discrete)|8 8 0x1.5bbf3de1a4418p-2 -0x1.5f84df554cca7p-3 -0x1.214c1f7ab46dap-3",
            "ipndm|time-uniform(vp-discrete)|8 8 -0x1.70e1e91a439e2p-4 -0x1.fe7d33c46df87p-4 -0x1.0eb4f55cf2625p-2",
            "euler-maruyama|ddpm-quadratic(vp-discrete)|8 8 0x1.828f2d7248452p2 -0x1.5839fd3573e0ap-4 -0x1.6f9be74ace8b6p-2",
            "euler-maruyama|time-uniform(vp-discrete)|8 8 0x1.66c91422fbcb8p3 0x1.426d233fd25a7p-1 -0x1.f186fbb9915f9p-1",
            "heun|edm(rho=7,sigma_min=0.002,sigma_max=80)|5 5 0x1.4996dd64364p10 0x1.365afcp-3 0x1.58131p2",
            "deis(order=2,variant=tab)|ddpm-quadratic(vp-discrete)|5 5 0x1.cad3c772453fap9 0x1.0e694939c1926p-3 -0x1.01b0c38a4795ap0"
    };

    @Test
    void everySamplerOfTheFamilyIsBitIdenticalToBeforeTheChange() {
        List<String> got = new ArrayList<>();
        got.addAll(pins(GMM + "process: {name: edm}\nsamplers: [{name: euler}, {name: heun}, {name: dpmpp-2m}, "
                + "{name: edm-stochastic, S_churn: 20, S_tmin: 0.05, S_tmax: 50}, {name: euler-maruyama}, "
                + "{name: ipndm}, {name: deis, order: 3}, {name: deis-sn, order: 2, norm: exact}]\n"
                + "grids: [{name: edm, rho: 7}]\nnfe: [10]\n"));
        got.addAll(pins(GMM + "process: {name: vp-discrete}\nsamplers: [{name: deis, order: 2}, "
                + "{name: deis-sn, order: 3, norm: exact}, {name: ipndm}, {name: euler-maruyama}]\n"
                + "grids: [{name: ddpm-quadratic}, {name: time-uniform}]\nnfe: [8]\n"));
        got.addAll(pins("name: pin\nmodel: {type: djl, path: models/fmnist-edm-denoiser.pt, shape: [1, 28, 28]}\n"
                + "reference: models/fmnist-train-features.npz\nseeds: {start: 3, count: 2}\n"
                + "samplers: [{name: heun}]\ngrids: [{name: edm}]\nnfe: [5]\n"));
        got.addAll(pins("name: pin\nmodel: {type: djl, path: models/fmnist-ddpm-eps.pt, output: epsilon, "
                + "time: ddpm-index, shape: [1, 28, 28]}\nprocess: {name: vp-discrete}\n"
                + "reference: models/fmnist-train-features.npz\nseeds: {start: 3, count: 2}\n"
                + "samplers: [{name: deis, order: 2}]\ngrids: [{name: ddpm-quadratic}]\nnfe: [5]\n"));
        assertEquals(List.of(EXPECTED), got);
    }

    private static List<String> pins(String yaml) {
        Configuration conf = new Configuration();
        SweepConfig c = SweepConfig.parse(yaml, "pin").resolveFiles(p -> ModelFiles.sha256(p, conf));
        SampleModel model = ModelCache.model(c.model(), c.family(), new HadoopConf(conf));
        // libtorch's float32 results depend on its intra-op thread count, which the first DJL user in a JVM sets
        // (ModelCache: the task's cores, 1 under local[2]); the network pins were recorded with 2 threads.
        Integer threadsBefore = null;
        if (c.model().net() != null) {
            threadsBefore = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            ai.djl.pytorch.jni.JniUtils.setNumThreads(PIN_THREADS);
        }
        try {
            return pins(c, model);
        } finally {
            if (threadsBefore != null) {
                ai.djl.pytorch.jni.JniUtils.setNumThreads(threadsBefore);
            }
        }
    }

    /** The libtorch intra-op threads the network pins were recorded with. */
    private static final int PIN_THREADS = 2;

    private static List<String> pins(SweepConfig c, SampleModel model) {
        long[] seeds = new long[(int) c.seedCount()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = c.seedStart() + i;
        }
        List<String> out = new ArrayList<>();
        for (SweepPoint p : c.points()) {
            Cell.Sampled s = p.cell().sample(model, seeds);
            double[] x = s.samples();
            double sum = 0;
            for (double v : x) {
                sum += v;
            }
            out.add(String.format("%s|%s|%d %d %s %s %s", p.sampler(), p.grid(), p.nfeRequested(), s.calls(),
                    Double.toHexString(sum), Double.toHexString(x[1]), Double.toHexString(x[x.length - 2])));
        }
        return out;
    }
}
