#!/usr/bin/env bash
# Usage: jobs/submit.sh JOB [ARGS...]
#
# Shared by the job launchers (jobs/<JOB>.sh): spark-submit the cluster jar with one diffsweep subcommand.
#
# Our Spark settings go to spark-submit as one `--conf key=value` per line of the settings file, never as
# --properties-file: that flag stops spark-submit from reading the cluster's own conf/spark-defaults.conf,
# where EMR, Dataproc and most YARN installs keep theirs. The words of SPARK_SUBMIT_ARGS come after them
# (a --conf there wins over ours), then the jar, the job and its arguments.
#
# Environment:
#   SPARK_SUBMIT_ARGS     spark-submit options: --master, --deploy-mode, executors, --jars (the libtorch native
#                         jar), --files (the config, in cluster deploy mode). Split on white space, no quoting.
#   DIFFSWEEP_SPARK_CONF  our settings file (default conf/spark-defaults.conf; conf/spark-gpu.conf for GPUs)
#   DIFFSWEEP_JAR         the application jar: a path, or a URL the cluster can read (hdfs://, s3://, gs://)
#                         (default target/diffsweep-<version>-cluster.jar, from mvn -B -ntp -Pcluster package)
#   SPARK_HOME            spark-submit is $SPARK_HOME/bin/spark-submit when set, else the one on PATH
#
# Errors (no cluster jar, no spark-submit, a bad settings file) are one line on stderr and exit code 2.
# Bash built-ins only: --help works on any machine, without Java, Spark or a build.
set -euo pipefail

bin="${BASH_SOURCE[0]%/*}"
[ "$bin" != "${BASH_SOURCE[0]}" ] || bin=.
here="$(cd "$bin/.." && pwd)"

# The comment block at the top of a script, without the '#': its usage text.
usage_of() {
  local line first=1
  while IFS= read -r line; do
    if [ $first = 1 ]; then first=0; case "$line" in '#!'*) continue ;; esac; fi
    case "$line" in
      '#') echo ;;
      '# '*) echo "${line#'# '}" ;;
      *) break ;;
    esac
  done < "$1"
}

launchers() {
  local f names=""
  for f in "$here"/jobs/*.sh; do
    f="${f##*/}"
    [ "$f" = submit.sh ] || names="$names ${f%.sh}"
  done
  echo "${names# }"
}

if [ $# = 0 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
  if [ $# = 0 ]; then
    echo "jobs/submit.sh: no job given; jobs: $(launchers) (jobs/<job>.sh --help)" >&2
    exit 2
  fi
  usage_of "$here/jobs/submit.sh"
  exit 0
fi

job="$1"
shift
launcher="jobs/$job.sh"
if [ "$job" = submit ] || [ ! -f "$here/$launcher" ]; then
  echo "jobs/submit.sh: no launcher for job '$job'; jobs: $(launchers)" >&2
  exit 2
fi

for a in "$@"; do
  if [ "$a" = --help ] || [ "$a" = -h ]; then
    usage_of "$here/$launcher"
    echo
    echo "Environment (details: jobs/submit.sh --help, jobs/README.md):"
    echo "  SPARK_SUBMIT_ARGS     spark-submit options: --master, --deploy-mode, executors, --jars, --files"
    echo "  DIFFSWEEP_SPARK_CONF  our Spark settings, passed as --conf (default conf/spark-defaults.conf)"
    echo "  DIFFSWEEP_JAR         the application jar (default target/diffsweep-<version>-cluster.jar)"
    echo "  SPARK_HOME            where spark-submit is (default: the one on PATH)"
    exit 0
  fi
done
if [ $# = 0 ]; then
  echo "$launcher: no arguments; $launcher --help shows what it takes" >&2
  exit 2
fi

# The application jar.
if [ -n "${DIFFSWEEP_JAR:-}" ]; then
  jar="$DIFFSWEEP_JAR"
  if [[ "$jar" != *://* ]] && [ ! -f "$jar" ]; then
    echo "$launcher: DIFFSWEEP_JAR=$jar not found" >&2
    exit 2
  fi
else
  shopt -s nullglob
  jars=("$here"/target/diffsweep-*-cluster.jar)
  shopt -u nullglob
  if [ ${#jars[@]} = 0 ]; then
    echo "$launcher: no cluster jar in target/; build it with: mvn -B -ntp -Pcluster -DskipTests package (or set DIFFSWEEP_JAR)" >&2
    exit 2
  elif [ ${#jars[@]} -gt 1 ]; then
    echo "$launcher: ${#jars[@]} cluster jars in target/ (${jars[*]##*/}); remove the stale ones or set DIFFSWEEP_JAR" >&2
    exit 2
  fi
  jar="${jars[0]}"
fi

# spark-submit: SPARK_HOME's, else the one on PATH.
if [ -n "${SPARK_HOME:-}" ]; then
  submit="$SPARK_HOME/bin/spark-submit"
  if [ ! -x "$submit" ]; then
    echo "$launcher: SPARK_HOME=$SPARK_HOME has no bin/spark-submit" >&2
    exit 2
  fi
elif ! submit="$(command -v spark-submit)"; then
  echo "$launcher: spark-submit not found (not on PATH and SPARK_HOME unset); run this where Spark is installed, e.g. a cluster's edge node" >&2
  exit 2
fi

# shellcheck source=jobs/lib/settings.sh
source "$here/jobs/lib/settings.sh"
spark_settings "${DIFFSWEEP_SPARK_CONF:-$here/conf/spark-defaults.conf}" || exit 2
confs=()
for kv in ${SPARK_SETTINGS[@]+"${SPARK_SETTINGS[@]}"}; do
  confs+=(--conf "$kv")
done

extra=()
read -r -a extra <<< "${SPARK_SUBMIT_ARGS:-}" || true

exec "$submit" --class org.diffsweep.cli.Main \
  ${confs[@]+"${confs[@]}"} ${extra[@]+"${extra[@]}"} \
  "$jar" "$job" "$@"
