#!/usr/bin/env bash
# The GPU round for the hard test sets, one call of under 10 minutes on one CUDA device:
#
#     scripts/gpu_round_hard_sets.sh OUT_DIR [MINUTES]      # MINUTES of training, default 5.5
#
# 1. The training speed table (benchmarks/train_speed.py: trained states per second with walk and
#    TD targets, batches made by numpy or on the device) while the device is idle.
# 2. The trainings side by side (scripts/train_gpu_round.sh), the device-path exactness tests
#    (tests/test_torch_ops.py, tests/test_device_data.py, on CUDA too) beside them:
#    - lo7b: lightsout7 from scratch at DeepCubeA/EfficientCube's size (5000, 1000, 4 blocks) on
#      press-set boards with their exact targets;
#    - lo7s: the same recipe continuing the CPU run's (500, 250, 2 blocks) network
#      (experiments/training-runs/cpu-lightsout7-subset-10k/model);
#    - c3: the shipped cube3 network continued with TD targets on non-backtracking walks of up to
#      26 moves.
# 3. Q* with B = 10,000 on the first DeepCubeA cube3 states, the shipped cube3 network on the
#    device (fp32, λ = 0.6), four searches side by side, one CPU core each.
# 4. Everything packed into OUT_DIR: one archive per run (split into parts of 15 MiB where larger:
#    `cat NAME.tar.gz.part-* | tar xz`) and reports.tar.gz (speed table, tests, searches, logs).
#
# The DeepCubeA sets are read from $QSOLVE_BENCHMARKS (carry a copy: ../shared does not travel).
# DEVICE=cpu SMALL=1 makes a quick dry run with tiny networks and short steps.
set -uo pipefail

out=${1:?"usage: $0 OUT_DIR [MINUTES]"}
minutes=${2:-5.5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[[ -x $python ]] || { python=python3; export PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}; }
device=${DEVICE:-cuda}
big="--width1 5000 --width2 1000 --blocks 4"
speed="--batch-size 10000 --steps 15 --warmup 2"
search_seconds=15
search_count=3
if [[ -n ${SMALL:-} ]]; then
    big="--width1 32 --width2 16 --blocks 1"
    speed="--batch-size 100 --steps 2 --warmup 1 --width1 32 --width2 16 --blocks 1"
    search_seconds=2
    search_count=1
fi
work=${WORK_DIR:-$(mktemp -d)}
export WORK_DIR=$work DEVICE=$device
reports=$work/reports
mkdir -p "$out" "$reports"
started=$SECONDS
stamp() { echo "[$((SECONDS - started)) s] $*"; }

stamp "speed table"
# shellcheck disable=SC2086  # the options are words
timeout 100 "$python" "$root/benchmarks/train_speed.py" --device "$device" $speed \
    --domains cube3 puzzle24 lightsout7 --targets walk td --data cpu device --precision bf16 \
    2>&1 | tee "$reports/train_speed.txt"

stamp "trainings"
(cd "$root" && timeout "$(awk "BEGIN { print int($minutes * 60 + 120) }")" "$python" -m pytest -q -p no:cacheprovider \
    tests/test_torch_ops.py tests/test_device_data.py >"$reports/device_tests.txt" 2>&1) &
tests=$!
lo7="--source subset --targets walk --scramble-max 49"
"$here/train_gpu_round.sh" "$minutes" "$work/packed" \
    "lo7b lightsout7 fresh $lo7 --lr 1e-3 $big --eval-every 5000" \
    "lo7s lightsout7 $root/experiments/training-runs/cpu-lightsout7-subset-10k/model $lo7 --lr 3e-4 --eval-every 10000 --keep-evals" \
    "c3 cube3 shipped --source nbwalk --scramble-max 26 --lr 5e-4 --eval-every 2000" \
    2>&1 | tee "$reports/trainings.txt"
status=${PIPESTATUS[0]}
wait "$tests" || status=1
tail -n 3 "$reports/device_tests.txt"

stamp "Q* with B = 10,000 on DeepCubeA cube3 states"
for k in 0 1 2 3; do
    timeout $((search_count * search_seconds + 40)) "$python" \
        "$root/experiments/cube3/solve_hard_states.py" --device "$device" --precision fp32 \
        --batch-size 10000 --weight 0.6 --time-limit "$search_seconds" --count "$search_count" \
        --offset $((k * search_count)) --out "$reports/cube3-b10000-$k.json" \
        >"$reports/cube3-b10000-$k.txt" 2>&1 &
done
wait
tail -n 1 "$reports"/cube3-b10000-*.txt

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
