#!/usr/bin/env bash
# Several trainings side by side on one CUDA device, each packed into OUT_DIR/NAME.tar.gz.
#
#     scripts/train_gpu_round.sh MINUTES OUT_DIR "NAME DOMAIN FROM [qsolve train options...]" ...
#
# FROM is "shipped" (continue the domain's shipped model), "fresh" (train from scratch, with the
# options' architecture) or a model folder (continue it: its weights and step).  A run spends
# part of each step on the CPU (walks, pickling, the Python loop); runs side by side keep the GPU
# busy meanwhile (four held an H200 at 93-100%).  Each archive holds the run's model.safetensors,
# config.json, metrics.csv, training.png and log (not the optimizer state), and with --keep-evals
# the model of each evaluation in evals/step-N (mind the archive's size: one half-precision model
# per evaluation); gpu.csv samples the device's use every 30 s.  DEVICE=cpu makes a dry run.
# The runs train in $WORK_DIR (default: a new temporary folder); a round with the same WORK_DIR
# continues them exactly (their resume state stays there).
set -uo pipefail

usage="usage: $0 MINUTES OUT_DIR \"NAME DOMAIN shipped|fresh|FOLDER [options]\"..."
minutes=${1:?$usage}
out=${2:?$usage}
shift 2
[[ $# -gt 0 ]] || { echo "$usage" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK_DIR:-$(mktemp -d)}
mkdir -p "$work"
mkdir -p "$out"

if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv \
        -l 30 >"$out/gpu.csv" 2>&1 &
    monitor=$!
fi

names=()
pids=()
for spec in "$@"; do
    read -r name domain from options <<<"$spec"
    case $from in
        shipped) start= ;;
        fresh) start=/nonexistent ;;
        *)
            [[ -f $from/config.json ]] || {
                echo "$0: FROM must be shipped, fresh or a model folder, not '$from'" >&2
                exit 2
            }
            start=$from
            ;;
    esac
    # shellcheck disable=SC2086  # the options are words
    FROM=$start "$here/train_gpu.sh" "$domain" "$minutes" "$work/$name" --quiet $options \
        >"$work/$name.log" 2>&1 &
    names+=("$name")
    pids+=($!)
done

status=0
for i in "${!pids[@]}"; do
    name=${names[$i]}
    if wait "${pids[$i]}"; then
        echo "$name: done"
    else
        echo "$name: FAILED"
        status=1
    fi
    tail -n 5 "$work/$name.log"
    mv "$work/$name.log" "$work/$name/log" 2>/dev/null
    (cd "$work" && tar czf "$out/$name.tar.gz" --exclude resume.pt "$name")
done
[[ -n ${monitor:-} ]] && kill "$monitor"
exit $status
