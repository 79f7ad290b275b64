#!/usr/bin/env bash
# The GPU round for the hard test sets still missed (cube3 and cube3-meta: their mean cost), one
# call of under 10 minutes on one CUDA device:
#
#     scripts/gpu_round_hard_sets.sh OUT_DIR [CUBE3_MINUTES] [META_MINUTES]    # default 5 and 2
#
# 1. The cube3 training speed table (benchmarks/train_speed.py: walk and TD targets, batches made
#    on the device, 10,000 and 50,000 states a step) while the device is idle.
# 2. c3: the shipped cube3 network continued with TD targets on non-backtracking walks of up to 26
#    moves, alone on the device (5.3 minutes beside two other runs changed nothing in the last
#    round), the device-path exactness tests beside it.
# 3. m3: cube3-meta learned from c3's network (teacher targets, starting from its weights).
# 4. Q* with B = 10,000 on the first 12 DeepCubeA cube3 states with c3's network on the device
#    (fp32, λ = 0.6, four searches side by side): the same states and settings as the last round's
#    check of the shipped network (experiments/training-runs/h200-round-2/).
# 5. Everything packed into OUT_DIR: one archive per run (split into parts of 15 MiB where larger:
#    `cat NAME.tar.gz.part-* | tar xz`) and reports.tar.gz (speed table, tests, searches, logs).
#
# Before the call: the DeepCubeA cube3 set must travel (`mkdir -p .gpu/benchmarks/deepcubea; cp
# ../shared/benchmarks/deepcubea/cube3.txt .gpu/benchmarks/deepcubea/`, `.gpu/` in
# .git/info/exclude, carry `.gpu`, and QSOLVE_BENCHMARKS=$PWD/.gpu/benchmarks there), and the
# working tree must fit the 64 MiB that travel: remove the weights this round does not use
# (`rm src/qsolve/models/{lightsout7,cube3-meta}/model.safetensors`; `git checkout --
# src/qsolve/models` afterwards).  DEVICE=cpu SMALL=1 makes a quick dry run (short steps; the
# runs keep the shipped cube3 network).
set -uo pipefail

out=${1:?"usage: $0 OUT_DIR [CUBE3_MINUTES] [META_MINUTES]"}
cube3_minutes=${2:-5}
meta_minutes=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[[ -x $python ]] || { python=python3; export PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}; }
device=${DEVICE:-cuda}
speed=(--steps 10 --warmup 2)
batches=(10000 50000)
search_seconds=15
search_count=3
meta_actions=64
meta_greedy=16
if [[ -n ${SMALL:-} ]]; then
    speed=(--steps 2 --warmup 1 --width1 32 --width2 16 --blocks 1)
    batches=(100)
    search_seconds=2
    search_count=1
    meta_actions=8
    meta_greedy=2
fi
work=${WORK_DIR:-$(mktemp -d)}
export WORK_DIR=$work DEVICE=$device
reports=$work/reports
mkdir -p "$out" "$reports"
started=$SECONDS
stamp() { echo "[$((SECONDS - started)) s] $*"; }
status=0

stamp "speed table"
for batch in "${batches[@]}"; do
    timeout 100 "$python" "$root/benchmarks/train_speed.py" --device "$device" "${speed[@]}" \
        --batch-size "$batch" --domains cube3 --targets walk td --data device --precision bf16 \
        2>&1 | tee -a "$reports/train_speed.txt"
done

stamp "c3: cube3 continued"
(cd "$root" && timeout "$(awk "BEGIN { print int($cube3_minutes * 60 + 120) }")" "$python" \
    -m pytest -q -p no:cacheprovider tests/test_torch_ops.py tests/test_device_data.py \
    >"$reports/device_tests.txt" 2>&1) &
tests=$!
"$here/train_gpu_round.sh" "$cube3_minutes" "$work/packed" \
    "c3 cube3 shipped --source nbwalk --scramble-max 26 --lr 5e-4 --eval-every 2000" \
    2>&1 | tee "$reports/c3.txt"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

stamp "m3: cube3-meta from c3"
if [[ -f $work/c3/model.safetensors ]]; then
    "$here/train_gpu_round.sh" "$meta_minutes" "$work/packed" \
        "m3 cube3-meta fresh --targets teacher --teacher $work/c3 --init-from $work/c3 --source nbwalk --scramble-max 26 --actions-per-state $meta_actions --greedy-actions $meta_greedy --lr 3e-4 --eval-every 1000" \
        2>&1 | tee "$reports/m3.txt"
    [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
else
    echo "c3 left no model: m3 skipped" | tee "$reports/m3.txt"
    status=1
fi
wait "$tests" || status=1
tail -n 3 "$reports/device_tests.txt"

stamp "Q* with B = 10,000 on DeepCubeA cube3 states, c3's network"
if [[ -f $work/c3/model.safetensors ]]; then
    for k in 0 1 2 3; do
        timeout $((search_count * search_seconds + 40)) "$python" \
            "$root/experiments/cube3/solve_hard_states.py" --model "$work/c3" --device "$device" \
            --precision fp32 --batch-size 10000 --weight 0.6 --time-limit "$search_seconds" \
            --count "$search_count" --offset $((k * search_count)) \
            --out "$reports/cube3-b10000-$k.json" >"$reports/cube3-b10000-$k.txt" 2>&1 &
    done
    wait
    tail -n 1 "$reports"/cube3-b10000-*.txt
fi

stamp "packing"
command -v nvidia-smi >/dev/null && nvidia-smi >"$reports/nvidia-smi.txt" 2>&1
cp "$work/packed/gpu.csv" "$reports/" 2>/dev/null
(cd "$work" && tar czf "$out/reports.tar.gz" reports)
for archive in "$work"/packed/*.tar.gz; do
    name=$(basename "$archive")
    if [[ $(stat -c %s "$archive") -gt $((15 * 1024 * 1024)) ]]; then
        split -b 15M "$archive" "$out/$name.part-"
    else
        cp "$archive" "$out/"
    fi
done
ls -l "$out"
stamp "done (status $status)"
exit $status
