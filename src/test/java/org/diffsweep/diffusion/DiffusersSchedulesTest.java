package org.diffsweep.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The vp-discrete process's β schedules against diffusers itself: src/test/resources/fixtures/diffusers-schedules.json
 * (made by tools/fixtures/diffusers_schedules.py) holds DDPMScheduler's float32 β and ᾱ, EulerDiscreteScheduler's
 * float32 σ table and its {@code _sigma_to_t} for a few σ, for each schedule at K = 1000 and 37.
 */
class DiffusersSchedulesTest {

    /** float32's unit round-off, 2^-24. */
    static final double U32 = 0x1p-24;

    static JsonNode fixture() throws Exception {
        try (InputStream in = DiffusersSchedulesTest.class.getResourceAsStream("/fixtures/diffusers-schedules.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static DdpmProcess process(JsonNode c, boolean float32) {
        return new DdpmProcess(BetaSchedule.of(c.get("beta_schedule").asText()), c.get("beta_start").asDouble(),
                c.get("beta_end").asDouble(), c.get("num_train_timesteps").asInt(), float32);
    }

    static String name(JsonNode c) {
        return c.get("beta_schedule").asText() + "/" + c.get("num_train_timesteps").asInt();
    }

    static float f32(JsonNode values, int i) {
        return Float.parseFloat(values.get(i).asText());
    }

    /** With {@code table: float32}, β and ᾱ are diffusers' float32 values exactly, for every schedule. */
    @Test
    void float32TablesAreDiffusersBitForBit() throws Exception {
        int cases = 0;
        for (JsonNode c : fixture().get("cases")) {
            DdpmProcess p = process(c, true);
            int k = p.steps();
            float[] betas = p.schedule().betas32(c.get("beta_start").asDouble(), c.get("beta_end").asDouble(), k);
            assertEquals(k, c.get("betas").size());
            assertEquals(k, c.get("alphas_cumprod").size());
            for (int i = 0; i < k; i++) {
                assertEquals(f32(c.get("betas"), i), betas[i], 0, name(c) + " beta " + i);
                assertEquals(f32(c.get("alphas_cumprod"), i), p.alphaBarAt(i + 1), 0, name(c) + " alpha_bar " + i);
            }
            cases++;
        }
        assertEquals(6, cases);
    }

    /**
     * The float64 table computes the same schedule: ᾱ_k differs from diffusers' float32 value by at most the
     * float32 path's own rounding, Σ_{j≤k} (u·β_j/(1 − β_j) + 2u) + u relative (β_j rounded: a relative error u
     * of β is u·β/(1 − β) of 1 − β; 1 − β and each product rounded: 2u per step; ᾱ_k rounded: u). The measured
     * maxima are 3.6e-7 (linear, K = 1000), 9.3e-7 (scaled_linear) and 1.3e-5 (cosine, whose last β is capped at
     * 0.999).
     */
    @Test
    void float64TablesDifferOnlyByFloat32Rounding() throws Exception {
        for (JsonNode c : fixture().get("cases")) {
            DdpmProcess p64 = process(c, false);
            double[] betas = p64.schedule().betas64(c.get("beta_start").asDouble(), c.get("beta_end").asDouble(),
                    p64.steps());
            double bound = U32;
            for (int i = 0; i < p64.steps(); i++) {
                bound += U32 * betas[i] / (1 - betas[i]) + 2 * U32;
                double theirs = f32(c.get("alphas_cumprod"), i);
                double rel = Math.abs(p64.alphaBarAt(i + 1) - theirs) / theirs;
                assertTrue(rel <= bound * (1 + 1e-6) + 1e-13, name(c) + " alpha_bar " + i + ": " + rel + " > " + bound);
            }
        }
    }

    /**
     * EulerDiscreteScheduler's σ table is ((1 − ᾱ)/ᾱ)^½ in float32 torch arithmetic on the same ᾱ: 1 − ᾱ and the
     * quotient each rounded (2u relative, halved by the root), the float32 power within one ulp (2u relative):
     * within 3u of our float64 σ of the float32 ᾱ.
     */
    @Test
    void eulerSigmaTableMatches() throws Exception {
        for (JsonNode c : fixture().get("cases")) {
            DdpmProcess p = process(c, true);
            for (int i = 0; i < p.steps(); i++) {
                double ours = p.sigmaAtIndex(i);
                double rel = Math.abs(ours - f32(c.get("euler_sigmas"), i)) / ours;
                assertTrue(rel <= 3 * U32 * (1 + 1e-6), name(c) + " sigma " + i + ": " + rel / U32 + " u");
            }
        }
    }

    /**
     * {@code ddpm-index-log-sigma} is diffusers' {@code _sigma_to_t}. diffusers interpolates in a float32 table of
     * ln σ: each entry within δ = 3u (σ, above) + 4 float32 ulps of ln σ (numpy's float32 log) of ours, and the
     * interpolation weight w = (L_lo − ln σ)/(L_lo − L_hi) moves by at most (δ_lo + δ_hi)/(L_hi − L_lo).
     */
    @Test
    void sigmaToTMatches() throws Exception {
        int checked = 0;
        for (JsonNode c : fixture().get("cases")) {
            DdpmProcess p = process(c, true);
            JsonNode q = c.get("sigma_to_t");
            for (int j = 0; j < q.get("sigma").size(); j++) {
                double sigma = Double.parseDouble(q.get("sigma").get(j).asText());
                double theirs = Double.parseDouble(q.get("t").get(j).asText());
                double ours = p.logSigmaIndex(sigma);
                int lo = Math.min((int) Math.floor(ours), p.steps() - 2);
                double llo = Math.log(p.sigmaAtIndex(lo));
                double lhi = Math.log(p.sigmaAtIndex(lo + 1));
                double delta = 3 * U32 + 4 * Math.ulp((float) Math.max(Math.abs(llo), Math.abs(lhi)));
                double bound = 2 * delta / (lhi - llo) + 1e-12;
                assertTrue(Math.abs(ours - theirs) <= bound, name(c) + " sigma " + sigma + ": t = " + ours
                        + ", diffusers " + theirs + ", bound " + bound);
                checked++;
            }
            // outside the table the index is clamped, as diffusers clamps it
            assertEquals(0, p.logSigmaIndex(p.sigmaAtIndex(0) / 2), 0);
            assertEquals(p.steps() - 1, p.logSigmaIndex(p.sigmaAtIndex(p.steps() - 1) * 2), 0);
        }
        assertTrue(checked >= 60, "queries checked: " + checked);
    }
}
