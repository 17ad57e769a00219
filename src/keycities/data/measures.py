"""The measure registry: each figure key of cities.yaml once, with the name, label, unit and scale documents
give it, whether it adds up across councils, and the value beyond which it is most likely a slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["gbp", "persons", "jobs", "hours", "index", "ratio", "rank", "count", "years"]


@dataclass(frozen=True)
class Measure:
    """A figure key of cities.yaml as documents name it."""

    key: str
    name: str
    label: str
    unit: Unit
    # Counts and totals add up across a combined authority's councils; rates and indices do not.
    summable: bool
    # Far beyond any UK area (the UK itself, 2017: 66 million people, GVA £1.8 trillion, about £35 of GVA
    # per hour and £55,000 per filled job, 33 million filled jobs, about a billion hours worked a week): a
    # value past it is most likely a slip of units or digits. A warning, since it may be right.
    plausible_maximum: tuple[float, str]
    scale: float = 1.0  # cities.yaml holds GVA in £ million; figures hold pounds


_GVA_LIMIT = (5_000_000, "£5 trillion (5,000,000 in £ million)")
MEASURES = {
    measure.key: measure
    for measure in (
        Measure(
            "population_mid2017", "population", "Population, mid-2017", "persons", True,
            (100_000_000, "100 million people"),
        ),
        Measure("gva_2017_gbp_m", "gva", "GVA, 2017", "gbp", True, _GVA_LIMIT, 1e6),
        Measure(
            "gva_2017_gbp_m_2022_release", "gva_2022_release", "GVA, 2017 (May 2022 release)", "gbp", True,
            _GVA_LIMIT, 1e6,
        ),
        Measure(
            "gva_per_hour_2017_gbp", "gva_per_hour", "GVA per hour worked, 2017", "gbp", False,
            (1_000, "£1,000 an hour"),
        ),
        Measure(
            "gva_per_hour_index_2017_uk100", "gva_per_hour_index", "GVA per hour index, 2017 (UK = 100)",
            "index", False, (1_000, "ten times the UK's (1,000)"),
        ),
        Measure(
            "gva_per_filled_job_2017_gbp", "gva_per_filled_job", "GVA per filled job, 2017", "gbp", False,
            (10_000_000, "£10 million a job"),
        ),
        Measure(
            "filled_jobs_2017", "filled_jobs", "Filled jobs, 2017", "jobs", True,
            (100_000_000, "100 million jobs"),
        ),
        Measure(
            "hours_worked_per_week_2017", "hours_worked_per_week", "Hours worked per week, 2017", "hours",
            True, (5_000_000_000, "5 billion hours a week"),
        ),
    )
}  # fmt: skip
FIGURE_KEYS = tuple(MEASURES)
SUMMABLE_KEYS = tuple(key for key, measure in MEASURES.items() if measure.summable)
PLAUSIBLE_MAXIMUM = {key: measure.plausible_maximum for key, measure in MEASURES.items()}
MEASURE_LABELS = {measure.name: measure.label.removesuffix(", 2017") for measure in MEASURES.values()}
