"""Evaluation during training: solve rates on held-out random walks, metrics.csv and training.png.

Two measures per walk depth: the greedy solve rate (from each state, follow argmin_a Q(s, a) for
at most ``2 * depth + 10`` moves) and the Q* solve rate within a small node budget.  The held-out
states come from a fixed seed, so runs with different training seeds are compared on the same
states.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search import Limits, qstar_search

EVAL_SEED = 987_654_321
GREEDY_STATES = 100  # per depth
QSTAR_STATES = 10  # per depth
QSTAR_NODES = 2_000  # node budget per Q* search
QSTAR_BATCH = 10


def eval_depths(scramble_max: int, count: int = 5) -> list[int]:
    """``count`` walk depths spread over [1, scramble_max]."""
    return sorted({int(d) for d in np.linspace(1, max(1, scramble_max), count).round()})


def greedy_solved(
    domain: Domain, heuristic: Heuristic, states: np.ndarray, max_moves: int
) -> np.ndarray:
    """``[N]`` bool: which states reach the goal by following argmin Q within ``max_moves``."""
    states = states.copy()
    solved = domain.is_goal(states)
    for _ in range(max_moves):
        active = np.flatnonzero(~solved)
        if len(active) == 0:
            break
        actions = np.argmin(heuristic.q_values(states[active]), axis=1)
        states[active] = domain.step(states[active], actions)
        solved[active] = domain.is_goal(states[active])
    return solved


class Evaluator:
    """Held-out random walks of several depths, and the solve rates of a heuristic on them."""

    def __init__(self, domain: Domain, scramble_max: int) -> None:
        self.domain = domain
        self.depths = eval_depths(scramble_max)
        rng = np.random.default_rng(EVAL_SEED)
        self.starts = {d: domain.random_walk(np.full(GREEDY_STATES, d), rng) for d in self.depths}

    @property
    def columns(self) -> list[str]:
        return [f"greedy@{d}" for d in self.depths] + [f"qstar@{d}" for d in self.depths]

    def __call__(self, heuristic: Heuristic) -> dict[str, float]:
        """Solve rates in [0, 1], keyed ``greedy@DEPTH`` and ``qstar@DEPTH``."""
        rates: dict[str, float] = {}
        limits = Limits(max_nodes=QSTAR_NODES)
        for d, states in self.starts.items():
            rates[f"greedy@{d}"] = float(
                greedy_solved(self.domain, heuristic, states, 2 * d + 10).mean()
            )
        for d, states in self.starts.items():
            results = [
                qstar_search(self.domain, heuristic, s, batch_size=QSTAR_BATCH, limits=limits)
                for s in states[:QSTAR_STATES]
            ]
            rates[f"qstar@{d}"] = float(np.mean([r.solved for r in results]))
        return rates


METRIC_COLUMNS = ["step", "seconds", "loss", "examples_per_s", "target_updates"]


def append_metrics(path: Path, row: dict[str, float], columns: list[str]) -> None:
    """Add one row to metrics.csv, writing the header first if the file is new."""
    new = not path.exists()
    with open(path, "a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in columns})


def truncate_metrics(path: Path, step: int) -> None:
    """Drop rows after ``step`` (written after the checkpoint a resumed run starts from), and
    rows that do not parse (a damaged file must not stop a resume)."""
    if not path.exists():
        return
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError, csv.Error):
        rows = []
    if not rows or not rows[0] or rows[0][0] != "step":
        path.unlink()  # no header: nothing in it can be trusted
        return
    kept = [rows[0]]
    for row in rows[1:]:
        row_step = _row_step(row)
        if row_step is not None and row_step <= step:
            kept.append(row)
    with open(path, "w", newline="") as file:
        csv.writer(file).writerows(kept)


def _row_step(row: list[str]) -> float | None:
    try:
        return float(row[0])
    except (IndexError, ValueError):
        return None


def plot_metrics(csv_path: Path, png_path: Path) -> None:
    """training.png: loss (log scale) with the target updates, examples per second, and the solve
    rates, both by walk depth (one curve per evaluation) and against the training step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        return

    def column(key: str) -> np.ndarray:
        return np.array([float(r[key]) if r.get(key) else np.nan for r in rows])

    steps = column("step")
    # The solve-rate columns, "greedy@D" and "qstar@D", by depth D.
    depths = sorted({int(k.split("@")[1]) for k in rows[0] if "@" in k})
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    (ax_loss, ax_speed), (ax_depth, ax_rate) = axes
    loss = column("loss")
    ax_loss.plot(steps, np.where(loss > 0, loss, np.nan), "o-", ms=3, color="C0", label="loss")
    ax_loss.set(xlabel="step", ylabel="loss (log scale)", yscale="log", title="training loss")
    if "target_updates" in rows[0]:
        # metrics.csv counts the target-network updates up to each row: drawn as a staircase on
        # a second axis, with a tick at each row that saw new updates.
        updates = column("target_updates")
        ax_updates = ax_loss.twinx()
        ax_updates.step(steps, updates, where="post", color="0.55", lw=1, label="target updates")
        grew = np.flatnonzero(np.diff(np.concatenate([[0.0], np.nan_to_num(updates)])) > 0)
        ax_updates.plot(steps[grew], updates[grew], "|", color="C3", ms=10, mew=1.5)
        ax_updates.set_ylabel("target network updates (cumulative)", color="0.4")
        ax_updates.set_ylim(bottom=0)
        lines = ax_loss.get_lines() + ax_updates.get_lines()[:1]
        ax_loss.legend(lines, [str(line.get_label()) for line in lines], fontsize=8, loc="best")
    if "examples_per_s" in rows[0]:
        ax_speed.plot(steps, column("examples_per_s"), "o-", ms=3, color="C2")
        ax_speed.set_ylim(bottom=0)
    ax_speed.set(xlabel="step", ylabel="examples per second", title="training speed")
    ax_speed.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))

    # Solve rate by depth: up to six evaluations, from the first (light) to the last (dark).
    picked = np.unique(np.linspace(0, len(rows) - 1, min(6, len(rows))).round().astype(int))
    colours = plt.get_cmap("viridis_r")(np.linspace(0.2, 1.0, len(picked)))
    for colour, i in zip(colours, picked, strict=True):
        for kind, style in (("qstar", "o-"), ("greedy", "s--")):
            values = [float(rows[i][f"{kind}@{d}"] or "nan") for d in depths]
            label = f"step {int(steps[i])}" if kind == "qstar" else None
            ax_depth.plot(depths, values, style, color=colour, ms=3, label=label)
    ax_depth.set(
        xlabel="random-walk depth",
        ylabel="solve rate",
        ylim=(-0.02, 1.02),
        title="solve rate by depth (Q* solid, greedy dashed)",
    )
    if depths:
        ax_depth.legend(fontsize=7)
    depth_colours = plt.get_cmap("plasma")(np.linspace(0.0, 0.85, max(1, len(depths))))
    for colour, d in zip(depth_colours, depths, strict=False):
        ax_rate.plot(steps, column(f"qstar@{d}"), "o-", ms=3, color=colour, label=f"depth {d}")
        ax_rate.plot(steps, column(f"greedy@{d}"), "--", color=colour)
    ax_rate.set(
        xlabel="step",
        ylabel="solve rate",
        ylim=(-0.02, 1.02),
        title="held-out random walks (Q* solid, greedy dashed)",
    )
    if depths:
        ax_rate.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    tmp = png_path.with_name(f".{png_path.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(png_path)
