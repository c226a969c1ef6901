package org.diffsweep.config;

import java.util.Map;
import org.diffsweep.family.EdmFamily;
import org.diffsweep.family.Family;
import org.diffsweep.psld.PsldFamily;
import org.diffsweep.sampler.Options;

/** The sampler families, by the process names a config's {@code process} mapping gives. */
public final class Families {

    /** Every process name, for errors and listings. */
    public static final String PROCESSES = "edm, vp, vp-discrete, psld";

    private Families() {
    }

    /**
     * The family of a process and its options.
     *
     * @throws IllegalArgumentException naming an unknown process or a bad option
     */
    public static Family of(String process, Map<String, Object> options) {
        Options o = new Options("process " + process, options);
        if (EdmFamily.PROCESSES.contains(process)) {
            return EdmFamily.parse(process, o);
        }
        if (process.equals(PsldFamily.PROCESS)) {
            return PsldFamily.parse(o);
        }
        throw new IllegalArgumentException("'" + process + "', expected one of: " + PROCESSES);
    }

    /** The default family: the EDM process with its default σ range. */
    public static Family defaultFamily() {
        return new EdmFamily(new org.diffsweep.diffusion.EdmProcess());
    }
}
