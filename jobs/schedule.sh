#!/usr/bin/env bash
# Usage: jobs/schedule.sh CONFIG --out FILE.csv [options]
#
# spark-submit diffsweep's 'schedule' job: score-optimal schedules, the corrector cost on a fine grid along
# trajectories of the config's model -> equal-cost N-step schedules (a 'file' grid CSV), the cost curve and
# plots.
#
#   CONFIG             a sweep YAML (its model, process and first seed), read by the driver
#   --out FILE.csv     where to write the grid file: a local path on the driver, so run in client deploy mode
#   --seeds N          trajectories; default 1024
#   --shard N          seeds per task; default 256
#   --partitions N     Spark partitions; default: one per shard
#   --points N         fine-grid levels; default 400
#   --steps N,N,...    step counts to write schedules for, e.g. 5,10,20; default: the step counts the
#                      config's samplers take on the grid file --out
#   --master URL       leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" schedule "$@"
