"""The schema of cities.yaml (the group, its members, comparators, sources, asks, claims) and its loading."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from keycities.source import Located, check_unique, raise_if_any, read_yaml, validate

FIGURE_KEYS = (
    "population_mid2017",
    "gva_2017_gbp_m",
    "gva_2017_gbp_m_2022_release",
    "gva_per_hour_2017_gbp",
    "gva_per_hour_index_2017_uk100",
    "gva_per_filled_job_2017_gbp",
    "filled_jobs_2017",
    "hours_worked_per_week_2017",
)
# Counts and totals add up across a combined authority's councils; rates and indices do not.
SUMMABLE_KEYS = (
    "population_mid2017",
    "gva_2017_gbp_m",
    "gva_2017_gbp_m_2022_release",
    "filled_jobs_2017",
    "hours_worked_per_week_2017",
)
# The group figures a published claim may be compared with (computed in figures.py).
CLAIMABLE_FIGURES = (
    "group.member_count",
    "group.population",
    "group.gva",
    "group.filled_jobs",
    "group.gva_ratio_to_scotland",
    "group.uplift",
    "group.uplift_per_year",
)
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


class Model(BaseModel):
    """Strict about types (no '6.4' where a number belongs); unknown keys are reported as warnings."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class Source(Model):
    title: str
    publisher: str
    released: date | str | None = None  # a date, or a month such as "2024-06"
    url: str
    note: str | None = None

    @field_validator("released")
    @classmethod
    def _month_or_date(cls, value: date | str | None) -> date | str | None:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValueError(f"expected a date like 2019-02-04 or a month like 2024-06, got {value!r}")
        return value


class FigureValue(Model):
    """One published figure: its value (null when it does not exist), its source, why it is missing."""

    value: float | None
    source: str | None = None  # defaults to figure_sources[key]
    why: str | None = None  # why a null is null, shown wherever the figure is needed

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, data: Any) -> Any:
        return data if isinstance(data, dict) else {"value": data}

    @field_validator("value")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(f"must be more than 0, got {value:g}; use null when the figure does not exist")
        return value


class Figures(Model):
    population_mid2017: FigureValue | None = None
    gva_2017_gbp_m: FigureValue | None = None
    gva_2017_gbp_m_2022_release: FigureValue | None = None
    gva_per_hour_2017_gbp: FigureValue | None = None
    gva_per_hour_index_2017_uk100: FigureValue | None = None
    gva_per_filled_job_2017_gbp: FigureValue | None = None
    filled_jobs_2017: FigureValue | None = None
    hours_worked_per_week_2017: FigureValue | None = None

    def get(self, key: str) -> FigureValue | None:
        """The figure under `key`, or None when it is not listed."""
        value: FigureValue | None = getattr(self, key)
        return value


class Constituent(Model):
    name: str
    ons_code: str
    figures: Figures

    @field_validator("ons_code")
    @classmethod
    def _ons(cls, value: str) -> str:
        return _ons_code(value)


class Member(Model):
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    council: str
    ons_code: str
    type: str
    nation: Literal["England", "Wales"]
    region: str
    membership: Literal["confirmed", "probable"]
    note: str | None = None
    figures: Figures
    constituents: list[Constituent] = Field(default_factory=list)

    @field_validator("ons_code")
    @classmethod
    def _ons(cls, value: str) -> str:
        return _ons_code(value)


class Comparator(Model):
    key: str
    name: str
    figures: Figures


class Person(Model):
    name: str
    title: str | None = None  # "Councillor"
    honours: str | None = None  # "CBE"
    role: str
    council_role: str | None = None
    party: str | None = None


class Contact(Model):
    address: list[str] = Field(default_factory=list)
    email: str | None = None
    telephone: str | None = None
    web: str | None = None


class Group(Model):
    name: str
    description: str
    chair: Person
    contact: Contact
    logo: str  # path under the project folder, PNG
    signature: str  # the chair's signature image, PNG
    money_style: Literal["house", "govuk"] = "house"


class Ask(Model):
    key: str
    title: str
    summary: str
    text: str


class Claim(Model):
    key: str
    text: str  # as the group wrote it
    figure: str  # the computed figure it is compared with
    source: str
    published: float | None = None  # the value it states, in the figure's unit; None for a comparison
    rounding: float | None = None  # what the published value was rounded to
    # for a comparison: the [lowest, highest] value for which it holds
    holds_between: list[float] | None = Field(default=None, min_length=2, max_length=2)


class Projection(Model):
    benchmark: str  # a comparator key
    measure: Literal["gva_per_filled_job_2017_gbp", "gva_per_hour_2017_gbp"]
    jobs: Literal["filled_jobs_2017"]
    base_year: int = Field(gt=1990)
    target_year: int = Field(gt=1990)


