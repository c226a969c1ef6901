#!/usr/bin/env bash
# Checks diffsweep's detectors against the Python tools on your own images, in one command:
#
#   tools/detectors/check.sh --images DIR [--nvidia inception-2015-12-05.pt|.pkl [--nvidia-code EDM_CHECKOUT]]
#       [--pytorch-fid-weights pt_inception-2015-12-05-6726825d.pth --pytorch-fid-detector BUILT.pt
#        --pytorch-fid CHECKOUT] [--dinov2-weights dinov2_vitl14_pretrain.pth --dinov2-detector BUILT.pt
#        --dinov2 CHECKOUT --edm2 CHECKOUT] [--torchvision WHEEL_OR_DIR] [--batch 8] [--threads N]
#
# DIR holds PNG/JPEG images of one size. Step 1 (tools/detectors/parity.py) computes the Python tools' outputs
# (EDM's call of NVIDIA's network, pytorch-fid's own InceptionV3, EDM2's DINOv2Detector) and times them; step 2
# (DetectorParityIT) runs the same files through diffsweep's DJL detector and prints max |diff|, the bound, and
# images per second side by side. PYTHON (default python3) needs torch, numpy, scipy and Pillow.
# Results: target/detector-check/diffsweep-parity.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/target/detector-check"
mkdir -p "$out"
(cd "$here" && "${PYTHON:-python3}" parity.py --out "$out" --fid-images 0 "$@")
cd "$root"
DIFFSWEEP_DETECTOR_PARITY="$out" mvn -B -ntp -q test -Dtest=DetectorParityIT -Dsurefire.failIfNoSpecifiedTests=false
cat "$out/diffsweep-parity.txt"
