#!/usr/bin/env bash
# spark-submit the 'run' job: jobs/run.sh CONFIG [--out DIR] [--partitions N]  (see jobs/README.md)
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" run "$@"
