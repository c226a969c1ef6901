#!/usr/bin/env bash
# Executes every notebook in this folder against one run's outputs, and exports each executed notebook to HTML.
#
#   notebooks/run.sh RUN_DIR [OUT_DIR]
#
# RUN_DIR is a run's output directory (the --out of 'bin/diffsweep run'); it reaches the notebooks as
# DIFFSWEEP_RUN (they cannot take arguments under nbconvert). OUT_DIR (default RUN_DIR/notebooks) receives
# <name>.html for reading and, for a notebook that fails, <name>.log with nbconvert's full output.
# DIFFSWEEP_NORM, if set, passes through to norm_stats.ipynb (default: the shipped table of the demo's model).
# Exits non-zero if any notebook fails, after trying them all; each failure is reported on one line.
#
# Needs jupyter-nbconvert with a Python 3 kernel, pandas and matplotlib (Debian 12: jupyter-nbconvert
# python3-ipykernel python3-pandas python3-matplotlib).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: notebooks/run.sh RUN_DIR [OUT_DIR]" >&2
  exit 2
fi
if [ ! -d "$1" ]; then
  echo "notebooks: $1: no such run directory" >&2
  exit 1
fi
if ! command -v jupyter >/dev/null || ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "notebooks: 'jupyter nbconvert' not found (Debian: apt-get install jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib)" >&2
  exit 1
fi

run_dir="$(cd "$1" && pwd)"
out="${2:-$run_dir/notebooks}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export DIFFSWEEP_RUN="$run_dir"
# Figures go inline into the notebooks; no display needed.
export MPLBACKEND="module://matplotlib_inline.backend_inline"

failed=0
for nb in "$here"/*.ipynb; do
  name="$(basename "$nb" .ipynb)"
  start=$(date +%s)
  rm -f "$out/$name.log" "$out/$name.html"
  if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
        --output-dir "$work" --output "$name" "$nb" >"$work/$name.log" 2>&1 \
     && jupyter nbconvert --to html --output-dir "$out" --output "$name" "$work/$name.ipynb" \
        >>"$work/$name.log" 2>&1; then
    echo "notebooks: $name ok ($(( $(date +%s) - start )) s) -> $out/$name.html"
  else
    cp "$work/$name.log" "$out/$name.log"
    # The last exception line of the traceback, without the terminal colour codes.
    why="$(sed -e 's/\x1b\[[0-9;]*m//g' "$work/$name.log" \
           | grep -E '^[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Interrupt)\b' | tail -n 1 || true)"
    echo "notebooks: $name FAILED: ${why:-$(tail -n 1 "$work/$name.log")} (full log: $out/$name.log)" >&2
    failed=1
  fi
done
exit "$failed"
