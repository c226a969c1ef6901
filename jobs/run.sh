#!/usr/bin/env bash
# Usage: jobs/run.sh CONFIG [--out DIR] [--partitions N]
#
# spark-submit diffsweep's 'run' job: the sweep, then FID, from one YAML; a stage whose complete output
# already exists is skipped.
#
#   CONFIG            the sweep's YAML, read by the driver (in cluster deploy mode ship it with --files
#                     and name it by its base name)
#   --out DIR         output directory, any Hadoop URI (hdfs://, s3a://, gs://); default: the config's
#                     'output', else runs/<name>
#   --partitions N    Spark partitions for the sweep; default 0: one per seed block
#   --master URL      leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" run "$@"
