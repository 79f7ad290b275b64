"""``qsolve bench``: the suites that compare Q* with A*, action spaces, lockstep solving and the
network options, on one machine in one run.  Each suite prints rich tables and writes CSV, PNG
plots and a markdown report under ``bench-results/``.  Everything here goes through the public API.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qsolve.api import load_heuristic, shipped_model, solve
from qsolve.bench.instances import deepcubea_dir, read_deepcubea, walks
from qsolve.bench.report import Report, Row, write_report
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import Heuristic

# -- the measurements -----------------------------------------------------------------------


# The benchmarks compare cube3 with cube3-meta on networks of one size, (500, 250, 2 blocks), the
# size of the shipped cube3-meta model; cube3's default model is larger (trained on a GPU), so the
# benchmarks use its same-size sibling, shipped beside it.
BENCH_MODELS = {"cube3": "cube3-small", "cube3-meta": "cube3-meta-small"}


def heuristic_for(
    domain_name: str, kind: str = "q", precision: str = "fp32"
) -> tuple[Heuristic, str]:
    """The shipped model of the domain (its V model with ``kind="v"``, its benchmark model where
    ``BENCH_MODELS`` names one), else a classical one."""
    domain = get_domain(domain_name)
    suffix = "" if precision == "fp32" else f" {precision}"
    folder = shipped_model(domain)
    sibling = {"v": f"{domain_name}-v", "q": BENCH_MODELS.get(domain_name)}[kind]
    if folder is not None and sibling is not None and (folder.parent / sibling).is_dir():
        label = "V network" if kind == "v" else "Q network"
        return load_heuristic(folder.parent / sibling, domain, precision=precision), label + suffix
    if kind == "v":
        raise QsolveError(f"no V model shipped for {domain_name}")
    h = load_heuristic(None, domain, precision=precision)
    return h, (f"Q network{suffix}" if folder is not None else h.name)


def summarize(label: Row, results: list, optimum: np.ndarray | None = None) -> Row:
    solved = [r for r in results if r.solved]
    row = dict(label)
    row["instances"] = len(results)
    row["solved %"] = 100.0 * len(solved) / max(1, len(results))
    row["mean cost"] = float(np.mean([r.cost for r in solved])) if solved else float("nan")
    if optimum is not None:
        optimal = [r.solved and r.cost <= best for r, best in zip(results, optimum, strict=True)]
        row["optimal %"] = 100.0 * sum(optimal) / max(1, len(results))
        gaps = [r.cost - best for r, best in zip(results, optimum, strict=True) if r.solved]
        row["cost gap"] = float(np.mean(gaps)) if gaps else float("nan")
    row["mean nodes"] = float(np.mean([r.nodes_generated for r in results]))
    row["mean h inputs"] = float(np.mean([r.heuristic_inputs for r in results]))
    row["mean seconds"] = float(np.mean([r.seconds for r in results]))
    return row


def q_vs_a(
    domain_name: str,
    states: np.ndarray,
    settings: list[tuple[int, float]],
    time_limit: float,
    max_nodes: int,
    with_v: bool = True,
    optimum: np.ndarray | None = None,
    heuristic: tuple[Heuristic, str] | None = None,
    beam_width: int | None = None,
) -> tuple[list[Row], list[Row], dict[str, list]]:
    """Q* against A* (h = min_a Q, and a V network where one is shipped) on the same states;
    ``heuristic`` (and its label) replaces the benchmark model of ``heuristic_for``;
    ``beam_width`` adds beam search of that width with it (a model's recommended beam search),
    in a row whose B is the width."""
    q_heuristic, q_name = heuristic if heuristic is not None else heuristic_for(domain_name)
    contenders = [
        ("Q*", "qstar", q_heuristic, q_name),
        ("A*", "astar", q_heuristic, f"min {q_name}"),
    ]
    if with_v:
        try:
            v_heuristic, v_name = heuristic_for(domain_name, "v")
            contenders.append(("A*", "astar", v_heuristic, v_name))
        except QsolveError:
            pass
    rows, ratios, per_instance = [], [], {}
    for batch_size, weight in settings:
        by_algorithm = {}
        for label, algorithm, contender, h_name in contenders:
            results = solve(
                domain_name,
                states,
                heuristic=contender,
                algorithm=algorithm,
                batch_size=batch_size,
                weight=weight,
                time_limit=time_limit,
                max_nodes=max_nodes,
                parallel=1,  # one at a time: each result's seconds are its own
            )
            key = f"{label} {h_name}"
            by_algorithm[key] = results
            per_instance[f"{key} B={batch_size} λ={weight}"] = results
            rows.append(
                summarize(
                    {
                        "domain": domain_name,
                        "algorithm": label,
                        "heuristic": h_name,
                        "B": batch_size,
                        "λ": weight,
                    },
                    results,
                    optimum,
                )
            )
        q = by_algorithm[f"Q* {q_name}"]
        for key, results in by_algorithm.items():
            if key.startswith("Q*"):
                continue
            both = [(a, b) for a, b in zip(results, q, strict=True) if a.solved and b.solved]
            ratios.append(
                {
                    "domain": domain_name,
                    "B": batch_size,
                    "λ": weight,
                    "against": key,
                    "both solved": len(both),
                    "nodes A*/Q*": _ratio(
                        [a.nodes_generated for a, _ in both], [b.nodes_generated for _, b in both]
                    ),
                    "seconds A*/Q*": _ratio(
                        [a.seconds for a, _ in both], [b.seconds for _, b in both]
                    ),
                    "note": _none_both_solved(len(both), len(q)),
                }
            )
    if beam_width is not None:
        results = solve(
            domain_name,
            states,
            heuristic=q_heuristic,
            algorithm="beam",
            beam_width=beam_width,
            time_limit=time_limit,
            max_nodes=max_nodes,
            parallel=1,
        )
        per_instance[f"beam {q_name} W={beam_width}"] = results
        beam_row: Row = {"domain": domain_name, "algorithm": "beam", "heuristic": q_name}
        rows.append(summarize({**beam_row, "B": beam_width, "λ": float("nan")}, results, optimum))
    return rows, ratios, per_instance


def _ratio(a: list[float], b: list[float]) -> float:
    return float(np.sum(a) / np.sum(b)) if a and np.sum(b) > 0 else float("nan")


def _none_both_solved(both: int, instances: int) -> str:
    """What a ratio row over the instances both solved says when there are none."""
    return f"no ratio: none of the {instances} instances solved by both" if both == 0 else ""


def ratio_row(
    label: Row, top: list, bottom: list, batch_size: int, weight: float | None = None
) -> Row:
    """Means of ``top`` over means of ``bottom`` (same instances, those both solved)."""
    both = [(x, y) for x, y in zip(top, bottom, strict=True) if x.solved and y.solved]
    row: Row = {**label, "heuristic": "ratio", "B": batch_size}
    if weight is not None:
        row["λ"] = weight
    row["instances"] = len(both)
    row["solved %"] = float("nan")
    for column, field_name in (
        ("mean cost", "cost"),
        ("mean nodes", "nodes_generated"),
        ("mean h inputs", "heuristic_inputs"),
        ("mean seconds", "seconds"),
    ):
        row[column] = _ratio(
            [getattr(x, field_name) for x, _ in both], [getattr(y, field_name) for _, y in both]
        )
    row["note"] = _none_both_solved(len(both), len(top))
    return row


def _summary_row(label: Row, results: list) -> Row:
    """``summarize`` with the (empty) note column of the ratio rows it shares a table with."""
    return {**summarize(label, results), "note": ""}


def action_space(
    depths: list[int], per_depth: int, batch_size: int, time_limit: float, max_nodes: int
) -> list[Row]:
    """cube3 (12 actions) against cube3-meta (1884) on the same scrambles, Q* and A*."""
    states = walks("cube3", depths, per_depth, seed=1)
    # Both sides get the same kind of heuristic: their own networks where both are shipped, else
    # none (zero), which isolates what the action space costs the search itself.
    informed = all(shipped_model(get_domain(n)) is not None for n in ("cube3", "cube3-meta"))
    rows = []
    by_algorithm: dict[str, dict[str, list]] = {}
    for algorithm in ("qstar", "astar"):
        results = by_algorithm[algorithm] = {}
        for name in ("cube3", "cube3-meta"):
            heuristic, h_name = (
                heuristic_for(name) if informed else (load_heuristic("zero", name), "zero")
            )
            results[name] = solve(
                name,
                states,
                heuristic=heuristic,
                algorithm=algorithm,
                batch_size=batch_size,
                time_limit=time_limit,
                max_nodes=max_nodes,
                parallel=1,  # one at a time: each result's seconds are its own
            )
            rows.append(
                _summary_row(
                    {
                        "algorithm": algorithm,
                        "domain": name,
                        "actions": get_domain(name).num_actions,
                        "heuristic": h_name,
                        "B": batch_size,
                    },
                    results[name],
                )
            )
        label = {"algorithm": algorithm, "domain": "meta/cube3", "actions": 1884 / 12}
        rows.append(ratio_row(label, results["cube3-meta"], results["cube3"], batch_size))
    for name in ("cube3", "cube3-meta"):
        label = {
            "algorithm": "astar/qstar",
            "domain": name,
            "actions": get_domain(name).num_actions,
        }
        rows.append(
            ratio_row(label, by_algorithm["astar"][name], by_algorithm["qstar"][name], batch_size)
        )
    return rows


def lockstep(
    domain_name: str, states: np.ndarray, batch_size: int, weight: float, parallel: int
) -> Row:
    """Instances per second one at a time against lockstep, and whether results agree."""
    heuristic, h_name = heuristic_for(domain_name)
    timings, outcomes = {}, {}
    for label, p in (("one at a time", 1), (f"lockstep {parallel}", parallel)):
        started = time.perf_counter()
        outcomes[label] = solve(
            domain_name,
            states,
            heuristic=heuristic,
            batch_size=batch_size,
            weight=weight,
            parallel=p,
        )
        timings[label] = time.perf_counter() - started
    alone, together = outcomes.values()
    same = all(
        (a.actions, a.nodes_generated, a.iterations) == (b.actions, b.nodes_generated, b.iterations)
        for a, b in zip(alone, together, strict=True)
    )
    (_, t1), (l2, t2) = timings.items()
    return {
        "domain": domain_name,
        "heuristic": h_name,
        "instances": len(states),
        "B": batch_size,
        "λ": weight,
        "instances/s alone": len(states) / t1,
        f"instances/s {l2}": len(states) / t2,
        "speed-up": t1 / t2,
        "identical results": "yes" if same else "no",
    }


def phase_shares(
    domain_name: str,
    algorithm: str,
    states: np.ndarray,
    batch_size: int,
    max_nodes: int,
    precision: str = "fp32",
) -> Row:
    """Where a search's time goes: the heuristic (network), open list, ranking, duplicates, generation."""
    heuristic, h_name = heuristic_for(domain_name, precision=precision)
    results = solve(
        domain_name,
        states,
        heuristic=heuristic,
        algorithm=algorithm,
        batch_size=batch_size,
        max_nodes=max_nodes,
        time_limit=None,
        parallel=1,  # one at a time: each result's seconds are its own
    )
    total = sum(r.seconds for r in results)
    phases = ("heuristic", "open list", "ranking", "duplicates", "generation")
    row: Row = {"domain": domain_name, "algorithm": algorithm, "heuristic": h_name, "B": batch_size}
    row["nodes/s"] = sum(r.nodes_generated for r in results) / total
    for phase in phases:
        row[f"{phase} %"] = 100.0 * sum(r.timings.get(phase, 0.0) for r in results) / total
    return row


def network_options(domain_name: str, batch: int, repeats: int) -> list[Row]:
    """States per second through the domain's network under each inference option."""
    import torch

    from qsolve.networks.engines import quantize

    domain = get_domain(domain_name)
    heuristic, _ = heuristic_for(domain_name)
    model = getattr(heuristic, "model", None)
    if model is None:
        return []
    states = walks(domain_name, [20], batch, seed=3)
    x = torch.from_numpy(domain.encode(states))
    reference = model(x).detach()

    def plain() -> torch.Tensor:
        return model(x)

    def no_grad() -> torch.Tensor:
        with torch.no_grad():
            return model(x)

    def inference() -> torch.Tensor:
        with torch.inference_mode():
            return model(x)

    def bf16() -> torch.Tensor:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return model(x).float()

    quantized = quantize(model, "int8", torch.device("cpu"))

    def int8() -> torch.Tensor:
        with torch.inference_mode():
            return quantized(x)

    variants: dict[str, Callable[[], torch.Tensor]] = {
        "autograd on": plain,
        "no_grad": no_grad,
        "inference_mode": inference,
        "bf16 autocast": bf16,
        "int8 dynamic": int8,
    }
    try:
        compiled = torch.compile(model)
        with torch.inference_mode():
            compiled(x)  # compile outside the timing

        def compiled_run() -> torch.Tensor:
            with torch.inference_mode():
                return compiled(x)

        variants["torch.compile"] = compiled_run
    except Exception as error:  # no compiler on this machine: say so in the table
        variants[f"torch.compile ({type(error).__name__})"] = inference
    rows = []
    for name, run in variants.items():
        run()
        started = time.perf_counter()
        for _ in range(repeats):
            out = run()
        seconds = (time.perf_counter() - started) / repeats
        deviation = float((out.detach().float() - reference).abs().max())
        agree = (
            float((out.detach().argmin(1) == reference.argmin(1)).float().mean())
            if out.shape[1] > 1
            else float("nan")
        )
        rows.append(
            {
                "domain": domain_name,
                "option": name,
                "batch": batch,
                "states/s": batch / seconds,
                "max |Δ output|": deviation,
                "same argmin %": 100 * agree,
            }
        )
    return rows


def network_engines(domain_name: str, batches: tuple[int, ...]) -> tuple[list[Row], list[Row]]:
    """The domain's network through each engine against the core's peak for its layer sizes."""
    from qsolve.networks.peak import measure

    domain = get_domain(domain_name)
    heuristic, _ = heuristic_for(domain_name)
    model, engine = getattr(heuristic, "model", None), getattr(heuristic, "engine", None)
    if model is None:
        return [], []
    sample = domain.encode(walks(domain_name, [20], 1000, seed=3))
    peaks, rows = measure(model, sample, batches, budget=2.0, default=engine)
    return [{"domain": domain_name, **r} for r in peaks], [
        {"domain": domain_name, **r} for r in rows
    ]


# -- the suites -----------------------------------------------------------------------------


def _plot_q_vs_a(per_instance: dict[str, list], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key, results in per_instance.items():
        axes[0].plot([r.nodes_generated for r in results], marker=".", linestyle="", label=key)
        axes[1].plot([r.seconds for r in results], marker=".", linestyle="", label=key)
    for ax, label in zip(axes, ("nodes generated", "seconds"), strict=True):
        ax.set_yscale("log")
        ax.set_xlabel("instance")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plot_action_space(rows: list[Row], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    lines: dict[str, list[Row]] = {}
    for r in rows:
        if r["algorithm"] in ("qstar", "astar") and r["heuristic"] != "ratio":
            setting = f" B={r['B']} λ={r['λ']:g}" if "λ" in r else ""
            lines.setdefault(r["algorithm"] + setting, []).append(r)
    for label, points in lines.items():
        ax.plot(
            [r["actions"] for r in points],
            [r["mean seconds"] for r in points],
            marker="o",
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("actions")
    ax.set_ylabel("mean seconds per instance")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@dataclass
class SuiteOptions:
    per_depth: int
    settings: list[tuple[int, float]]
    time_limit: float
    max_nodes: int
    domains: dict[str, list[int]]  # domain -> walk depths
    cube_depths: list[int]
    cube_batch: int
    cube_time_limit: float  # A* on cube3-meta evaluates 1884 children per expansion
    cube_max_nodes: int


QUICK = SuiteOptions(
    per_depth=4,
    settings=[(1, 1.0), (100, 0.6)],
    time_limit=5.0,
    max_nodes=200_000,
    domains={
        "puzzle8": [10, 20, 30],
        "cube2": [6, 10, 14],
        "lightsout7": [5, 10],
        "puzzle15": [20, 40],
        "cube3": [4, 8],
    },
    cube_depths=[4],
    cube_batch=100,
    cube_time_limit=30.0,
    cube_max_nodes=2_000_000,
)
# Lockstep against one at a time, in the paper suite: random walks of the fast domains.
LOCKSTEP_WALKS = {"puzzle8": [10, 20, 30], "cube2": [6, 10, 14]}


def suite_search(
    name: str, options: SuiteOptions, report: Report, out: Path, cube_scaling: bool = True
) -> None:
    """Q* against A* on the suite's walks; with ``cube_scaling`` also cube3 against cube3-meta
    and lockstep against one-at-a-time search."""
    all_rows, all_ratios = [], []
    for domain_name, depths in options.domains.items():
        states = walks(domain_name, depths, options.per_depth)
        rows, ratios, per_instance = q_vs_a(
            domain_name, states, options.settings, options.time_limit, options.max_nodes
        )
        all_rows += rows
        all_ratios += ratios
        report.plots.append(
            _plot_q_vs_a(
                per_instance,
                out / f"{name}-{domain_name}-qstar-vs-astar.png",
                f"{domain_name}: Q* against A*",
            )
        )
    budget = f"budget per instance: {options.time_limit:g} s, {options.max_nodes:,} nodes (an instance over budget counts as unsolved)"
    report.add(
        "Q* against A* on random walks from the goal",
        all_rows,
        f"{options.per_depth} instances per walk depth ({'; '.join(f'{d}: {v}' for d, v in options.domains.items())}); {budget}",
    )
    report.add("A*/Q* ratios on the instances both solved", all_ratios)
    if not cube_scaling:
        return
    scaling = action_space(
        options.cube_depths,
        options.per_depth,
        options.cube_batch,
        options.cube_time_limit,
        options.cube_max_nodes,
    )
    report.add(
        "Action-space scaling: cube3 (12 actions) against cube3-meta (1884), same scrambles",
        scaling,
        f"{options.per_depth} scrambles per depth {options.cube_depths}; meta/cube3 rows divide "
        "cube3-meta by cube3, astar/qstar rows divide A* by Q* on one domain (instances both "
        f"solved); budget per instance: {options.cube_time_limit:g} s, {options.cube_max_nodes:,} nodes",
    )
    report.plots.append(_plot_action_space(scaling, out / f"{name}-action-space.png"))
    rows = [
        lockstep(d, walks(d, depths, options.per_depth, seed=5), 100, 0.6, 32)
        for d, depths in list(options.domains.items())[:2]
    ]
    report.add("Many instances at once: lockstep against one at a time", rows)


def only_domains(options: SuiteOptions, domains: list[str]) -> SuiteOptions:
    """``options`` restricted to the random walks of ``domains`` (``qsolve bench --domains``)."""
    unknown = [d for d in domains if d not in options.domains]
    if unknown:
        raise QsolveError(
            f"--domains: {', '.join(unknown)} not in this suite "
            f"(choose from {', '.join(options.domains)})"
        )
    return replace(options, domains={d: options.domains[d] for d in domains})


# -- the DeepCubeA test sets (paper and deepcubea suites) -------------------------------------


@dataclass(frozen=True)
class HardSet:
    file: str  # deepcubea/FILE.txt
    count: int  # the first states measured, unless --count says otherwise
    time_limit: float  # seconds per instance: the targets


HARD_SETS = {
    "cube3": HardSet("cube3", 10, 60.0),
    "cube3-meta": HardSet("cube3", 10, 60.0),
    "puzzle15": HardSet("puzzle15", 20, 60.0),
    "lightsout7": HardSet("lightsout7", 20, 10.0),
    "puzzle24": HardSet("puzzle24", 10, 60.0),
}
# The paper's (B, λ), run besides each model's recommended search in the paper suite.
PAPER_SETTINGS = [(1, 1.0), (100, 1.0), (100, 0.6)]
HARD_MAX_NODES = 10_000_000


def hard_sets(
    domains: list[str] | None = None, count: int | None = None
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[str]]:
    """The first ``count`` states (default: the set's) of each domain's DeepCubeA set with their
    optimal costs, for the domains with a shipped model, and the domains left out for want of one.
    Raises ``QsolveError`` when the sets are not there or ``domains`` names one without a model."""
    folder = deepcubea_dir()
    if not folder.is_dir():
        raise QsolveError(
            f"no DeepCubeA test sets at {folder}: set QSOLVE_BENCHMARKS to the folder that holds "
            "deepcubea/ (qsolve bench quick runs without them)"
        )
    names = list(HARD_SETS) if domains is None else domains
    unknown = [d for d in names if d not in HARD_SETS]
    if unknown:
        raise QsolveError(
            f"--domains: {', '.join(unknown)} has no DeepCubeA set here "
            f"(choose from {', '.join(HARD_SETS)})"
        )
    found, skipped = {}, []
    for name in names:
        if shipped_model(get_domain(name)) is None:
            if domains is not None:
                raise QsolveError(f"--domains: no model is shipped for {name}")
            skipped.append(name)
            continue
        found[name] = read_deepcubea(HARD_SETS[name].file, count or HARD_SETS[name].count)
    return found, skipped


def network_label(heuristic: Heuristic) -> str:
    """``Q network (2000, 1000, 2 blocks)``, with ``int8`` where it runs quantized and the floor
    where it has one."""
    arch = getattr(heuristic, "arch", None)
    if arch is None:
        return heuristic.name
    kind = "V" if arch.output_dim == 1 else "Q"
    label = f"{kind} network ({arch.width1}, {arch.width2}, {arch.blocks} blocks)"
    label += " int8" if getattr(heuristic, "precision", "fp32") == "int8" else ""
    floor = getattr(heuristic, "floor", None)
    return label + (f", floor {floor.name}" if floor is not None else "")


@dataclass(frozen=True)
class Recommended:
    """A model's recommended search (config.json ``"search"``): its algorithm, with B and λ for
    Q* and A* and the beam width for beam search."""

    algorithm: str
    batch_size: int
    weight: float
    beam_width: int | None = None

    @property
    def setting(self) -> tuple[int, float]:
        """(B, λ): the setting Q* and A* run at."""
        return self.batch_size, self.weight

    def describe(self) -> str:
        if self.algorithm == "beam":
            return f"beam search, width {self.beam_width:,}"
        return f"B = {self.batch_size}, λ = {self.weight:g}"


def recommended_search(heuristic: Heuristic) -> Recommended:
    """The model's config.json ``"search"``, else Q*, B = 1, λ = 1, as ``qsolve solve`` takes it
    (B and λ are the recommended algorithm's; a beam recommendation leaves Q* B = 1, λ = 1)."""
    defaults = heuristic.search_defaults
    width = defaults.get("beam_width")
    return Recommended(
        str(defaults.get("algorithm", "qstar")),
        int(defaults.get("batch_size", 1)),
        float(defaults.get("weight", 1.0)),
        None if width is None else int(width),
    )


def suite_hard_sets(
    name: str,
    sets: dict[str, tuple[np.ndarray, np.ndarray]],
    skipped: list[str],
    report: Report,
    out: Path,
    paper_settings: bool,
) -> None:
    """Q* against A* on the DeepCubeA sets with each model's recommended search (and with
    ``paper_settings`` the paper's B and λ too); where cube3 and cube3-meta both ran, their
    action spaces compared on the same states and settings."""
    rows, ratios, searches = [], [], []
    runs: dict[str, tuple[str, list[tuple[int, float]], dict[str, list]]] = {}
    for domain_name, (states, optimum) in sets.items():
        heuristic = load_heuristic(None, domain_name)
        label = network_label(heuristic)
        recommended = recommended_search(heuristic)
        settings = [recommended.setting]
        if paper_settings:
            settings += [s for s in PAPER_SETTINGS if s != recommended.setting]
        searches.append(f"{domain_name} {recommended.describe()}")
        table, ratio, per_instance = q_vs_a(
            domain_name,
            states,
            settings,
            HARD_SETS[domain_name].time_limit,
            HARD_MAX_NODES,
            optimum=optimum,
            heuristic=(heuristic, label),
            beam_width=recommended.beam_width if recommended.algorithm == "beam" else None,
        )
        rows += table
        ratios += ratio
        runs[domain_name] = (label, settings, per_instance)
        report.plots.append(
            _plot_q_vs_a(
                per_instance,
                out / f"{name}-{domain_name}-deepcubea.png",
                f"{domain_name}: Q* against A* on the DeepCubeA set",
            )
        )
    described = "; ".join(
        f"{d}: first {len(states)} of deepcubea/{HARD_SETS[d].file}.txt, "
        f"{HARD_SETS[d].time_limit:g} s each"
        for d, (states, _) in sets.items()
    )
    note = (
        f'{described}; each model\'s recommended search (config.json "search": '
        f"{'; '.join(searches)})"
        + (
            ", and the paper's B, λ: " + ", ".join(f"({b}, {w:g})" for b, w in PAPER_SETTINGS)
            if paper_settings
            else ""
        )
        + f"; budget per instance: its seconds and {HARD_MAX_NODES:,} nodes (an instance over "
        "budget counts as unsolved); optimal % and cost gap (mean cost minus the optimum, on the "
        "instances solved) from the optimal costs in the files"
    )
    if skipped:
        note += f"; not run, no shipped model: {', '.join(skipped)}"
    report.add("Q* against A* on the DeepCubeA test sets", rows, note)
    report.add(
        "A*/Q* ratios on the DeepCubeA instances both solved",
        ratios,
        "ratios of sums over the instances both searches solved; a row with none says so",
    )
    # Compared at the settings both ran: the paper's, and their recommended one where it agrees.
    scaling = (
        hard_action_space(runs["cube3"], runs["cube3-meta"])
        if "cube3" in runs and "cube3-meta" in runs
        else []
    )
    if scaling:
        same = _trunk(runs["cube3"][0]) == _trunk(runs["cube3-meta"][0])
        networks = (
            "networks of one size, so the ratios measure the action space"
            if same
            else "networks of different sizes, so the ratios measure network and action space "
            "together"
        )
        report.add(
            "Action-space scaling: cube3 (12 actions) against cube3-meta (1884), the same "
            "DeepCubeA states",
            scaling,
            "the cube3 and cube3-meta rows of the table above at the settings both ran; each "
            f"domain with its default shipped network ({networks}); meta/cube3 rows divide "
            "cube3-meta by cube3, astar/qstar rows A* by Q* on one domain, over the instances "
            "both solved",
        )
        report.plots.append(_plot_action_space(scaling, out / f"{name}-action-space.png"))


def _trunk(label: str) -> str:
    """The sizes in a ``network_label``, without its precision."""
    return label.removesuffix(" int8")


def hard_action_space(
    cube: tuple[str, list[tuple[int, float]], dict[str, list]],
    meta: tuple[str, list[tuple[int, float]], dict[str, list]],
) -> list[Row]:
    """cube3 against cube3-meta from their ``q_vs_a`` results at each (B, λ) both ran."""
    rows = []
    runs = {"cube3": cube, "cube3-meta": meta}
    for batch_size, weight in [s for s in cube[1] if s in meta[1]]:
        found: dict[str, dict[str, list]] = {"qstar": {}, "astar": {}}
        for algorithm, prefix in (("qstar", "Q* "), ("astar", "A* min ")):
            for domain_name, (label, _, per_instance) in runs.items():
                results = per_instance[f"{prefix}{label} B={batch_size} λ={weight}"]
                found[algorithm][domain_name] = results
                row = {
                    "algorithm": algorithm,
                    "domain": domain_name,
                    "actions": get_domain(domain_name).num_actions,
                    "heuristic": label,
                    "B": batch_size,
                    "λ": weight,
                }
                rows.append(_summary_row(row, results))
            rows.append(
                ratio_row(
                    {"algorithm": algorithm, "domain": "meta/cube3", "actions": 1884 / 12},
                    found[algorithm]["cube3-meta"],
                    found[algorithm]["cube3"],
                    batch_size,
                    weight,
                )
            )
        for domain_name in runs:
            ratio_label: Row = {
                "algorithm": "astar/qstar",
                "domain": domain_name,
                "actions": get_domain(domain_name).num_actions,
            }
            rows.append(
                ratio_row(
                    ratio_label,
                    found["astar"][domain_name],
                    found["qstar"][domain_name],
                    batch_size,
                    weight,
                )
            )
    return rows


def suite_profile(report: Report, out: Path) -> None:
    # Deep scrambles, so that every search runs to its node budget: steady-state shares.
    meta = cube = walks("cube3", [30], 3, seed=2)
    rows = []
    for precision in ("fp32", "int8"):
        rows += [
            phase_shares("cube3-meta", "qstar", meta, 1000, 100_000, precision),
            phase_shares("cube3-meta", "astar", meta, 100, 100_000, precision),
            phase_shares("cube3", "astar", cube, 100, 50_000, precision),
            phase_shares("cube3", "qstar", cube, 100, 50_000, precision),
        ]
    rows += [
        phase_shares("puzzle15", "qstar", walks("puzzle15", [40], 3, seed=2), 1000, 100_000),
        phase_shares("cube2", "astar", walks("cube2", [12], 3, seed=2), 100, 20_000),
        phase_shares("cube2", "qstar", walks("cube2", [12], 3, seed=2), 100, 20_000),
    ]
    report.add(
        "Where the time goes (share of search wall time)",
        rows,
        "each domain's default heuristic (shipped network, else zero or manhattan), in fp32 and "
        "with its linear layers quantized to int8; 3 instances each, cube3 and cube3-meta on walks of "
        "30 quarter turns, each search run to its node budget",
    )
    options = []
    for domain_name in ("cube3-meta", "cube3", "cube2", "puzzle8"):
        for batch in (100, 1000, 10_000) if domain_name == "cube3-meta" else (1000,):
            options += network_options(domain_name, batch, 5)
    report.add("Network inference options on this CPU (one batch of states)", options)
    peaks, engine_rows = network_engines("cube3", (100, 1000, 10_000))
    report.add(
        "The core's peak for the cube3 network: its layer products alone (one core)",
        peaks,
        "[B, fan_in] @ [fan_in, fan_out] for each linear layer; GOP/s for int8",
    )
    report.add(
        "The cube3 network per engine, as a share of that peak",
        engine_rows,
        "engines and layer products raced in interleaved rounds; auto = what --engine auto picked; "
        "benchmarks/engine_peak.py measures the other networks",
    )


SUITES = ("quick", "paper", "profile", "peers", "deepcubea")


def run_bench(
    name: str,
    out: str | Path = "bench-results",
    command: str = "",
    domains: list[str] | None = None,
    count: int | None = None,
) -> Path:
    """Run the suite ``name`` and return the path of its markdown report.  ``domains`` limits
    quick to its Q*-against-A* tables on those domains' random walks, and paper and deepcubea to
    those domains' DeepCubeA sets; ``count``: paper and deepcubea run the first ``count`` states
    of each set (default: ``HARD_SETS``)."""
    from qsolve.options import check_count

    if name not in SUITES:
        raise QsolveError(f"unknown benchmark suite {name!r} (choose from {', '.join(SUITES)})")
    hard = name in ("paper", "deepcubea")
    if domains is not None and name not in ("quick", "paper", "deepcubea"):
        raise QsolveError(f"--domains applies to the quick, paper and deepcubea suites, not {name}")
    if count is not None and not hard:
        raise QsolveError(f"--count applies to the paper and deepcubea suites, not {name}")
    options = QUICK if name == "quick" else None
    if options is not None and domains is not None:
        options = only_domains(options, domains)
    # The sets are read before anything runs: missing or bad files end the run at once.
    sets, skipped = (
        hard_sets(domains, None if count is None else check_count("--count", count))
        if hard
        else ({}, [])
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Searches run on one core (the unit the targets are stated in); torch's default of every core
    # stalls badly whenever the machine has other work.
    from qsolve.threads import set_torch_threads

    set_torch_threads(int(os.environ.get("QSOLVE_THREADS", 1)))
    report = Report(name, command or f"qsolve bench {name}")
    if options is not None:
        suite_search(name, options, report, out, cube_scaling=domains is None)
    elif hard:
        suite_hard_sets(name, sets, skipped, report, out, paper_settings=name == "paper")
        if name == "paper" and domains is None:
            rows = [
                lockstep(d, walks(d, depths, 10, seed=5), 100, 0.6, 32)
                for d, depths in LOCKSTEP_WALKS.items()
            ]
            report.add(
                "Many instances at once: lockstep against one at a time",
                rows,
                "random walks from the goal, 10 per depth ("
                + "; ".join(f"{d}: {v}" for d, v in LOCKSTEP_WALKS.items())
                + ")",
            )
    elif name == "profile":
        suite_profile(report, out)
    else:
        from qsolve.bench.peers import suite_peers  # peers needs this module, never the reverse

        suite_peers(report, out)
    return write_report(report, out)
