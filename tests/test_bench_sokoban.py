"""benchmarks/sokoban.py on a fake Boxoban folder of 3 corridor levels whose optimal costs are
plain (1, 2 and 3 pushes), so that the tests never need the real levels."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

from qsolve.errors import QsolveError

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "sokoban.py"
LEVELS = ["#####\n#@$.#\n#####", "######\n#@$ .#\n######", "#######\n#@$  .#\n#######"]


@pytest.fixture(scope="module")
def bench():
    if not SCRIPT.is_file():
        pytest.skip("not run from a checkout: no benchmarks/sokoban.py")
    spec = importlib.util.spec_from_file_location("sokoban_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture
def folder(tmp_path):
    """Levels in Boxoban's format (``; N`` then the rows) with their optimal and DeepCubeA costs."""
    text = "".join(f"; {i}\n{level}\n\n" for i, level in enumerate(LEVELS))
    (tmp_path / "unfiltered-test.txt").write_text(text)
    (tmp_path / "optimal-costs.txt").write_text("1\n2\n3\n")
    (tmp_path / "deepcubea-costs.txt").write_text("1\n4\n3\n")
    (tmp_path / "hard.txt").write_text(text)
    return tmp_path


def _result(bench, index, solved, cost, optimum, seconds, nodes=10):
    return bench.Result(
        "test", index, f"level {index}", "pushes", "A*", solved, cost, optimum, optimum + 1,
        nodes, nodes // 2, seconds, "solved" if solved else "time_limit", "",
    )  # fmt: skip


def test_levels_with_their_costs(bench, folder):
    levels = bench.read_levels(folder, "test", count=2, offset=1)
    assert [(lv.index, lv.label, lv.optimum, lv.deepcubea) for lv in levels] == [
        (1, "level 1", 2.0, 4.0),
        (2, "level 2", 3.0, 3.0),
    ]
    assert levels[0].state.shape == (100,)
    hard = bench.read_levels(folder, "hard", count=10)
    assert len(hard) == 3 and all(math.isnan(lv.optimum) for lv in hard)
    with pytest.raises(QsolveError, match="no levels from level 4"):
        bench.read_levels(folder, "test", count=1, offset=3)
    (folder / "optimal-costs.txt").write_text("1\n2\n")
    with pytest.raises(QsolveError, match="2 costs for 3 levels"):
        bench.read_levels(folder, "test", count=1)
    with pytest.raises(QsolveError, match="no Boxoban levels"):
        bench.read_levels(folder / "missing", "test", count=1)


def test_result_rows_round_trip(bench):
    row = _result(bench, 4, False, math.nan, 30.0, 60.0)
    line = row.to_json()
    assert '"cost": null' in line
    back = bench.Result.from_json(line)
    assert math.isnan(back.cost) and back.optimum == 30.0 and back.stop_reason == "time_limit"
    assert back.to_json() == line


def test_summary(bench):
    results = [
        _result(bench, 0, True, 10.0, 10.0, 1.0, nodes=100),
        _result(bench, 1, True, 14.0, 12.0, 3.0, nodes=200),
        _result(bench, 2, False, math.nan, 20.0, 60.0, nodes=300),
    ]
    s = bench.summary(results)
    assert s["solved %"] == pytest.approx(200 / 3)
    assert s["optimal %"] == pytest.approx(100 / 3)
    assert s["mean cost"] == 12.0 and s["optimum"] == 11.0 and s["deepcubea"] == 12.0
    assert s["mean nodes"] == 200.0 and s["median seconds"] == 3.0
    assert (s["slowest seconds"], s["slowest"], s["equal"]) == (60.0, "level 2", 1)
    row = bench.table_row("test", "pushes", "A*", results)
    assert row["levels"] == "1-3 (3)"
    assert row["mean cost / optimum"] == "12.00 / 11.00 (+9.1%)"
    assert row["slowest"] == "60.00 s (level 2)"


def test_optimal_set_end_to_end(bench, folder, capsys):
    jsonl = folder / "rows.jsonl"
    args = ["--sets", "optimal", "--data", str(folder), "--jsonl", str(jsonl)]
    assert bench.main(args) == 0
    rows = bench.read_results([jsonl])
    assert [(r.cost, r.optimum, r.lurd) for r in rows] == [
        (1.0, 1.0, "R"),
        (2.0, 2.0, "RR"),
        (3.0, 3.0, "RRR"),
    ]
    assert "3 of 3 costs equal optimal-costs.txt" in capsys.readouterr().out
    # A cost that differs from the stated optimum fails the optimal set, read back or measured.
    (folder / "optimal-costs.txt").write_text("1\n1\n3\n")
    assert bench.main(["--sets", "optimal", "--data", str(folder)]) == 1
    assert "level 1: 2, not 1" in capsys.readouterr().out
    assert bench.main(["--summarize", str(jsonl)]) == 0


def test_no_model_shipped(bench, folder, capsys, monkeypatch):
    monkeypatch.setattr(bench.qsolve, "shipped_model", lambda domain: None)
    assert bench.main(["--sets", "test", "--data", str(folder)]) == 2
    assert "no sokoban model is shipped" in capsys.readouterr().err
    assert (
        bench.main(["--sets", "test", "hard", "--heuristic", "pushes", "--data", str(folder)]) == 0
    )
    out = capsys.readouterr().out
    assert "| test | pushes | A*, λ = 1, B = 100 | 1-3 (3) | 100.0% | 100.0% |" in out
