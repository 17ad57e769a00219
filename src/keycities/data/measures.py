"""The measure registry: each measure the data holds, declared once, with its unit, how the data files hold
it, whether it adds up across councils, its English and Welsh labels, and the value beyond which it is most
likely a slip. The data files, figures, labels, charts and `check --list` all take their names from here:
adding a measure is one entry below plus its data.

Labels carry no year: a figure's year comes from the data it was computed from (`labelled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["gbp", "persons", "jobs", "hours", "index", "ratio", "rank", "count", "years"]
Language = Literal["en-GB", "cy"]


@dataclass(frozen=True)
class Measure:
    """One measure, as the data files hold it and documents name it."""

    key: str  # in data files and figure names: `population`, `member.hull.gva`
    label: str  # "GVA"
    label_cy: str
    unit: Unit
    # Counts and totals add up across a combined authority's councils; rates and indices do not.
    summable: bool
    # Far beyond any UK area (the UK itself, 2017: 66 million people, GVA £1.8 trillion, about £35 of GVA
    # per hour and £55,000 per filled job, 33 million filled jobs, about a billion hours worked a week): a
    # value past it is most likely a slip of units or digits. A warning, since it may be right.
    plausible_maximum: tuple[float, str]
    scale: float = 1.0  # data files hold GVA in £ million, as ONS publishes it; figures hold pounds
    held_as: str = ""  # the unit of the data files, for people reading them: "£ million"
    # How the year reads in a label: "mid-{year}" for a population estimate at 30 June.
    period: str = "{year}"
    period_cy: str = "{year}"
    decimals: int | None = None  # always this many places (pence for an hour's GVA: £27.00); else the unit's

    def when(self, year: int, language: Language = "en-GB") -> str:
        """The year as a label gives it: "2018", "mid-2018"."""
        return (self.period_cy if language == "cy" else self.period).format(year=year)

    def labelled(self, year: int | None, language: Language = "en-GB") -> str:
        """The label with its year: "GVA, 2018", "Population, mid-2018"."""
        label = self.label_cy if language == "cy" else self.label
        return label if year is None else f"{label}, {self.when(year, language)}"


_GVA_LIMIT = (5_000_000, "£5 trillion (5,000,000 in £ million)")
MEASURES = {
    measure.key: measure
    for measure in (
        Measure(
            "population", "Population", "Poblogaeth", "persons", True, (100_000_000, "100 million people"),
            held_as="persons", period="mid-{year}", period_cy="canol {year}",
        ),
        Measure(
            "gva", "GVA", "GVA", "gbp", True, _GVA_LIMIT, 1e6,
            held_as="£ million, current basic prices",
        ),
        Measure(
            "gva_per_hour", "GVA per hour worked", "GVA fesul awr a weithiwyd", "gbp", False,
            (1_000, "£1,000 an hour"), held_as="£", decimals=2,
        ),
        Measure(
            "gva_per_hour_index", "GVA per hour index (UK = 100)", "Mynegai GVA fesul awr (DU = 100)",
            "index", False, (1_000, "ten times the UK's (1,000)"), held_as="index, UK = 100",
        ),
        Measure(
            "gva_per_filled_job", "GVA per filled job", "GVA fesul swydd wedi’i llenwi", "gbp", False,
            (10_000_000, "£10 million a job"), held_as="£",
        ),
        Measure(
            "filled_jobs", "Filled jobs", "Swyddi wedi’u llenwi", "jobs", True,
            (100_000_000, "100 million jobs"), held_as="jobs",
        ),
        Measure(
            "hours", "Hours worked per week", "Oriau a weithiwyd yr wythnos", "hours", True,
            (5_000_000_000, "5 billion hours a week"), held_as="hours a week",
        ),
    )
}  # fmt: skip
MEASURE_KEYS = tuple(MEASURES)
