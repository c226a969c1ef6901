#!/usr/bin/env bash
# Starts a Spark standalone cluster (one Master, N Workers) on 127.0.0.1 from the project's own dependency jars:
# no Spark distribution needed. Prints the master URL on stdout once every worker has registered.
# See deploy/standalone/README.md; stop it with deploy/standalone/stop.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
me="start.sh"

usage() {
  cat <<EOF
Usage: deploy/standalone/start.sh [options]

Starts a Spark standalone Master and N Workers on 127.0.0.1, each its own JVM; Spark's jars are resolved by
Maven (deploy/standalone/spark-runtime.pom.xml, at the versions of pom.xml) and the JVM flags come from the
project's build ('mvn -B -ntp -DskipTests package' first). Waits until every worker has registered with the master,
then prints the master URL (spark://127.0.0.1:PORT) on stdout.

Options:
  --workers N         number of workers (default 2)
  --cores N           cores each worker offers to executors (default 1)
  --memory SIZE       memory each worker offers to executors, e.g. 1g or 1536m (default 1g); keep
                      spark.executor.memory (default 1g) at or below it
  --port P            master RPC port (default 7077; 0 picks a free port)
  --webui-port P      master web UI port (default 8080; 0 picks a free port)
  --state-dir DIR     pid files, logs, work and scratch directories, Spark home
                      (default target/standalone)
  --daemon-memory SIZE  heap of the master and worker JVMs themselves (default 512m)
  --timeout S         seconds to wait for the master and the workers (default 120)
  -h, --help          this text

Environment: JAVA_HOME (else java on the PATH).
Stop with: deploy/standalone/stop.sh --state-dir DIR
EOF
}

die() {
  echo "$me: $*" >&2
  exit 2
}

workers=2
cores=1
memory=1g
port=7077
webui_port=8080
state=""
daemon_memory=512m
timeout_s=120

need_value() {
  [ $# -ge 2 ] || die "$1 needs a value (see --help)"
}
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --workers) need_value "$@"; workers="$2"; shift 2 ;;
    --cores) need_value "$@"; cores="$2"; shift 2 ;;
    --memory) need_value "$@"; memory="$2"; shift 2 ;;
    --port) need_value "$@"; port="$2"; shift 2 ;;
    --webui-port) need_value "$@"; webui_port="$2"; shift 2 ;;
    --state-dir) need_value "$@"; state="$2"; shift 2 ;;
    --daemon-memory) need_value "$@"; daemon_memory="$2"; shift 2 ;;
    --timeout) need_value "$@"; timeout_s="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

positive() { [[ "$2" =~ ^[1-9][0-9]{0,5}$ ]] || die "$1 '$2', expected a positive whole number"; }
positive --workers "$workers"
positive --cores "$cores"
positive --timeout "$timeout_s"
[[ "$memory" =~ ^[1-9][0-9]*[mMgG]$ ]] || die "--memory '$memory', expected a size such as 1g or 1536m"
[[ "$daemon_memory" =~ ^[1-9][0-9]*[mMgG]$ ]] || die "--daemon-memory '$daemon_memory', expected a size such as 512m"
for p in "--port:$port" "--webui-port:$webui_port"; do
  v="${p#*:}"
  [[ "$v" =~ ^[0-9]{1,5}$ ]] && [ "$v" -le 65535 ] || die "${p%%:*} '$v', expected a port 0-65535 (0: any free port)"
done
if [ "$port" != 0 ] && [ "$port" = "$webui_port" ]; then
  die "--port and --webui-port are both $port, expected two different ports"
fi

java_bin="java"
[ -n "${JAVA_HOME:-}" ] && java_bin="$JAVA_HOME/bin/java"
command -v "$java_bin" >/dev/null 2>&1 || die "no java found (set JAVA_HOME or put java 17 on the PATH)"
command -v curl >/dev/null 2>&1 || die "curl not found; it is needed to ask the master whether the workers registered"

target="$here/target"
for f in classpath-provided.txt classpath-runtime.txt jvm-flags.txt; do
  [ -f "$target/$f" ] || die "$target/$f missing; build first: mvn -B -ntp -DskipTests package"
done

state="${state:-$target/standalone}"
mkdir -p "$state" || die "--state-dir '$state' cannot be created"
state="$(cd "$state" && pwd)"
# Every process of this cluster carries this property: stop.sh signals only processes that have it.
marker="-Ddiffsweep.standalone.state=$state"

# Refuse to start a second cluster on the same state directory; forget pid files of dead processes.
for pidfile in "$state"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && ps -ww -p "$pid" -o args= 2>/dev/null | grep -qF -- "$marker"; then
    echo "$me: a cluster of $state is running ($(basename "$pidfile" .pid) pid $pid); stop it first: deploy/standalone/stop.sh --state-dir $state" >&2
    exit 1
  fi
  rm -f "$pidfile"
done
rm -f "$state/master-url" "$state/master-webui"

