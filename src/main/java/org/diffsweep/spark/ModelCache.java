package org.diffsweep.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffsweep.config.ModelSpec;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.model.Models;

/** One model per executor JVM and model description: tasks of the same executor share it. */
public final class ModelCache {

    private static final Map<String, Denoiser> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger BUILDS = new AtomicInteger();

    private ModelCache() {
    }

    public static Denoiser get(ModelSpec spec) {
        return MODELS.computeIfAbsent(spec.json(), k -> {
            BUILDS.incrementAndGet();
            return Models.build(spec);
        });
    }

    /** How many models this JVM has built (for tests and logs). */
    public static int builds() {
        return BUILDS.get();
    }
}
