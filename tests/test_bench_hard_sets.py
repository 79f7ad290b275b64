"""The paper and deepcubea suites on DeepCubeA-format sets: a small fake folder of states whose
optimal costs are known exactly, so that the tests never need the real sets."""

import csv

import numpy as np
import pytest

import qsolve
from qsolve import bench, cli
from qsolve.bench import suites
from qsolve.errors import QsolveError


def _optimal_costs(domain_name: str, states: np.ndarray, heuristic: str) -> list[float]:
    """Exact optimal costs: A* with λ = 1, run past the first goal, with an admissible heuristic."""
    results = qsolve.solve(
        domain_name, states, heuristic=heuristic, algorithm="astar", optimal=True
    )
    assert all(r.solved for r in results)
    return [r.cost for r in results]


@pytest.fixture(scope="module")
def fake_sets(tmp_path_factory):
    """$QSOLVE_BENCHMARKS/deepcubea with 3 states per set, each line a state and its optimum."""
    root = tmp_path_factory.mktemp("benchmarks")
    folder = root / "deepcubea"
    folder.mkdir()
    rng = np.random.default_rng(7)
    sets = {}
    cube = qsolve.domain("cube3")
    # Walks of 1 to 3 quarter turns; the zero heuristic makes A* a breadth-first search.
    states = cube.random_walk(np.array([1, 2, 3]), rng)
    sets["cube3"] = (cube, states, _optimal_costs("cube3", states, "zero"))
    puzzle = qsolve.domain("puzzle15")
    states = puzzle.random_walk(np.array([4, 6, 8]), rng)
    sets["puzzle15"] = (puzzle, states, _optimal_costs("puzzle15", states, "manhattan"))
    # A Lights Out board made by pressing k distinct buttons needs exactly k presses (the 7x7
    # press matrix is invertible over GF(2)).
    lights = qsolve.domain("lightsout7")
    boards = np.stack([lights.apply_moves(lights.goal, [3, 17, 40][:k]) for k in (1, 2, 3)])
    assert lights.optimal_cost(boards).tolist() == [1, 2, 3]
    sets["lightsout7"] = (lights, boards, [1.0, 2.0, 3.0])
    for name, (domain, states, costs) in sets.items():
        lines = [f"{domain.format_state(s)} {c:g}" for s, c in zip(states, costs, strict=True)]
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return root, {name: costs for name, (_, _, costs) in sets.items()}


@pytest.fixture
def benchmarks(fake_sets, monkeypatch):
    root, costs = fake_sets
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(root))
    return costs


def _table(folder, suite, number):
    with open(folder / f"{suite}-{number}.csv") as handle:
        return list(csv.DictReader(handle))


def test_fake_sets_read_back_with_their_optimal_costs(benchmarks):
    sets, skipped = suites.hard_sets(["cube3", "cube3-meta", "puzzle15", "lightsout7"], 2)
    assert skipped == []
    for name, (states, optimum) in sets.items():
        assert len(states) == 2
        assert optimum.tolist() == benchmarks[suites.HARD_SETS[name].file][:2]
    assert np.array_equal(sets["cube3"][0], sets["cube3-meta"][0])  # the same states


def test_deepcubea_suite_runs_each_model_with_its_recommended_search(benchmarks, tmp_path):
    path = bench.run_bench("deepcubea", tmp_path, domains=["puzzle15", "lightsout7"], count=2)
    rows = _table(tmp_path, "deepcubea", 1)
    assert [(r["domain"], r["algorithm"]) for r in rows] == [
        ("puzzle15", "Q*"),
        ("puzzle15", "A*"),
        ("lightsout7", "Q*"),
        ("lightsout7", "A*"),
    ]
    for row in rows:
        h = qsolve.load_heuristic(None, row["domain"])
        assert (int(row["B"]), float(row["λ"])) == suites.recommended_search(h).setting
        assert row["instances"] == "2"
        optimum = benchmarks[row["domain"]][:2]
        if row["solved %"] == "100.0":  # then the gap is over both states
            assert float(row["cost gap"]) == pytest.approx(
                float(row["mean cost"]) - np.mean(optimum)
            )
            assert (float(row["optimal %"]) == 100.0) == (float(row["cost gap"]) == 0.0)
    assert "Q* against A* on the DeepCubeA test sets" in path.read_text()


def test_a_model_that_recommends_beam_search_is_run_with_it(benchmarks, tmp_path, monkeypatch):
    beam = qsolve.load_heuristic("manhattan", "puzzle15")
    beam.search_defaults = {"algorithm": "beam", "beam_width": 20}
    recommended = suites.recommended_search(beam)
    assert recommended == suites.Recommended("beam", 1, 1.0, 20)
    assert suites.recommended_search(qsolve.load_heuristic("manhattan", "puzzle15")) == (
        suites.Recommended("qstar", 1, 1.0)
    )
    monkeypatch.setattr(suites, "load_heuristic", lambda spec, name: beam)
    path = bench.run_bench("deepcubea", tmp_path, domains=["puzzle15"], count=2)
    rows = _table(tmp_path, "deepcubea", 1)
    assert [(r["algorithm"], r["B"]) for r in rows] == [("Q*", "1"), ("A*", "1"), ("beam", "20")]
    states, _ = suites.hard_sets(["puzzle15"], 2)[0]["puzzle15"]
    expected = qsolve.solve("puzzle15", states, heuristic=beam, algorithm="beam", beam_width=20)
    assert float(rows[2]["mean cost"]) == pytest.approx(np.mean([r.cost for r in expected]))
    assert "puzzle15 beam search, width 20" in path.read_text()


