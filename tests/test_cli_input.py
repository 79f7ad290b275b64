"""The solve side of the command line under bad input: every bad option is one line and exit
status 2, limits hold while the instances are made, --file reports bad lines by number and still
solves the good ones, and damaged model configs or oracle caches are not used."""

import json
import shutil
import time

import numpy as np
import pytest

from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics.oracle import Oracle, breadth_first_distances

PUZZLE8 = ["solve", "puzzle8", "--heuristic", "manhattan"]


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_info:  # argparse (--help, or a bad option)
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("qsolve: error:") and "Traceback" not in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--random-walk", "5", "--seed", "-1"],
        ["--random-walk", "5", "--seed", "x"],
        ["--random-walk", "5", "--time-limit", "nan"],
        ["--random-walk", "5", "--time-limit", "inf"],
        ["--random-walk", "5", "--time-limit", "0"],
        ["--random-walk", "5", "--weight", "-1"],
        ["--random-walk", "5", "--weight", "nan"],
        ["--random-walk", "5", "--batch-size", "0"],
        ["--random-walk", "5", "--batch-size", "1000000000000"],
        ["--random-walk", "5", "--batch-size", "2.5"],
        ["--random-walk", "5", "--max-nodes", "-3"],
        ["--random-walk", "5", "--heuristic-batch", "0"],
        ["--random-walk", "5", "--parallel", "0"],
        ["--random-walk", "5", "--threads", "0"],
        ["--random-walk", "5", "--threads", "1000000000"],
        ["--random-walk", "5", "--count", "0"],
        ["--random-walk", "-1"],
        ["--random-walk", "99999999999999999999999999"],
        ["--random-walk", "5", "--algorithm", "bfs"],
        ["--random-walk", "5", "--precision", "int4"],
        ["--random-walk", "5", "--no-such-option"],
        ["--random-walk", "5", "--state", "1 2 3 4 5 6 7 8 0"],
        ["--state"],
        [],
    ],
)
def test_every_bad_solve_option_is_one_line_and_status_2(capsys, extra):
    code, out, err = run(capsys, *PUZZLE8, *extra)
    assert code == 2 and out == "" and one_line_error(err), err


