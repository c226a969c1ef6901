#!/usr/bin/env bash
# spark-submit the 'fid' job: jobs/fid.sh CONFIG [--out DIR] [--partitions N]  (see jobs/README.md)
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" fid "$@"