# SPARK_HOME: a jars/ folder with what a Spark distribution ships, linked from the local Maven repository: Spark
# SQL and the Hadoop client with their whole dependency closure at Spark's own versions, resolved by Maven from
# deploy/standalone/spark-runtime.pom.xml with the versions of the project's pom.xml. (The project's own
# "provided" class path is not that: a library Spark shares with diffsweep, such as Jackson, Netty or commons-io,
# lands in diffsweep's runtime scope instead.)
spark_home="$state/spark-home"
rm -rf "$spark_home"
mkdir -p "$spark_home/jars" "$spark_home/conf"
command -v mvn >/dev/null || die "mvn not found: it resolves Spark's jars (deploy/standalone/spark-runtime.pom.xml)"
pom_version() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$here/pom.xml" | head -n 1; }
spark_cp="$state/spark-classpath.txt"
if ! mvn -B -q -ntp -f "$here/deploy/standalone/spark-runtime.pom.xml" dependency:build-classpath \
    -Dspark.version="$(pom_version spark.version)" -Dscala.binary.version="$(pom_version scala.binary.version)" \
    -Dhadoop.version="$(pom_version hadoop.version)" -Dmdep.includeScope=runtime -Dmdep.outputFile="$spark_cp" \
    > "$state/spark-classpath.log" 2>&1; then
  die "could not resolve Spark's jars (see $state/spark-classpath.log)"
fi
tr ':' '\n' < "$spark_cp" | while IFS= read -r jar; do
  [ -n "$jar" ] || continue
  [ -f "$jar" ] || die "$jar (Spark's class path) missing from the local Maven repository"
  ln -sf "$jar" "$spark_home/jars/"
done

mkdir -p "$state/logs" "$state/work" "$state/local"
export SPARK_HOME="$spark_home"
# Without it, each executor launch fails with "Cannot find any build directories": the launcher looks for
# Spark's build tree to learn the Scala version.
export SPARK_SCALA_VERSION=2.13
export SPARK_LOCAL_IP=127.0.0.1
read -r -a jvm_flags < "$target/jvm-flags.txt"

stop_started() {
  "$here/deploy/standalone/stop.sh" --state-dir "$state" >&2 || true
}

# Starts one daemon in the background, detached from this shell, and records its pid.
launch() {
  local name="$1"; shift
  local log="$state/logs/$name.log"
  nohup "$java_bin" "$marker" "-Xmx$daemon_memory" "${jvm_flags[@]}" -cp "$spark_home/jars/*" "$@" \
    > "$log" 2>&1 < /dev/null &
  echo $! > "$state/$name.pid"
}

# Reads a value from a daemon's log once it appears; fails if the daemon dies or the time runs out.
wait_for_log() {
  local name="$1" pattern="$2" deadline=$((SECONDS + timeout_s)) value=""
  local log="$state/logs/$name.log" pid
  pid="$(cat "$state/$name.pid")"
  while :; do
    value="$(sed -n -E "s/$pattern/\\1/p" "$log" 2>/dev/null | head -n 1)"
    [ -n "$value" ] && { echo "$value"; return 0; }
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$me: the $name exited during start-up; its log ($log) ends:" >&2
      tail -n 15 "$log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$me: the $name did not start within $timeout_s s (see $log)" >&2
      return 1
    fi
    sleep 0.5
  done
}

launch master -Dspark.master.rest.enabled=false \
  org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port "$webui_port"
if ! url="$(wait_for_log master '.*Starting Spark master at (spark:\/\/[^ ]+).*')" ||
   ! ui_port="$(wait_for_log master ".*Successfully started service 'MasterUI' on port ([0-9]+).*")"; then
  stop_started
  exit 1
fi
webui="http://127.0.0.1:$ui_port"

for i in $(seq 1 "$workers"); do
  mkdir -p "$state/work/worker-$i" "$state/local/worker-$i"
  SPARK_LOCAL_DIRS="$state/local/worker-$i" launch "worker-$i" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$cores" --memory "$memory" \
    --webui-port 0 --work-dir "$state/work/worker-$i" "$url"
done

# The master's /json lists the workers; wait until all of them are ALIVE.
deadline=$((SECONDS + timeout_s))
while :; do
  alive="$(curl -s --max-time 5 "$webui/json/" 2>/dev/null | sed -n -E 's/.*"aliveworkers" *: *([0-9]+).*/\1/p' || true)"
  [ "${alive:-0}" -ge "$workers" ] && break
  for i in $(seq 1 "$workers"); do
    if ! kill -0 "$(cat "$state/worker-$i.pid")" 2>/dev/null; then
      echo "$me: worker-$i exited during start-up; its log ($state/logs/worker-$i.log) ends:" >&2
      tail -n 15 "$state/logs/worker-$i.log" >&2
      stop_started
      exit 1
    fi
  done
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "$me: ${alive:-0} of $workers workers registered within $timeout_s s (logs in $state/logs); stopping" >&2
    stop_started
    exit 1
  fi
  sleep 0.5
done

echo "$url" > "$state/master-url"
echo "$webui" > "$state/master-webui"
echo "$me: master $url (web UI $webui), $workers workers × $cores cores × $memory; logs in $state/logs" >&2
echo "$me: stop with: deploy/standalone/stop.sh --state-dir $state" >&2
echo "$url"
