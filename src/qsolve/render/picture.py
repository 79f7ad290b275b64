"""A picture as a flat list of filled polygons and text labels, written as SVG or PNG.

Coordinates are picture units with y pointing down, as in SVG; a PNG has ``scale`` pixels per
unit.  Each shape may carry ``data-`` attributes (the facelet, tile or cell it shows), which the
SVG keeps, so that a test or a script can find a sticker by what it stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from qsolve.errors import QsolveError

FORMATS = (".svg", ".png")


@dataclass
class Polygon:
    """A closed polygon with a fill colour (``#rrggbb``) and an outline."""

    points: Sequence[tuple[float, float]]
    fill: str
    stroke: str = "#111111"
    stroke_width: float = 1.0
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class Label:
    """Text centred on ``(x, y)``; ``size`` is the font height in picture units."""

    x: float
    y: float
    text: str
    size: float = 12.0
    colour: str = "#111111"
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class Picture:
    """A ``width`` x ``height`` picture: shapes drawn in order on a ``background``."""

    width: int
    height: int
    shapes: list[Polygon | Label] = field(default_factory=list)
    title: str = ""
    background: str = "#ffffff"


def _attrs(data: dict[str, str]) -> str:
    return "".join(f' data-{k}="{escape(str(v))}"' for k, v in data.items())


def to_svg(picture: Picture) -> str:
    """The picture as a standalone SVG document."""
    w, h = picture.width, picture.height
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
    ]
    if picture.title:
        lines.append(f"<title>{escape(picture.title)}</title>")
    lines.append(f'<rect width="{w}" height="{h}" fill="{picture.background}"/>')
    for shape in picture.shapes:
        if isinstance(shape, Polygon):
            points = " ".join(f"{x:.2f},{y:.2f}" for x, y in shape.points)
            lines.append(
                f'<polygon points="{points}" fill="{shape.fill}" stroke="{shape.stroke}" '
                f'stroke-width="{shape.stroke_width:g}" stroke-linejoin="round"{_attrs(shape.data)}/>'
            )
        else:
            lines.append(
                f'<text x="{shape.x:.2f}" y="{shape.y:.2f}" font-size="{shape.size:g}" '
                f'fill="{shape.colour}" text-anchor="middle" dominant-baseline="central" '
                f'font-family="DejaVu Sans, Arial, sans-serif"{_attrs(shape.data)}>'
                f"{escape(shape.text)}</text>"
            )
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def to_png(picture: Picture, path: Path, scale: int = 2) -> None:
    """Draw the picture with matplotlib into ``path``: ``width*scale`` x ``height*scale`` pixels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as PolygonPatch

    dpi = 100
    points_per_unit = scale * 72 / dpi
    fig = plt.figure(figsize=(picture.width * scale / dpi, picture.height * scale / dpi), dpi=dpi)
    fig.patch.set_facecolor(picture.background)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, picture.width)
    ax.set_ylim(picture.height, 0)
    ax.set_axis_off()
    for shape in picture.shapes:
        if isinstance(shape, Polygon):
            ax.add_patch(
                PolygonPatch(
                    shape.points,
                    closed=True,
                    facecolor=shape.fill,
                    edgecolor=shape.stroke,
                    linewidth=shape.stroke_width * points_per_unit,
                    joinstyle="round",
                )
            )
        else:
            ax.text(
                shape.x,
                shape.y,
                shape.text,
                fontsize=shape.size * points_per_unit,
                color=shape.colour,
                ha="center",
                va="center_baseline",
            )
    fig.savefig(path, dpi=dpi, facecolor=picture.background)
    plt.close(fig)


def write_picture(picture: Picture, path: Path) -> None:
    """Write ``picture`` to ``path`` as SVG or PNG, chosen by the suffix."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise QsolveError(
            f"cannot tell the picture format from {path.name!r}: use a .svg or .png file name"
        )
    try:
        if suffix == ".svg":
            path.write_text(to_svg(picture))
        else:
            to_png(picture, path)
    except OSError as error:
        raise QsolveError(f"cannot write {path}: {error.strerror or error}") from None
