#!/usr/bin/env bash
# The device data path's checks on a CUDA machine, in a few minutes: the torch domain operations
# and the device-made batches against the numpy ones on the GPU (the tests also run there), then
# trained states per second with batches made by numpy against made on the device.
#
#     scripts/gpu_check_data_path.sh [OUT_FILE]      # the speed table also goes to OUT_FILE
#
# BATCH_SIZE (default 10000) and STEPS (default 20) size the speed table; the issue's aim is
# 1,000,000 trained states/s with walk targets and a (2000, 1000, 2 blocks) network on one H100.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
if [[ ! -x $python ]]; then  # a GPU machine without the project's venv: its own python3
    python=python3
    export PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}
fi
out=${1:-/dev/null}
"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device")'
cd "$root"
if "$python" -c 'import pytest, hypothesis' 2>/dev/null; then
    "$python" -m pytest -q -p no:cacheprovider tests/test_torch_ops.py tests/test_device_data.py
else
    echo "pytest or hypothesis missing: the exactness tests are skipped (pip install pytest hypothesis)"
fi
"$python" benchmarks/train_speed.py --device cuda --batch-size "${BATCH_SIZE:-10000}" \
    --steps "${STEPS:-20}" --warmup 2 | tee "$out"
