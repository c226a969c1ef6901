#!/usr/bin/env bash
# Usage: deploy/native-jar.sh cpu
#        deploy/native-jar.sh cu128 LIBTORCH.zip
#
# Puts the libtorch native jar that executors need into target/native/, under the name DJL gives it:
#   target/native/pytorch-native-<flavor>-<libtorch.version>-linux-x86_64.jar   (libtorch.version: pom.xml)
#
#   cpu    copies ai.djl.pytorch:pytorch-native-cpu:<libtorch.version>:jar:linux-x86_64 from the Maven
#          repository with mvn (the jar bin/diffsweep runs with locally).
#   cu128  Maven Central has no CUDA build of libtorch <libtorch.version> from DJL (pytorch-native-cu124 stops
#          at 2.5.1; there is no pytorch-native-cu126 or -cu128), so this packs one from PyTorch's own
#          libtorch C++ distribution for Linux with CUDA 12.8 (LIBTORCH.zip: "LibTorch, C++/Java, CUDA 12.8,
#          cxx11 ABI, shared with deps" on pytorch.org), in the layout of DJL's native jars and with the
#          libraries DJL's own build takes from that zip. It also writes target/native/cuda/libcudart.so, the
#          zip's CUDA runtime: DJL decides that a node has a GPU by loading libcudart under that name, so
#          its folder goes on LD_LIBRARY_PATH (deploy/kubernetes/Dockerfile does this).
#
# Needs bash, and mvn (cpu) or the JDK's jar tool (cu128). Errors are one line on stderr and exit code 2.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "deploy/native-jar.sh: $*" >&2; exit 2; }

usage() {
  local line
  while IFS= read -r line; do
    case "$line" in '#!'*) continue ;; '#') echo ;; '# '*) echo "${line#'# '}" ;; *) break ;; esac
  done < "$here/deploy/native-jar.sh"
}

[ $# -ge 1 ] || die "no flavor given; deploy/native-jar.sh --help shows the usage"
case "$1" in -h | --help) usage; exit 0 ;; esac
flavor="$1"

version=""
re='<libtorch.version>([^<]+)</libtorch.version>'
while IFS= read -r line; do
  if [[ "$line" =~ $re ]]; then version="${BASH_REMATCH[1]}"; break; fi
done < "$here/pom.xml"
[ -n "$version" ] || die "no <libtorch.version> in $here/pom.xml"

classifier=linux-x86_64
out="$here/target/native"
name="pytorch-native-$flavor-$version-$classifier.jar"

case "$flavor" in
  cpu)
    [ $# = 1 ] || die "cpu takes no zip: the jar comes from the Maven repository"
    command -v mvn > /dev/null || die "mvn not found"
    mkdir -p "$out"
    (cd "$here" && mvn -B -q -ntp dependency:copy \
      "-Dartifact=ai.djl.pytorch:pytorch-native-cpu:$version:jar:$classifier" "-DoutputDirectory=$out") \
      || die "mvn could not copy ai.djl.pytorch:pytorch-native-cpu:$version:jar:$classifier"
    [ -f "$out/$name" ] || die "mvn did not write $out/$name"
    echo "$out/$name"
    ;;
  cu[0-9][0-9][0-9])
    [ $# = 2 ] || die "$flavor needs the libtorch zip: deploy/native-jar.sh $flavor LIBTORCH.zip"
    zip="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
    [ -f "$zip" ] || die "$2 not found"
    command -v jar > /dev/null || die "the JDK's jar tool is not on PATH"
    work="$(mktemp -d "${TMPDIR:-/tmp}/native-jar.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && jar xf "$zip" libtorch/lib libtorch/build-version) || die "$2: not a zip file"
    [ -d "$work/libtorch/lib" ] || die "$2 has no libtorch/lib/: expected PyTorch's libtorch zip"
    if [ -f "$work/libtorch/build-version" ]; then
      built="$(< "$work/libtorch/build-version")"
      built="${built%%[[:space:]]*}"
      [ "$built" = "$version+$flavor" ] \
        || die "$2 is libtorch $built, expected $version+$flavor (libtorch.version in pom.xml)"
    else
      echo "deploy/native-jar.sh: warning: $2 has no libtorch/build-version; cannot check it is $version+$flavor" >&2
    fi
    stage="$work/jar"
    libs="$stage/pytorch/$flavor/$classifier"
    mkdir -p "$libs" "$stage/native/lib"
    # The libraries DJL's build of its native jars keeps (engines/pytorch/pytorch-native/build.gradle.kts).
    list=()
    LC_ALL=C
    for f in "$work"/libtorch/lib/*; do
      b="${f##*/}"
      case "$b" in
        *.a | *.lib) continue ;;
        libarm_compute* | libc10_cuda.so | libc10.* | libcaffe2_nvrtc.so | libcu* | libgfortran-* | libgomp* \
          | libiomp* | libnv* | libopenblasp-* | libtorch_cpu.* | libtorch_cuda*.so | libtorch.*)
          cp "$f" "$libs/$b"
          list+=("$b")
          ;;
      esac
    done
    [ -f "$libs/libtorch.so" ] && [ -f "$libs/libtorch_cuda.so" ] \
      || die "$2 has no lib/libtorch.so and lib/libtorch_cuda.so: expected a CUDA build of libtorch"
    cudart=""
    for b in "${list[@]}"; do
      case "$b" in libcudart*.so*) cudart="$b" ;; esac
    done
    [ -n "$cudart" ] || die "$2 has no lib/libcudart*.so*: expected libtorch 'shared with deps'"
    joined="$(IFS=,; echo "${list[*]}")"
    printf 'version=%s\nflavor=%s\nclassifier=%s\nlibraries=%s\n' "$version" "$flavor" "$classifier" "$joined" \
      > "$stage/native/lib/pytorch.properties"
    mkdir -p "$out/cuda"
    rm -f "$out/$name"
    jar cf "$out/$name" -C "$stage" . || die "jar could not write $out/$name"
    cp "$libs/$cudart" "$out/cuda/libcudart.so"
    echo "$out/$name"
    echo "$out/cuda/libcudart.so"
    ;;
  *)
    die "unknown flavor '$flavor', expected cpu or cuNNN (cu128 for libtorch $version)"
    ;;
esac
