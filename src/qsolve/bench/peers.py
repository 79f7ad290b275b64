"""The ``peers`` suite: qsolve and DeepXube 0.3.2 side by side on this machine, in one run.

DeepXube runs in its own virtual environment (``deepxube_venv``: ``$QSOLVE_DEEPXUBE_VENV``, else
``deepxube`` in the user's cache folder, which ``setup_deepxube.sh`` creates on first use) through
``peers_support/deepxube_driver.py``, shipped with the package (one JSON job in, one JSON line out); both tools get the same start states, the same network
size (DeepXube's ``resnet_fc`` with hidden width H and B residual blocks; qsolve's residual MLP
with both widths H and B blocks) and the same wall-clock training budget.

The race: per domain, both tools train at the same time (side by side, one torch thread each,
so that whatever else the machine runs slows both alike) for ``QSOLVE_PEERS_TRAIN_MINUTES``,
then both solve the same held-out sets side by side with the same Q* settings (``Race``).  The
throughput tables then time each tool alone on short walks, as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from qsolve.api import load_heuristic, solve
from qsolve.bench.instances import read_deepcubea, walks
from qsolve.bench.report import Report, Row
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.networks import load_heuristic as load_network
from qsolve.networks.engines import Engine, cache_dir
from qsolve.networks.peak import flops_per_state, gemm_runs
from qsolve.threads import set_torch_threads

# Short held-out walks for the throughput tables: both tools solve all of them after minutes.
DOMAINS = {"puzzle15": [5, 10, 15], "cube3": [2, 3, 4]}
PER_DEPTH = 3
TIME_LIMIT = 5.0  # seconds per instance
MAX_NODES = 100_000
ROUNDS = 3  # the throughput table's interleaved rounds; each tool's fastest round is kept
DEEPXUBE = "DeepXube 0.3.2"
# qsolve's training recipe in the race: the defaults (random walks, TD targets).  nbwalk walks
# with capped targets did no better in a short check (experiments/history/benchmarks-notebook.md,
# the peers section), so they are not used.
RECIPE: dict[str, Any] = {}


@dataclass
class Race:
    """What both tools get in the race; every field is stated in the report."""

    minutes: float = 10.0  # training wall clock per tool and domain
    hidden: int = 500
    blocks: int = 2
    cube3_depths: tuple[int, ...] = (10, 14, 18)
    cube3_per_depth: int = 10
    puzzle15_count: int = 50  # the first DeepCubeA puzzle15 states
    batch_size: int = 1000  # Q*: (state, action) pairs popped per iteration
    weight: float = 0.6  # Q*: priority = weight * g + Q
    seconds: float = 10.0  # per instance
    max_nodes: int = 1_000_000  # per instance
    seed: int = 13
    # DeepXube checks its budget between updates; at its default of 100 gradient steps per update
    # one update takes 11 to 23 minutes on a busy 2-core machine (its data generation dominates),
    # so the race renews its data and target network every 10 steps, which bounds its overshoot.
    deepxube_up_itrs: int = 10

    @classmethod
    def from_env(cls) -> Race:
        """The defaults, with ``QSOLVE_PEERS_*`` environment variables where set."""
        race = cls()
        minutes = _env_number("QSOLVE_PEERS_TRAIN_MINUTES", float)
        old_seconds = _env_number("QSOLVE_PEERS_SECONDS", float)  # the older setting, in seconds
        if minutes is not None:
            race.minutes = minutes
        elif old_seconds is not None:
            race.minutes = old_seconds / 60
        race.hidden = _env_number("QSOLVE_PEERS_HIDDEN", int) or race.hidden
        race.blocks = _env_number("QSOLVE_PEERS_BLOCKS", int) or race.blocks
        race.seconds = _env_number("QSOLVE_PEERS_SOLVE_SECONDS", float) or race.seconds
        return race

    def search_settings(self) -> str:
        return (
            f"Q*, B = {self.batch_size}, λ = {self.weight:g} (priority λ·g + Q), first goal ends "
            f"the search; {self.seconds:g} s and {self.max_nodes:,} nodes per instance"
        )


def _env_number(name: str, kind: type[int] | type[float]) -> Any:
    """The positive number in the environment variable ``name``, or None where it is unset."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value) or value <= 0:
        raise QsolveError(f"{name} must be a positive {kind.__name__}, not {text!r}")
    return value


