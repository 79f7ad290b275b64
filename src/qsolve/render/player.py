"""The solution player: one self-contained HTML page that plays solutions move by move.

Python computes every state along each solution (``domain.step`` along the moves) and embeds
them as JSON, with the sticker geometry for cubes and each Sokoban level's outline; player.js
draws them and animates the moves.
The page loads nothing: its script, style and pictures are inline, and its content security
policy forbids every other source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from qsolve.domains import Cube2, Cube3, Domain, LightsOut, SlidingPuzzle, Sokoban
from qsolve.domains.sokoban import SIZE as SOKOBAN_SIZE
from qsolve.errors import QsolveError
from qsolve.render.cube import COLOURS, NET_BLOCKS, STICKER_HALF, cube_size, facelets, quarter_turn
from qsolve.render.grids import SOKOBAN_COLOURS, sokoban_layout
from qsolve.search import SearchResult

PLAYER_KINDS: dict[type[Domain], str] = {
    Cube3: "cube",
    Cube2: "cube",
    SlidingPuzzle: "sliding",
    LightsOut: "lightsout",
    Sokoban: "sokoban",
}


@dataclass
class Run:
    """One instance for the player: where it starts, what to call it and what search found."""

    label: str
    start: np.ndarray  # [D]
    result: SearchResult


def player_kind(domain: Domain) -> str:
    """How the player draws ``domain`` (cube, sliding, lightsout or sokoban); QsolveError if it
    cannot."""
    for cls in type(domain).__mro__:
        if cls in PLAYER_KINDS:
            return PLAYER_KINDS[cls]
    raise QsolveError(f"{domain.name} has no picture: the solution player cannot show it")


def path_states(domain: Domain, start: np.ndarray, moves: list[str]) -> tuple[Domain, np.ndarray]:
    """The domain whose moves are ``moves`` and the ``[len(moves) + 1, D]`` states along them."""
    base: Domain = getattr(domain, "quarter_turns", domain)  # cube3-meta plays quarter turns
    actions = base.parse_moves(" ".join(moves))
    states = np.empty((len(actions) + 1, base.state_dim), dtype=start.dtype)
    states[0] = start
    for i, a in enumerate(actions):
        states[i + 1] = base.step(states[i : i + 1], np.array([a]))[0]
    return base, states


def _geometry(domain: Domain) -> dict[str, Any]:
    size = cube_size(domain)
    assert size is not None
    g = facelets(size)
    net = [
        [NET_BLOCKS["URFDLB"[f]][0] * size + c, NET_BLOCKS["URFDLB"[f]][1] * size + r]
        for f, r, c in zip(g["face"], g["row"], g["col"], strict=True)
    ]
    return {
        "size": size,
        "colours": COLOURS,
        "sticker": STICKER_HALF,
        "facelets": {
            "centre": g["centre"].tolist(),
            "down": g["down"].tolist(),
            "right": g["right"].tolist(),
            "normal": g["normal"].tolist(),
            "net": [[int(x), int(y)] for x, y in net],
        },
    }


def player_data(domain: Domain, runs: list[Run]) -> dict[str, Any]:
    """What the page needs: the domain's kind and geometry, and every state of every run."""
    kind = player_kind(domain)
    out: dict[str, Any] = {"domain": domain.name, "kind": kind}
    if kind == "cube":
        out.update(_geometry(domain))
    elif kind == "sokoban":
        out.update(size=SOKOBAN_SIZE, colours=SOKOBAN_COLOURS)
    else:
        out["size"] = int(getattr(domain, "size", 0))
    instances = []
    for run in runs:
        result = run.result
        moves = list(result.moves) if result.solved else []
        base, states = path_states(domain, run.start, moves)
        instance: dict[str, Any] = {
            "label": run.label,
            "solved": bool(result.solved),
            "stop": result.stop_reason.replace("_", " "),
            "cost": float(result.cost) if result.solved else None,
            "nodes": int(result.nodes_generated),
            "seconds": float(result.seconds),
            "moves": moves,
            "states": states.astype(int).tolist(),
            "texts": [base.format_state(s) for s in states],
        }
        if kind == "cube":
            size = out["size"]
            instance["turns"] = [
                dict(zip(("axis", "angle", "layer"), quarter_turn(size, m), strict=True))
                for m in moves
            ]
        if kind == "sokoban":
            rows, cols, walls = sokoban_layout(run.start)
            instance["level"] = {"rows": rows, "cols": cols, "walls": walls}
            # The move list shows LURD letters: upper case for a push.
            lurd = domain.notations(run.start, base.parse_moves(" ".join(moves)))["lurd"]
            instance["names"] = list(lurd)
            instance["pushes"] = sum(letter.isupper() for letter in lurd)
        instances.append(instance)
    out["instances"] = instances
    return out


