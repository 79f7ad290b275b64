"""Make ``src/qsolve/domains/data/boxoban-rooms.npz``: the goal rooms Sokoban training starts from.

    python scripts/make_sokoban_rooms.py [../shared/benchmarks/boxoban/unfiltered-train-10k.txt]

Each level of Boxoban's unfiltered training split (Apache-2.0, see the data folder's NOTICE) is
parsed as ``qsolve solve sokoban --file`` parses it, then made a goal room twice: every target
given a box (the level solved), and every box given a target where it starts (the start layout
with new targets); the player removed.  Run once; the file is shipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from qsolve.domains.sokoban import BOX, BOX_ON_TARGET, FLOOR, WALL, Sokoban

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "benchmarks" / "boxoban" / "unfiltered-train-10k.txt"


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    domain = Sokoban()
    lines = enumerate(source.read_text().splitlines(), 1)
    levels = [domain.parse_state(text) for _, _, text in domain.split_file(lines)]
    states = np.stack(levels)
    solved = np.where(states == WALL, WALL, np.where(states & 1, BOX_ON_TARGET, FLOOR))
    # The start layouts too, each box on a target of its own (DeepCubeA's Sokoban data gives its
    # levels' boxes new targets in the same way): rooms whose boxes stand where levels put them.
    is_box = (states == BOX) | (states == BOX_ON_TARGET)
    starts = np.where(states == WALL, WALL, np.where(is_box, BOX_ON_TARGET, FLOOR))
    rooms = np.unique(np.concatenate([solved, starts]).astype(np.uint8), axis=0)
    out = ROOT / "src" / "qsolve" / "domains" / "data" / "boxoban-rooms.npz"
    np.savez_compressed(out, rooms=rooms)
    print(f"{len(levels):,} levels, {len(rooms):,} distinct rooms -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
