"""The solution player page: its data replays each solution, and headless Chromium plays it.

The browser tests need Chromium (Debian: ``apt-get install chromium``); without it they are
skipped with a message saying so.  They open the written file from disk with the network
switched off, play or step through every move, and read the state the page shows from its
``data-state`` attribute.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from chromium import Browser, find_chromium

from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.render.grids import sokoban_layout
from qsolve.render.player import PLAYER_KINDS, Run, player_data, player_html
from qsolve.search import SearchResult

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or sys.platform != "linux",
    reason="Chromium is not installed (apt-get install chromium), so the solution player's "
    "browser tests did not run",
)


def page_data(path: Path) -> dict:
    text = path.read_text()
    block = re.search(
        r'<script type="application/json" id="player-data">(.*?)</script>', text, re.S
    )
    assert block is not None
    return json.loads(block.group(1))


def write_page(tmp_path: Path, *argv: str, status: int = 0) -> tuple[Path, dict]:
    path = tmp_path / "player.html"
    assert main(["solve", *argv, "--html", str(path)]) == status
    return path, page_data(path)


def test_page_states_replay_each_solution(tmp_path, capsys):
    path, data = write_page(
        tmp_path,
        "cube3-meta",
        "--scramble",
        "R U F' L",
        "--heuristic",
        "zero",
        "--batch-size",
        "200",
    )
    assert "player written to" in capsys.readouterr().err
    quarter = get_domain("cube3")
    (inst,) = data["instances"]
    assert inst["solved"] and inst["cost"] == len(inst["moves"]) == 4
    start = quarter.apply_moves(quarter.goal, quarter.parse_moves("R U F' L"))
    assert inst["states"][0] == start.tolist()
    for before, move, after in zip(inst["states"], inst["moves"], inst["states"][1:], strict=False):
        stepped = quarter.apply_moves(np.array(before, dtype=np.uint8), quarter.parse_moves(move))
        assert stepped.tolist() == after
    assert inst["texts"][-1] == quarter.format_state(quarter.goal)
    assert len(inst["turns"]) == 4 and len(data["facelets"]["centre"]) == 54
    # Self-contained: nothing is fetched from anywhere.
    html = path.read_text()
    assert "default-src 'none'" in html
    assert not re.search(r"""(src|href)=["'](?!data:)""", html)


def test_unsolved_instances_show_their_start(tmp_path):
    _, data = write_page(
        tmp_path,
        "puzzle8",
        "--random-walk",
        "20",
        "--heuristic",
        "zero",
        "--max-nodes",
        "2",
        status=1,  # not solved
    )
    (inst,) = data["instances"]
    assert not inst["solved"] and inst["moves"] == [] and len(inst["states"]) == 1


