#!/usr/bin/env bash
# Usage: jobs/norm-stats.sh CONFIG --out FILE.csv [options]
#
# spark-submit diffsweep's 'norm-stats' job: DEIS-SN statistics, mean |eps| per step of Euler on a fine
# grid of the config's model, over seeds sharded across executors. Writes the per-shard sums
# (FILE.shards.parquet), the table r(sigma) that deis-sn's 'norm:' reads (FILE.csv) and its plot (FILE.png).
#
#   CONFIG             a sweep YAML (its model, process and first seed), read by the driver
#   --out FILE.csv     where to write the table: a local path on the driver, so run in client deploy mode
#   --seeds N          trajectories; default 1024
#   --shard N          seeds per task; default 256
#   --partitions N     Spark partitions; default: one per shard
#   --steps N          fine-grid steps; default 1000
#   --truncation K     end points replaced by the k-th last value; default 5
#   --master URL       leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" norm-stats "$@"