class CampaignFile(Model):
    group: Group
    sources: dict[str, Source]
    figure_sources: dict[str, str]
    members: list[Member] = Field(min_length=1)
    comparators: list[Comparator]
    asks: list[Ask] = Field(min_length=1)
    claims: list[Claim] = Field(default_factory=list)
    projection: Projection


def _ons_code(value: str) -> str:
    if not ONS_CODE.fullmatch(value):
        raise ValueError(f"ONS code must be a nation letter and 8 digits, like E06000009, got {value!r}")
    return value


class Campaign:
    """cities.yaml, validated, with the folder it came from (for its assets)."""

    def __init__(self, folder: Path, located: Located, data: CampaignFile, warnings: list[str]) -> None:
        self.folder = folder
        self.located = located
        self.data = data
        self.warnings = warnings
        self.members = {member.slug: member for member in data.members}
        self.comparators = {comparator.key: comparator for comparator in data.comparators}
        self.asks = {ask.key: ask for ask in data.asks}

    def source_of(self, key: str, value: FigureValue) -> str:
        """The source id of a figure: its own, or the default for its key."""
        return value.source or self.data.figure_sources[key]


def load_campaign(folder: Path, strict: bool = False) -> Campaign:
    """Read and validate `folder/cities.yaml`; DataError lists every problem found."""
    located = read_yaml(folder / "cities.yaml")
    model, errors, warnings = validate(CampaignFile, located)
    if model is not None:
        errors += _cross_check(located, model)
    raise_if_any(errors, warnings, strict)
    assert model is not None
    return Campaign(folder, located, model, warnings)


def _cross_check(located: Located, data: CampaignFile) -> list[str]:
    """What the schema alone cannot see: unique keys, and every figure naming a known source."""
    problems = check_unique(located, data.members, "slug", ("members",))
    problems += check_unique(located, data.members, "ons_code", ("members",))
    problems += check_unique(located, data.asks, "key", ("asks",))
    problems += check_unique(located, data.claims, "key", ("claims",))
    for key, source in data.figure_sources.items():
        if key not in FIGURE_KEYS:
            problems.append(
                f"{located.where(('figure_sources', key))}: unknown figure '{key}'; "
                f"known figures: {', '.join(FIGURE_KEYS)}"
            )
        elif source not in data.sources:
            problems.append(_unknown_source(located, ("figure_sources", key), source, data))
    holders: list[tuple[tuple[str | int, ...], Figures]] = []
    for index, member in enumerate(data.members):
        holders.append((("members", index, "figures"), member.figures))
        holders += [
            (("members", index, "constituents", number, "figures"), part.figures)
            for number, part in enumerate(member.constituents)
        ]
    holders += [
        (("comparators", index, "figures"), item.figures) for index, item in enumerate(data.comparators)
    ]
    for path, figures in holders:
        for key in FIGURE_KEYS:
            value = figures.get(key)
            if value is None or value.value is None:
                continue
            if value.source is None and key not in data.figure_sources:
                problems.append(
                    f"{located.where((*path, key))}: no source for this figure; add "
                    f"'source:' here or '{key}' under figure_sources"
                )
            elif value.source is not None and value.source not in data.sources:
                problems.append(_unknown_source(located, (*path, key, "source"), value.source, data))
    for index, claim in enumerate(data.claims):
        if claim.figure not in CLAIMABLE_FIGURES:
            problems.append(
                f"{located.where(('claims', index, 'figure'))}: unknown figure '{claim.figure}'; "
                f"claims can be checked against: {', '.join(CLAIMABLE_FIGURES)}"
            )
        if claim.published is None and claim.holds_between is None:
            problems.append(
                f"{located.where(('claims', index))}: give 'published' (with 'rounding') or "
                "'holds_between' so the claim can be checked"
            )
        if claim.source not in data.sources:
            problems.append(_unknown_source(located, ("claims", index, "source"), claim.source, data))
    comparator_keys = {comparator.key for comparator in data.comparators}
    if data.projection.benchmark not in comparator_keys:
        problems.append(
            f"{located.where(('projection', 'benchmark'))}: unknown comparator "
            f"'{data.projection.benchmark}'; known: {', '.join(sorted(comparator_keys))}"
        )
    if data.projection.target_year <= data.projection.base_year:
        problems.append(
            f"{located.where(('projection', 'target_year'))}: must be after base_year "
            f"({data.projection.base_year})"
        )
    return problems


def _unknown_source(located: Located, path: tuple[str | int, ...], source: str, data: CampaignFile) -> str:
    return (
        f"{located.where(path)}: unknown source '{source}'; add it under sources or use one of: "
        f"{', '.join(sorted(data.sources))}"
    )
