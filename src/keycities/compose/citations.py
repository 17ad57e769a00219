"""The source notes of one document: each figure it places is numbered in order of first use and described
with its value, method, coverage and sources, each source is cited by a letter, and the publications cited
are listed once, with publisher, title, release date and address, after the notes.
"""

from __future__ import annotations

from datetime import date

from keycities.compose.blocks import Block, ListBlock, Notes, Run
from keycities.compose.figure_words import WelshFigureWords, coverage
from keycities.compose.markdown import clean
from keycities.data.cities import Campaign
from keycities.figures.model import PUBLISHED, Figure
from keycities.formatting import Formatter

RELEASED = {"en-GB": "released", "cy": "cyhoeddwyd"}
SOURCE_WORDS = {"en-GB": ("Source", "Sources"), "cy": ("Ffynhonnell", "Ffynonellau")}  # one, several
WORDS = {
    "en-GB": {
        "missing": "not available",
        "exact": "{value} before rounding",
        "rounded": "Includes a value its source rounded to the nearest {to}.",
        "covers": "Covers {coverage}.",
    },
    "cy": {
        "missing": "dim ar gael",
        "exact": "{value} cyn talgrynnu",
        "rounded": "Yn cynnwys gwerth a dalgrynnwyd gan ei ffynhonnell i’r {to} agosaf.",
        "covers": "Yn cwmpasu {coverage}.",
    },
}


class SourceNotes:
    """Numbers the figures a document uses, in order of first use, with their method and sources."""

    def __init__(self, campaign: Campaign, formatter: Formatter) -> None:
        self.campaign, self.formatter = campaign, formatter
        self.numbers: dict[str, int] = {}
        self.items: list[tuple[int, str]] = []
        self.figures: list[Figure] = []
        self.sources: dict[str, str] = {}  # source key -> citation letter
        self.welsh = WelshFigureWords(campaign) if formatter.language == "cy" else None

    def number(self, figure: Figure, shown: str | None = None) -> int:
        """The note number for a figure, adding its note on first use; `shown` is the value as the text
        gives it, which the note repeats."""
        if figure.name not in self.numbers:
            self.numbers[figure.name] = len(self.numbers) + 1
            self.items.append((self.numbers[figure.name], self.describe(figure, shown)))
            self.record(figure)
        return self.numbers[figure.name]

    def record(self, figure: Figure) -> None:
        """Note that the document shows a figure (for the manifest), with or without a note."""
        if figure not in self.figures:
            self.figures.append(figure)

    def describe(self, figure: Figure, shown: str | None = None) -> str:
        """`Label: value. Method. Covers 23 of 24 members. Sources: [A], [B].` The value as the text shows
        it, and, when the text rounds it further than usual, its value before rounding too. In a Welsh
        document the label, method and words are Welsh (`figure_words.py`)."""
        words = WORDS[self.formatter.language]
        label = self.welsh.label(figure) if self.welsh else figure.label
        if figure.value is None:
            why = (figure.why_missing or "").rstrip(".")
            return clean(f"{label}: {words['missing']}. {why[:1].upper()}{why[1:]}.")
        value = self.formatter.figure(figure)
        if shown is not None and shown != value and figure.unit in {"gbp", "persons", "jobs", "hours"}:
            exact = self.formatter.number(figure.value, figure.decimals or 0)
            value = f"{shown} ({words['exact'].format(value=('£' if figure.unit == 'gbp' else '') + exact)})"
        method = self.welsh.method(figure) if self.welsh else figure.method
        method = "" if figure.method == PUBLISHED else f" {method}"
        covered, covers = figure.coverage, ""
        if covered and not covered.complete:
            covers = " " + words["covers"].format(coverage=coverage(covered) if self.welsh else covered)
        rounded = ""
        if figure.rounded_to:
            rounded = " " + words["rounded"].format(to=self.formatter.number(figure.rounded_to))
        cited = ", ".join(f"[{self.cite(key)}]" for key in figure.sources)
        source = SOURCE_WORDS[self.formatter.language][len(figure.sources) > 1]
        return clean(f"{label}: {value}.{method}{covers}{rounded} {source}: {cited}.")

    def cite(self, key: str) -> str:
        """The letter a source is cited by in this document: A, B, C... in order of first use."""
        if key not in self.sources:
            self.sources[key] = chr(ord("A") + len(self.sources))
        return self.sources[key]

    def blocks(self, title: str) -> tuple[Block, ...]:
        """The numbered notes, then each publication cited, once, with its address."""
        if not self.items:
            return ()
        publications = tuple(
            (Run(f"[{letter}] {clean(self.publication(key))}"),) for key, letter in self.sources.items()
        )
        return (Notes(title, tuple(self.items)), ListBlock(False, publications))

    def publication(self, key: str) -> str:
        """One source as a reader can find it: publisher, title, release date, address."""
        source = self.campaign.sources[key]
        released = source.released
        when = self.formatter.date(released) if isinstance(released, date) else None
        if isinstance(released, str):  # a month, "2024-06"
            when = self.formatter.month(int(released[:4]), int(released[5:]))
        released_word = RELEASED[self.formatter.language]
        parts = (
            source.publisher,
            f"‘{source.title}’",
            f"{released_word} {when}" if when else None,
            source.url,
        )
        return ", ".join(part for part in parts if part)
