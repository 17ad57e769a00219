"""Charts from figures, with matplotlib: SVG for the PDF, PNG for Word, the same bytes for the same data.

The charts draw values they are given; they compute nothing. matplotlib is imported on first use.

The SVG keeps its text as text (not as outlines), so the PDF's chart labels can be selected, searched and
read aloud, and WeasyPrint draws them quickly. It names the family `CHART_FONT_FAMILY`, which only the PDF
renderer's own @font-face rules define, from the package's bundled DejaVu Sans (the font matplotlib
measures the text with), so the PDF never depends on the fonts the machine has; a browser showing the SVG
falls back to DejaVu Sans.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

HIGHLIGHT, OTHERS, BENCHMARK, MEDIAN = "#005e6e", "#b7c9cc", "#c0392b", "#3d3d3d"


FONT_SIZE = 9
SPACE_EM = 651 / 2048  # the advance of DejaVu Sans's space


DPI = 150


# The family the SVG text names, defined by the PDF renderer from the bundled DejaVu Sans files.
CHART_FONT_FAMILY = "KeyCities Chart"
_MATPLOTLIB_FAMILY = "DejaVu Sans"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the document formats it


@dataclass(frozen=True)
class ChartImages:
    svg: bytes
    png: bytes
    width_mm: float


def ranked_bars(
    bars: Sequence[Bar],
    highlight: str | None,
    benchmark: Bar,
    axis_label: str,
    ticks: Callable[[float], str],
    median: Bar | None = None,
) -> ChartImages:
    """Horizontal bars from highest to lowest, one highlighted, with the benchmark as a solid line and the
    median (when given) as a dashed one, each labelled above the bars with its name and value."""
    pyplot = _pyplot()
    ordered = sorted(bars, key=lambda bar: -bar.value)
    figure, axes = pyplot.subplots(figsize=(6.3, 0.22 * len(ordered) + 1.0))
    positions = range(len(ordered))
    colours = [HIGHLIGHT if bar.label == highlight else OTHERS for bar in ordered]
    axes.barh(list(positions), [bar.value for bar in ordered], color=colours, height=0.7)
    axes.set_yticks(list(positions), [bar.label for bar in ordered], fontsize=FONT_SIZE)
    for label, bar in zip(axes.get_yticklabels(), ordered, strict=True):
        label.set_fontweight("bold" if bar.label == highlight else "normal")
    axes.invert_yaxis()
    lines = [(benchmark, BENCHMARK, "solid"), *([(median, MEDIAN, "dashed")] if median else [])]
    highest = max(lines, key=lambda drawn: drawn[0].value)[0]
    for line, colour, style in lines:
        axes.axvline(line.value, color=colour, linewidth=1.2, linestyle=style)
        # The higher line's label to its right, the other's to its left, so close lines' labels never
        # overlap. Set off from the line by the width of a space, not by a leading space, which SVG text
        # collapses.
        right = line is highest
        axes.annotate(
            f"{line.label}: {line.text}",
            (line.value, -0.9),
            xytext=((1 if right else -1) * FONT_SIZE * SPACE_EM, 0),
            textcoords="offset points",
            annotation_clip=False,  # drawn wherever the point is, as text is
            color=colour,
            fontsize=FONT_SIZE,
            va="bottom",
            ha="left" if right else "right",
        )
    axes.set_xlabel(axis_label, fontsize=FONT_SIZE)
    axes.xaxis.set_major_formatter(lambda value, _position: ticks(value))
    axes.tick_params(axis="x", labelsize=FONT_SIZE)
    axes.spines[["top", "right"]].set_visible(False)
    return _save(pyplot, figure, 160)


def share_bar(part: Bar, rest: Bar) -> ChartImages:
    """One bar split into a part and the rest of the whole, each labelled with its value."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(6.3, 1.3))
    axes.barh([0], [part.value], color=HIGHLIGHT, height=0.6)
    axes.barh([0], [rest.value], left=[part.value], color=OTHERS, height=0.6)
    axes.text(part.value, 0.45, f"{part.label}: {part.text}", fontsize=FONT_SIZE, va="bottom", ha="left")
    axes.text(
        part.value + rest.value, -0.45, f"{rest.label}: {rest.text}", fontsize=FONT_SIZE, va="top", ha="right"
    )
    axes.set_xlim(0, part.value + rest.value)
    axes.set_ylim(-1, 1)
    axes.axis("off")
    return _save(pyplot, figure, 160)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    # Fixed ids and no timestamps: identical input gives identical SVG and PNG bytes.
    # Labels are data: a `$` prints as a dollar sign and never starts mathematics.
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "keycities",
            "svg.fonttype": "none",
            "font.family": _MATPLOTLIB_FAMILY,
            "text.parse_math": False,
        }
    )
    return pyplot


def _save(pyplot: Any, figure: Any, width_mm: float) -> ChartImages:
    figure.tight_layout()
    svg, png = io.BytesIO(), io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    figure.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    pyplot.close(figure)
    named = f"font-family: '{_MATPLOTLIB_FAMILY}'".encode()
    bundled = f"font-family: '{CHART_FONT_FAMILY}', '{_MATPLOTLIB_FAMILY}'".encode()
    return ChartImages(svg.getvalue().replace(named, bundled), png.getvalue(), width_mm)
