#!/usr/bin/env bash
# spark-submit the 'sweep' job: jobs/sweep.sh CONFIG [--out DIR] [--partitions N]  (see jobs/README.md)
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" sweep "$@"
