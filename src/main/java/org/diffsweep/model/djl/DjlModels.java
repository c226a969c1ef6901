package org.diffsweep.model.djl;

import java.nio.file.Path;
import org.diffsweep.config.NetSpec;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EpsilonDenoiser;
import org.diffsweep.diffusion.ModelTime;
import org.diffsweep.diffusion.Process;
import org.diffsweep.features.Detector;

/** Builds the core's Denoiser and Detector from a config's network and its loaded file. */
public final class DjlModels {

    private DjlModels() {
    }

    public static Denoiser denoiser(NetSpec spec, DjlNet net, Process process) {
        if (spec.signature().equals("denoiser")) {
            return new DjlDenoiser(net, spec.shape(), spec.batch(), spec.id());
        }
        ModelTime time = switch (spec.time()) {
            case "ddpm-index" -> ModelTime.DDPM_INDEX;
            case "vp-999t" -> ModelTime.VP_SCALED_999;
            default -> ModelTime.PROCESS_TIME;
        };
        return new EpsilonDenoiser(new DjlEpsilonModel(net, spec.shape(), spec.batch(), spec.id()), process, time);
    }

    public static Detector detector(NetSpec spec, DjlNet net) {
        return new DjlDetector(net, spec.dim(), spec.batch(), spec.id());
    }

    public static DjlNet load(NetSpec spec, Path local, String device) {
        return DjlNet.load(spec.role() + " " + spec.id(), local, device);
    }
}
