#!/usr/bin/env bash
# Stops the standalone cluster deploy/standalone/start.sh started: the processes named in its pid files and the
# executor JVMs its workers launched, nothing else. See deploy/standalone/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
me="stop.sh"

usage() {
  cat <<EOF
Usage: deploy/standalone/stop.sh [options]

Stops the cluster deploy/standalone/start.sh started with the same state directory: its executors (the
CoarseGrainedExecutorBackend JVMs its workers launched), workers and master, by the pids start.sh
recorded. A process is signalled only if it is still the one start.sh started. SIGTERM first; what is
left after the timeout gets SIGKILL. Running it when nothing runs does nothing.

Options:
  --state-dir DIR   the directory given to start.sh (default target/standalone)
  --timeout S       seconds to wait after SIGTERM before SIGKILL (default 30)
  -h, --help        this text
EOF
}

die() {
  echo "$me: $*" >&2
  exit 2
}

state=""
timeout_s=30
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --state-dir) [ $# -ge 2 ] || die "--state-dir needs a value (see --help)"; state="$2"; shift 2 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs a value (see --help)"; timeout_s="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$timeout_s" =~ ^[0-9]{1,5}$ ]] || die "--timeout '$timeout_s', expected a whole number of seconds"
state="${state:-$here/target/standalone}"
[ -d "$state" ] || die "--state-dir '$state' is not a directory"
state="$(cd "$state" && pwd)"
marker="-Ddiffsweep.standalone.state=$state"

# pid:start-time of every process to stop; the start time guards against a pid reused meanwhile.
declare -a procs=()
declare -a names=()

start_time() {
  ps -p "$1" -o lstart= 2>/dev/null || true
}

add() {
  local pid="$1" name="$2" t
  t="$(start_time "$pid")"
  [ -n "$t" ] || return 0
  procs+=("$pid:$t")
  names+=("$name (pid $pid)")
}

# Still the same process (same pid, same start time)?
same() {
  local pid="${1%%:*}" t="${1#*:}"
  [ "$(start_time "$pid")" = "$t" ]
}

# Workers first, each with the executors it launched (its children), then the master.
pidfiles=()
for f in "$state"/worker-*.pid "$state"/master.pid; do
  [ -e "$f" ] && pidfiles+=("$f")
done
for f in "${pidfiles[@]+"${pidfiles[@]}"}"; do
  name="$(basename "$f" .pid)"
  pid="$(cat "$f" 2>/dev/null || true)"
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! ps -ww -p "$pid" -o args= 2>/dev/null | grep -qF -- "$marker"; then
    rm -f "$f"  # the process is gone (or the pid now belongs to another program): nothing to stop
    continue
  fi
  if [[ "$name" == worker-* ]]; then
    for child in $(pgrep -P "$pid" 2>/dev/null || true); do
      if ps -ww -p "$child" -o args= 2>/dev/null | grep -qF CoarseGrainedExecutorBackend; then
        add "$child" "executor (of $name)"
      fi
    done
  fi
  add "$pid" "$name"
done

if [ "${#procs[@]}" -eq 0 ]; then
  echo "$me: nothing running for $state" >&2
  rm -f "$state/master-url" "$state/master-webui"
  exit 0
fi

for p in "${procs[@]}"; do
  same "$p" && kill -TERM "${p%%:*}" 2>/dev/null || true
done

deadline=$((SECONDS + timeout_s))
while :; do
  left=()
  for p in "${procs[@]}"; do
    same "$p" && left+=("$p")
  done
  [ "${#left[@]}" -eq 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "$me: ${#left[@]} process(es) still running after $timeout_s s; sending SIGKILL" >&2
    for p in "${left[@]}"; do
      same "$p" && kill -KILL "${p%%:*}" 2>/dev/null || true
    done
    sleep 1
    break
  fi
  sleep 0.5
done

status=0
for p in "${procs[@]}"; do
  if same "$p"; then
    echo "$me: pid ${p%%:*} did not stop" >&2
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  rm -f "$state"/master.pid "$state"/worker-*.pid "$state/master-url" "$state/master-webui"
fi
stopped="$(printf '%s, ' "${names[@]}")"
echo "$me: stopped ${stopped%, }" >&2
exit "$status"
