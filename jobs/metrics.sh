#!/usr/bin/env bash
# Usage: jobs/metrics.sh CONFIG [--out DIR]
#
# spark-submit diffsweep's 'metrics' job: KID and precision/recall of a finished sweep's features against
# real features (the config's metrics: and reference_features: keys); writes <out>/metrics.
#
#   CONFIG            the sweep's YAML, read by the driver (in cluster deploy mode ship it with --files
#                     and name it by its base name)
#   --out DIR         the sweep's output directory, any Hadoop URI; default: the config's 'output'
#   --partitions N    accepted, as by every job; this stage does not use it
#   --master URL      leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" metrics "$@"
