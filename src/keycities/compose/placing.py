"""What a template places: every figure as a `FigureRef` and every chart as a `ChartRef`, the filters that
change how a figure is shown (`precision`, `millions`, `bare`, `note`, `gap`, `or_missing`, `lowerfirst`),
and `place_value`, which turns each placed value into escaped Markdown: a figure formatted in the house
style with its note marker, a chart with its sources cited (drawn once the template has run), a date in
the document's language, text and numbers as literal text. Anything else (a mapping, a function, a macro,
one of Jinja's objects) is not placed: the document fails at that line.

The document's formatter, notes and charts live in a `Placing` that `place_value` finds through a context
variable, never in the template's namespace: templates cannot reach, print or change them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import jinja2
from jinja2.exceptions import FilterArgumentError
from markupsafe import soft_str

from keycities.compose.blocks import Chart, Image
from keycities.compose.citations import SOURCE_WORDS, SourceNotes
from keycities.compose.markdown import InEnglish, chart_marker, clean, english_passage, escape, note_marker
from keycities.compose.mutations import MUTATION_FILTERS
from keycities.errors import FigureError
from keycities.figures.model import Figure, FigureBook
from keycities.formatting import Formatter

NOT_AVAILABLE = {"en-GB": "not available", "cy": "dim ar gael"}


# After a passage left in English in a document in another language.
IN_ENGLISH = {"en-GB": "", "cy": " (Saesneg / English)"}


GAP_WORDS = {
    "en-GB": {"above": "above", "below": "below", "level": "level with"},
    "cy": {"above": "yn uwch na", "below": "yn is na", "level": "yr un fath â"},
}


MAX_DECIMALS = 6  # more places than any published figure has


@dataclass(frozen=True, repr=False)
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
    def year(self) -> int | None:
        """The year of the data the figure comes from: `GVA, {{ m.gva.year }}`."""
        return self.figure.year

    @property
    def label(self) -> str:
        """What the figure is."""
        return self.figure.label

    @property
    def method(self) -> str:
        """How the figure was worked out, in words."""
        return self.figure.method

    def __repr__(self) -> str:
        # What `| string`, `~` or `'%r' %` make of a figure: its name as templates write it, never the
        # tool's objects behind it, nor its value without its source note.
        return f"figures.{self.figure.name}"

    __str__ = __repr__


@dataclass(repr=False)
class ChartRef:
    """A chart a template may place; drawn once, and only when placed, since drawing is slow."""

    key: str
    draw: Callable[[], Chart] | None
    figures: tuple[Figure, ...] = ()  # what it draws: recorded, and their sources cited in the caption
    missing: bool = False
    why: str = ""
    drawn: list[Chart] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"charts.{self.key}"  # as for a figure: its name, not the tool's objects

    __str__ = __repr__


@dataclass
class Placing:
    """What placing values in one document uses and gathers: its formatter, its source notes, and the charts
    its templates placed, each with the sources its caption cites."""

    formatter: Formatter
    notes: SourceNotes
    charts: list[tuple[ChartRef, tuple[str, ...]]] = field(default_factory=list)
    # "document": escaped Markdown with note markers; "markdown": escaped, no markers (an email's HTML
    # part); "plain": values as they are, no markers (an email's text part and subject)
    mode: Literal["document", "markdown", "plain"] = "document"
    markers: bool = True  # whether a document's text carries note markers (a letter with `notes: none` not)

    def marker(self, figure: Figure, shown: str | None = None) -> str:
        """The note marker for a figure placed in a document's text (`shown`: as the text gives it), its
        note added on first use; nothing, and the figure only recorded, when the text carries no markers."""
        if not self.markers:
            self.notes.record(figure)
            return ""
        return note_marker(self.notes.number(figure, shown))

    @contextmanager
    def active(self) -> Iterator[Placing]:
        """`place_value` places into this document while the body runs."""
        token = _PLACING.set(self)
        try:
            yield self
        finally:
            _PLACING.reset(token)

    def drawn_charts(self) -> list[Chart]:
        """The charts placed, in order, drawn after the template has run (so outside its limits), each
        drawn once however often it is placed, with its sources cited in the caption."""
        charts = []
        for chart_ref, cited in self.charts:
            if not _CHARTS_DRAWN.get():  # composing only to check the templates
                charts.append(UNDRAWN)
                continue
            if not chart_ref.drawn:
                assert chart_ref.draw is not None  # placing a chart that cannot be drawn fails
                chart_ref.drawn.append(chart_ref.draw())
            chart = chart_ref.drawn[0]
            if cited:
                sources = ", ".join(f"[{letter}]" for letter in cited)
                word = SOURCE_WORDS[self.formatter.language][len(cited) > 1]
                caption = chart.caption if chart.caption.endswith((".", "?", "!")) else f"{chart.caption}."
                chart = replace(chart, caption=f"{caption} {word}: {sources}.")
            charts.append(chart)
        return charts


_PLACING: ContextVar[Placing] = ContextVar("placing")
_CHARTS_DRAWN: ContextVar[bool] = ContextVar("charts_drawn", default=True)
UNDRAWN = Chart(Image(b"", "image/svg+xml", "", 0), Image(b"", "image/png", "", 0), "")


@contextmanager
def charts_left_undrawn() -> Iterator[None]:
    """Compose without drawing the charts placed (most of the time a briefing pack takes): each stands as
    an empty chart. For composing only to find the templates' problems, never for a document to show."""
    token = _CHARTS_DRAWN.set(False)
    try:
        yield
    finally:
        _CHARTS_DRAWN.reset(token)


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


