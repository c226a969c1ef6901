#!/usr/bin/env bash
# Usage: CLUSTER=NAME REGION=REGION BUCKET=BUCKET deploy/dataproc/submit.sh [JOB_OPTIONS...]
#
# Submits diffsweep's 'run' job (or JOB) to a Dataproc cluster with `gcloud dataproc jobs submit spark`, in
# cluster deploy mode, with our Spark settings (conf/spark-defaults.conf, or DIFFSWEEP_SPARK_CONF) as job
# properties; Dataproc adds them to the cluster's own. Upload the jars and the config first:
#
#   gcloud storage cp target/diffsweep-0.1.0-SNAPSHOT-cluster.jar \
#       target/native/pytorch-native-cpu-2.7.1-linux-x86_64.jar gs://BUCKET/diffsweep/
#   gcloud storage cp conf/gmm-demo.yaml gs://BUCKET/diffsweep/conf/
#
# Environment:
#   CLUSTER, REGION, BUCKET   the cluster, its region, and the bucket holding jars, configs and outputs
#   JOB                       the diffsweep job (default run)
#   CONFIG                    the config's gs:// URI (default gs://BUCKET/diffsweep/conf/gmm-demo.yaml); it is
#                             shipped with --files and passed to the job by its base name
#   OUT                       output directory (default gs://BUCKET/diffsweep/runs/<config name>)
#   NATIVE_JAR                the libtorch native jar's gs:// URI (default: the CPU jar beside the cluster jar;
#                             GPU clusters: the cu128 jar from deploy/native-jar.sh)
#   DIFFSWEEP_SPARK_CONF      our settings file (default conf/spark-defaults.conf; conf/spark-gpu.conf for GPUs)
# Storage credentials come from the cluster's service account, never from files here.
set -euo pipefail

d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
here="$(cd "$d/../.." && pwd)"
die() { echo "deploy/dataproc/submit.sh: $*" >&2; exit 2; }
for a in "$@"; do
  case "$a" in
    -h | --help)
      while IFS= read -r line; do
        case "$line" in '#!'*) continue ;; '#') echo ;; '# '*) echo "${line#'# '}" ;; *) break ;; esac
      done < "$here/deploy/dataproc/submit.sh"
      exit 0
      ;;
  esac
done

# Must match pom.xml (project version, libtorch.version); DeployRecipesTest checks that they do.
version=0.1.0-SNAPSHOT
libtorch=2.7.1

for v in CLUSTER REGION BUCKET; do
  [ -n "${!v:-}" ] || die "set $v (see deploy/dataproc/submit.sh --help)"
done
command -v gcloud > /dev/null || die "gcloud not found; install the Google Cloud CLI"

job="${JOB:-run}"
config="${CONFIG:-gs://$BUCKET/diffsweep/conf/gmm-demo.yaml}"
name="${config##*/}"
out="${OUT:-gs://$BUCKET/diffsweep/runs/${name%.yaml}}"
native="${NATIVE_JAR:-gs://$BUCKET/diffsweep/pytorch-native-cpu-$libtorch-linux-x86_64.jar}"

source "$here/jobs/lib/settings.sh"
spark_settings "${DIFFSWEEP_SPARK_CONF:-$here/conf/spark-defaults.conf}" || exit 2
settings=("${SPARK_SETTINGS[@]}" spark.submit.deployMode=cluster
  spark.executorEnv.DJL_CACHE_DIR=/tmp/djl-cache spark.yarn.appMasterEnv.DJL_CACHE_DIR=/tmp/djl-cache)
# '^#^' makes '#' the separator, so that values may contain commas.
properties="^#^$(IFS='#'; echo "${settings[*]}")"

exec gcloud dataproc jobs submit spark \
  --cluster="$CLUSTER" --region="$REGION" \
  --class=org.diffsweep.cli.Main \
  --jars="gs://$BUCKET/diffsweep/diffsweep-$version-cluster.jar,$native" \
  --files="$config" \
  --properties="$properties" \
  -- "$job" "$name" --out "$out" "$@"
