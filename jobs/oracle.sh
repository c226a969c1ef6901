#!/usr/bin/env bash
# Usage: jobs/oracle.sh CONFIG [--out DIR] [--seeds N] [--tolerance TOL] [--dump FILE.json]
#
# spark-submit diffsweep's 'oracle' job: for an analytic model, the integration error of every ODE sampler
# of the YAML against a high-accuracy solution of the same ODE from the same latents, per NFE. It runs in
# the driver alone, without executors; it is here so that it can run where the other jobs' outputs are.
# Writes <out>/oracle/oracle.{md,csv,png}.
#
#   CONFIG             the sweep's YAML, read by the driver
#   --out DIR          output directory, any Hadoop URI; default: the config's 'output'
#   --seeds N          how many of the config's seeds to integrate; default 64
#   --tolerance TOL    tolerance of the reference ODE solver; default 1e-10
#   --dump FILE.json   also write the inputs, samples and reference solution (float64 JSON), a local
#                      path on the driver
d="${BASH_SOURCE[0]%/*}"
[ "$d" != "${BASH_SOURCE[0]}" ] || d=.
exec "$BASH" "$d/submit.sh" oracle "$@"
