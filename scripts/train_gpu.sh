#!/usr/bin/env bash
# Continue training a domain's shipped model on a CUDA device, then write the new checkpoint.
#
#     scripts/train_gpu.sh DOMAIN MINUTES OUT_DIR [qsolve train options...]
#
# OUT_DIR starts as a copy of the shipped model ($FROM, default src/qsolve/models/DOMAIN; with none,
# training starts from scratch), plus its full-precision resume state when one is given ($RESUME,
# a resume.pt of the same model): with it training continues exactly (optimizer, target network,
# step); without it, from the shipped half-precision weights with a fresh optimizer.  Running the
# script again on the same OUT_DIR continues from there.  DEVICE=cpu makes a dry run without a GPU.
# To ship the result: benchmarks/shipped_models.py --domains DOMAIN --model DOMAIN=OUT_DIR, then
# copy OUT_DIR/model.safetensors and OUT_DIR/config.json to src/qsolve/models/DOMAIN/.
set -euo pipefail

usage="usage: $0 DOMAIN MINUTES OUT_DIR [qsolve train options...]"
domain=${1:?$usage}
minutes=${2:?$usage}
out=${3:?$usage}
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
if [[ ! -x $python ]]; then  # a GPU machine without the project's venv: its own python3
    python=python3
    export PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}
fi
shipped=${FROM:-$root/src/qsolve/models/$domain}
resume_state=${RESUME:-}
device=${DEVICE:-cuda}

if [[ $device == cuda ]]; then
    "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device")'
fi
mkdir -p "$out"
if [[ ! -f $out/config.json && -f $shipped/config.json ]]; then
    cp "$shipped/model.safetensors" "$shipped/config.json" "$out/"
    if [[ -n $resume_state && -f $resume_state ]]; then
        cp "$resume_state" "$out/resume.pt"
    fi
fi
# Without a shipped model (or an earlier run in OUT_DIR) training starts from scratch.
resume=()
if [[ -f $out/config.json ]]; then
    resume=(--resume)
fi
# --init-from starts a run; a run that continues takes its weights from OUT_DIR instead.
options=()
while [[ $# -gt 0 ]]; do
    if [[ ${#resume[@]} -gt 0 && $1 == --init-from ]]; then
        shift 2
        continue
    fi
    options+=("$1")
    shift
done

# DeepCubeA's batch of 10,000 states; bf16 autocast on the GPU; with --data cpu, 4 processes make
# the walks (--data device, the default on CUDA for the built-in domains, makes them on the GPU).
exec "$python" -m qsolve.cli train "$domain" --out "$out" "${resume[@]}" --device "$device" \
    --minutes "$minutes" --batch-size "${BATCH_SIZE:-10000}" --workers "${WORKERS:-4}" \
    --eval-every "${EVAL_EVERY:-500}" --lr-decay "${LR_DECAY:-0.99999}" "${options[@]}"
