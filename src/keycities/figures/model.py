"""What a figure is, and the book that holds every figure by name: each figure's value, unit, sources,
method and the members it covers. These are the data the other stages pass around; `compute.py` makes
them and `claims.py` checks the group's published claims against them, and only those two do arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from keycities.data.measures import Unit
from keycities.errors import FigureError

PUBLISHED = "As published."  # the method of a figure taken straight from its source


# A run's choice of year for every document (`--data-year`): a year, the latest, or each document's own pin.
DataYear = int | Literal["latest"] | None


@dataclass(frozen=True)
class DataChoice:
    """Which figures a document uses: those of one year (`year`), or, with None, each computation's latest
    year for which all its inputs exist; of a year, the release current at the document's date (`as_of`),
    or the latest with no date."""

    year: int | None = None
    as_of: date | None = None


@dataclass(frozen=True)
class Input:
    """A value a figure is computed from, and where it is written (`data/x.yaml:14`)."""

    where: str
    what: str  # "gva of Blackpool (E06000009), 2017"
    value: float


@dataclass(frozen=True)
class Coverage:
    """How many members a group figure covers, and which are missing."""

    covered: int
    total: int
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every member is covered."""
        return self.covered == self.total

    def __str__(self) -> str:
        return f"{self.covered} of {self.total} members"


@dataclass(frozen=True)
class Figure:
    """One number with everything needed to defend it."""

    name: str
    label: str
    value: float | None
    unit: Unit
    sources: tuple[str, ...]
    method: str
    coverage: Coverage | None = None
    why_missing: str | None = None
    # The values it is computed from, and where they are written: named when it cannot be computed.
    inputs: tuple[Input, ...] = ()
    year: int | None = None  # the year of the data it comes from
    rounded_to: float | None = None  # a source rounded it (or a part of it) to this, in its unit
    decimals: int | None = None  # the places it is always shown with (its measure's), unless a template asks

    @property
    def missing(self) -> bool:
        """True when the data has no value for this figure."""
        return self.value is None

    def require(self) -> float:
        """The value, or FigureError naming the figure and why it is missing."""
        if self.value is None:
            raise FigureError(
                f"{self.label} ({self.name}) is missing: {(self.why_missing or '').rstrip('.')}"
            )
        return self.value


@dataclass
class FigureBook:
    """Every figure, by name: `group.gva`, `member.wakefield.gva_per_hour`, `comparator.england.gva`."""

    figures: dict[str, Figure] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        """Record a figure; a name may be used once."""
        if figure.name in self.figures:
            raise ValueError(f"figure {figure.name} computed twice")
        self.figures[figure.name] = figure
        return figure

    def __getitem__(self, name: str) -> Figure:
        try:
            return self.figures[name]
        except KeyError:
            raise FigureError(
                f"unknown figure '{name}'; see `generate.py check --list` for the names"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.figures
