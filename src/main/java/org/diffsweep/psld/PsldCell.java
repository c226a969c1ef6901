package org.diffsweep.psld;

import org.diffsweep.family.Cell;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.rng.SeedStream;

/**
 * A PSLD cell: a sampler on a reverse-time grid. A sample starts from the prior at τ = 0: x ~ N(0, I) from its
 * seed's latent stream (the same draws as the EDM family's latents of that seed), m ~ N(0, M·I) from the next
 * values of that stream. Its sample is x after the denoising step.
 */
public record PsldCell(PsldProcess process, PsldSampler samplerObject, ReverseGrid gridObject, int nfeRequested,
                       int steps) implements Cell {

    @Override
    public Sampled sample(SampleModel model, long[] seeds) {
        PsldModel m = (PsldModel) model;
        int dim = m.dim();
        double[] z = prior(seeds, dim);
        Score score = new Score(m, process, seeds.length);
        samplerObject.sample(score, levels(), z, new BatchNoise(seeds, 2 * dim, SeedStream.SAMPLER_NOISE));
        double[] x = new double[seeds.length * dim];
        for (int r = 0; r < seeds.length; r++) {
            System.arraycopy(z, r * 2 * dim, x, r * dim, dim);
        }
        return new Sampled(x, score.calls());
    }

    /** The prior draws of each seed, rows of x then m. */
    double[] prior(long[] seeds, int dim) {
        double[] z = new BatchNoise(seeds, 2 * dim, SeedStream.LATENTS).next();
        double sd = Math.sqrt(process.mass());
        for (int row = 0; row < z.length; row += 2 * dim) {
            for (int i = row + dim; i < row + 2 * dim; i++) {
                z[i] *= sd;
            }
        }
        return z;
    }
}