def place_value(value: Any) -> str:
    """Every `{{ value }}`: a figure becomes its formatted value and note; text, numbers and dates literal
    text; anything that is not data fails the document at that line."""
    placing = _PLACING.get()
    formatter, notes = placing.formatter, placing.notes
    literal = escape if placing.mode != "plain" else clean
    if isinstance(value, FigureRef):
        figure = value.figure
        if figure.value is None and value.allow_missing and placing.mode != "document":
            return "" if value.only_note else literal(NOT_AVAILABLE[formatter.language])
        if figure.value is None and value.allow_missing:
            return escape(NOT_AVAILABLE[formatter.language]) + placing.marker(figure)
        try:
            number = figure.require()
        except FigureError as error:
            raise FigureError(
                f"{error}; handle the gap with {{% if figures.{figure.name}.missing %}}"
            ) from None
        notes.record(figure)
        if value.gap_words:
            words = GAP_WORDS[formatter.language]
            places = value.decimals if value.decimals is not None else figure.decimals or 0
            text = (
                words["level"]
                if number == 0
                else (f"{formatter.money(abs(number), places)} {words['above' if number > 0 else 'below']}")
            )
        elif value.scale == "million":
            text = formatter.count(number, "million", 1 if value.decimals is None else value.decimals)
        else:
            text = formatter.figure(figure, value.decimals)
        if placing.mode != "document":  # an email has no source notes: the letter it comes with has
            return "" if value.only_note else literal(text)
        asked = value.decimals is not None or value.scale is not None  # the template rounds it its own way
        marker = placing.marker(figure, text if asked else None) if value.with_note else ""
        return marker if value.only_note else escape(text) + marker
    if isinstance(value, ChartRef):
        if placing.mode != "document":
            raise FigureError(f"the {value.key} chart cannot be placed in an email; it is in the letter")
        if value.missing or value.draw is None:
            raise FigureError(
                f"the {value.key} chart cannot be drawn: {value.why}; handle the gap with "
                f"{{% if charts.{value.key}.missing %}}"
            )
        for drawn in value.figures:
            notes.record(drawn)
        sources = {source for drawn in value.figures for source in drawn.sources}
        cited = sorted(notes.cite(source) for source in sources) if placing.markers else []
        placing.charts.append((value, tuple(cited)))
        return f"\n\n{chart_marker(len(placing.charts) - 1)}\n\n"
    if isinstance(value, date):
        return literal(formatter.date(value))
    if isinstance(value, InEnglish) and placing.mode == "document":
        return english_passage(escape(value)) + escape(IN_ENGLISH[formatter.language])
    # An undefined name is passed on, to fail with its own message (StrictUndefined) when made text.
    if isinstance(value, str | int | float | jinja2.Undefined) or value is None:
        return literal(str(value))
    raise jinja2.TemplateRuntimeError(_not_placeable(value))


def is_data(value: Any) -> bool:
    """Text, numbers, dates, figures and charts, and lists and mappings of them: what a template may turn
    into text, as opposed to functions, macros and Jinja's own objects."""
    if isinstance(value, str | int | float | date | FigureRef | ChartRef | jinja2.Undefined) or value is None:
        return True
    if isinstance(value, list | tuple):
        return all(is_data(item) for item in value)
    if isinstance(value, dict):
        return all(is_data(key) and is_data(item) for key, item in value.items())
    return False


def _not_placeable(value: Any) -> str:
    """Why a value cannot be placed, and what to place instead."""
    if isinstance(value, dict):
        return "a mapping cannot be placed whole; place one of its values (figures.group.gva, not figures)"
    if isinstance(value, list | tuple):
        return "a list cannot be placed whole; place its items in a loop, or join them: | join(', ')"
    return (
        f"a {type(value).__name__} is not data and cannot be placed; place text, numbers, dates, figures "
        "or charts"
    )


def _figure(value: Any, name: str) -> FigureRef:
    """`value` when it is a figure; else the filter `name` was given something it cannot change."""
    if not isinstance(value, FigureRef):
        raise FilterArgumentError(
            f"the {name} filter applies to a figure (figures.<name>), not to a {type(value).__name__}"
        )
    return value


def _gap(value: Any) -> FigureRef:
    return replace(_figure(value, "gap"), gap_words=True)


def _or_missing(value: Any) -> FigureRef:
    return replace(_figure(value, "or_missing"), allow_missing=True)


def _precision(value: Any, decimals: Any) -> FigureRef:
    figure = _figure(value, "precision")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise FilterArgumentError(
            f"precision takes a whole number of decimal places from 0 to {MAX_DECIMALS}, not {decimals!r}"
        )
    return replace(figure, decimals=decimals)


def _millions(value: Any) -> FigureRef:
    return replace(_figure(value, "millions"), scale="million")


def _bare(value: Any) -> FigureRef:
    return replace(_figure(value, "bare"), with_note=False)


def _note_only(value: Any) -> FigureRef:
    return replace(_figure(value, "note"), only_note=True)


def _lower_first(text: Any) -> str:
    if not isinstance(text, str):
        raise FilterArgumentError(f"the lowerfirst filter applies to text, not to a {type(text).__name__}")
    return text[:1].lower() + text[1:]


def _string(value: Any) -> str:
    """Jinja's `string`, for data only: a function or one of Jinja's objects would print its Python form."""
    if not is_data(value):
        raise FilterArgumentError(_not_placeable(value))
    return soft_str(value)


FILTERS: Mapping[str, Callable[..., Any]] = {  # by the name a template gives: `{{ x | precision(1) }}`
    "precision": _precision,
    "millions": _millions,
    "bare": _bare,
    "note": _note_only,
    "gap": _gap,
    "or_missing": _or_missing,
    "lowerfirst": _lower_first,
    "string": _string,
    **MUTATION_FILTERS,
}
