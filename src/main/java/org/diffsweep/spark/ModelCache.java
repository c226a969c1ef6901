package org.diffsweep.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffsweep.config.ModelSpec;
import org.diffsweep.config.NetSpec;
import org.diffsweep.family.Family;
import org.diffsweep.family.ModelSource;
import org.diffsweep.model.Network;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.features.Detector;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.djl.DjlDetector;
import org.diffsweep.model.djl.DjlNetwork;
import org.diffsweep.model.djl.DjlNet;

/**
 * One model per executor JVM: tasks of an executor share each loaded network (keyed by content hash and device)
 * and each analytic model (keyed by its description).
 */
public final class ModelCache {

    private static final Map<String, Object> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger BUILDS = new AtomicInteger();

    private ModelCache() {
    }

    /** The family's model of a config's model: its exact model of a mixture, or its adapter around a network. */
    public static SampleModel model(ModelSpec spec, Family family, HadoopConf hadoop) {
        ModelSource source = source(spec, hadoop);
        if (spec.net() == null) {
            return (SampleModel) MODELS.computeIfAbsent(spec.json() + "|" + family.process(), k -> {
                BUILDS.incrementAndGet();
                return family.model(source);
            });
        }
        return family.model(source);
    }

    /**
     * A config's model as a family builds its own model from it ({@link Family#model}): what {@link #model} hands the
     * family; its network is loaded (once per executor) when first asked for.
     */
    public static ModelSource source(ModelSpec spec, HadoopConf hadoop) {
        return new Source(spec, hadoop);
    }

    public static Detector detector(NetSpec spec, HadoopConf hadoop) {
        DjlNet net = net(spec, hadoop);
        org.diffsweep.features.DetectorFile file = (org.diffsweep.features.DetectorFile) MODELS.computeIfAbsent(
                spec.sha256() + "#file", k -> DjlDetector.inspect(net));
        return new DjlDetector(net, spec.dim(), spec.batch(), spec.id(), spec.sha256(), file);
    }

    private static DjlNet net(NetSpec spec, HadoopConf hadoop) {
        String device = Devices.forCurrentTask();
        return (DjlNet) MODELS.computeIfAbsent(spec.sha256() + "@" + device, k -> {
            BUILDS.incrementAndGet();
            setThreads();
            try {
                return DjlNet.load(spec.role() + " " + spec.id(), ModelFiles.local(spec.path(), spec.sha256(), hadoop.get()),
                        device);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * libtorch's intra-op threads: the task's actual cores ({@link TaskCores#perTask()}), set before the
     * engine starts.
     */
    public static void setThreads() {
        if (System.getProperty("ai.djl.pytorch.num_threads") != null) {
            return;
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(TaskCores.perTask()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /** A config's model as a family sees it; its network is loaded once per executor, when first asked for. */
    private record Source(ModelSpec spec, HadoopConf hadoop) implements ModelSource {
        @Override
        public GaussianMixture mixture() {
            return spec.mixture();
        }

        @Override
        public String output() {
            return spec.net() == null ? null : spec.net().signature();
        }

        @Override
        public String time() {
            return spec.net() == null ? null : spec.net().time();
        }

        @Override
        public String timeDtype() {
            return spec.net() == null || spec.net().timeDtype() == null ? "float32" : spec.net().timeDtype();
        }

        @Override
        public int[] shape() {
            return spec.imageShape();
        }

        @Override
        public org.diffsweep.model.LabelInput labels() {
            return spec.labels();
        }

        @Override
        public String id() {
            return spec.id();
        }

        @Override
        public Network network(int channels, String input, String scalar) {
            int[] chw = {channels, spec.net().shape()[1], spec.net().shape()[2]};
            return new DjlNetwork(net(spec.net(), hadoop), chw, spec.net().batch(), spec.net().id(), input, scalar,
                    "int64".equals(spec.net().timeDtype()), spec.labels());
        }
    }

    /** How many models this JVM has built (for tests and logs). */
    public static int builds() {
        return BUILDS.get();
    }
}