@pytest.mark.parametrize(
    "argv",
    [
        ["nonsense"],
        ["solve"],
        ["solve", "puzzle8", "--file", ""],
        ["domains", "extra"],
        ["bench"],
        ["bench", "nonsense"],
        ["bench", "quick", "--out", ""],
        ["bench", "quick", "--domains"],
    ],
)
def test_bad_commands_are_one_line_too(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and one_line_error(err), err


def test_help_keeps_the_usage(capsys):
    code, out, _ = run(capsys, "solve", "--help")
    assert code == 0 and out.startswith("usage: qsolve solve") and "--time-limit" in out


def test_a_bench_folder_that_cannot_be_made_is_one_line(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, "bench", "quick", "--out", str(tmp_path / "file" / "out"))
    assert code == 2 and one_line_error(err) and "Not a directory" in err


def test_a_scramble_move_that_cannot_apply_is_named(capsys):
    # From the goal the blank is in the bottom-right corner: two D moves lift it to the top row.
    code, out, err = run(capsys, *PUZZLE8, "--scramble", "D D D D")
    assert code == 2 and out == "" and one_line_error(err)
    assert "move 3 of 4, 'D'" in err
    code, out, err = run(capsys, *PUZZLE8, "--scramble", "R R R", "--json")
    assert code == 2 and "move 3 of 3, 'R'" in err


def test_the_time_limit_covers_making_the_instances(capsys):
    started = time.monotonic()
    code, out, err = run(capsys, *PUZZLE8, "--random-walk", "1000000000", "--time-limit", "1")
    assert time.monotonic() - started < 20  # the walk alone would take hours
    assert code == 2 and out == "" and one_line_error(err) and "time limit" in err


def test_counts_that_cannot_fit_in_memory_are_refused_up_front(capsys):
    started = time.monotonic()
    for count in ("10000000000000", "1" * 400):
        code, _, err = run(capsys, *PUZZLE8, "--random-walk", "5", "--count", count)
        assert code == 2 and one_line_error(err) and "GiB" in err and "--count" in err
    assert time.monotonic() - started < 5


def test_file_lines_with_bad_bytes_a_bom_or_no_end_are_reported_by_number(capsys, tmp_path):
    domain = get_domain("puzzle8")
    walks = domain.random_walk(np.array([4, 6, 8]), np.random.default_rng(3))
    good = [domain.format_state(s).encode() for s in walks]
    path = tmp_path / "states.txt"
    lines = [
        b"\xef\xbb\xbf" + good[0],  # a UTF-8 byte-order mark before line 1
        b"1 2 3 \xff\xfe 5 6 7 8 0",  # bytes that are not UTF-8
        good[1] + b" 6\r",  # CRLF, and a field after the state
        b"x" * 100_000,  # far too long for a state
        b"",
        good[2],  # no newline at the end
    ]
    path.write_bytes(b"\n".join(lines))
    code, out, err = run(capsys, *PUZZLE8, "--file", str(path), "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r.get("solved") for r in records] == [True, None, True, None, True]
    assert [r.get("source") for r in records] == [None, "line 2", None, "line 4", None]
    assert "states.txt:2: the line is not UTF-8 text (byte 0xff at column 7)" in err
    assert "states.txt:4:" in err and "longer than" in err
    assert err.count("\n") == 2
    # Old Mac line ends (CR alone) are line ends too: no state is lost in one long line.
    cr = tmp_path / "cr.txt"
    cr.write_bytes(b"\r".join(good) + b"\r")
    code, out, err = run(capsys, *PUZZLE8, "--file", str(cr), "--json")
    assert code == 0 and [json.loads(line)["solved"] for line in out.splitlines()] == [True] * 3
    # A replacement character written in a UTF-8 file is a bad tile, not a decoding error.
    odd = tmp_path / "odd.txt"
    odd.write_text("1 2 3 4 5 6 7 8 \ufffd\n", encoding="utf-8")
    code, out, err = run(capsys, *PUZZLE8, "--file", str(odd))
    assert code == 2 and "odd.txt:1: puzzle8 tile" in err
    # UTF-16 with its byte-order mark reads the same.
    utf16 = tmp_path / "utf16.txt"
    utf16.write_text("\n".join(s.decode() for s in good) + "\n", encoding="utf-16")
    code, out, err = run(capsys, *PUZZLE8, "--file", str(utf16), "--json")
    assert code == 0 and [json.loads(line)["solved"] for line in out.splitlines()] == [True] * 3


def test_results_print_in_input_order_with_bad_lines_in_place(capsys, tmp_path):
    domain = get_domain("puzzle8")
    walks = domain.random_walk(np.array([14, 0, 9, 20, 3]), np.random.default_rng(8))
    texts = [domain.format_state(s) for s in walks]
    texts.insert(2, "1 1 2 3 4 5 6 7 8")
    path = tmp_path / "states.txt"
    path.write_text("\n".join(texts) + "\n")
    code, out, _ = run(capsys, *PUZZLE8, "--file", str(path), "--json", "--parallel", "3")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(records) == 6 and "error" in records[2]
    for text, record in zip(texts, records, strict=True):
        if "error" in record:
            continue
        start = domain.parse_state(text)
        end = domain.apply_moves(start, domain.parse_moves(" ".join(record["moves"])))
        assert domain.is_goal(end[None])[0]


def _model_with(tmp_path, change):
    from qsolve.api import shipped_model

    folder = tmp_path / "model"
    shutil.copytree(shipped_model(get_domain("puzzle8")), folder)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["architecture"].update(width1=-5),
        lambda c: c["architecture"].update(width2=10**12),
        lambda c: c["architecture"].update(blocks=1.5),
        lambda c: c["architecture"].update(blocks=10**9),
        lambda c: c["architecture"].update(input_dim="81"),
        lambda c: c.update(scale=-1),
        lambda c: c.update(scale="nan"),
    ],
)
def test_damaged_model_configs_are_one_line(capsys, tmp_path, change):
    pytest.importorskip("torch")
    folder = _model_with(tmp_path, change)
    code, out, err = run(capsys, *PUZZLE8[:2], "--random-walk", "3", "--heuristic", str(folder))
    assert code == 2 and out == "" and one_line_error(err) and "config.json" in err


def test_an_oracle_cache_of_the_wrong_type_or_size_is_not_used(tmp_path, monkeypatch):
    domain = get_domain("puzzle8")
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path))
    exact = breadth_first_distances(domain)
    cache = tmp_path / "oracle-puzzle8.npy"
    for wrong in (
        np.zeros(10, np.int8),
        exact.astype(np.float64),
        np.ones_like(exact),
        exact.reshape(-1, 9),
    ):
        np.save(cache, wrong)
        assert np.array_equal(Oracle(domain).table, exact)
        assert np.array_equal(np.load(cache), exact)  # and the cache is repaired
    cache.write_bytes(b"not a numpy file")
    assert np.array_equal(Oracle(domain).table, exact)


def test_a_cache_folder_under_a_regular_file_is_one_line(capsys, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.raises(QsolveError, match="QSOLVE_CACHE"):
        Oracle(get_domain("puzzle8"))
    code, _, err = run(capsys, "solve", "puzzle8", "--random-walk", "3", "--heuristic", "oracle")
    assert code == 2 and one_line_error(err) and "QSOLVE_CACHE" in err
