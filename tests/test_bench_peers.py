"""The qsolve side of the race against DeepXube (``qsolve bench peers``), on a budget of seconds.

DeepXube itself is not needed here: its side runs only in the benchmark, in its own environment.
"""

import numpy as np
import pytest

from qsolve.bench.peers import (
    DEEPXUBE,
    Race,
    check_solutions,
    race_rows,
    race_sets,
    solve_qsolve,
    train_qsolve,
)
from qsolve.domains import get_domain
from qsolve.errors import QsolveError

ROW_FIELDS = [
    "domain",
    "set",
    "tool",
    "instances",
    "solved %",
    "mean cost",
    "mean cost, both solved",
    "mean nodes",
    "mean seconds",
]


@pytest.fixture
def deepcubea(tmp_path, monkeypatch):
    folder = tmp_path / "benchmarks" / "deepcubea"
    folder.mkdir(parents=True)
    # The blank moved 1, 2 and 3 times in one direction: the Manhattan distance (a lower bound)
    # equals the moves made, so the optimal costs are 1, 2 and 3.
    domain = get_domain("puzzle15")
    goal = domain.goal_states(1)[0]
    name = next(
        n
        for n in domain.action_names
        if domain.applicable(goal[None])[0, domain.action_names.index(n)]
    )
    lines = []
    for cost in (1, 2, 3):
        state = domain.apply_moves(goal, domain.parse_moves(" ".join([name] * cost)))
        lines.append(" ".join(map(str, state.tolist())) + f" {cost}")
    (folder / "puzzle15.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path / "benchmarks"))


def test_race_sets_are_the_issue_sets_and_reproducible():
    race = Race(cube3_per_depth=2)
    sets = race_sets("cube3", race)
    assert [label for label, _ in sets] == ["walks of 10", "walks of 14", "walks of 18"]
    assert all(states.shape == (2, 54) for _, states in sets)
    again = race_sets("cube3", race)
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(sets, again, strict=True))


def test_qsolve_side_trains_solves_and_its_solutions_replay(tmp_path, deepcubea):
    race = Race(
        minutes=2 / 60,
        hidden=32,
        blocks=1,
        puzzle15_count=3,
        batch_size=10,
        seconds=5.0,
        max_nodes=20_000,
    )
    summary = train_qsolve("puzzle15", tmp_path / "model", race)
    assert summary.step >= 1 and summary.seconds <= 60
    assert (tmp_path / "model" / "config.json").is_file()
    sets = race_sets("puzzle15", race)
    assert [label for label, _ in sets] == ["DeepCubeA 1-3"]

    from qsolve.api import load_heuristic

    heuristic = load_heuristic(tmp_path / "model", "puzzle15", device="cpu")
    ours = solve_qsolve("puzzle15", heuristic, sets, race)
    assert len(ours) == 1 and len(ours[0]) == 3
    # Walks of 1-3 moves: Q* with any heuristic finds them well within the budget.
    assert all(r["solved"] for r in ours[0])
    assert [r["cost"] for r in ours[0]] == [1, 2, 3]
    check_solutions("puzzle15", sets, ours, ours[0])  # replays every solution to the goal

    broken = [dict(r) for r in ours[0]]
    broken[2]["moves"] = broken[2]["moves"][:-1]
    with pytest.raises(RuntimeError, match=r"DeepXube 0\.3\.2 reported a puzzle15 solution"):
        check_solutions("puzzle15", sets, ours, broken)

    theirs = [dict(r) for r in ours[0]]
    theirs[0].update(solved=False, cost=None, moves=None)
    rows = race_rows("puzzle15", "DeepCubeA 1-3", ours[0], theirs)
    assert [list(row) for row in rows] == [ROW_FIELDS] * 3
    assert [row["tool"] for row in rows] == ["qsolve", DEEPXUBE, f"qsolve / {DEEPXUBE}"]
    mine, other, ratio = rows
    assert mine["solved %"] == 100.0 and other["solved %"] == pytest.approx(200 / 3)
    assert ratio["solved %"] == pytest.approx(1.5)
    assert mine["mean cost"] == 2.0 and other["mean cost"] == 2.5
    assert mine["mean cost, both solved"] == other["mean cost, both solved"] == 2.5
    assert ratio["mean nodes"] == pytest.approx(mine["mean nodes"] / other["mean nodes"])

    # DeepXube solving none: qsolve's solve rate is infinitely higher, its costs compare to nothing.
    none = [dict(r, solved=False, cost=None, moves=None) for r in ours[0]]
    ratio = race_rows("puzzle15", "DeepCubeA 1-3", ours[0], none)[2]
    assert ratio["solved %"] == float("inf") and np.isnan(ratio["mean cost"])
    assert np.isnan(ratio["mean cost, both solved"])


