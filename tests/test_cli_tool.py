"""The command line as a tool: exit statuses, JSON rows that name their instance, output paths
checked before any search, Ctrl-C that keeps the page of what was done, random-walk instances
that never undo a move and do not depend on --count, summaries, and the small rules around them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from qsolve import api, cluster, options
from qsolve.cli import TABLES_UP_TO, build_parser, main
from qsolve.domains import get_domain

PUZZLE8 = ["solve", "puzzle8", "--heuristic", "manhattan"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_info:  # argparse: --help, or a bad option
        code = int(exit_info.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("qsolve: error:") and "Traceback" not in err


def states_file(path: Path, texts: list[str]) -> Path:
    path.write_text("\n".join(texts) + "\n")
    return path


def walk_texts(length: int, count: int, seed: int = 0) -> list[str]:
    domain = get_domain("puzzle8")
    return [domain.format_state(s) for s in api.random_walk_instances(domain, length, count, seed)]


# -- exit statuses ---------------------------------------------------------------------------


def test_exit_status_0_when_every_instance_is_solved_1_when_one_is_not(capsys, tmp_path):
    code, out, _ = run(capsys, *PUZZLE8, "--random-walk", "10", "--count", "3", "--json")
    assert code == 0 and [json.loads(line)["solved"] for line in out.splitlines()] == [True] * 3
    # The goal is solved with no node generated past it; a 20-move walk is not, in 50 nodes of
    # breadth-first search.
    path = states_file(tmp_path / "states.txt", ["1 2 3 4 5 6 7 8 0", walk_texts(20, 1)[0]])
    zero = ["solve", "puzzle8", "--file", str(path), "--heuristic", "zero", "--max-nodes", "50"]
    code, out, _ = run(capsys, *zero, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["solved"], r["stop_reason"]) for r in rows] == [
        (True, "solved"),
        (False, "max_nodes"),
    ]
    code, out, _ = run(capsys, *zero)  # the text output says the same
    assert code == 1 and "not solved (max nodes)" in out
    # Through --out (solved here chunk by chunk) too.
    code, out, _ = run(capsys, *zero, "--json", "--out", str(tmp_path / "results.jsonl"))
    assert code == 1 and len(out.splitlines()) == 2


def test_exit_status_2_for_bad_input_even_when_the_other_lines_are_solved(capsys, tmp_path):
    code, out, err = run(capsys, *PUZZLE8, "--state", "1 2 3 4 5 6 7 8 8")
    assert code == 2 and out == "" and one_line_error(err)
    path = states_file(tmp_path / "states.txt", [walk_texts(8, 1)[0], "1 2 3"])
    code, out, err = run(capsys, *PUZZLE8, "--file", str(path), "--json")
    assert code == 2 and one_line_error(err) and "states.txt:2:" in err
    assert [json.loads(line).get("solved") for line in out.splitlines()] == [True, None]
    # Bad input outranks an instance left unsolved.
    code, _, _ = run(capsys, *PUZZLE8, "--file", str(path), "--max-nodes", "1")
    assert code == 2


def test_the_exit_statuses_are_in_the_help(capsys):
    code, out, _ = run(capsys, "solve", "--help")
    assert code == 0
    epilog = out[out.index("exit status:") :]
    for status in ("0 ", "1 ", "2 ", "130 "):
        assert f"\n  {status}" in epilog
    assert "every instance solved" in epilog and "interrupted" in epilog


# -- JSON rows -------------------------------------------------------------------------------


def test_json_rows_carry_the_instance_and_its_state_as_the_out_file_does(capsys, tmp_path):
    texts = walk_texts(12, 3, seed=7)
    texts.insert(1, "1 2 3")  # a bad line: instance 1 is its error
    path = states_file(tmp_path / "states.txt", [t.replace(" ", "  ") for t in texts])
    code, out, _ = run(capsys, *PUZZLE8, "--file", str(path), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r["instance"] for r in rows] == [0, 1, 2, 3]
    assert [r.get("state") for r in rows] == [texts[0], None, texts[2], texts[3]]
    assert rows[1]["source"] == "line 2" and "states.txt:2:" in rows[1]["error"]
    # With --out, the rows on stdout are the lines of the file.
    results = tmp_path / "results.jsonl"
    code, out, _ = run(capsys, *PUZZLE8, "--file", str(path), "--json", "--out", str(results))
    printed = [json.loads(line) for line in out.splitlines()]
    written = [json.loads(line) for line in results.read_text().splitlines()]
    assert code == 2 and written == [printed[0], printed[2], printed[3]]
    assert [r["instance"] for r in written] == [0, 2, 3]
    assert {k: v for k, v in printed[0].items() if k != "seconds"} == {
        k: v for k, v in rows[0].items() if k != "seconds"
    }


def test_a_hash_starts_a_comment_anywhere_in_a_file_line(capsys, tmp_path):
    texts = walk_texts(8, 2, seed=3)
    lines = ["# two walks of 8 moves", f"{texts[0]}  # the first", "   # indented", texts[1]]
    path = states_file(tmp_path / "states.txt", lines)
    code, out, err = run(capsys, *PUZZLE8, "--file", str(path), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    assert [(r["instance"], r["state"], r["solved"]) for r in rows] == [
        (0, texts[0], True),
        (1, texts[1], True),
    ]


def test_a_json_row_is_the_record_of_the_out_file():
    domain = get_domain("puzzle8")
    [result] = api.solve(domain, walk_texts(6, 1), heuristic="manhattan")
    text = walk_texts(6, 1)[0]
    assert cluster.record(4, text, result) == {"instance": 4, "state": text, **result.to_dict()}


# -- output paths, Ctrl-C ----------------------------------------------------------------------


def _no_search(*args: object, **kwargs: object) -> None:
    raise AssertionError("a search ran")


@pytest.mark.parametrize("option", ["--html", "--out"])
def test_output_paths_are_checked_before_any_search(capsys, tmp_path, monkeypatch, option):
    monkeypatch.setattr(api, "solve_iter", _no_search)
    monkeypatch.setattr(api, "solve", _no_search)
    argv = [*PUZZLE8, "--random-walk", "8", "--count", "3"]
    missing = tmp_path / "no-such-folder" / "page.html"
    code, out, err = run(capsys, *argv, option, str(missing))
    assert code == 2 and out == "" and one_line_error(err)
    assert err == f"qsolve: error: cannot write {option} {missing}: no folder {missing.parent}\n"
    (tmp_path / "folder.html").mkdir()
    code, out, err = run(capsys, *argv, option, str(tmp_path / "folder.html"))
    assert code == 2 and one_line_error(err) and "it is a folder" in err
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, *argv, option, str(tmp_path / "file" / "page.html"))
    assert code == 2 and one_line_error(err) and "no folder" in err
    # A path that can be written gets as far as the search.
    with pytest.raises(AssertionError, match="a search ran"):
        main([*argv, option, str(tmp_path / "page.html")])


def test_ctrl_c_writes_the_page_of_the_instances_done_and_exits_130(capsys, tmp_path, monkeypatch):
    solve_iter = api.solve_iter

    def two_then_ctrl_c(*args, **kwargs):
        results = solve_iter(*args, **kwargs)

        def stream():
            yield next(results)
            yield next(results)
            raise KeyboardInterrupt

        return stream()

    monkeypatch.setattr(api, "solve_iter", two_then_ctrl_c)
    page = tmp_path / "page.html"
    code, out, err = run(
        capsys, *PUZZLE8, "--random-walk", "10", "--count", "5", "--html", str(page)
    )
    assert code == 130
    assert err == f"player written to {page}\nqsolve: interrupted\n"
    data = re.search(r'id="player-data">(.*?)</script>', page.read_text(), re.S)
    assert data is not None and len(json.loads(data.group(1))["instances"]) == 2
    assert out.count("solution (") == 2 and "summary" in out


# -- random-walk instances -------------------------------------------------------------------


def test_walk_instances_do_not_depend_on_the_count(capsys):
    argv = [*PUZZLE8, "--random-walk", "14", "--seed", "3", "--json"]
    _, four, _ = run(capsys, *argv, "--count", "4")
    _, thirty, _ = run(capsys, *argv, "--count", "30")
    states = [json.loads(line)["state"] for line in thirty.splitlines()]
    assert [json.loads(line)["state"] for line in four.splitlines()] == states[:4]
    assert len(set(states)) > 20  # and they differ from each other
    domain = get_domain("puzzle8")
    walks = api.random_walk_instances(domain, 14, 30, seed=3)
    assert states == [domain.format_state(s) for s in walks]


def test_show_draws_the_first_instance_of_solve(capsys, tmp_path):
    walk, state = tmp_path / "walk.svg", tmp_path / "state.svg"
    assert main(["show", "puzzle8", "--random-walk", "9", "--seed", "2", "--out", str(walk)]) == 0
    capsys.readouterr()
    _, out, _ = run(capsys, *PUZZLE8, "--random-walk", "9", "--seed", "2", "--count", "3", "--json")
    first = json.loads(out.splitlines()[0])["state"]
    assert main(["show", "puzzle8", "--state", first, "--out", str(state)]) == 0
    assert walk.read_text() == state.read_text()


# -- summaries and progress --------------------------------------------------------------------


def _summary_row(out: str) -> list[str]:
    lines = out[out.index("summary") :].splitlines()
    row = next(line for line in lines if re.match(r"│\s+\d", line))
    return [cell.strip() for cell in row.strip("│").split("│")]


def test_a_summary_follows_more_than_one_instance(capsys):
    argv = [*PUZZLE8, "--random-walk", "12", "--count", "3", "--seed", "1"]
    _, out, _ = run(capsys, *argv, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out.count("heuristic inputs") == 3  # a table per instance
    cost = sum(r["cost"] for r in rows) / 3
    nodes = sum(r["nodes_generated"] for r in rows) / 3
    assert _summary_row(out)[:5] == ["3", "3", "100.0%", f"{cost:.2f}", f"{nodes:,.0f}"]
    code, out, _ = run(capsys, *argv, "--max-nodes", "3")
    assert code == 1 and _summary_row(out)[:4] == ["3", "0", "0.0%", "-"]
    # One instance: no summary; JSON: none on stdout, which stays one object a line.
    _, out, _ = run(capsys, *PUZZLE8, "--random-walk", "12")
    assert "summary" not in out
    _, out, _ = run(capsys, *argv, "--json")
    assert all(json.loads(line) for line in out.splitlines())


def test_many_instances_print_one_line_each_then_the_summary(capsys):
    count = TABLES_UP_TO + 5
    argv = [*PUZZLE8, "--random-walk", "10", "--count", str(count)]
    _, out, _ = run(capsys, *argv, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    code, out, err = run(capsys, *argv)
    lines = out.splitlines()
    assert code == 0 and err == "" and "heuristic inputs" not in out
    for index, (line, row) in enumerate(zip(lines, rows, strict=False)):
        assert line.startswith(
            f"{index} (random walk 10): cost {row['cost']:g}, {row['nodes_generated']:,} nodes, "
        )
        assert line.endswith(": " + " ".join(row["moves"]))
    assert lines[count].strip() == "summary" and _summary_row(out)[:3] == [
        str(count),
        str(count),
        "100.0%",
    ]


def test_a_progress_bar_goes_to_a_terminal_stderr_and_nowhere_else(tmp_path):
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "qsolve.cli", *PUZZLE8, "--random-walk", "10"]
    process = subprocess.Popen(
        [*command, "--count", "30", "--json"],
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(slave)
    terminal = b""
    while True:  # read the terminal as it is written, so that it never fills up
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            terminal += chunk
        elif process.poll() is not None:
            break
    out = process.communicate(timeout=120)[0]
    os.close(master)
    assert process.returncode == 0
    assert [json.loads(line)["instance"] for line in out.decode().splitlines()] == list(range(30))
    assert b"solving" in terminal and b"/30" in terminal
    # Not a terminal: nothing but the results (capsys, pipes and files see no bar).
    piped = subprocess.run([*command, "--count", "3"], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""


# -- small rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [["--state", "1 2 3 4 5 6 7 0 8"], ["--scramble", "R"], ["--file", "states.txt"]],
)
def test_count_goes_with_random_walk_only(capsys, tmp_path, monkeypatch, source):
    monkeypatch.chdir(tmp_path)
    states_file(tmp_path / "states.txt", ["1 2 3 4 5 6 7 0 8"])
    code, out, err = run(capsys, *PUZZLE8, *source, "--count", "3")
    assert code == 2 and out == "" and one_line_error(err)
    assert err.startswith("qsolve: error: --count goes with --random-walk only")
    code, _, _ = run(capsys, *PUZZLE8, *source)
    assert code == 0


def test_qsolve_alone_prints_the_help_that_lists_the_commands(capsys):
    code, out, err = run(capsys)
    assert code == 2 and out == "" and err.startswith("usage: qsolve")
    for command in ("domains", "check-domain", "solve", "bench", "show", "report", "train"):
        assert re.search(rf"^    {command} +\w", err, re.M), command


def test_solve_and_train_take_the_same_devices(capsys):
    choices = {}
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    for name in ("solve", "train"):
        [device] = [a for a in commands.choices[name]._actions if a.dest == "device"]
        choices[name] = tuple(device.choices)
    assert choices == {"solve": options.DEVICES, "train": options.DEVICES}
    code, out, err = run(capsys, *PUZZLE8, "--random-walk", "3", "--device", "tpu")
    assert code == 2 and out == "" and one_line_error(err) and "invalid choice: 'tpu'" in err


def test_the_optimal_option_says_when_it_is_optimal(capsys):
    _, out, _ = run(capsys, "solve", "--help")
    text = " ".join(out.split())
    assert "a shortest solution with --weight 1 and a heuristic that never overestimates" in text


PLUGIN = """
from qsolve.domains import SlidingPuzzle


