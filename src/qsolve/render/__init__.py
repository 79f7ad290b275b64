"""Pictures of states (SVG or PNG) and the HTML pages that show solutions and training runs.

Rendering lives here, not in the domains: one picture function per kind of domain, found by
``picture``.  A domain without one gets a one-line error from the commands that draw it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from qsolve.domains import Cube2, Cube3, Domain, LightsOut, SlidingPuzzle, Sokoban
from qsolve.errors import QsolveError
from qsolve.render.cube import cube_picture
from qsolve.render.grids import lightsout_picture, sliding_picture, sokoban_picture
from qsolve.render.picture import Label, Picture, Polygon, to_png, to_svg, write_picture

# Domain class -> picture function; subclasses (cube3-meta) use their base class's entry.
PICTURES: dict[type[Domain], Callable[[Domain, np.ndarray], Picture]] = {
    Cube3: cube_picture,
    Cube2: cube_picture,
    SlidingPuzzle: sliding_picture,
    LightsOut: lightsout_picture,
    Sokoban: sokoban_picture,
}


def picture_function(domain: Domain) -> Callable[[Domain, np.ndarray], Picture] | None:
    """The picture function for ``domain``, or None when it has none."""
    for cls in type(domain).__mro__:
        if cls in PICTURES:
            return PICTURES[cls]
    return None


def picture(domain: Domain, state: np.ndarray) -> Picture:
    """The picture of one ``[D]`` state; QsolveError if the domain has no picture."""
    draw = picture_function(domain)
    if draw is None:
        raise QsolveError(f"{domain.name} has no picture: qsolve cannot draw its states")
    return draw(domain, np.asarray(state))


def save_picture(domain: Domain, state: np.ndarray, path: str | Path) -> None:
    """Write the picture of ``state`` to ``path`` (.svg or .png)."""
    write_picture(picture(domain, state), Path(path))


__all__ = [
    "PICTURES",
    "Label",
    "Picture",
    "Polygon",
    "picture",
    "picture_function",
    "save_picture",
    "to_png",
    "to_svg",
    "write_picture",
]