def test_paper_suite_compares_cube3_and_cube3_meta_on_the_same_states(benchmarks, tmp_path):
    path = bench.run_bench("paper", tmp_path, domains=["cube3", "cube3-meta"], count=2)
    # The shipped cube3 and cube3-meta networks have one trunk size: the action space differs.
    assert "networks of one size, so the ratios measure the action space" in path.read_text()
    rows = _table(tmp_path, "paper", 1)
    settings = {(r["domain"], int(r["B"]), float(r["λ"])) for r in rows}
    ran = {}
    for name in ("cube3", "cube3-meta"):
        recommended = suites.recommended_search(qsolve.load_heuristic(None, name)).setting
        ran[name] = {recommended, *suites.PAPER_SETTINGS}
        for batch_size, weight in ran[name]:
            assert (name, batch_size, weight) in settings
    scaling = _table(tmp_path, "paper", 3)
    common = ran["cube3"] & ran["cube3-meta"]  # every paper setting, and a shared recommended one
    assert {(int(r["B"]), float(r["λ"])) for r in scaling} == common
    for batch_size, weight in common:
        at = {
            (r["algorithm"], r["domain"]): r
            for r in scaling
            if (int(r["B"]), float(r["λ"])) == (batch_size, weight)
        }
        for algorithm in ("qstar", "astar"):
            small, big = at[(algorithm, "cube3")], at[(algorithm, "cube3-meta")]
            ratio = at[(algorithm, "meta/cube3")]
            if small["solved %"] == big["solved %"] == "100.0":
                assert float(ratio["mean nodes"]) == pytest.approx(
                    float(big["mean nodes"]) / float(small["mean nodes"])
                )


def test_a_ratio_with_no_instance_solved_by_both_says_so():
    states = bench.walks("puzzle8", [12], 2, seed=1)
    _, ratios, _ = bench.q_vs_a("puzzle8", states, [(1, 1.0)], 10.0, 1, with_v=False)
    [ratio] = ratios
    assert ratio["both solved"] == 0 and np.isnan(ratio["nodes A*/Q*"])
    assert ratio["note"] == "no ratio: none of the 2 instances solved by both"


@pytest.mark.parametrize("suite", ["paper", "deepcubea"])
def test_missing_sets_are_one_line_and_status_2(suite, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path / "nowhere"))
    out = tmp_path / "out"
    assert cli.main(["bench", suite, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qsolve: error: no DeepCubeA test sets at") and err.count("\n") == 1
    assert "QSOLVE_BENCHMARKS" in err and not out.exists()


def test_quick_runs_without_the_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path / "nowhere"))
    path = bench.run_bench("quick", tmp_path, domains=["puzzle8"])
    assert "| puzzle8 | Q* |" in path.read_text()


def test_bad_suite_options_are_refused(benchmarks, tmp_path):
    with pytest.raises(QsolveError, match="has no DeepCubeA set"):
        bench.run_bench("paper", tmp_path, domains=["puzzle8"])
    with pytest.raises(QsolveError, match="--count applies to the paper and deepcubea"):
        bench.run_bench("quick", tmp_path, count=3)
    # puzzle24 has a shipped model, but the fake folder has no puzzle24 set.
    with pytest.raises(QsolveError, match=r"no DeepCubeA test set at"):
        bench.run_bench("deepcubea", tmp_path, domains=["puzzle24"])


def test_a_damaged_set_is_one_error(tmp_path, monkeypatch):
    (tmp_path / "deepcubea").mkdir()
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path))
    (tmp_path / "deepcubea" / "lightsout7.txt").write_text("0101 3\n")
    with pytest.raises(QsolveError, match="a state and its optimal cost"):
        bench.read_deepcubea("lightsout7", 5)
    (tmp_path / "deepcubea" / "lightsout7.txt").write_text("\n")
    with pytest.raises(QsolveError, match="no states"):
        bench.read_deepcubea("lightsout7", 5)


@pytest.mark.parametrize("argv", [["deepcubea", "--count", "0"], ["quick", "--count", "3"]])
def test_bad_count_on_the_command_line_is_one_line(argv, benchmarks, tmp_path, capsys):
    try:
        code = cli.main(["bench", *argv, "--out", str(tmp_path / "out")])
    except SystemExit as stop:  # refused by the argument parser itself
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("qsolve: error:") and err.count("\n") == 1 and "--count" in err


def test_a_set_without_optima_reads_deepcubeas_costs_as_its_reference(tmp_path, monkeypatch):
    folder = tmp_path / "deepcubea"
    folder.mkdir()
    puzzle = qsolve.domain("puzzle35")
    states = puzzle.random_walk(np.array([3, 5, 7]), np.random.default_rng(2))
    (folder / "puzzle35.txt").write_text("".join(f"{puzzle.format_state(s)}\n" for s in states))
    (folder / "puzzle35-deepcubea-costs.txt").write_text("3\n5\n7\n")
    monkeypatch.setenv("QSOLVE_BENCHMARKS", str(tmp_path))
    got, costs, kind = bench.read_reference_set("puzzle35", 2, 1)
    assert np.array_equal(got, states[1:]) and costs.tolist() == [5.0, 7.0] and kind == "DeepCubeA"
    (folder / "puzzle35-deepcubea-costs.txt").write_text("3\n5\n")
    with pytest.raises(QsolveError, match="2 costs for 3 states"):
        bench.read_reference_set("puzzle35", 3)
