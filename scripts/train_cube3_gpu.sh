#!/usr/bin/env bash
# Continue training the shipped cube3 model on a CUDA device, then write the new checkpoint.
#
#     scripts/train_cube3_gpu.sh MINUTES OUT_DIR
#
# OUT_DIR starts as a copy of the shipped model ($CUBE3_FROM, default src/qsolve/models/cube3; with
# none, training starts from scratch), plus its full-precision
# resume state when one is given ($CUBE3_RESUME, a resume.pt of the same model): with it training
# continues exactly (optimizer, target network, step); without it, from the shipped half-precision
# weights with a fresh optimizer.  Running the script again on the same OUT_DIR continues from there.
# To ship the result: benchmarks/shipped_models.py --domains cube3 --model cube3=OUT_DIR, then copy
# OUT_DIR/model.safetensors and OUT_DIR/config.json to src/qsolve/models/cube3/.
set -euo pipefail

usage="usage: $0 MINUTES OUT_DIR"
minutes=${1:?$usage}
out=${2:?$usage}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
shipped=${CUBE3_FROM:-$root/src/qsolve/models/cube3}
resume_state=${CUBE3_RESUME:-}

"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device")'
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

# DeepCubeA's batch of 10,000 states; bf16 autocast on the GPU; 4 processes make the walks.
exec "$python" -m qsolve.cli train cube3 --out "$out" "${resume[@]}" --device cuda \
    --minutes "$minutes" --batch-size "${BATCH_SIZE:-10000}" --workers "${WORKERS:-4}" \
    --eval-every "${EVAL_EVERY:-500}" --lr-decay "${LR_DECAY:-0.99999}"
