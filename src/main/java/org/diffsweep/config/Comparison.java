package org.diffsweep.config;

import java.io.Serializable;

/**
 * A paired comparison the FID table reports: FID(candidate) − FID(baseline) on the same seeds, at one NFE budget.
 * It comes from a {@code vs:} key in the config: a sampler against another sampler on the same grid, or a grid
 * against another grid with the same sampler.
 *
 * @param name         what is compared, e.g. {@code deis-sn-3 vs deis-3 on rho7}
 * @param nfeRequested the NFE budget both configs were given
 * @param candidateId  the config the difference is taken of
 * @param baselineId   the config it is measured against
 */
public record Comparison(String name, int nfeRequested, String candidateId, String baselineId) implements Serializable {
}
