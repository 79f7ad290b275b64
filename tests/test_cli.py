"""The command line: output formats, and bad input answered with one line and exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from qsolve import api
from qsolve.cli import main
from qsolve.domains import get_domain


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_domains_lists_action_counts(capsys):
    code, out, _ = run(capsys, "domains")
    assert code == 0
    assert "cube3-meta" in out and "1884" in out and "lightsout7" in out
    lightsout5 = next(line for line in out.splitlines() if "lightsout5" in line)
    assert "zero" in lightsout5 and "shipped Q network" in out  # no model: its classical one
    puzzle48 = next(line for line in out.splitlines() if "puzzle48" in line)
    assert "reduced to puzzle35" in puzzle48  # no model, and a smaller puzzle with one


def test_json_solution_replays_to_the_goal(capsys):
    code, out, _ = run(
        capsys,
        "solve",
        "puzzle8",
        "--random-walk",
        "20",
        "--count",
        "3",
        "--seed",
        "4",
        "--heuristic",
        "manhattan",
        "--json",
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    domain = get_domain("puzzle8")
    starts = api.random_walk_instances(domain, 20, 3, seed=4)
    for index, (start, record) in enumerate(zip(starts, lines, strict=True)):
        assert {"solved", "moves", "cost", "nodes_generated", "iterations", "seconds"} <= set(
            record
        )
        assert record["instance"] == index and record["state"] == domain.format_state(start)
        end = domain.apply_moves(start, domain.parse_moves(" ".join(record["moves"])))
        assert (
            record["solved"]
            and domain.is_goal(end[None])[0]
            and record["cost"] == len(record["moves"])
        )


def test_meta_moves_are_reported_in_quarter_turns(capsys):
    code, out, _ = run(
        capsys,
        "solve",
        "cube3-meta",
        "--scramble",
        "R U",
        "--heuristic",
        "zero",
        "--batch-size",
        "200",
        "--json",
    )
    record = json.loads(out)
    assert code == 0 and record["moves"] == ["U'", "R'"] and record["actions"] == ["[U' R']"]


def test_text_output_has_moves_and_statistics(capsys):
    code, out, _ = run(
        capsys, "solve", "cube3", "--scramble", "R U", "--heuristic", "zero", "--batch-size", "50"
    )
    assert code == 0
    assert "U' R'" in out and "nodes/s" in out and "iterations" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["solve", "cube9", "--random-walk", "3"], "unknown domain"),
        (["solve", "puzzle8", "--state", "1 2 3"], "9"),
        (["solve", "puzzle8", "--state", "2 1 3 4 5 6 7 8 0"], "unsolvable"),
        (["solve", "puzzle8", "--state", "1 2 3 4 5 6 7 8 9"], "puzzle8"),
        (["solve", "cube3", "--state", "X" * 54], "unknown colour"),
        (["solve", "cube3", "--scramble", "R Z"], "unknown move"),
        (["solve", "cube3", "--random-walk", "2", "--heuristic", "nonsense"], "unknown heuristic"),
        (["solve", "cube3", "--random-walk", "2", "--heuristic", "manhattan"], "sliding puzzles"),
        (["solve", "puzzle15", "--random-walk", "2", "--heuristic", "oracle"], "oracle"),
        (["solve", "cube3", "--file", "/nonexistent/states.txt"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("qsolve: error:") and message in err
    assert "Traceback" not in err


def test_bad_option_values_exit_2(capsys):
    for argv in (
        ["solve", "cube3", "--random-walk", "2", "--weight", "1.5"],
        ["solve", "cube3", "--random-walk", "-1"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    capsys.readouterr()


def test_file_with_a_bad_line_reports_it_and_goes_on(capsys, tmp_path):
    domain = get_domain("puzzle8")
    good = domain.format_state(domain.random_walk(np.array([6]), np.random.default_rng(0))[0])
    path = tmp_path / "states.txt"
    path.write_text(f"{good} 6\n1 2 3 4 5 6 7 8 8\n\n{good}\n")
    code, out, err = run(
        capsys, "solve", "puzzle8", "--file", str(path), "--heuristic", "manhattan", "--json"
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r.get("solved") for r in records] == [True, None, True]
    assert "states.txt:2:" in err and "states.txt:2:" in records[1]["error"]
    # Without --json too, the bad line is reported and the good lines are still solved.
    code, out, err = run(
        capsys, "solve", "puzzle8", "--file", str(path), "--heuristic", "manhattan"
    )
    assert code == 2 and err.count("\n") == 1 and "states.txt:2:" in err
    assert "line 1:" in out and "line 4:" in out and out.count("solution") == 2


def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path):
    # `| head -1` closes the pipe while solutions are still being printed.
    err = tmp_path / "stderr"
    command = (
        f"{sys.executable} -m qsolve.cli solve puzzle8 --random-walk 10 --count 300 "
        f"--heuristic manhattan --json 2>{err} | head -1"
    )
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True
    )
    assert json.loads(result.stdout)["solved"] is True
    assert err.read_text() == ""
    assert result.returncode in (0, 141)  # 141 when the pipe closed before the last line