_STYLE = """
body { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
h1 { font-size: 1.3em; margin: 0 0 .6em; }
#stage { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-end; margin: 1em 0; min-height: 200px; }
figure { margin: 0; text-align: center; }
figcaption { font-size: .8em; color: #666; }
#controls { display: flex; gap: .4em; align-items: center; flex-wrap: wrap; }
#controls button { font-size: 1em; padding: .3em .7em; cursor: pointer; }
#slider { width: 22em; }
#move { font-weight: bold; margin: .6em 0 .2em; min-height: 1.3em; }
#stats, #state-text { color: #555; font-size: .9em; }
#state-text { font-family: monospace; word-break: break-all; }
#moves { margin: .6em 0; display: flex; flex-wrap: wrap; gap: .2em; }
#moves .move { font-family: monospace; border: 1px solid #bbb; background: #fff; border-radius: 4px; padding: .1em .4em; cursor: pointer; }
#moves .move.done { background: #e6eefc; }
#moves .move.current { background: #2d6cdf; color: #fff; border-color: #2d6cdf; }
#instances { border-collapse: collapse; margin-bottom: 1em; font-size: .9em; }
#instances th, #instances td { border: 1px solid #ccc; padding: .2em .6em; text-align: right; }
#instances tbody tr { cursor: pointer; }
#instances tr.selected { background: #e6eefc; }
rect.sticker { stroke: #1b1b1b; stroke-width: 1; }
rect.sticker.moving { stroke: #d02090; stroke-width: 2.5; }
rect.pressed { stroke: #ff3b30; stroke-width: 4; }
.hint { color: #888; font-size: .8em; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
<table id="instances">
<thead><tr><th>#</th><th>instance</th><th>solved</th><th>cost</th><th>nodes</th><th>seconds</th></tr></thead>
<tbody></tbody>
</table>
<main id="player" data-instance="0" data-step="0" data-state="" data-playing="false">
<div id="label"></div>
<div id="stats"></div>
<div id="stage"></div>
<div id="controls">
<button id="first" title="start (Home)">« start</button>
<button id="back" title="step back (←)">◀ back</button>
<button id="play" title="play / pause (space)">▶ play</button>
<button id="forward" title="step forward (→)">forward ▶</button>
<button id="last" title="end (End)">end »</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="position in the solution">
<label>speed <select id="speed"><option value="0.5">½×</option><option value="1" selected>1×</option><option value="2">2×</option><option value="4">4×</option><option value="8">8×</option></select></label>
</div>
<div id="move"></div>
<div id="moves"></div>
<div id="state-text"></div>
<p class="hint">Keys: ← → step, space plays or pauses, Home and End jump.</p>
</main>
<script type="application/json" id="player-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


def player_html(domain: Domain, runs: list[Run]) -> str:
    """The player page for ``runs`` of ``domain`` as one HTML string."""
    if not runs:
        raise QsolveError("the solution player needs at least one instance")
    # "</" inside the JSON would end the script element early.
    payload = json.dumps(player_data(domain, runs), separators=(",", ":")).replace("</", "<\\/")
    script = resources.files("qsolve.render").joinpath("player.js").read_text(encoding="utf-8")
    title = f"qsolve: {domain.name} solution" + ("s" if len(runs) > 1 else "")
    return _PAGE.format(title=escape(title), style=_STYLE, data=payload, script=script)


def write_player(domain: Domain, runs: list[Run], path: str | Path) -> None:
    """Write the player page for ``runs`` to ``path``."""
    text = player_html(domain, runs)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise QsolveError(f"cannot write {path}: {error.strerror or error}") from None