def test_html_needs_a_domain_with_a_picture(tmp_path, capsys, monkeypatch):
    domain = get_domain("lightsout5")
    monkeypatch.delitem(PLAYER_KINDS, type(domain))
    code = main(["solve", "lightsout5", "--random-walk", "3", "--html", str(tmp_path / "p.html")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "has no picture" in err
    assert not (tmp_path / "p.html").exists()


def test_html_file_name_is_checked_before_solving(tmp_path, capsys):
    code = main(["solve", "puzzle8", "--random-walk", "3", "--html", str(tmp_path / "p.svg")])
    assert code == 2 and ".html" in capsys.readouterr().err


def test_json_in_the_page_cannot_end_its_script_element():
    domain = get_domain("puzzle8")
    result = SearchResult(True, [], [], 0.0, 1, 1, 0.0, 0)
    html = player_html(domain, [Run("</script><b>x", domain.goal, result)])
    assert "</script><b>" not in html and player_data(domain, [Run("a", domain.goal, result)])


# Two boxes, two targets: the solution walks around and pushes each box down onto a target.
SOKOBAN_LEVEL = "#######/#     #/# $$  #/#.  . #/#  @  #/#######"
SOKOBAN_ARGS = ("--heuristic", "pushes", "--algorithm", "astar", "--batch-size", "100")


def boxes(state: list[int]) -> list[int]:
    return [i for i, v in enumerate(state) if v in (2, 3)]


def test_sokoban_page_replays_moves_and_pushes(tmp_path):
    _, data = write_page(tmp_path, "sokoban", "--state", SOKOBAN_LEVEL, *SOKOBAN_ARGS)
    domain = get_domain("sokoban")
    (inst,) = data["instances"]
    start = domain.parse_state(SOKOBAN_LEVEL)
    assert data["kind"] == "sokoban" and data["size"] == 10
    assert inst["solved"] and inst["cost"] == len(inst["moves"]) == len(inst["names"])
    assert inst["states"][0] == start.tolist() and inst["texts"][0] == domain.format_state(start)
    rows, cols, walls = sokoban_layout(start)
    assert inst["level"] == {"rows": rows, "cols": cols, "walls": walls} and (rows, cols) == (6, 7)
    states = [np.array(s, dtype=np.uint8) for s in inst["states"]]
    assert domain.is_goal(states[-1][None])[0] and not domain.is_goal(states[0][None])[0]
    lurd = domain.notations(start, domain.parse_moves(" ".join(inst["moves"])))["lurd"]
    assert "".join(inst["names"]) == lurd and inst["pushes"] == sum(c.isupper() for c in lurd)
    delta = {"u": -10, "d": 10, "l": -1, "r": 1}
    for before, name, after, move in zip(
        inst["states"], inst["names"], inst["states"][1:], inst["moves"], strict=False
    ):
        stepped = domain.step(
            np.array([before], dtype=np.uint8), np.array(domain.parse_moves(move))
        )
        assert stepped[0].tolist() == after
        assert name.lower() == move.lower()
        # The player moves one cell; a push (upper case) moves one box one cell the same way.
        player = next(i for i, v in enumerate(before) if v in (4, 5))
        assert after[player + delta[name.lower()]] in (4, 5)
        moved = sorted(set(boxes(before)) ^ set(boxes(after)))
        if name.isupper():
            ahead = player + delta[name.lower()]
            assert moved == sorted([ahead, ahead + delta[name.lower()]])
        else:
            assert moved == []
    assert inst["pushes"] >= 4  # each box needs a push down and a push sideways


# ---- in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM is not None
    b = Browser(CHROMIUM)
    yield b
    b.close()


def dataset(b: Browser) -> dict:
    return b.evaluate("Object.assign({}, document.getElementById('player').dataset)")


IDLE = (
    "(() => { const d = document.getElementById('player').dataset;"
    " return d.playing === 'false' && d.animating === 'false'; })()"
)


def open_page(b: Browser, path: Path) -> None:
    b.errors.clear()
    b.requests.clear()
    b.open(path)
    b.wait_for(IDLE)


def check_clean(b: Browser) -> None:
    assert b.errors == []
    assert b.requests and all(u.startswith(("file:", "data:")) for u in b.requests)


@needs_chromium
def test_browser_plays_a_cube3_solution_to_the_goal(tmp_path, browser):
    path, data = write_page(
        tmp_path, "cube3", "--scramble", "R U F'", "--heuristic", "zero", "--batch-size", "200"
    )
    inst = data["instances"][0]
    goal = get_domain("cube3").format_state(get_domain("cube3").goal)
    open_page(browser, path)
    assert dataset(browser)["state"] == inst["texts"][0] != goal
    start = browser.screenshot()
    browser.click("#play")
    # Mid-move the layer is drawn turned: a sticker of the turning layer leaves its place.
    browser.wait_for("document.getElementById('player').dataset.animating === 'true'")
    time.sleep(0.25)
    middle = browser.screenshot()
    browser.wait_for(
        "(() => { const d = document.getElementById('player').dataset;"
        " return d.step === d.steps && d.playing === 'false' && d.animating === 'false'; })()"
    )
    info = dataset(browser)
    assert info["step"] == "3" and info["state"] == goal
    end = browser.screenshot()
    assert start != end and middle not in (start, end)
    assert browser.evaluate("document.getElementById('move').textContent").startswith(
        "after move 3 of 3"
    )
    stats = browser.evaluate("document.getElementById('stats').textContent")
    assert "cost 3" in stats and "nodes" in stats and " s" in stats
    # One step back with the keyboard shows the state before the last move.
    browser.press("ArrowLeft")
    browser.wait_for(IDLE)
    assert dataset(browser)["state"] == inst["texts"][2]
    check_clean(browser)


@needs_chromium
def test_browser_lists_instances_and_steps_through_any(tmp_path, browser):
    path, data = write_page(
        tmp_path,
        "puzzle8",
        "--random-walk",
        "14",
        "--count",
        "3",
        "--seed",
        "5",
        "--heuristic",
        "manhattan",
    )
    goal = get_domain("puzzle8").format_state(get_domain("puzzle8").goal)
    open_page(browser, path)
    assert browser.evaluate("document.querySelectorAll('#instances tbody tr').length") == 3
    browser.click("#instances tbody tr:nth-child(3)")
    browser.wait_for("document.getElementById('player').dataset.instance === '2'")
    inst = data["instances"][2]
    assert dataset(browser)["state"] == inst["texts"][0]
    browser.evaluate("document.getElementById('speed').value = '8'")
    for k in range(1, len(inst["moves"]) + 1):
        browser.press("ArrowRight")
        browser.wait_for(IDLE)
        assert dataset(browser)["state"] == inst["texts"][k]
    assert dataset(browser)["state"] == goal
    check_clean(browser)


@needs_chromium
def test_browser_slider_and_lights_out(tmp_path, browser):
    path, data = write_page(
        tmp_path, "lightsout5", "--random-walk", "5", "--seed", "1", "--heuristic", "oracle"
    )
    inst = data["instances"][0]
    open_page(browser, path)
    lit = browser.evaluate(
        "Array.from(document.querySelectorAll('rect[data-cell]')).map(r => r.getAttribute('fill'))"
    )
    assert [f == "#ffd84a" for f in lit] == [c == "1" for c in inst["texts"][0]]
    steps = len(inst["moves"])
    browser.evaluate(
        f"(() => {{ const s = document.getElementById('slider'); s.value = '{steps}';"
        " s.dispatchEvent(new Event('input')); })()"
    )
    assert dataset(browser)["state"] == "0" * 25
    lit = browser.evaluate(
        "Array.from(document.querySelectorAll('rect[data-cell]')).map(r => r.getAttribute('fill'))"
    )
    assert set(lit) == {"#2a2a36"}
    browser.press("Home")
    assert dataset(browser)["state"] == inst["texts"][0]
    # Space plays from the start to the goal.
    browser.evaluate("document.getElementById('speed').value = '8'")
    browser.press(" ")  # handled before the call returns: playing, or the step stays 0
    browser.wait_for(IDLE)
    assert dataset(browser)["step"] == str(steps) and dataset(browser)["state"] == "0" * 25
    check_clean(browser)


def test_html_keeps_json_output_one_object_a_line(tmp_path, capsys):
    path = tmp_path / "p.html"
    argv = ["solve", "puzzle8", "--random-walk", "6", "--count", "2", "--heuristic", "manhattan"]
    assert main([*argv, "--json", "--html", str(path)]) == 0
    out = capsys.readouterr().out
    assert [json.loads(line)["solved"] for line in out.splitlines()] == [True, True]
    assert len(page_data(path)["instances"]) == 2


@needs_chromium
def test_browser_plays_sokoban_moves_and_pushes(tmp_path, browser):
    path, data = write_page(tmp_path, "sokoban", "--state", SOKOBAN_LEVEL, *SOKOBAN_ARGS)
    inst = data["instances"][0]
    open_page(browser, path)
    where = (
        "Array.from(document.querySelectorAll('rect.box')).map(b => Number(b.dataset.cell))"
        ".sort((a, b) => a - b)"
    )
    assert browser.evaluate(where) == boxes(inst["states"][0])
    assert browser.evaluate("document.querySelectorAll('rect.wall').length") == len(
        inst["level"]["walls"]
    )
    names = browser.evaluate(
        "Array.from(document.querySelectorAll('#moves .move')).map(b => b.textContent)"
    )
    assert names == inst["names"]
    stats = browser.evaluate("document.getElementById('stats').textContent")
    assert f"{inst['pushes']} pushes" in stats
    # Mid-push, the pushed box is drawn between two cells.
    push = next(k for k, name in enumerate(inst["names"]) if name.isupper())
    browser.click(f"#moves .move:nth-child({push})" if push else "#first")
    browser.wait_for(IDLE)
    assert dataset(browser)["state"] == inst["texts"][push]
    browser.evaluate("document.getElementById('speed').value = '0.5'")
    browser.press("ArrowRight")
    browser.wait_for("document.getElementById('player').dataset.animating === 'true'")
    time.sleep(0.3)
    offsets = browser.evaluate(
        "Array.from(document.querySelectorAll('rect.box, circle.player')).map(b =>"
        " b.getAttribute('transform').match(/[-0-9.]+/g).map(v => (Number(v) - 6) % 40))"
    )
    between = [o for o in offsets if any(0.5 < v < 39.5 for v in o)]
    assert len(between) == 2  # the player and the box it pushes
    assert browser.evaluate("document.getElementById('move').textContent").endswith(
        f": {inst['names'][push]} (push)"
    )
    browser.wait_for(IDLE)
    assert dataset(browser)["state"] == inst["texts"][push + 1]
    # Playing on at 8x ends on the goal: every box on a target.
    browser.evaluate("document.getElementById('speed').value = '8'")
    browser.click("#play")
    browser.wait_for(
        "(() => { const d = document.getElementById('player').dataset;"
        " return d.step === d.steps && d.playing === 'false' && d.animating === 'false'; })()"
    )
    assert dataset(browser)["state"] == inst["texts"][-1]
    assert browser.evaluate(where) == boxes(inst["states"][-1])
    on_target = "Array.from(document.querySelectorAll('rect.box')).map(b => b.dataset.onTarget)"
    assert set(browser.evaluate(on_target)) == {"true"}
    check_clean(browser)
