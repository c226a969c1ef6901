package org.diffsweep.model.djl;

import java.nio.file.Path;
import org.diffsweep.config.NetSpec;
import org.diffsweep.model.Network;
import org.diffsweep.features.Detector;

/** Builds the core's Network and Detector from a config's network and its loaded file. */
public final class DjlModels {

    private DjlModels() {
    }

    /** The network called with {@code channels} channels of the model's H × W, its inputs named as given. */
    public static Network network(NetSpec spec, DjlNet net, int channels, String inputName, String scalarName) {
        int[] chw = {channels, spec.shape()[1], spec.shape()[2]};
        return new DjlNetwork(net, chw, spec.batch(), spec.id(), inputName, scalarName);
    }

    public static Detector detector(NetSpec spec, DjlNet net) {
        return new DjlDetector(net, spec.dim(), spec.batch(), spec.id());
    }

    public static DjlNet load(NetSpec spec, Path local, String device) {
        return DjlNet.load(spec.role() + " " + spec.id(), local, device);
    }
}