def race_sets(domain_name: str, race: Race) -> list[tuple[str, np.ndarray]]:
    """The held-out sets of the race for ``domain_name``: (label, states [N, D])."""
    if domain_name == "cube3":
        return [
            (f"walks of {d}", walks("cube3", [d], race.cube3_per_depth, seed=race.seed + d))
            for d in race.cube3_depths
        ]
    if domain_name == "puzzle15":
        states, _ = read_deepcubea("puzzle15", race.puzzle15_count)
        return [(f"DeepCubeA 1-{len(states)}", states)]
    raise ValueError(f"no race sets for {domain_name}")


def train_qsolve(domain_name: str, folder: Path, race: Race) -> Any:
    """qsolve's side of the race training: ``race.minutes`` on one thread, the race's recipe."""
    from qsolve.training import train

    if folder.exists():
        shutil.rmtree(folder)  # a fresh run for the same budget
    return train(
        domain_name,
        folder,
        progress=False,
        minutes=race.minutes,
        width1=race.hidden,
        width2=race.hidden,
        blocks=race.blocks,
        eval_every=10**9,
        threads=1,
        **RECIPE,
    )


def solve_qsolve(
    domain_name: str, heuristic: Any, sets: list[tuple[str, np.ndarray]], race: Race
) -> list[list[dict[str, Any]]]:
    """qsolve's side of the race search: per set, one dict per instance (solved, cost, moves,
    nodes_generated, seconds), the DeepXube driver's format."""
    set_torch_threads(1)
    first = sets[0][1][:1]
    # An untimed warm-up, as the DeepXube driver does: first calls pay one-time costs.
    solve(domain_name, first, heuristic=heuristic, batch_size=race.batch_size, time_limit=1.0)
    out = []
    for _, states in sets:
        results = solve(
            domain_name,
            states,
            heuristic=heuristic,
            batch_size=race.batch_size,
            weight=race.weight,
            time_limit=race.seconds,
            max_nodes=race.max_nodes,
            parallel=1,  # one at a time: each result's seconds are its own
        )
        out.append([r.to_dict() for r in results])
    return out


def deepxube_search_job(
    domain_name: str, race: Race, checkpoint: str, sets: list[tuple[str, np.ndarray]]
) -> dict[str, Any]:
    """The driver's job that runs DeepXube's Q* on the race sets with the race's settings."""
    return {
        "domain": domain_name,
        "mode": "search",
        "hidden": race.hidden,
        "blocks": race.blocks,
        "heuristic": checkpoint,
        "states": np.concatenate([s for _, s in sets]).tolist(),
        "batch_size": race.batch_size,
        "weight": race.weight,
        "seconds": race.seconds,
        "max_nodes": race.max_nodes,
        "stop": "first_goal",
        "threads": 1,
    }


def race_row(domain_name: str, label: str, tool: str, instances: list[dict[str, Any]]) -> Row:
    """One tool's row of the race table for one held-out set."""
    solved = [r for r in instances if r["solved"]]
    return {
        "domain": domain_name,
        "set": label,
        "tool": tool,
        "instances": len(instances),
        "solved %": 100.0 * len(solved) / max(1, len(instances)),
        "mean cost": float(np.mean([r["cost"] for r in solved])) if solved else float("nan"),
        "mean cost, both solved": float("nan"),  # filled in by race_rows
        "mean nodes": float(np.mean([r["nodes_generated"] for r in instances])),
        "mean seconds": float(np.mean([r["seconds"] for r in instances])),
    }


