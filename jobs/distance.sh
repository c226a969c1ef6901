#!/usr/bin/env bash
# Usage: jobs/distance.sh CONFIG --anchor ANCHOR.yaml [--out DIR]
#
# spark-submit diffsweep's 'distance' job: how far each config's samples are from an anchor sweep's (one
# high-NFE config of the same model, detector and seeds) on the same seed, in the detector's features.
# Both sweeps must have run. Writes <out>/distance/distance.{md,csv}.
#
#   CONFIG                the sweep's YAML, read by the driver
#   --anchor ANCHOR.yaml  the anchor sweep's YAML, read by the driver (in cluster deploy mode ship both
#                         YAMLs with --files and name them by their base names)
#   --out DIR             the sweep's output directory, any Hadoop URI; default: the config's 'output'
#   --partitions N        accepted, as by every job; not used here
#   --master URL          leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" distance "$@"
