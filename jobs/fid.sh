#!/usr/bin/env bash
# Usage: jobs/fid.sh CONFIG [--out DIR]
#
# spark-submit diffsweep's 'fid' job: reduces a finished sweep's features to FID per config and writes
# Parquet, CSV and Markdown under <out>/fid.
#
#   CONFIG            the sweep's YAML, read by the driver (in cluster deploy mode ship it with --files
#                     and name it by its base name)
#   --out DIR         the sweep's output directory, any Hadoop URI; default: the config's 'output'
#   --partitions N    accepted, as by every job; the fid stage does not use it
#   --master URL      leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
#   --spark           reduce as Spark tasks even on a local master (a local master otherwise reduces in
#                     the driver's JVM without starting Spark: the same numbers)
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" fid "$@"
