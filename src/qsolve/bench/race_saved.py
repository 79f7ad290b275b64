"""Race the two networks a `qsolve bench peers` run saved, on sets of your choice (docs/benchmarks.md).

    python -m qsolve.bench.race_saved --run bench-results \\
        --domain puzzle15 --depths 20 30 40 [--count 10] [--seconds 10] [--batch-size 1000]
    python -m qsolve.bench.race_saved --run bench-results --domain cube3 --throughput

When both tools solve none of the race's sets (too little training for them), this shows which
of the two trained networks is the better solver on easier held-out walks: the same networks,
the same Q* settings for both, both solving side by side (one thread each), solutions replayed,
and the race table's rows with qsolve / DeepXube per set.  With ``--throughput`` it measures
the peers suite's search throughput table instead (Q* nodes per second, the network's share and
GFLOP/s), with the saved networks, without training anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qsolve.api import load_heuristic
from qsolve.bench.instances import walks
from qsolve.bench.peers import (
    DOMAINS,
    ROUNDS,
    THROUGHPUT_NOTE,
    Driver,
    Race,
    check_solutions,
    deepxube_python,
    deepxube_search_job,
    race_rows,
    solve_qsolve,
    support_file,
    throughput_rows,
)
from qsolve.bench.report import Report, write_report
from qsolve.threads import set_torch_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="the --out folder of bench peers")
    parser.add_argument("--domain", choices=("puzzle15", "cube3"), required=True)
    parser.add_argument("--depths", type=int, nargs="+", help="walk lengths")
    parser.add_argument(
        "--throughput",
        action="store_true",
        help="the peers suite's search throughput table with the saved networks, no race",
    )
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="interleaved rounds of --throughput"
    )
    parser.add_argument("--count", type=int, default=10, help="walks per depth")
    parser.add_argument("--seconds", type=float, default=10.0, help="limit per instance")
    parser.add_argument("--batch-size", type=int, default=1000, help="Q*'s B, both tools")
    parser.add_argument("--weight", type=float, default=0.6, help="Q*'s λ, both tools")
    parser.add_argument("--hidden", type=int, default=500, help="as in the run")
    parser.add_argument("--blocks", type=int, default=2, help="as in the run")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: --run)")
    args = parser.parse_args()

    race = Race(
        hidden=args.hidden,
        blocks=args.blocks,
        batch_size=args.batch_size,
        weight=args.weight,
        seconds=args.seconds,
    )
    name = args.domain
    if not args.throughput and not args.depths:
        parser.error("--depths is required (or ask for --throughput)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    checkpoint = args.run / f"peers-deepxube-{name}" / "heur.pt"
    out = args.out or args.run
    out.mkdir(parents=True, exist_ok=True)
    python = deepxube_python(install=False)
    if not python.is_file():
        parser.error(
            f"no DeepXube environment at {python.parent.parent} (run qsolve bench peers first)"
        )
    if args.throughput:
        dx = Driver(python, support_file("deepxube_driver.py"), out / f"throughput-{name}.log")
        rows = throughput_rows(
            name,
            DOMAINS[name],
            args.run / f"peers-qsolve-{name}",
            dx,
            str(checkpoint),
            race,
            rounds=args.rounds,
        )
        report = Report(f"throughput-{name}", "python -m qsolve.bench.race_saved --throughput")
        report.add(
            "Search throughput: Q* nodes generated per second, same instances, B and λ",
            rows,
            THROUGHPUT_NOTE.replace(f"for {ROUNDS} rounds", f"for {args.rounds} rounds"),
        )
        print(write_report(report, out))
        return
    sets = [
        (f"walks of {d}", walks(name, [d], args.count, seed=race.seed + d)) for d in args.depths
    ]
    dx = Driver(
        python,
        support_file("deepxube_driver.py"),
        out / f"race-saved-{name}.log",
    )
    job = deepxube_search_job(name, race, str(checkpoint), sets)
    set_torch_threads(1)
    network = load_heuristic(args.run / f"peers-qsolve-{name}", name, device="cpu")
    started = dx.start(job)  # side by side, as in the race
    ours = solve_qsolve(name, network, sets, race)
    count = sum(len(s) for _, s in sets)
    theirs = dx.finish(started, timeout=race.seconds * (count + 1) * 3 + 600)["instances"]
    check_solutions(name, sets, ours, theirs)
    rows, offset = [], 0
    for (label, states), instances in zip(sets, ours, strict=True):
        rows.extend(race_rows(name, label, instances, theirs[offset : offset + len(states)]))
        offset += len(states)
    report = Report(f"race-saved-{name}", "python -m qsolve.bench.race_saved")
    report.add(
        f"The saved networks of {args.run} on easier held-out walks",
        rows,
        f"{race.search_settings()}, the same for both tools, both solving side by side; "
        f"{args.count} walks per depth",
    )
    print(write_report(report, out))


if __name__ == "__main__":
    main()
