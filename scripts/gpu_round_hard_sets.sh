#!/usr/bin/env bash
# The GPU round for the hard test sets: every domain that misses its target trains side by side on
# one CUDA device, then each new model is checked on its DeepCubeA set and packed.
#
#     scripts/gpu_round_hard_sets.sh OUT_DIR [MINUTES]      # MINUTES of training, default 10
#
# Recipes (docs/models.md has why): lightsout7 from scratch at DeepCubeA/EfficientCube's size on
# press-set boards with their exact targets; cube3 continues its shipped model with capped
# targets on non-backtracking walks of up to 26 moves; puzzle24 from scratch with capped targets;
# cube3-meta learns from the shipped cube3 model (teacher targets, starting from its weights).
# After training, benchmarks/hard_sets.py measures each model on the first CHECK_COUNT (default 10)
# states of its set with CHECK_SECONDS (default 20) per state, with the model's recommended search,
# and the table goes to OUT_DIR/check.md beside the archives.  DEVICE=cpu SMALL=1 makes a quick dry
# run with tiny networks (the recipes' options are kept otherwise).  Every run makes its walks,
# press sets, children and targets with torch on the training device (--data device; DATA=cpu
# goes back to numpy batches made by WORKERS processes).
set -uo pipefail

out=${1:?"usage: $0 OUT_DIR [MINUTES]"}
minutes=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[[ -x $python ]] || { python=python3; export PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}; }
big="--width1 5000 --width2 1000 --blocks 4"
mid="--width1 2000 --width2 1000 --blocks 4"
teacher=cube3
if [[ -n ${SMALL:-} ]]; then
    big="--width1 32 --width2 16 --blocks 1"
    mid=$big
    teacher=cube3-small
fi
data="--data ${DATA:-device}"
work=${WORK_DIR:-$(mktemp -d)}
export WORK_DIR=$work
mkdir -p "$out"

"$here/train_gpu_round.sh" "$minutes" "$out" \
    "lo7 lightsout7 fresh --source subset --targets walk --scramble-max 49 --lr 1e-3 $big --keep-evals $data" \
    "c3 cube3 shipped --source nbwalk --targets capped --scramble-max 26 --keep-evals $data" \
    "p24 puzzle24 fresh --source nbwalk --targets capped $mid --keep-evals $data" \
    "m3 cube3-meta fresh --targets teacher --teacher $teacher --init-from $teacher --source nbwalk --scramble-max 26 --actions-per-state 64 --greedy-actions 16 --lr 3e-4 --keep-evals $data"
status=$?

check=$out/check.md
: >"$check"
for run in lo7:lightsout7 c3:cube3 p24:puzzle24 m3:cube3-meta; do
    name=${run%%:*}
    domain=${run#*:}
    [[ -f $work/$name/model.safetensors ]] || { echo "$name: no model" | tee -a "$check"; status=1; continue; }
    "$python" "$root/benchmarks/hard_sets.py" --sets "$domain" --count "${CHECK_COUNT:-10}" \
        --time-limit "${CHECK_SECONDS:-20}" --model "$domain=$work/$name" | tail -n 1 | tee -a "$check"
done
echo "models and logs: $out/*.tar.gz; check: $check"
exit $status
