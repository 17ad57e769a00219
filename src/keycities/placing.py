"""What a template places: every figure as a `FigureRef` and every chart as a `ChartRef`, the filters that
change how a figure is shown (`precision`, `millions`, `bare`, `note`, `gap`, `or_missing`, `lowerfirst`),
and `place_value`, which turns each placed value into escaped Markdown: a figure formatted in the house
style with its note marker, a chart drawn once with its sources cited, a date in the document's language,
anything else as literal text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import jinja2

from keycities.document import Chart
from keycities.errors import FigureError
from keycities.figure_book import Figure, FigureBook
from keycities.formatting import Formatter
from keycities.markdown import chart_marker, escape, note_marker
from keycities.notes import SourceNotes

NOT_AVAILABLE = {"en-GB": "not available", "cy": "dim ar gael"}
GAP_WORDS = {
    "en-GB": {"above": "above", "below": "below", "level": "level with"},
    "cy": {"above": "yn uwch na", "below": "yn is na", "level": "yr un fath â"},
}


@dataclass(frozen=True)
class FigureRef:
    """A figure as a template places it: formatted, with a source note, unless told otherwise."""

    figure: Figure
    decimals: int | None = None
    scale: Literal["million"] | None = None
    with_note: bool = True
    only_note: bool = False
    gap_words: bool = False  # a difference shown as "£11,469 below" or "above"
    allow_missing: bool = False  # a missing value shown as "not available", with a note saying why

    @property
    def missing(self) -> bool:
        """True when the data has no value: templates test this to handle a gap on purpose."""
        return self.figure.value is None

    @property
    def why(self) -> str:
        """Why the figure is missing, in words."""
        return (self.figure.why_missing or "").rstrip(".")

    @property
    def zero(self) -> bool:
        """True when the value is exactly nothing (a member already above the benchmark adds nothing)."""
        return self.figure.value == 0

    @property
    def label(self) -> str:
        """What the figure is."""
        return self.figure.label

    @property
    def method(self) -> str:
        """How the figure was worked out, in words."""
        return self.figure.method


@dataclass
class ChartRef:
    """A chart a template may place; drawn on first placement, since drawing is slow."""

    key: str
    draw: Callable[[], Chart] | None
    figures: tuple[Figure, ...] = ()  # what it draws: recorded, and their sources cited in the caption
    missing: bool = False
    why: str = ""
    drawn: list[Chart] = field(default_factory=list)


def figure_tree(book: FigureBook) -> dict[str, Any]:
    """`figures.group.gva`, `figures.member.wakefield.gva`, `figures.comparator.england.gva`."""
    tree: dict[str, Any] = {}
    for name, figure in book.figures.items():
        *path, leaf = name.split(".")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = FigureRef(figure)
    return tree


@jinja2.pass_context
def place_value(context: jinja2.runtime.Context, value: Any) -> str:
    """Every `{{ value }}`: a figure becomes its formatted value and note; anything else literal text."""
    if isinstance(value, FigureRef):
        notes: SourceNotes = context["__notes__"]
        figure = value.figure
        formatter: Formatter = context["__formatter__"]
        if figure.value is None and value.allow_missing:
            return escape(NOT_AVAILABLE[formatter.language]) + note_marker(notes.number(figure))
        try:
            number = figure.require()
        except FigureError as error:
            raise FigureError(
                f"{error}; handle the gap with {{% if figures.{figure.name}.missing %}}"
            ) from None
        notes.record(figure)
        marker = note_marker(notes.number(figure)) if value.with_note else ""
        if value.only_note:
            return marker
        if value.gap_words:
            words = GAP_WORDS[formatter.language]
            if number == 0:
                return escape(words["level"]) + marker
            text = f"{formatter.money(abs(number))} {words['above' if number > 0 else 'below']}"
            return escape(text) + marker
        if value.scale == "million":
            text = formatter.count(number, "million", 1 if value.decimals is None else value.decimals)
        else:
            text = formatter.figure(figure, value.decimals)
        return escape(text) + marker
    if isinstance(value, ChartRef):
        if value.missing or value.draw is None:
            raise FigureError(
                f"the {value.key} chart cannot be drawn: {value.why}; handle the gap with "
                f"{{% if charts.{value.key}.missing %}}"
            )
        if not value.drawn:
            value.drawn.append(value.draw())
        notes = context["__notes__"]
        for drawn in value.figures:
            notes.record(drawn)
        cited = sorted({notes.cite(source) for drawn in value.figures for source in drawn.sources})
        chart = value.drawn[0]
        if cited:
            chart = replace(chart, caption=f"{chart.caption} Source: {', '.join(f'[{c}]' for c in cited)}.")
        charts: list[Chart] = context["__charts__"]
        charts.append(chart)
        return f"\n\n{chart_marker(len(charts) - 1)}\n\n"
    if isinstance(value, date):
        return escape(context["__formatter__"].date(value))
    return escape(str(value))


def _gap(value: FigureRef) -> FigureRef:
    return replace(value, gap_words=True)


def _or_missing(value: FigureRef) -> FigureRef:
    return replace(value, allow_missing=True)


def _precision(value: FigureRef, decimals: int) -> FigureRef:
    return replace(value, decimals=decimals)


def _millions(value: FigureRef) -> FigureRef:
    return replace(value, scale="million")


def _bare(value: FigureRef) -> FigureRef:
    return replace(value, with_note=False)


def _note_only(value: FigureRef) -> FigureRef:
    return replace(value, only_note=True)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


FILTERS: Mapping[str, Callable[..., Any]] = {  # by the name a template gives: `{{ x | precision(1) }}`
    "precision": _precision,
    "millions": _millions,
    "bare": _bare,
    "note": _note_only,
    "gap": _gap,
    "or_missing": _or_missing,
    "lowerfirst": _lower_first,
}
