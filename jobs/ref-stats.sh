#!/usr/bin/env bash
# Usage: jobs/ref-stats.sh --data PATH --out FILE.npz [--detector MODEL --dim D] [options]
#
# spark-submit diffsweep's 'ref-stats' job: reference statistics of a data set (images -> detector
# features -> mu, sigma as .npz, readable by pytorch-fid and EDM; the raw sums as Parquet; metadata JSON).
#
#   --data PATH        IDX images (MNIST family, .gz allowed), a folder or .zip of PNGs, or a CIFAR-10
#                      binary batch; any Hadoop path
#   --format FMT       idx, png or cifar10; default: from the path
#   --detector MODEL   detector network (.pt or .onnx), any Hadoop path; default: none, the features are
#                      the pixels in [-1, 1]
#   --dim D            the detector's feature dimension (needed with --detector)
#   --batch B          images per forward pass; default 256
#   --limit N          only the first N images; default: all
#   --keep N           also keep the features of a seeded sample of N images as X.features.parquet, the real
#                      set of KID and precision/recall; default: none
#   --out FILE.npz     where to write the .npz, any Hadoop path
#   --master URL       leave unset: spark-submit's --master (in SPARK_SUBMIT_ARGS) decides
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" ref-stats "$@"