def test_race_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("QSOLVE_PEERS_TRAIN_MINUTES", "2.5")
    monkeypatch.setenv("QSOLVE_PEERS_SOLVE_SECONDS", "4")
    monkeypatch.setenv("QSOLVE_PEERS_HIDDEN", "64")
    race = Race.from_env()
    assert (race.minutes, race.seconds, race.hidden, race.blocks) == (2.5, 4.0, 64, 2)
    monkeypatch.delenv("QSOLVE_PEERS_TRAIN_MINUTES")
    monkeypatch.setenv("QSOLVE_PEERS_SECONDS", "90")
    assert Race.from_env().minutes == 1.5
    monkeypatch.setenv("QSOLVE_PEERS_HIDDEN", "wide")
    with pytest.raises(QsolveError, match="QSOLVE_PEERS_HIDDEN must be a positive int, not 'wide'"):
        Race.from_env()


def test_deepxube_flops_count_its_resnet_fc_layers():
    from qsolve.bench.peers import deepxube_flops_per_state

    # one-hot input (cube3: 54 stickers x 6 colours; puzzle15: 16 tiles x 16 values) -> H,
    # two residual blocks of two H x H layers, H -> one output per action
    assert deepxube_flops_per_state("cube3", 500, 2) == 2 * (324 * 500 + 4 * 500**2 + 500 * 12)
    assert deepxube_flops_per_state("puzzle15", 500, 2) == 2 * (256 * 500 + 4 * 500**2 + 500 * 4)


def test_throughput_rows_keep_each_tools_fastest_round(tmp_path, monkeypatch):
    """The throughput table with a stand-in for DeepXube's driver: the tools take turns, each
    tool's fastest round is kept, and the network columns come from the engine's clock."""
    import torch

    from qsolve.bench import peers
    from qsolve.networks import Architecture, ResidualMLP
    from qsolve.training.checkpoint import save_model

    domain = get_domain("puzzle8")
    torch.manual_seed(0)
    model = ResidualMLP(Architecture(domain.encoding_dim, 4, 32, 16, 1))
    config = {"format": "qsolve-model/1", "domain": "puzzle8", "kind": "q"}
    (tmp_path / "model").mkdir()
    save_model(tmp_path / "model", model, config | {"architecture": model.arch.to_dict()})
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(peers, "PER_DEPTH", 1)
    monkeypatch.setattr(peers, "fp32_peak_runs", lambda arch, batch: {"none": lambda: None})

    class StandIn:
        """DeepXube's driver answering with 2.0 s, then 1.0 s, then 4.0 s for 1,000 nodes."""

        def __init__(self):
            self.seconds = iter([2.0, 1.0, 4.0] * 2)
            self.jobs = []

        def run(self, job, timeout):
            self.jobs.append(job)
            n = len(job["states"])
            return {
                "instances": [{"solved": True, "cost": 1.0}] * n,
                "nodes_generated": 1000,
                "seconds": next(self.seconds),
                "network_seconds": 0.5 if job["heuristic"] != "zero" else 0.0,
                "network_states": 900 if job["heuristic"] != "zero" else 0,
            }

    driver = StandIn()
    rows = peers.throughput_rows(
        "puzzle8", [1, 2], tmp_path / "model", driver, "dx.pt", Race(hidden=32, blocks=1), 3
    )
    assert len(driver.jobs) == 6  # three rounds per heuristic
    assert {job["batch_size"] for job in driver.jobs} == {100}
    by_tool = {(row["heuristic"], row["tool"]): row for row in rows}
    for heuristic in ("zero", "trained network"):
        theirs = by_tool[heuristic, DEEPXUBE]
        assert theirs["nodes/s"] == 1000.0  # the fastest of 2, 1 and 4 seconds
        ours = by_tool[heuristic, "qsolve"]
        ratio = by_tool[heuristic, "qsolve / DeepXube"]
        assert ratio["nodes/s"] == pytest.approx(ours["nodes/s"] / 1000.0)
        assert ours["solved %"] == 100.0
    network = by_tool["trained network", "qsolve"]
    assert 0 < network["network %"] <= 100 and network["states evaluated"] > 0
    assert network["% of fp32 peak"] > 0
    theirs = by_tool["trained network", DEEPXUBE]
    assert theirs["network %"] == 50.0  # 0.5 of its fastest round's 1.0 s
    flops = peers.deepxube_flops_per_state("puzzle8", 32, 1)
    assert theirs["network GFLOP/s"] == pytest.approx(900 * flops / 0.5 / 1e9)
    assert np.isnan(by_tool["zero", "qsolve"]["network %"])
