package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * FID against pytorch-fid's {@code calculate_frechet_distance} on the fixed Gaussians of
 * src/test/resources/fixtures/pytorch-fid.json (written by tools/fixtures/reference_fid.py). pytorch-fid takes
 * scipy's sqrtm of Σ₁Σ₂, we take the eigenvalues of Bᵀ Σ₂ B; both are exact up to round-off, so they must agree
 * within the round-off bound derived in {@link #bound} (the fixture's relative_tolerance field is no longer used).
 */
class FrechetDistanceReferenceTest {

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }

    /**
     * How far our FID and pytorch-fid's can be apart by round-off alone, for any BLAS kernel or order, with
     * S = tr Σ₁·‖Σ₂‖_F (which bounds ‖M‖₂, ‖M‖_F and ‖Σ₁Σ₂‖_F) and ω our eigenvalues of M = Bᵀ Σ₂ B:
     * <ul>
     *   <li>ours: the Cholesky factor B has B Bᵀ = Σ₁ + ΔΣ₁ with |ΔΣ₁| ≤ γ_{d+1}|B||Bᵀ| (Higham 2002, Thm 10.3),
     *       moving M's eigenvalues by at most γ_{d+1}·S; the two products of inner length d add |ΔM| ≤
     *       γ_{2d}|Bᵀ||Σ₂||B|, at most γ_{2d}·S in norm; the symmetric eigensolver is backward stable, within
     *       γ_{8d²+8}·‖M‖_F (see {@link RoundOff#eigensolverFidBound}). In all e₁ = γ_{8d²+3d+9}·S;</li>
     *   <li>pytorch-fid: Σ₁Σ₂ is formed within γ_d·S, its Schur form is backward stable (within γ_{8d²+8}·S,
     *       LAPACK Users' Guide §4.8), and Σ₁Σ₂ = X M′ X⁻¹ with M′ symmetric with M's eigenvalues, for X = Σ₁^½
     *       (M′ = Σ₁^½Σ₂Σ₁^½) or X = Σ₂^{-½} (M′ = Σ₂^½Σ₁Σ₂^½), so by Bauer–Fike its eigenvalues are within
     *       e₂ = k·γ_{8d²+d+8}·S, k = min(√κ(Σ₁), √κ(Σ₂)) = min κ(X). sqrtm's triangular root has √ of them on
     *       its diagonal, and the trace of Q R Qᴴ is within d·γ_{2d+1}·‖R‖_F, ‖R‖_F ≤ k·√(tr M);</li>
     *   <li>for a ≥ 0 and any z (principal roots), |√z − √a| ≤ min(√|z − a|, |z − a|/√a): the two square-root
     *       terms differ by at most Σ_i min(√e, e/√ω_i⁺), e = e₁ + e₂, plus each sum's γ_d·T and the trace
     *       term above; the rest (‖Δμ‖² + tr Σ₁ + tr Σ₂ = R) is within γ_{d+3}·R on each side.</li>
     * </ul>
     * Hence |FID − FID′| ≤ 2·(Σ_i min(√e, e/√ω_i⁺) + 2γ_d·T + d·γ_{2d+1}·k·√(tr M)) + 2γ_{d+3}·R + 2u·|FID|.
     * Loose where M has eigenvalues near 0 (√ is ill-conditioned there), which the fixture's cases have.
     */
    static double bound(double[] sigma1, double[] sigma2, double[] omega, double fid, int d) {
        double[] l1 = org.diffsweep.linalg.Lapack.symmetricEigenvalues(sigma1, d);
        double[] l2 = org.diffsweep.linalg.Lapack.symmetricEigenvalues(sigma2, d);
        assertTrue(l1[0] > 0 || l2[0] > 0, "Σ₁ or Σ₂ is positive definite (κ is finite)");
        double sqrtKappa = Math.min(l1[0] > 0 ? Math.sqrt(l1[d - 1] / l1[0]) : Double.POSITIVE_INFINITY,
                l2[0] > 0 ? Math.sqrt(l2[d - 1] / l2[0]) : Double.POSITIVE_INFINITY);
        double trace1 = 0;
        for (double l : l1) {
            trace1 += l;
        }
        double frobenius2 = 0;
        for (double v : sigma2) {
            frobenius2 += v * v;
        }
        double s = trace1 * Math.sqrt(frobenius2);
        double e = (RoundOff.gamma(8L * d * d + 3L * d + 9) + sqrtKappa * RoundOff.gamma(8L * d * d + d + 8)) * s;
        double t = 0;
        double traceM = 0;
        double roots = 0;
        for (double w : omega) {
            double a = Math.max(w, 0);
            t += Math.sqrt(a);
            traceM += a;
            roots += Math.min(Math.sqrt(e), a > 0 ? e / Math.sqrt(a) : Double.POSITIVE_INFINITY);
        }
        double r = Math.abs(fid) + 2 * t;
        return 2 * (roots + 2 * RoundOff.gamma(d) * t + d * RoundOff.gamma(2L * d + 1) * sqrtKappa * Math.sqrt(traceM))
                + 2 * RoundOff.gamma(d + 3) * r + 2 * RoundOff.U * Math.abs(fid);
    }

    @Test
    void matchesPytorchFid() throws IOException {
        JsonNode f;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/pytorch-fid.json")) {
            assertNotNull(in, "fixture pytorch-fid.json (tools/fixtures/README.md regenerates it)");
            f = new ObjectMapper().readTree(in);
        }
        assertEquals(3, f.get("cases").size());
        for (JsonNode c : f.get("cases")) {
            int d = c.get("dim").intValue();
            long n = c.get("n").longValue();
            Gaussian a = new Gaussian(doubles(c.get("mu1")), doubles(c.get("sigma1")), n);
            Gaussian b = new Gaussian(doubles(c.get("mu2")), doubles(c.get("sigma2")), n);
            assertEquals(d, a.dim());
            double expected = c.get("reference_fid").doubleValue();
            double ours = FrechetDistance.between(a, b);
            double bound = bound(a.cov(), b.cov(), new FrechetDistance.To(a).productEigenvalues(b), ours, d);
            System.out.printf("pytorch-fid %s: FID %.17g vs %.17g, relative difference %.3e (derived bound %.1e)%n",
                    c.get("name").textValue(), ours, expected, Math.abs(ours - expected) / expected,
                    bound / expected);
            assertEquals(expected, ours, bound, c.get("name").textValue() + ": vs pytorch-fid");
        }
    }
}
