"""Solving on Ray: a local Ray with 2 workers gives the single-process results, survives a killed
worker, reports an instance that fails twice, and a rerun with --out skips the solved ones."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from qsolve import api, cluster
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.heuristics import Heuristic, get_heuristic

COUNT = 50


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance with 2 worker CPUs for the module (starting one takes seconds)."""
    ray = pytest.importorskip("ray")
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield ray
    ray.shutdown()


def _states() -> np.ndarray:
    domain = get_domain("puzzle8")
    return domain.random_walk(np.full(COUNT, 40), np.random.default_rng(5))


def _write_states(path: Path, bad_line: bool = False) -> Path:
    domain = get_domain("puzzle8")
    lines = [domain.format_state(s) for s in _states()]
    if bad_line:
        lines.insert(17, "1 2 3")  # not a puzzle8 state: an error line in both runs
    path.write_text("\n".join(lines) + "\n")
    return path


def _without_seconds(lines: list[str]) -> list[dict]:
    records = [json.loads(line) for line in lines]
    for record in records:
        record.pop("seconds", None)
    return records


def _run(capsys, *argv: str) -> tuple[int, list[str], str]:
    status = main(["solve", "puzzle8", *argv])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_without_ray_the_ray_option_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    status, out, err = _run(capsys, "--random-walk", "5", "--heuristic", "manhattan", "--ray")
    assert status == 2 and out == []
    assert (
        err == "qsolve: error: --ray needs Ray, which is not installed: pip install 'qsolve[ray]'\n"
    )


def test_ray_with_two_workers_prints_the_single_process_json(local_ray, tmp_path, capsys):
    states = _write_states(tmp_path / "states.txt", bad_line=True)
    status, single, _ = _run(capsys, "--file", str(states), "--json")  # the shipped network
    ray_status, on_ray, _ = _run(capsys, "--file", str(states), "--json", "--ray")
    assert status == ray_status == 2  # the bad line
    assert len(single) == COUNT + 1 and json.loads(single[17])["source"] == "line 18"
    assert _without_seconds(on_ray) == _without_seconds(single)
    assert sum(json.loads(line).get("solved", False) for line in single) == COUNT


def _killer(marker: Path, loads: Path, target: np.ndarray | None) -> Heuristic:
    """Manhattan distance that SIGKILLs its worker process: the first time anyone calls it
    (``target`` None), or whenever it is asked about ``target``.  Each unpickling, that is each
    load in a worker, appends the worker's pid to ``loads``.  Defined here, so that Ray ships the
    class by value."""

    class Killer(Heuristic):
        def __init__(self) -> None:
            super().__init__(get_domain("puzzle8"))
            self.inner = get_heuristic("manhattan", self.domain)

        def __setstate__(self, state: dict) -> None:
            self.__dict__.update(state)
            with open(loads, "a") as file:
                file.write(f"{os.getpid()}\n")

        def q_values(self, states: np.ndarray) -> np.ndarray:
            if target is None:
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    pass
                else:
                    os.kill(os.getpid(), signal.SIGKILL)
            elif (states == target).all(axis=1).any():
                os.kill(os.getpid(), signal.SIGKILL)
            return self.inner.q_values(states)

    return Killer()


def _reference() -> list[dict]:
    results = api.solve("puzzle8", _states(), heuristic="manhattan", parallel=32)
    return _without_seconds([json.dumps(r.to_dict()) for r in results])


def test_a_killed_worker_still_yields_every_result_and_workers_load_the_heuristic_once(
    local_ray, tmp_path
):
    killer = _killer(tmp_path / "killed", tmp_path / "loads", None)
    outcomes = dict(
        cluster.solve_stream(get_domain("puzzle8"), _states(), killer, chunk_size=5, time_limit=60)
    )
    assert (tmp_path / "killed").exists()  # a worker died mid-run
    assert sorted(outcomes) == list(range(COUNT))
    assert all(not isinstance(o, str) for o in outcomes.values()), outcomes
    results = [json.dumps(outcomes[i].to_dict()) for i in range(COUNT)]  # type: ignore[union-attr]
    assert _without_seconds(results) == _reference()
    pids = (tmp_path / "loads").read_text().split()
    assert len(pids) == len(set(pids)) < COUNT // 5  # once per worker process, not per chunk


def test_an_instance_that_fails_twice_is_an_error_and_the_others_are_solved(local_ray, tmp_path):
    bad = 13
    killer = _killer(tmp_path / "unused", tmp_path / "loads", _states()[bad])
    outcomes = dict(
        cluster.solve_stream(get_domain("puzzle8"), _states(), killer, chunk_size=10, time_limit=60)
    )
    assert sorted(outcomes) == list(range(COUNT))
    assert isinstance(outcomes[bad], str) and outcomes[bad].startswith("failed 2 times")
    reference = _reference()
    for i in set(range(COUNT)) - {bad}:
        assert _without_seconds([json.dumps(outcomes[i].to_dict())]) == [reference[i]]  # type: ignore[union-attr]


def test_a_rerun_with_the_same_out_file_solves_only_the_missing_instances(
    local_ray, tmp_path, capsys
):
    states = _write_states(tmp_path / "states.txt")
    results = tmp_path / "results.jsonl"
    argv = ["--file", str(states), "--heuristic", "manhattan", "--json", "--ray", "--out"]
    status, first, _ = _run(capsys, *argv, str(results))
    assert status == 0 and len(first) == COUNT
    written = results.read_text().splitlines(keepends=True)
    assert sorted(json.loads(line)["instance"] for line in written) == list(range(COUNT))
    # A run stopped after 20 results, in the middle of writing the 21st.
    results.write_text("".join(written[:20]) + written[20][:15])
    status, again, _ = _run(capsys, *argv, str(results))
    assert status == 0
    assert _without_seconds(again) == _without_seconds(first)
    rewritten = results.read_text().splitlines(keepends=True)
    assert len(rewritten) == COUNT and rewritten[:20] == written[:20]  # 30 solved, 20 kept
    # The file of another input is refused, before any solving.
    other = tmp_path / "other.txt"
    other.write_text("1 2 3 4 5 6 7 0 8\n")
    status, out, err = _run(capsys, "--file", str(other), "--ray", "--out", str(results))
    assert status == 2 and out == []
    assert "holds a result for another input" in err and err.count("\n") == 1


def test_out_without_ray_solves_here_and_a_rerun_skips_what_the_file_holds(tmp_path, capsys):
    states = _write_states(tmp_path / "states.txt", bad_line=True)
    argv = ["--file", str(states), "--heuristic", "manhattan", "--json"]
    status, plain, _ = _run(capsys, *argv)
    results = tmp_path / "results.jsonl"
    out_status, first, _ = _run(capsys, *argv, "--out", str(results))
    assert status == out_status == 2  # the bad line, reported by both
    assert _without_seconds(first) == _without_seconds(plain)
    written = results.read_text().splitlines(keepends=True)
    assert len(written) == COUNT  # every solved instance; the bad line is no result
    results.write_text("".join(written[:7]))
    _, again, _ = _run(capsys, *argv, "--out", str(results))
    assert _without_seconds(again) == _without_seconds(plain)
    assert results.read_text().splitlines(keepends=True)[:7] == written[:7]
    assert len(results.read_text().splitlines()) == COUNT
    status, out, err = _run(capsys, *argv, "--out", str(tmp_path / "no-such-folder" / "r.jsonl"))
    assert status == 2 and out == []
    assert err.startswith("qsolve: error: cannot write --out") and err.count("\n") == 1
