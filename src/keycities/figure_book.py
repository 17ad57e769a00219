"""What a figure is, and the book that holds every figure by name: the measures of cities.yaml with the
names, labels and units documents give them, and each figure's value, sources, method and the members it
covers. These are the data the other stages pass around; `figures.py` computes them and `claims.py` checks
the group's published claims against them, and only those two do arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from keycities.campaign import FIGURE_KEYS
from keycities.errors import FigureError
from keycities.source import PathKey

Unit = Literal["gbp", "persons", "jobs", "hours", "index", "ratio", "rank", "count", "years"]


@dataclass(frozen=True)
class Measure:
    """A figure key of cities.yaml as documents name it."""

    key: str
    name: str
    label: str
    unit: Unit
    scale: float = 1.0  # cities.yaml holds GVA in £ million; figures hold pounds


MEASURES = {
    measure.key: measure
    for measure in (
        Measure("population_mid2017", "population", "Population, mid-2017", "persons"),
        Measure("gva_2017_gbp_m", "gva", "GVA, 2017", "gbp", 1e6),
        Measure(
            "gva_2017_gbp_m_2022_release", "gva_2022_release", "GVA, 2017 (May 2022 release)", "gbp", 1e6
        ),
        Measure("gva_per_hour_2017_gbp", "gva_per_hour", "GVA per hour worked, 2017", "gbp"),
        Measure(
            "gva_per_hour_index_2017_uk100",
            "gva_per_hour_index",
            "GVA per hour index, 2017 (UK = 100)",
            "index",
        ),
        Measure("gva_per_filled_job_2017_gbp", "gva_per_filled_job", "GVA per filled job, 2017", "gbp"),
        Measure("filled_jobs_2017", "filled_jobs", "Filled jobs, 2017", "jobs"),
        Measure(
            "hours_worked_per_week_2017", "hours_worked_per_week", "Hours worked per week, 2017", "hours"
        ),
    )
}
assert tuple(MEASURES) == FIGURE_KEYS
MEASURE_LABELS = {measure.name: measure.label.removesuffix(", 2017") for measure in MEASURES.values()}
PUBLISHED = "As published."  # the method of a figure taken straight from its source


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
    # Where in cities.yaml the values it is computed from are: named when it cannot be computed.
    inputs: tuple[PathKey, ...] = ()

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
