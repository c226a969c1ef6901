package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.diffsweep.model.GaussianMixture;
import org.junit.jupiter.api.Test;

/**
 * Network outputs (ε, v, x₀) and time conventions against closed forms: a network built from the exact mixture
 * in each parameterisation and time convention gives back the mixture's exact denoiser, and the v algebra gives
 * back x₀ from a constructed (x₀, ε) pair.
 */
class PredictionDenoiserTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(4, 6, 0.5, 11);
    static final double U = 0x1p-53;

    /** The processes v applies to, with the table variants a user's model may come with. */
    static List<Process> vpProcesses() {
        return List.of(new VpProcess(), new DdpmProcess(),
                new DdpmProcess(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, 1000, true),
                new DdpmProcess(BetaSchedule.SQUAREDCOS_CAP_V2, Double.NaN, Double.NaN, 1000, true));
    }

    static List<ModelTime> timesFor(Process p) {
        List<ModelTime> times = new ArrayList<>();
        for (ModelTime m : ModelTime.values()) {
            if (m.refusal(p) == null) {
                times.add(m);
            }
        }
        return times;
    }

    /** σ's across the process's range, on and between DDPM table points. */
    static double[] sigmas(Process p) {
        double lo = p.sigmaMin();
        double hi = p.sigmaMax();
        return java.util.stream.DoubleStream.of(lo, lo * 1.37, 0.1, 0.5, 1, 2.345, 10, 80, hi / 1.01, hi)
                .filter(s -> s >= lo && s <= hi).toArray();
    }

    /**
     * The exact mixture as a raw network: it inverts the time convention, unscales its input and predicts what its
     * kind predicts, written out here from the definitions (x = α·x₀ + σ_VP·ε, v = α·ε − σ_VP·x₀).
     */
    record MixtureNet(Process process, ModelTime time, Prediction kind) implements RawModel {
        @Override
        public int dim() {
            return MIXTURE.dim();
        }

        @Override
        public double[] predict(double[] x, int batch, double modelTime) {
            double t = time.inverse(process, modelTime);
            double sigma = process.sigma(t);
            double s = process.scale(t);
            double[] xHat = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xHat[i] = x[i] / s;
            }
            double[] d = MIXTURE.denoise(xHat, batch, sigma);
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double eps = (xHat[i] - d[i]) / sigma;
                double alpha = s;
                double sigmaVp = s * sigma;
                out[i] = switch (kind) {
                    case EPSILON -> eps;
                    case V -> alpha * eps - sigmaVp * d[i];
                    case SAMPLE -> d[i];
                };
            }
            return out;
        }
    }

    static double[] states(double sigma, int batch) {
        SplittableRandom r = new SplittableRandom(Double.doubleToLongBits(sigma));
        double[] x = new double[batch * MIXTURE.dim()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble(-1, 1) + sigma * (r.nextDouble() - 0.5) * 3;
        }
        return x;
    }

    static void assertExact(Process p, ModelTime time, Prediction kind) {
        PredictionDenoiser d = new PredictionDenoiser(new MixtureNet(p, time, kind), p, kind, time, false);
        double worst = 0;
        for (double sigma : sigmas(p)) {
            double[] x = states(sigma, 3);
            double[] exact = MIXTURE.denoise(x, 3, sigma);
            double[] via = d.denoise(x, 3, sigma);
            // The network sees its time input, from which it recovers σ' and s' (the round trip σ → t → m → t'):
            // D moves by at most 2·(|σ'/σ − 1| + |s'/s − 1|)·(|x̂| + |D|) (ε = (x̂ − D)/σ' scaled back by σ, v by
            // s and σ, D by ∂D/∂σ ≤ 2|x̂ − D|/σ); the conversions add a few u of |x̂|, |D|. Near σ_max of the
            // cosine schedule (its last β is 0.999) the round trip is ill-conditioned, which the first term covers.
            double t = p.time(sigma);
            double t2 = time.inverse(p, time.of(p, t, sigma));
            double drift = Math.abs(p.sigma(t2) / sigma - 1) + Math.abs(p.scale(t2) / p.scale(t) - 1);
            for (int i = 0; i < x.length; i++) {
                double bound = 2 * drift * (Math.abs(x[i]) + Math.abs(exact[i])) + 1e-12 * (1 + Math.abs(x[i]));
                worst = Math.max(worst, Math.abs(via[i] - exact[i]) / bound);
                assertEquals(exact[i], via[i], bound, p + " " + time + " " + kind + " sigma " + sigma + " value " + i);
            }
        }
        assertTrue(worst < 1, "worst " + worst);
    }

    @Test
    void aVNetworkOfTheExactMixtureGivesTheExactDenoiser() {
        for (Process p : vpProcesses()) {
            for (ModelTime time : timesFor(p)) {
                assertExact(p, time, Prediction.V);
            }
        }
    }

    @Test
    void sampleAndEpsilonNetworksGiveTheExactDenoiserOnEveryProcess() {
        List<Process> all = new ArrayList<>(vpProcesses());
        all.add(new EdmProcess());
        for (Process p : all) {
            for (ModelTime time : timesFor(p)) {
                assertExact(p, time, Prediction.SAMPLE);
                assertExact(p, time, Prediction.EPSILON);
            }
        }
    }

    /**
     * The v algebra alone: for x₀ and ε drawn at random and x = s·(x₀ + σ·ε), a network that returns
     * v = s·ε − s·σ·x₀ gives D = x₀; the error is the process's own s²·(1 + σ²) − 1 plus a few roundings of terms
     * no larger than |x₀| + |ε|.
     */
    @Test
    void vConvertsBackToX0() {
        SplittableRandom r = new SplittableRandom(5);
        for (Process p : vpProcesses()) {
            for (double sigma : sigmas(p)) {
                double s = p.scale(p.time(sigma));
                double[] x0 = new double[8];
                double[] eps = new double[8];
                double[] xHat = new double[8];
                for (int i = 0; i < 8; i++) {
                    x0[i] = r.nextDouble(-1, 1);
                    eps[i] = r.nextGaussian();
                    xHat[i] = x0[i] + sigma * eps[i];
                }
                double[] v = Prediction.V.output(x0, eps, s, sigma);
                RawModel constant = new RawModel() {
                    @Override
                    public int dim() {
                        return 8;
                    }

                    @Override
                    public double[] predict(double[] x, int batch, double modelTime) {
                        for (int i = 0; i < 8; i++) {
                            assertEquals(s * xHat[i], x[i], 0, "the network sees x = s·x̂");
                        }
                        return v.clone();
                    }
                };
                ModelTime time = p instanceof DdpmProcess ? ModelTime.DDPM_INDEX : ModelTime.VP_SCALED_999;
                double[] d = new PredictionDenoiser(constant, p, Prediction.V, time, false).denoise(xHat, 1, sigma);
                double vp = Math.abs(s * s * (1 + sigma * sigma) - 1);
                for (int i = 0; i < 8; i++) {
                    double bound = (vp + 16 * U) * (Math.abs(x0[i]) + Math.abs(eps[i]) + Math.abs(xHat[i]) + 1);
                    assertEquals(x0[i], d[i], bound, p + " sigma " + sigma);
                }
            }
        }
    }

    /** diffusers' EulerDiscreteScheduler, v_prediction: x₀ = v·(−σ/√(σ² + 1)) + x̂/(σ² + 1). */
    @Test
    void vMatchesDiffusersEulerFormula() {
        DdpmProcess p = new DdpmProcess();
        SplittableRandom r = new SplittableRandom(9);
        for (double sigma : new double[] {0.05, 1, 14.6}) {
            double[] v = {r.nextGaussian(), r.nextGaussian()};
            double[] xHat = {r.nextGaussian() * sigma, r.nextGaussian() * sigma};
            RawModel net = new RawModel() {
                @Override
                public int dim() {
                    return 2;
                }

                @Override
                public double[] predict(double[] x, int batch, double modelTime) {
                    return v.clone();
                }
            };
            double[] d = new PredictionDenoiser(net, p, Prediction.V, ModelTime.DDPM_INDEX_LOG_SIGMA, false)
                    .denoise(xHat, 1, sigma);
            for (int i = 0; i < 2; i++) {
                double diffusers = v[i] * (-sigma / Math.sqrt(sigma * sigma + 1)) + xHat[i] / (sigma * sigma + 1);
                assertEquals(diffusers, d[i], 1e-13 * (1 + Math.abs(xHat[i]) + Math.abs(v[i])));
            }
        }
    }

    @Test
    void timeConventionsMatchTheirDefinitions() {
        DdpmProcess ddpm = new DdpmProcess();
        VpProcess vp = new VpProcess();
        EdmProcess edm = new EdmProcess();
        double sigma = 2.5;
        assertEquals(Math.log(2.5) / 4, ModelTime.C_NOISE.of(edm, edm.time(sigma)), 1e-15);
        assertEquals(Math.log(2.5) / 4, ModelTime.C_NOISE.of(vp, vp.time(sigma)), 1e-14);
        assertEquals(2.5, ModelTime.SIGMA.of(ddpm, ddpm.time(sigma)), 1e-12);
        assertEquals(999 * vp.time(sigma), ModelTime.VP_SCALED_999.of(vp, vp.time(sigma)), 0);
        assertEquals(ddpm.logSigmaIndex(sigma), ModelTime.DDPM_INDEX_LOG_SIGMA.of(ddpm, ddpm.time(sigma), sigma), 0);
        for (ModelTime m : ModelTime.values()) {
            assertEquals(m, ModelTime.of(m.configName()));
        }
        assertThrows(IllegalArgumentException.class, () -> ModelTime.of("t"));
        assertThrows(IllegalArgumentException.class, () -> ModelTime.DDPM_INDEX_LOG_SIGMA.of(vp, 0.5));
    }

    @Test
    void anIntegerTimeIsTheNearestStep() {
        DdpmProcess ddpm = new DdpmProcess();
        double[] seen = new double[1];
        RawModel net = new RawModel() {
            @Override
            public int dim() {
                return 1;
            }

            @Override
            public double[] predict(double[] x, int batch, double modelTime) {
                seen[0] = modelTime;
                return new double[] {0};
            }
        };
        for (ModelTime time : new ModelTime[] {ModelTime.DDPM_INDEX, ModelTime.DDPM_INDEX_LOG_SIGMA}) {
            PredictionDenoiser fractional = new PredictionDenoiser(net, ddpm, Prediction.SAMPLE, time, false);
            PredictionDenoiser integer = new PredictionDenoiser(net, ddpm, Prediction.SAMPLE, time, true);
            for (double f : new double[] {0.2, 0.7}) {
                // σ a fraction f of the way (in ln σ) from step 400 to step 401
                double sigma = Math.exp((1 - f) * Math.log(ddpm.sigmaAtIndex(400)) + f * Math.log(ddpm.sigmaAtIndex(401)));
                fractional.denoise(new double[] {0}, 1, sigma);
                double m = seen[0];
                assertTrue(m > 400 && m < 401, time + ": " + m);
                integer.denoise(new double[] {0}, 1, sigma);
                assertEquals(f < 0.5 ? 400 : 401, seen[0], 0, time + " f = " + f);
                assertEquals(seen[0], integer.modelTime(sigma), 0);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PredictionDenoiser(net, ddpm, Prediction.SAMPLE, ModelTime.SIGMA, true));
        assertTrue(e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void vIsRefusedWhereItIsNotDefined() {
        RawModel any = new MixtureNet(new EdmProcess(), ModelTime.SIGMA, Prediction.V);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PredictionDenoiser(any, new EdmProcess(), Prediction.V, ModelTime.SIGMA, false));
        assertTrue(e.getMessage().contains("variance-preserving") && e.getMessage().contains("edm"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new PredictionDenoiser(any, new VpProcess(), Prediction.EPSILON, ModelTime.DDPM_INDEX, false));
    }
}
