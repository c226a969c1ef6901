package org.diffsweep.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffsweep.config.ModelSpec;
import org.diffsweep.config.NetSpec;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.Process;
import org.diffsweep.features.Detector;
import org.diffsweep.model.Models;
import org.diffsweep.model.djl.DjlModels;
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

    public static Denoiser denoiser(ModelSpec spec, Process process, HadoopConf hadoop) {
        if (spec.net() == null) {
            return (Denoiser) MODELS.computeIfAbsent(spec.json(), k -> {
                BUILDS.incrementAndGet();
                return Models.build(spec);
            });
        }
        return DjlModels.denoiser(spec.net(), net(spec.net(), hadoop), process);
    }

    public static Detector detector(NetSpec spec, HadoopConf hadoop) {
        return DjlModels.detector(spec, net(spec, hadoop));
    }

    private static DjlNet net(NetSpec spec, HadoopConf hadoop) {
        String device = Devices.forCurrentTask();
        return (DjlNet) MODELS.computeIfAbsent(spec.sha256() + "@" + device, k -> {
            BUILDS.incrementAndGet();
            setThreads();
            try {
                return DjlModels.load(spec, ModelFiles.local(spec.path(), spec.sha256(), hadoop.get()), device);
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

    /** How many models this JVM has built (for tests and logs). */
    public static int builds() {
        return BUILDS.get();
    }
}
