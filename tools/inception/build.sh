#!/usr/bin/env bash
# Builds target/models/inception-nsfwjs.pt, the 2048-d InceptionV3 (nsfwjs) detector, from scratch:
#
#   tools/inception/build.sh
#
# On a Debian machine with Java 17, Maven, node/npm and root it
#   1. installs the Debian packages that are missing, and only those: python3-torch + python3-numpy when
#      /usr/bin/python3 cannot import torch (the rebuild), dataset-fashion-mnist when its training images are
#      absent (the reference statistics of the end-to-end test InceptionSweepIT); apt-get update first;
#   2. npm-installs nsfwjs@4.4.0 and @tensorflow/tfjs@4.22.0 into target/inception-work (reused when present);
#   3. unpacks the tfjs model from nsfwjs (extract_nsfwjs_model.mjs);
#   4. rebuilds it as TorchScript (rebuild_inception.py) under a temporary folder, checks the file's SHA-256
#      against the one in tools/inception/README.md, and only then renames it to target/models/inception-nsfwjs.pt.
#
# Idempotent: with the .pt in place and its hash right (and the data set installed) it does nothing.
# Any failure ends it with one line "build.sh: ..." on stderr (after the tail of that step's log) and exit 1;
# no half-written .pt is ever left at the final name. Package clients are used as this machine configures them.
#
# Environment: INCEPTION_WORK (default target/inception-work) for the npm and model scratch folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE=tools/inception
OUT=target/models/inception-nsfwjs.pt
WORK="${INCEPTION_WORK:-target/inception-work}"
case "$WORK" in /*) ;; *) WORK="$ROOT/$WORK" ;; esac
LOGS="$WORK/logs"
PY=/usr/bin/python3
FMNIST_TRAIN=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
NSFWJS_VERSION=4.4.0
TFJS_VERSION=4.22.0
TMP=""

die() {
    echo "build.sh: $*" >&2
    exit 1
}
cleanup() {
    if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'die "interrupted"' INT TERM

# step NAME COMMAND...: runs COMMAND with its output in $LOGS/NAME.log; on failure the log's tail, then one line.
step() {
    local name="$1"
    shift
    local log="$LOGS/$name.log"
    local t0=$SECONDS
    mkdir -p "$LOGS"
    local rc=0
    "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        tail -n 15 "$log" | sed 's/^/  | /' >&2
        die "$name failed (exit $rc), full log: $log"
    fi
    echo "build.sh: $name took $((SECONDS - t0)) s"
}

sha256() {
    sha256sum "$1" | cut -d' ' -f1
}

# The expected hash: the only 64-hex-digit string in the README (single source of truth).
mapfile -t hashes < <(grep -oE '\b[0-9a-f]{64}\b' "$HERE/README.md" | sort -u)
[ "${#hashes[@]}" -eq 1 ] || die "expected exactly one SHA-256 in $HERE/README.md, found ${#hashes[@]}"
EXPECTED="${hashes[0]}"

pt_ok() {
    [ -f "$OUT" ] && [ "$(sha256 "$OUT")" = "$EXPECTED" ]
}
torch_ok() {
    [ -x "$PY" ] && "$PY" -c 'import torch, numpy' >/dev/null 2>&1
}

# ------------------------------------------------------------------ 1. Debian packages (only the missing ones)
need_pt=1
if pt_ok; then need_pt=0; fi
packages=()
if [ "$need_pt" = 1 ] && ! torch_ok; then packages+=(python3-torch python3-numpy); fi
if [ ! -f "$FMNIST_TRAIN" ]; then packages+=(dataset-fashion-mnist); fi
if [ "${#packages[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "needs root to install ${packages[*]} (or install them yourself: apt-get install ${packages[*]})"
    command -v apt-get >/dev/null || die "apt-get not found; install ${packages[*]} by hand"
    echo "build.sh: installing ${packages[*]}"
    step apt-update apt-get update
    step apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
    if [ "$need_pt" = 1 ]; then torch_ok || die "$PY still cannot import torch after installing python3-torch"; fi
    [ -f "$FMNIST_TRAIN" ] || die "dataset-fashion-mnist installed but $FMNIST_TRAIN is absent"
fi

if [ "$need_pt" = 0 ]; then
    echo "build.sh: $OUT is up to date (sha256 $EXPECTED)"
    exit 0
fi

# ------------------------------------------------------------------ 2. npm packages (reused when installed)
command -v node >/dev/null || die "node not found (needed to unpack the model from nsfwjs)"
command -v npm >/dev/null || die "npm not found (needed to install nsfwjs@$NSFWJS_VERSION)"
installed_version() {  # the version in node_modules/<package>/package.json, or nothing
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
        "$WORK/node_modules/$1/package.json" 2>/dev/null || true
}
if [ "$(installed_version nsfwjs)" = "$NSFWJS_VERSION" ] && [ "$(installed_version @tensorflow/tfjs)" = "$TFJS_VERSION" ]; then
    echo "build.sh: reusing nsfwjs@$NSFWJS_VERSION and @tensorflow/tfjs@$TFJS_VERSION in $WORK"
else
    mkdir -p "$WORK"
    if [ ! -f "$WORK/package.json" ]; then
        printf '{\n  "name": "inception-work",\n  "private": true\n}\n' >"$WORK/package.json"
    fi
    step npm-install npm install --prefix "$WORK" --no-audit --no-fund --no-progress \
        "nsfwjs@$NSFWJS_VERSION" "@tensorflow/tfjs@$TFJS_VERSION"
    [ "$(installed_version nsfwjs)" = "$NSFWJS_VERSION" ] || die "npm install did not leave nsfwjs@$NSFWJS_VERSION in $WORK/node_modules"
fi

# ------------------------------------------------------------------ 3. the tfjs model out of nsfwjs
rm -rf "$WORK/tfjs_model.tmp"
step extract node "$HERE/extract_nsfwjs_model.mjs" --modules "$WORK/node_modules" --out "$WORK/tfjs_model.tmp"
rm -rf "$WORK/tfjs_model"
mv "$WORK/tfjs_model.tmp" "$WORK/tfjs_model"

# ------------------------------------------------------------------ 4. TorchScript, checked, then renamed
# TorchScript names the zip's root folder after the file, so the temporary file keeps the final name and lives
# in a temporary folder beside it (same file system: the rename is atomic).
# Its debug info records the file name of the Python code it was made from, as Python gives it. Python makes a
# script's path absolute (python3 path/x.py), which would tie the hash to where the repository is; runpy keeps
# the relative name tools/inception/rebuild_inception.py (we are in the repository root), so the bytes are the
# same in every clone.
mkdir -p "$(dirname "$OUT")"
TMP="$(mktemp -d "$(dirname "$OUT")/.inception-build.XXXXXX")"
step rebuild "$PY" -c 'import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")' \
    "$HERE/rebuild_inception.py" --model "$WORK/tfjs_model" --out "$TMP/$(basename "$OUT")"
got="$(sha256 "$TMP/$(basename "$OUT")")"
[ "$got" = "$EXPECTED" ] || die "rebuilt model has sha256 $got, expected $EXPECTED (tools/inception/README.md); not installed"
mv -f "$TMP/$(basename "$OUT")" "$OUT"
echo "build.sh: wrote $OUT ($(stat -c %s "$OUT") bytes, sha256 $EXPECTED)"
