#!/usr/bin/env bash
# Shared by the job launchers: spark-submit the cluster jar with one diffsweep subcommand.
#   jobs/submit.sh JOB CONFIG [options]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$(ls "$here"/target/diffsweep-*-cluster.jar 2>/dev/null | head -n 1 || true)"
if [ -z "$jar" ]; then
  echo "jobs: no cluster jar; build it with: mvn -B -ntp -Pcluster -DskipTests package" >&2
  exit 2
fi
job="$1"; shift
# shellcheck disable=SC2086
exec spark-submit \
  --class org.diffsweep.cli.Main \
  --properties-file "${DIFFSWEEP_SPARK_CONF:-$here/conf/spark-defaults.conf}" \
  ${SPARK_SUBMIT_ARGS:-} \
  "$jar" "$job" "$@"
