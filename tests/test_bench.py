"""The benchmark suites' building blocks: ratios from the same instances, reports on disk."""

import csv

import numpy as np
import pytest

import qsolve
from qsolve import bench
from qsolve.errors import QsolveError


def test_lockstep_row_reports_identical_results():
    states = bench.walks("puzzle8", [8, 12], 3, seed=2)
    row = bench.lockstep("puzzle8", states, batch_size=10, weight=0.8, parallel=4)
    assert row["instances"] == 6 and row["identical results"] == "yes"


def test_action_space_rows_divide_meta_by_cube3():
    rows = bench.action_space([2], per_depth=2, batch_size=50, time_limit=30, max_nodes=50_000)
    by_key = {(r["algorithm"], r["domain"]): r for r in rows}
    for algorithm in ("qstar", "astar"):
        small, big = by_key[(algorithm, "cube3")], by_key[(algorithm, "cube3-meta")]
        ratio = by_key[(algorithm, "meta/cube3")]
        assert small["solved %"] == big["solved %"] == 100.0
        assert np.isclose(ratio["mean nodes"], big["mean nodes"] / small["mean nodes"])
    for name in ("cube3", "cube3-meta"):
        ratio = by_key[("astar/qstar", name)]
        a, q = by_key[("astar", name)], by_key[("qstar", name)]
        assert np.isclose(ratio["mean nodes"], a["mean nodes"] / q["mean nodes"])


def test_report_writes_csv_and_markdown(tmp_path):
    report = bench.Report("unit", "qsolve bench unit")
    report.add("a table", [{"x": 1, "y": 2.5}, {"x": 2, "y": float("nan")}], "a note")
    path = bench.write_report(report, tmp_path)
    text = path.read_text()
    assert "qsolve bench unit" in text and "| x | y |" in text and "a note" in text
    with open(tmp_path / "unit-1.csv") as handle:
        assert list(csv.DictReader(handle)) == [{"x": "1", "y": "2.5"}, {"x": "2", "y": "nan"}]


def test_deepcubea_sets_are_read_with_their_optimal_costs(tmp_path, monkeypatch):
    folder = tmp_path / "deepcubea"
    folder.mkdir()
    (folder / "puzzle15.txt").write_text(
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 0 15 1\n1 2 3 4 5 6 7 8 9 10 11 12 13 0 14 15 2\n"
    )
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path))
    states, optimum = bench.read_deepcubea("puzzle15", 5)
    assert states.shape == (2, 16) and optimum.tolist() == [1.0, 2.0]
    later, later_optimum = bench.read_deepcubea("puzzle15", 5, offset=1)
    assert np.array_equal(later, states[1:]) and later_optimum.tolist() == [2.0]
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path / "nowhere"))
    with pytest.raises(QsolveError, match="no DeepCubeA test set"):
        bench.read_deepcubea("puzzle15", 5)


def test_cube3_and_cube3_meta_are_benchmarked_with_networks_of_one_size():
    cube, _ = bench.heuristic_for("cube3")
    meta, _ = bench.heuristic_for("cube3-meta")
    size = (cube.arch.width1, cube.arch.width2, cube.arch.blocks)  # type: ignore[attr-defined]
    assert size == (meta.arch.width1, meta.arch.width2, meta.arch.blocks)  # type: ignore[attr-defined]
    default = qsolve.load_heuristic(None, "cube3")
    assert default.arch.width1 > size[0]  # type: ignore[attr-defined]


def test_domains_limits_a_suite_to_those_domains_q_against_a(tmp_path):
    path = bench.run_bench("quick", tmp_path, "qsolve bench quick --domains puzzle8", ["puzzle8"])
    text = path.read_text()
    assert "| puzzle8 | Q* |" in text and "| puzzle8 | A* |" in text
    assert "| cube2 |" not in text
    assert "Action-space" not in text and "lockstep" not in text
    with pytest.raises(QsolveError, match="not in this suite"):
        bench.run_bench("quick", tmp_path, domains=["cube3-meta"])
    with pytest.raises(QsolveError, match="applies to the quick, paper and deepcubea suites"):
        bench.run_bench("profile", tmp_path, domains=["puzzle8"])
