package org.diffsweep.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;

/**
 * One unit of work: the seeds [seedStart, seedEnd) of one config. Blocks are aligned to the sweep's seed
 * start in steps of the block size, so the same config always splits into the same blocks.
 */
public record SeedBlock(String configId, long seedStart, long seedEnd) implements Serializable {

    public int size() {
        return (int) (seedEnd - seedStart);
    }

    /** Every block of a sweep, config by config. */
    public static List<SeedBlock> plan(SweepConfig config) {
        List<SeedBlock> blocks = new ArrayList<>();
        long end = config.seedStart() + config.seedCount();
        for (SweepPoint p : config.points()) {
            for (long s = config.seedStart(); s < end; s += config.blockSize()) {
                blocks.add(new SeedBlock(p.id(), s, Math.min(end, s + config.blockSize())));
            }
        }
        return blocks;
    }
}
