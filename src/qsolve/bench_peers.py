"""The ``peers`` suite: qsolve and DeepXube 0.3.2 side by side on this machine, in one run.

DeepXube runs in its own virtual environment through ``benchmarks/peers/deepxube_driver.py``
(one JSON job in, one JSON line out); both tools get the same start states, the same network
size (DeepXube's ``resnet_fc`` with hidden width H and B residual blocks; qsolve's residual MLP
with both widths H and B blocks) and the same wall-clock training budget.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qsolve.api import load_heuristic, solve
from qsolve.bench import Report, Row, walks

# Held-out walk depths where networks trained for minutes on a CPU solve a fair share.
DOMAINS = {"puzzle15": [5, 10, 15], "cube3": [2, 3, 4]}
PER_DEPTH = 3
TIME_LIMIT = 5.0  # seconds per instance
MAX_NODES = 100_000


def _driver(python: Path, driver: Path, job: dict[str, Any], timeout: float) -> dict[str, Any]:
    completed = subprocess.run(
        [str(python), str(driver), json.dumps(job)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"DeepXube driver failed: {tail[0]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_peers(
    report: Report,
    out: Path,
    python: Path,
    driver: Path,
    seconds: float | None = None,
    hidden: int | None = None,
    blocks: int | None = None,
) -> None:
    """Train both tools for the same budget, then compare solve rates and search throughput."""
    seconds = seconds or float(os.environ.get("QSOLVE_PEERS_SECONDS", 300))
    hidden = hidden or int(os.environ.get("QSOLVE_PEERS_HIDDEN", 500))
    blocks = blocks or int(os.environ.get("QSOLVE_PEERS_BLOCKS", 2))
    from qsolve.training import train

    training: list[Row] = []
    solving: list[Row] = []
    speed: list[Row] = []
    for domain_name, depths in DOMAINS.items():
        folder = out / f"peers-qsolve-{domain_name}"
        if folder.exists():
            shutil.rmtree(folder)  # a fresh run for the same budget
        summary = train(
            domain_name,
            folder,
            progress=False,
            minutes=seconds / 60,
            width1=hidden,
            width2=hidden,
            blocks=blocks,
            eval_every=10**9,
            threads=os.cpu_count(),
        )
        dx_folder = out / f"peers-deepxube-{domain_name}"
        if dx_folder.exists():
            shutil.rmtree(dx_folder)
        dx = _driver(
            python,
            driver,
            {
                "domain": domain_name,
                "mode": "train",
                "hidden": hidden,
                "blocks": blocks,
                "seconds": seconds,
                "out": str(dx_folder),
                "threads": os.cpu_count(),
            },
            timeout=seconds * 4 + 600,
        )
        training.append(
            {
                "domain": domain_name,
                "tool": "qsolve",
                "H": hidden,
                "blocks": blocks,
                "seconds": summary.seconds,
                "examples/s": summary.examples_per_s,
            }
        )
        training.append(
            {
                "domain": domain_name,
                "tool": "DeepXube 0.3.2",
                "H": hidden,
                "blocks": blocks,
                "seconds": dx["seconds"],
                "examples/s": dx["examples_per_s"],
            }
        )
        training.append(
            {
                "domain": domain_name,
                "tool": "qsolve / DeepXube",
                "H": hidden,
                "blocks": blocks,
                "seconds": float("nan"),
                "examples/s": summary.examples_per_s / max(dx["examples_per_s"], 1e-9),
            }
        )

        states = walks(domain_name, depths, PER_DEPTH, seed=21)
        # Search on one core for both tools: torch's default of every core stalls badly when the
        # machine has other work, and one core is the unit the targets are stated in.
        torch.set_num_threads(1)
        network = load_heuristic(folder, domain_name, device="cpu")
        int8 = load_heuristic(folder, domain_name, device="cpu", precision="int8")
        for heuristic_label, ours, theirs in (
            ("zero", {"qsolve": "zero"}, "zero"),
            (
                "trained network",
                {"qsolve": network, "qsolve int8": int8},
                dx["checkpoint"],
            ),
        ):
            batch_size, weight = (100, 1.0) if heuristic_label == "zero" else (100, 0.6)
            limit = TIME_LIMIT
            ours_rows = []
            for tool, heuristic in ours.items():
                # An untimed warm-up, as the DeepXube driver does: first calls pay one-time costs.
                solve(domain_name, states[:1], heuristic=heuristic, batch_size=batch_size)
                results = solve(
                    domain_name,
                    states,
                    heuristic=heuristic,
                    batch_size=batch_size,
                    weight=weight,
                    time_limit=limit,
                    max_nodes=MAX_NODES,
                )
                q_nodes = sum(r.nodes_generated for r in results)
                q_seconds = sum(r.seconds for r in results)
                solved = [r for r in results if r.solved]
                ours_rows.append(
                    {
                        "domain": domain_name,
                        "heuristic": heuristic_label,
                        "tool": tool,
                        "B": batch_size,
                        "λ": weight,
                        "solved %": 100 * len(solved) / len(results),
                        "mean cost": float(np.mean([r.cost for r in solved]))
                        if solved
                        else float("nan"),
                        "nodes": q_nodes,
                        "seconds": q_seconds,
                        "nodes/s": q_nodes / q_seconds,
                    }
                )
            theirs_out = _driver(
                python,
                driver,
                {
                    "domain": domain_name,
                    "mode": "search",
                    "hidden": hidden,
                    "blocks": blocks,
                    "heuristic": theirs,
                    "states": states.tolist(),
                    "batch_size": batch_size,
                    "weight": weight,
                    "seconds": limit,
                    "max_nodes": MAX_NODES,
                    "stop": "first_goal",
                    "threads": 1,
                },
                timeout=limit * len(states) * 3 + 300,
            )
            dx_instances = theirs_out["instances"]
            dx_costs = [r["cost"] for r in dx_instances if r["solved"] and r["cost"] is not None]
            theirs_row = {
                "domain": domain_name,
                "heuristic": heuristic_label,
                "tool": "DeepXube 0.3.2",
                "B": batch_size,
                "λ": weight,
                "solved %": 100 * np.mean([r["solved"] for r in dx_instances]),
                "mean cost": float(np.mean(dx_costs)) if dx_costs else float("nan"),
                "nodes": theirs_out["nodes_generated"],
                "seconds": theirs_out["seconds"],
                "nodes/s": theirs_out["nodes_per_s"],
            }
            if heuristic_label == "trained network":
                solving.extend([*ours_rows, theirs_row])
            speed.extend([*ours_rows, theirs_row])
            for row in ours_rows:
                speed.append(
                    {
                        **row,
                        "tool": f"{row['tool']} / DeepXube",
                        "solved %": float("nan"),
                        "mean cost": float("nan"),
                        "nodes": float("nan"),
                        "seconds": float("nan"),
                        "nodes/s": row["nodes/s"] / max(theirs_row["nodes/s"], 1e-9),
                    }
                )
    note = f"each tool trained for {seconds:g} s of wall clock on this machine, networks of hidden width {hidden} and {blocks} residual blocks"
    report.add("Training throughput (trained state-action pairs per second)", training, note)
    report.add(
        "Solve rate after the same training budget, same held-out random walks",
        solving,
        f"{PER_DEPTH} walks per depth {DOMAINS}; Q*, first goal ends the search; {TIME_LIMIT:g} s and {MAX_NODES:,} nodes per instance",
    )
    report.add(
        "Search throughput: Q* nodes generated per second, same instances, B and λ",
        speed,
        "zero: both with an equally cheap heuristic (Q = action cost), isolating the search machinery",
    )
