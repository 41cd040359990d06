"""Draw the state machines' diagrams as SVG when the site is built.

No page then needs a diagram script from the internet. Each machine's moves
come from its own ``to_mermaid()`` (the one description of the table); only
where each state stands is set here.
"""

from __future__ import annotations

import io
import re

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from crmcore import complaints, lifecycle

#: Where each state stands, in inches from the bottom left; "[*]" is the start.
LAYOUTS: dict[str, tuple[str, dict[str, tuple[float, float]]]] = {
    "lifecycle": (
        lifecycle.to_mermaid(),
        {
            "[*]": (0.3, 3.0),
            "potential": (1.6, 3.0),
            "target": (3.8, 4.4),
            "first_time": (5.6, 3.0),
            "repeat": (8.0, 3.0),
            "loyal": (10.4, 3.0),
            "churned": (8.0, 0.7),
            "non_customer": (3.2, 0.7),
        },
    ),
    "complaints": (
        complaints.to_mermaid(),
        {
            "[*]": (0.3, 2.2),
            "received": (1.4, 2.2),
            "acknowledged": (3.15, 2.2),
            "assessed": (4.9, 2.2),
            "rejected": (4.9, 0.5),
            "resolving": (6.65, 2.2),
            "resolved": (8.4, 2.2),
            "followed_up": (10.15, 2.2),
            "closed": (11.9, 2.2),
            "reopened": (8.4, 0.5),
        },
    ),
}

_MOVE = re.compile(r"^\s*(\S+) --> (\S+)(?: : (\S+))?\s*$")
_WIDTH, _HEIGHT = 1.25, 0.42


def moves(mermaid: str) -> list[tuple[str, str, str]]:
    """The (from, to, event) moves of a Mermaid state diagram."""
    found = []
    for line in mermaid.splitlines():
        match = _MOVE.match(line)
        if match:
            found.append((match[1], match[2], match[3] or ""))
    return found


def draw(mermaid: str, places: dict[str, tuple[float, float]]) -> Figure:
    """The diagram: rounded boxes for states, labelled arrows for moves."""
    width = max(x for x, _ in places.values()) + 1.2
    height = max(y for _, y in places.values()) + 0.9
    figure = Figure(figsize=(width, height))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    for state, (x, y) in places.items():
        if state == "[*]":
            ax.add_patch(FancyBboxPatch((x - 0.08, y - 0.08), 0.16, 0.16,
                                        boxstyle="circle,pad=0", color="0.15"))  # fmt: skip
            continue
        ax.add_patch(
            FancyBboxPatch(
                (x - _WIDTH / 2, y - _HEIGHT / 2), _WIDTH, _HEIGHT,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor="0.93", edgecolor="0.2", linewidth=1.2, zorder=2,
            )
        )  # fmt: skip
        ax.text(x, y, state.replace("_", " "), ha="center", va="center", fontsize=10, zorder=3)
    listed = moves(mermaid)
    pairs = {(a, b) for a, b, _ in listed}
    for start, end, event in listed:
        (x0, y0), (x1, y1) = places[start], places[end]
        if start == end:  # a move that keeps the state: a loop over the box
            ax.add_patch(
                FancyArrowPatch(
                    (x0 - 0.25, y0 + _HEIGHT / 2),
                    (x0 + 0.25, y0 + _HEIGHT / 2),
                    connectionstyle="arc3,rad=-1.6", arrowstyle="-|>", mutation_scale=10,
                    color="0.3", linewidth=1,
                )
            )  # fmt: skip
            ax.text(x0, y0 + _HEIGHT / 2 + 0.38, event, ha="center", fontsize=8, color="0.25")
            continue
        if (end, start) in pairs:  # a move and its reverse: two parallel arrows
            length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
            nx, ny = (y1 - y0) / length * 0.07, (x0 - x1) / length * 0.07
            x0, y0, x1, y1 = x0 + nx, y0 + ny, x1 + nx, y1 + ny
        else:
            nx = ny = 0.0
        arrow = FancyArrowPatch(
            (x0, y0), (x1, y1),
            arrowstyle="-|>", mutation_scale=12, color="0.3", linewidth=1, zorder=1,
            shrinkA=5 if start == "[*]" else _gap(x0, y0, x1, y1), shrinkB=_gap(x1, y1, x0, y0),
        )  # fmt: skip
        ax.add_patch(arrow)
        if not event:
            continue
        half = len(event) * 0.034 + 0.08  # about half the label's width, in inches
        if abs(y1 - y0) < 0.2:  # along a row
            room = abs(x1 - x0) - _WIDTH
            if room > 2 * half:  # on the arrow
                y_text = y0 + (0.12 if ny >= 0 else -0.14)
            else:  # above the boxes, clear of them
                y_text = y0 + (_HEIGHT / 2 + 0.12 if ny >= 0 else -(_HEIGHT / 2 + 0.2))
            ax.text((x0 + x1) / 2, y_text, event, ha="center", va="center", fontsize=8,
                    color="0.15")  # fmt: skip
        else:
            side = half if nx or ny else 0.0
            sign = 1.0 if nx >= 0 else -1.0
            ax.text(
                (x0 + x1) / 2 + sign * side,
                (y0 + y1) / 2,
                event,
                ha="center",
                va="center",
                fontsize=8,
                color="0.15",
                backgroundcolor="white",
                zorder=1.5,
            )
    return figure


def svg(figure: Figure) -> str:
    """A figure as SVG text."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def _gap(x0: float, y0: float, x1: float, y1: float) -> float:
    """How far from a box's centre an arrow starts, in points: to the box's edge."""
    dx, dy = abs(x1 - x0), abs(y1 - y0)
    if dx == dy == 0:
        return 0.0
    # the centre-to-edge distance along the arrow, for a box of _WIDTH x _HEIGHT inches
    scale = min(
        (_WIDTH / 2) / dx if dx else float("inf"), (_HEIGHT / 2) / dy if dy else float("inf")
    )
    return 72 * scale * (dx * dx + dy * dy) ** 0.5 + 2


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add each machine's diagram to the site under ``images/diagrams/``."""
    for name, (mermaid, places) in LAYOUTS.items():
        files.append(
            File.generated(
                config, f"images/diagrams/{name}.svg", content=svg(draw(mermaid, places))
            )
        )
    return files
