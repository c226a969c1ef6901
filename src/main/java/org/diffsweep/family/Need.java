package org.diffsweep.family;

import java.io.Serializable;

/**
 * A statistic a cell needs made first, by the job named by {@code kind}.
 *
 * @param kind  {@code norm-table} (the norm-stats job) or {@code schedule} (the schedule job)
 * @param path  the file it will be read from
 * @param steps the step count the cell takes on it (schedules are made per step count); 0 when it does not matter
 */
public record Need(String kind, String path, int steps) implements Serializable {

    public static final String NORM_TABLE = "norm-table";
    public static final String SCHEDULE = "schedule";
}
