#!/usr/bin/env bash
# Usage: deploy/yarn/run.sh CONFIG OUT [JOB_OPTIONS...]
#   e.g. deploy/yarn/run.sh conf/gmm-demo.yaml hdfs:///user/$USER/diffsweep/gmm-demo
#
# diffsweep's 'run' job on YARN in cluster deploy mode, from a node with the cluster's spark-submit (an edge
# or gateway node): jobs/run.sh with SPARK_SUBMIT_ARGS for YARN. The config goes along with --files and the
# job reads it by its base name; the libtorch native jar goes along with --jars.
#
# Environment:
#   EXECUTORS, EXECUTOR_CORES, EXECUTOR_MEMORY   executors (default 4 x 4 cores x 6g)
#   NATIVE_JAR            the libtorch native jar (default target/native/pytorch-native-cpu-2.7.1-linux-x86_64.jar,
#                         from deploy/native-jar.sh cpu; GPU nodes: the cu128 jar, with
#                         DIFFSWEEP_SPARK_CONF=conf/spark-gpu.conf and YARN's yarn.io/gpu resource set up)
#   SPARK_SUBMIT_ARGS     more spark-submit options (--queue, --conf ...), after these
#   DIFFSWEEP_SPARK_CONF  our settings file (default conf/spark-defaults.conf)
# Paths must not contain spaces (SPARK_SUBMIT_ARGS is split on white space).
set -euo pipefail

d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
here="$(cd "$d/../.." && pwd)"
die() { echo "deploy/yarn/run.sh: $*" >&2; exit 2; }
for a in "$@"; do
  case "$a" in
    -h | --help)
      while IFS= read -r line; do
        case "$line" in '#!'*) continue ;; '#') echo ;; '# '*) echo "${line#'# '}" ;; *) break ;; esac
      done < "$here/deploy/yarn/run.sh"
      exit 0
      ;;
  esac
done
[ $# -ge 2 ] || die "expected CONFIG OUT (see deploy/yarn/run.sh --help)"
config="$1"
out="$2"
shift 2
[ -f "$config" ] || die "config $config not found"

# Must match pom.xml's libtorch.version; DeployRecipesTest checks that it does.
native="${NATIVE_JAR:-$here/target/native/pytorch-native-cpu-2.7.1-linux-x86_64.jar}"
[ -f "$native" ] || die "no libtorch native jar $native; make it with deploy/native-jar.sh cpu (or set NATIVE_JAR)"

export SPARK_SUBMIT_ARGS="--master yarn --deploy-mode cluster \
--num-executors ${EXECUTORS:-4} --executor-cores ${EXECUTOR_CORES:-4} --executor-memory ${EXECUTOR_MEMORY:-6g} \
--jars $native --files $config \
--conf spark.executorEnv.DJL_CACHE_DIR=/tmp/djl-cache --conf spark.yarn.appMasterEnv.DJL_CACHE_DIR=/tmp/djl-cache \
${SPARK_SUBMIT_ARGS:-}"
exec "$BASH" "$here/jobs/run.sh" "${config##*/}" --out "$out" "$@"
