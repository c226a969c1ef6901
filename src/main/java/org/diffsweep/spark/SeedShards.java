package org.diffsweep.spark;

import java.util.ArrayList;
import java.util.List;

/** Consecutive seed ranges [start, end) of at most {@code size} seeds, the tasks of the offline jobs. */
public final class SeedShards {

    private SeedShards() {
    }

    public static List<long[]> of(long start, long count, int size) {
        List<long[]> shards = new ArrayList<>();
        for (long s = start; s < start + count; s += size) {
            shards.add(new long[] {s, Math.min(start + count, s + size)});
        }
        return shards;
    }

    /** The seeds of one range. */
    public static long[] seeds(long[] range) {
        long[] ids = new long[(int) (range[1] - range[0])];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = range[0] + i;
        }
        return ids;
    }
}
