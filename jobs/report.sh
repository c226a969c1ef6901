#!/usr/bin/env bash
# Usage: jobs/report.sh CONFIG [--out DIR]
#
# spark-submit diffsweep's 'report' job: writes <out>/report/index.html from a finished run's files (tables,
# differences, plots, sample grids, provenance), one self-contained page.
#
#   CONFIG            the sweep's YAML, read by the driver (in cluster deploy mode ship it with --files
#                     and name it by its base name)
#   --out DIR         the sweep's output directory, any Hadoop URI; default: the config's 'output'
#   --partitions N    accepted, as by every job; this stage does not use it
#   --master URL      leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" report "$@"