class Tiles(SlidingPuzzle):
    def __init__(self):
        super().__init__(3)
        self.name = "plugin-tiles"


class Broken(SlidingPuzzle):
    def __init__(self):
        raise RuntimeError("no board today")
"""


def test_domains_loads_installed_domains_and_names_those_that_fail(capsys, tmp_path, monkeypatch):
    (tmp_path / "plugin_tiles_module.py").write_text(PLUGIN)
    info = tmp_path / "plugin_tiles-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-tiles\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[qsolve.domains]\n"
        "plugin-tiles = plugin_tiles_module:Tiles\n"
        "plugin-broken = plugin_tiles_module:Broken\n"
        "plugin-missing = no_such_module_here:Nothing\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = run(capsys, "domains")
    assert code == 0 and err == ""
    rows = {
        cells[0]: cells[1:]
        for line in out.splitlines()
        if line.startswith("│")
        for cells in [[c.strip() for c in line.strip("│").split("│")]]
    }
    assert rows["plugin-tiles"] == [
        "4",
        "9",
        "manhattan (installed: plugin_tiles_module:Tiles)",
    ]
    assert rows["plugin-broken"][:2] == ["-", "-"]
    assert rows["plugin-broken"][2] == (
        "cannot make the domain 'plugin-broken': RuntimeError: no board today"
    )
    assert rows["plugin-missing"][2].startswith(
        "cannot load the domain 'no_such_module_here:Nothing': ModuleNotFoundError"
    )


def test_heuristic_shipped_names_the_shipped_model_even_where_it_is_not_the_default(capsys):
    puzzle8, sokoban = get_domain("puzzle8"), get_domain("sokoban")
    assert api.heuristic_name("shipped", puzzle8) == api.default_heuristic_name(puzzle8)
    assert api.heuristic_name("shipped", puzzle8) == str(api.shipped_model(puzzle8))
    # Sokoban ships a model, but its classical heuristic stays the default (measured faster).
    assert api.default_heuristic_name(sokoban) == "pushes"
    assert api.heuristic_name("shipped", sokoban) == str(api.shipped_model(sokoban))
    assert api.uses_network("shipped", sokoban) and not api.uses_network(None, sokoban)
    code, _, err = run(capsys, "solve", "puzzle48", "--heuristic", "shipped", "--random-walk", "5")
    assert code == 2 and one_line_error(err) and "no model is shipped for puzzle48" in err
