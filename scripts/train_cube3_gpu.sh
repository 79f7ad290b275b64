#!/usr/bin/env bash
# Continue training the shipped cube3 model on a CUDA device, then write the new checkpoint.
#
#     scripts/train_cube3_gpu.sh MINUTES OUT_DIR
#
# $CUBE3_FROM (default: the shipped model) and $CUBE3_RESUME (a resume.pt of the same model) choose
# where it starts; see scripts/train_gpu.sh, which does the work for any domain.
set -euo pipefail
usage="usage: $0 MINUTES OUT_DIR"
minutes=${1:?$usage}
out=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
FROM=${CUBE3_FROM:-${FROM:-}} RESUME=${CUBE3_RESUME:-${RESUME:-}} exec "$here/train_gpu.sh" cube3 "$minutes" "$out"