def race_rows(
    domain_name: str, label: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> list[Row]:
    """qsolve's row, DeepXube's row and qsolve / DeepXube for one held-out set."""
    rows = [
        race_row(domain_name, label, "qsolve", ours),
        race_row(domain_name, label, DEEPXUBE, theirs),
    ]
    both = [
        i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a["solved"] and b["solved"]
    ]
    for row, instances in zip(rows, (ours, theirs), strict=True):
        if both:
            row["mean cost, both solved"] = float(np.mean([instances[i]["cost"] for i in both]))
    ratio: Row = {"domain": domain_name, "set": label, "tool": f"qsolve / {DEEPXUBE}"}
    ratio["instances"] = len(ours)
    for key in (
        "solved %",
        "mean cost",
        "mean cost, both solved",
        "mean nodes",
        "mean seconds",
    ):
        a, b = float(rows[0][key]), float(rows[1][key])
        if np.isnan(a) or np.isnan(b):  # a mean over no solved instance
            ratio[key] = float("nan")
        else:
            ratio[key] = a / b if b > 0 else (float("inf") if a > 0 else float("nan"))
    return [*rows, ratio]


# -- DeepXube through its driver -------------------------------------------------------------


# The files the peers suite runs besides this module, shipped as package data beside it.
SUPPORT = Path(__file__).resolve().parent / "peers_support"


def support_file(name: str) -> Path:
    """The shipped support file ``name`` (``deepxube_driver.py``, ``setup_deepxube.sh``), found
    beside this module in the installed package, never in the working directory."""
    path = SUPPORT / name
    if not path.is_file():
        raise QsolveError(f"the qsolve installation lacks {path} (reinstall qsolve)")
    return path


def deepxube_venv() -> Path:
    """Where DeepXube's virtual environment lives: ``$QSOLVE_DEEPXUBE_VENV``, else ``deepxube`` in
    the user's cache folder (``$QSOLVE_CACHE`` or ``~/.cache/qsolve``)."""
    return Path(os.environ.get("QSOLVE_DEEPXUBE_VENV") or cache_dir() / "deepxube")


def deepxube_python(install: bool = True) -> Path:
    """The python of DeepXube's environment; with ``install``, ``setup_deepxube.sh`` creates the
    environment first where it is missing."""
    venv = deepxube_venv()
    python = venv / "bin" / "python"
    if not python.is_file() and install:
        setup = support_file("setup_deepxube.sh")
        env = {**os.environ, "QSOLVE_DEEPXUBE_VENV": str(venv)}
        subprocess.run(["bash", str(setup)], check=True, env=env)
    return python


def suite_peers(report: Report, out: Path) -> None:
    """``qsolve bench peers``: set DeepXube up where needed, then run the race (``run_peers``)."""
    driver = support_file("deepxube_driver.py")
    run_peers(report, out, deepxube_python(), driver)


@dataclass
class Driver:
    """The DeepXube driver: a python in DeepXube's environment and the driver script."""

    python: Path
    script: Path
    log: Path

    def start(self, job: dict[str, Any]) -> tuple[subprocess.Popen[str], IO[str]]:
        """Start one job; its stderr (DeepXube's own prints) goes to ``log``, never to a pipe
        that could fill while this process is busy with qsolve's side."""
        stderr = open(self.log, "a")  # closed by finish
        process = subprocess.Popen(
            [str(self.python), str(self.script), json.dumps(job)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        return process, stderr

    def finish(
        self, started: tuple[subprocess.Popen[str], IO[str]], timeout: float
    ) -> dict[str, Any]:
        """Wait for a started job and return its JSON result."""
        process, stderr = started
        try:
            stdout, _ = process.communicate(timeout=timeout)
        finally:
            stderr.close()
        if process.returncode != 0:
            tail = self.log.read_text().strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"DeepXube driver failed: {tail[0]} (log: {self.log})")
        return json.loads(stdout.strip().splitlines()[-1])

    def run(self, job: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self.finish(self.start(job), timeout)


def run_peers(
    report: Report,
    out: Path,
    python: Path,
    driver: Path,
    race: Race | None = None,
) -> None:
    """Train both tools for the same budget side by side, race them on the same held-out sets,
    then compare training and search throughput."""
    race = race or Race.from_env()
    seconds = race.minutes * 60
    out.mkdir(parents=True, exist_ok=True)
    dx = Driver(python, driver, out / "peers-deepxube.log")
    size = {"hidden": race.hidden, "blocks": race.blocks}

    # Read every held-out set before any training: a missing DeepCubeA file fails in seconds.
    all_sets = {name: race_sets(name, race) for name in DOMAINS}
    training: list[Row] = []
    racing: list[Row] = []
    speed: list[Row] = []
    for domain_name, depths in DOMAINS.items():
        folder = out / f"peers-qsolve-{domain_name}"
        dx_folder = out / f"peers-deepxube-{domain_name}"
        if dx_folder.exists():
            shutil.rmtree(dx_folder)
        job = {
            "domain": domain_name,
            "mode": "train",
            **size,
            "seconds": seconds,
            "up_itrs": race.deepxube_up_itrs,
        }
        dx_training = dx.start({**job, "out": str(dx_folder), "threads": 1})
        summary = train_qsolve(domain_name, folder, race)
        dx_trained = dx.finish(dx_training, timeout=seconds * 4 + 900)
        training.extend(training_rows(domain_name, race, summary, dx_trained))

        sets = all_sets[domain_name]
        network = load_heuristic(folder, domain_name, device="cpu")
        search_job = deepxube_search_job(domain_name, race, dx_trained["checkpoint"], sets)
        count = sum(len(s) for _, s in sets)
        dx_search = dx.start(search_job)
        ours = solve_qsolve(domain_name, network, sets, race)
        theirs = dx.finish(dx_search, timeout=race.seconds * (count + 1) * 3 + 600)["instances"]
        check_solutions(domain_name, sets, ours, theirs)
        offset = 0
        for (label, states), instances in zip(sets, ours, strict=True):
            racing.extend(
                race_rows(domain_name, label, instances, theirs[offset : offset + len(states)])
            )
            offset += len(states)

        save_partial(out, training, racing, speed)
        speed.extend(
            throughput_rows(domain_name, depths, folder, dx, dx_trained["checkpoint"], race)
        )
        save_partial(out, training, racing, speed)

    note = (
        f"each tool trained for {race.minutes:g} min of wall clock per domain, side by side (both "
        f"at the same time, one torch thread each); networks of hidden width {race.hidden} and "
        f"{race.blocks} residual blocks; qsolve's recipe: {RECIPE or 'the defaults'}; DeepXube: "
        f"{race.deepxube_up_itrs} gradient steps per update, its budget checked between updates, "
        "so its measured seconds are reported"
    )
    report.add("Training throughput (trained state-action pairs per second)", training, note)
    report.add(
        "The race: after the same training, the same held-out sets",
        racing,
        f"{race.search_settings()}, the same for both tools, both solving side by side; cube3: "
        f"{race.cube3_per_depth} walks per depth; puzzle15: the first {race.puzzle15_count} "
        "states of DeepCubeA's test set; mean nodes and seconds are per instance, unsolved "
        "instances counted up to their limit; mean cost, both solved: over the instances "
        "both tools solved",
    )
    report.add(
        "Search throughput: Q* nodes generated per second, same instances, B and λ",
        speed,
        THROUGHPUT_NOTE,
    )


THROUGHPUT_NOTE = (
    f"{PER_DEPTH} walks per depth {DOMAINS}, {TIME_LIMIT:g} s and {MAX_NODES:,} nodes per "
    f"instance; each tool searches alone, the tools take turns for {ROUNDS} rounds and each "
    "tool's fastest round is shown; zero: both with an equally cheap heuristic (Q = action "
    "cost), isolating the search machinery; network %: the share of search time in the network "
    "pass (qsolve: its engine; DeepXube: nnet_batched, input to torch, forward, output back); "
    "network GFLOP/s: the linear layers' multiply-adds of each tool's own network per second in "
    "that pass; % of fp32 peak: of the core's fastest fp32 layer products at qsolve's layer "
    "sizes and the search's B (numpy/OpenBLAS, torch, ONNX Runtime, one thread), timed in the "
    "same rounds over as many states as qsolve's search evaluates"
)


def save_partial(out: Path, *tables: list[Row]) -> None:
    """The rows so far, so that a long run that fails late still leaves what it measured."""
    (out / "peers-partial.json").write_text(json.dumps(tables, indent=1, default=str))


def check_solutions(
    domain_name: str,
    sets: list[tuple[str, np.ndarray]],
    ours: list[list[dict[str, Any]]],
    theirs: list[dict[str, Any]],
) -> None:
    """Every solution either tool reports must take its start state to the goal at its cost."""
    domain = get_domain(domain_name)
    starts = np.concatenate([s for _, s in sets])
    flat = [r for rows in ours for r in rows]
    for tool, results in (("qsolve", flat), (DEEPXUBE, theirs)):
        for start, result in zip(starts, results, strict=True):
            if not result["solved"]:
                continue
            end = domain.apply_moves(start, domain.parse_moves(" ".join(result["moves"])))
            if not domain.is_goal(end[None])[0] or len(result["moves"]) != round(result["cost"]):
                raise RuntimeError(f"{tool} reported a {domain_name} solution that does not replay")


def training_rows(domain_name: str, race: Race, summary: Any, dx: dict[str, Any]) -> list[Row]:
    """qsolve's and DeepXube's training throughput and their ratio."""
    base = {"domain": domain_name, "H": race.hidden, "blocks": race.blocks}
    return [
        {
            **base,
            "tool": "qsolve",
            "seconds": summary.seconds,
            "steps": summary.step,
            "examples/s": summary.examples_per_s,
        },
        {
            **base,
            "tool": DEEPXUBE,
            "seconds": dx["seconds"],
            "steps": dx["gradient_steps"],
            "examples/s": dx["examples_per_s"],
        },
        {
            **base,
            "tool": f"qsolve / {DEEPXUBE}",
            "seconds": float("nan"),
            "steps": float("nan"),
            "examples/s": summary.examples_per_s / max(dx["examples_per_s"], 1e-9),
        },
    ]


class NetworkClock:
    """An engine that adds up the seconds it runs and the states it evaluates."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.precision = engine.precision
        self.seconds = 0.0
        self.states = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        out = self.engine(x)
        self.seconds += time.perf_counter() - started
        self.states += len(x)
        return out


def deepxube_flops_per_state(domain_name: str, hidden: int, blocks: int) -> float:
    """FLOPs of DeepXube's ``resnet_fc`` for one state (2 per multiply-add of its linear layers:
    one-hot input -> H, ``blocks`` residual blocks of two H x H layers, H -> one output per
    action); its one-hot input has as many entries as qsolve's encoding."""
    domain = get_domain(domain_name)
    fan = domain.encoding_dim * hidden + 2 * blocks * hidden * hidden
    return 2.0 * (fan + hidden * domain.num_actions)


def fp32_peak_runs(arch: Any, batch: int) -> dict[str, Callable[[], object]]:
    """Per library (numpy/OpenBLAS, torch, ONNX Runtime, one thread): one pass of ``arch``'s fp32
    layer products at ``batch`` states: what ``throughput_rows`` times as the core's peak."""
    return {lib: run for (lib, prec), run in gemm_runs(arch, batch).items() if prec == "fp32"}


def throughput_rows(
    domain_name: str,
    depths: list[int],
    folder: Path,
    dx: Driver,
    checkpoint: str,
    race_settings: Race,
    rounds: int = ROUNDS,
) -> list[Row]:
    """Q* nodes per second of each tool alone on short walks, zero heuristic and trained network.

    The tools take turns for ``rounds`` rounds (qsolve, then DeepXube, in each), and each tool's
    fastest round is kept, so that a busy spell of a shared machine slows both alike.  With a
    network, each row also gives the network pass's share of the search time, its GFLOP/s (the
    linear layers' multiply-adds, each tool's own network) and that as a share of the core's fp32
    peak: the fastest library's layer products at qsolve's layer sizes and the search's batch
    size, timed in the same rounds over as many states as qsolve's search evaluates.
    """
    states = walks(domain_name, depths, PER_DEPTH, seed=21)
    # Search on one core for both tools: torch's default of every core stalls badly when the
    # machine has other work, and one core is the unit the targets are stated in.
    set_torch_threads(1)
    domain = get_domain(domain_name)
    network = load_network(folder, domain, device="cpu")
    int8 = load_network(folder, domain, device="cpu", precision="int8")
    clocks: dict[int, NetworkClock] = {}
    for net in (network, int8):
        clocks[id(net)] = net.engine = NetworkClock(net.engine)
    q_flops = flops_per_state(network.arch)
    dx_flops = deepxube_flops_per_state(domain_name, race_settings.hidden, race_settings.blocks)
    speed: list[Row] = []
    contenders: list[tuple[str, dict[str, Any], str]] = [
        ("zero", {"qsolve": "zero"}, "zero"),
        ("trained network", {"qsolve": network, "qsolve int8": int8}, checkpoint),
    ]
    for heuristic_label, ours, theirs in contenders:
        batch_size, weight = (100, 1.0) if heuristic_label == "zero" else (100, 0.6)
        base = {"domain": domain_name, "heuristic": heuristic_label, "B": batch_size, "λ": weight}
        best: dict[str, Row] = {}
        peak_runs = fp32_peak_runs(network.arch, batch_size) if heuristic_label != "zero" else {}
        peak_seconds = float("inf")  # the fastest pass of the layer products over those states
        for heuristic in ours.values():  # untimed warm-ups
            solve(domain_name, states[:1], heuristic=heuristic, batch_size=batch_size)
        for _ in range(rounds):
            for tool, heuristic in ours.items():
                clock = clocks.get(id(heuristic))
                if clock is not None:
                    clock.seconds, clock.states = 0.0, 0
                results = solve(
                    domain_name,
                    states,
                    heuristic=heuristic,
                    batch_size=batch_size,
                    weight=weight,
                    time_limit=TIME_LIMIT,
                    max_nodes=MAX_NODES,
                    parallel=1,  # one at a time: each result's seconds are its own
                )
                solved = [r for r in results if r.solved]
                row = {
                    **base,
                    "tool": tool,
                    "solved %": 100 * len(solved) / len(results),
                    "mean cost": float(np.mean([r.cost for r in solved]))
                    if solved
                    else float("nan"),
                    **_speed(
                        sum(r.nodes_generated for r in results),
                        sum(r.seconds for r in results),
                        clock.seconds if clock else 0.0,
                        clock.states if clock else 0,
                        q_flops,
                    ),
                }
                _keep_faster(best, row)
            out = dx.run(
                {
                    "domain": domain_name,
                    "mode": "search",
                    "hidden": race_settings.hidden,
                    "blocks": race_settings.blocks,
                    "heuristic": theirs,
                    "states": states.tolist(),
                    "batch_size": batch_size,
                    "weight": weight,
                    "seconds": TIME_LIMIT,
                    "max_nodes": MAX_NODES,
                    "stop": "first_goal",
                    "threads": 1,
                },
                timeout=TIME_LIMIT * len(states) * 3 + 300,
            )
            instances = out["instances"]
            costs = [r["cost"] for r in instances if r["solved"] and r["cost"] is not None]
            row = {
                **base,
                "tool": DEEPXUBE,
                "solved %": 100 * float(np.mean([r["solved"] for r in instances])),
                "mean cost": float(np.mean(costs)) if costs else float("nan"),
                **_speed(
                    out["nodes_generated"],
                    out["seconds"],
                    out.get("network_seconds", 0.0),
                    out.get("network_states", 0),
                    dx_flops,
                ),
            }
            _keep_faster(best, row)
            passes = -(-int(np.nan_to_num(best["qsolve"]["states evaluated"])) // batch_size)
            for run in peak_runs.values():
                started = time.perf_counter()
                for _ in range(passes):
                    run()
                peak_seconds = min(peak_seconds, (time.perf_counter() - started) / max(passes, 1))
        peak = batch_size * q_flops / peak_seconds / 1e9 if peak_runs else np.nan
        rows = list(best.values())
        for row in rows:
            row["% of fp32 peak"] = 100 * row["network GFLOP/s"] / peak
        theirs_row = best[DEEPXUBE]
        speed.extend(rows)
        for row in rows:
            if row["tool"] == DEEPXUBE:
                continue
            speed.append(
                {
                    **{key: float("nan") for key in row},
                    **base,
                    "tool": f"{row['tool']} / DeepXube",
                    "nodes/s": row["nodes/s"] / max(theirs_row["nodes/s"], 1e-9),
                }
            )
    return speed


def _speed(
    nodes: int, seconds: float, network_seconds: float, network_states: int, flops: float
) -> Row:
    """The speed columns of a throughput row."""
    return {
        "nodes": nodes,
        "seconds": seconds,
        "nodes/s": nodes / seconds,
        "network %": 100 * network_seconds / seconds if network_states else float("nan"),
        "states evaluated": network_states if network_states else float("nan"),
        "network GFLOP/s": network_states * flops / network_seconds / 1e9
        if network_states
        else float("nan"),
    }


def _keep_faster(best: dict[str, Row], row: Row) -> None:
    """Keep ``row`` as its tool's row where it is that tool's fastest round so far."""
    tool = str(row["tool"])
    if tool not in best or row["nodes/s"] > best[tool]["nodes/s"]:
        best[tool] = row
