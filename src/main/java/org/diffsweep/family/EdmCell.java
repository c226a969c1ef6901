package org.diffsweep.family;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffsweep.diffusion.CountingDenoiser;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Guided;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.rng.SeedStream;
import org.diffsweep.sampler.Deis;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.sampler.ScoreScale;
import org.diffsweep.schedule.PendingFileGrid;
import org.diffsweep.schedule.TimeGrid;

/**
 * A cell of the EDM family: a sampler on a σ grid. A sample starts from x̂ = σ_0·n with n from its seed's latent
 * stream; the sampler's noise comes from its seed's sampler stream.
 */
public record EdmCell(EdmFamily family, Sampler samplerObject, TimeGrid gridObject, int nfeRequested, int steps,
                      int nfe) implements Cell {

    @Override
    public Sampled sample(SampleModel model, long[] seeds) {
        return sample(model, seeds, Conditioning.NONE);
    }

    /** Labels and guidance enter through the denoiser the sampler sees ({@link EdmFamily#denoiser(SampleModel, Conditioning)}). */
    @Override
    public Sampled sample(SampleModel model, long[] seeds, Conditioning conditioning) {
        return sample(model, seeds, conditioning, new BatchNoise(seeds, model.dim(), SeedStream.LATENTS).next());
    }

    /**
     * The same from given standard normal latents n, row-major (x̂₀ = σ₀·n), in place of the seeds' latent streams;
     * the seeds still key the sampler noise. What a sweep does with a reference run's latents (parity checks).
     */
    public Sampled sample(SampleModel model, long[] seeds, Conditioning conditioning, double[] unitLatents) {
        Denoiser d = family.denoiser(model, conditioning);
        CountingDenoiser counted = new CountingDenoiser(d);
        double[] sigmas = levels();
        int dim = model.dim();
        if (unitLatents.length != seeds.length * dim) {
            throw new IllegalArgumentException(unitLatents.length + " latent values for " + seeds.length
                    + " seeds, expected " + seeds.length * dim);
        }
        double[] x = unitLatents.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] *= sigmas[0];
        }
        double[] out = samplerObject.sample(counted, sigmas, x, BatchNoise.samplerNoise(seeds, dim));
        long network = d instanceof Guided g ? g.branchEvaluations() : counted.calls();
        return new Sampled(out, counted.calls(), network);
    }

    @Override
    public List<Need> needs() {
        List<Need> needs = new ArrayList<>();
        if (samplerObject instanceof Deis d && d.scoreScale().pendingPath() != null) {
            needs.add(new Need(Need.NORM_TABLE, d.scoreScale().pendingPath(), 0));
        }
        if (gridObject instanceof PendingFileGrid g) {
            needs.add(new Need(Need.SCHEDULE, g.location(), steps));
        }
        return needs;
    }

    @Override
    public Cell withNeedsMet() {
        Sampler s = samplerObject;
        if (s instanceof Deis d && d.scoreScale().pendingPath() != null) {
            s = d.withScoreScale(org.diffsweep.sampler.Samplers.readTable(d.scoreScale().pendingPath(),
                    family.processObject(), family.store()));
        }
        if (gridObject instanceof PendingFileGrid g) {
            return family.cell(s, family.readGridNow(g.source(), g.location()), nfeRequested);
        }
        return new EdmCell(family, s, gridObject, nfeRequested, steps, nfe);
    }

    @Override
    public List<String> statisticsFiles() {
        List<String> files = new ArrayList<>();
        if (samplerObject instanceof Deis d && d.normalised() && d.scoreScale().source() != null) {
            files.add(d.scoreScale().source());
        }
        if (gridObject instanceof org.diffsweep.schedule.FileGrid g) {
            files.add(g.location() != null ? g.location() : g.source());
        } else if (gridObject instanceof PendingFileGrid g) {
            files.add(g.location());
        }
        return files;
    }

    @Override
    public Map<String, String> provenance() {
        if (samplerObject instanceof Deis d && d.normalised() && d.scoreScale().pendingPath() == null) {
            ScoreScale scale = d.scoreScale();
            return Map.of("score_table", scale.label() + "@" + scale.contentHash()
                    + (scale.madeFor() == null ? "" : " for " + scale.madeFor()));
        }
        return Map.of();
    }

    @Override
    public void requireMadeFor(String modelId) {
        if (samplerObject instanceof Deis deis) {
            String madeFor = deis.scoreScale().madeFor();
            if (madeFor != null && !madeFor.equals(modelId)) {
                throw new IllegalArgumentException(sampler() + ": its norm table was measured on model " + madeFor
                        + ", expected " + modelId + " (this config's model): rerun norm-stats for it");
            }
        }
    }
}
