"""The schema of cities.yaml (the group, its members, comparators, sources, asks, claims) and its loading."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from keycities.data.cross_check import cross_check, implausible_values
from keycities.data.images import png_problem
from keycities.data.schema import HeaderText, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, read_yaml

ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


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
        if value is not None and (not math.isfinite(value) or value <= 0):
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
    name_cy: str | None = None  # the Welsh name, for a Welsh-language pack
    council_cy: str | None = None
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
    name_cy: str | None = None
    figures: Figures


class Person(Model):
    name: HeaderText
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
    name: HeaderText
    description: str
    chair: Person
    contact: Contact
    membership_sources: list[str] = Field(min_length=1)  # where the member list comes from
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
    published: float | None = Field(default=None, gt=0, allow_inf_nan=False)  # in the figure's unit
    rounding: float | None = Field(default=None, gt=0, allow_inf_nan=False)  # what `published` was rounded to
    # for a comparison: the [lowest, highest] value for which it holds
    holds_between: list[float] | None = Field(default=None, min_length=2, max_length=2)


class Projection(Model):
    benchmark: str  # a comparator key
    # Per filled job, since the gap is multiplied by filled jobs: a per-hour gap would need hours instead.
    measure: Literal["gva_per_filled_job_2017_gbp"]
    jobs: Literal["filled_jobs_2017"]
    # A year of four digits: the years between them multiply every yearly addition.
    base_year: int = Field(gt=1990, lt=10_000)
    target_year: int = Field(gt=1990, lt=10_000)


class Briefing(Model):
    date: date  # printed on every pack; also its fixed creation date, so the same data gives the same bytes


class CampaignFile(Model):
    group: Group
    sources: dict[str, Source]
    figure_sources: dict[str, str]
    members: list[Member] = Field(min_length=1)
    comparators: list[Comparator]
    asks: list[Ask] = Field(min_length=1)
    claims: list[Claim] = Field(default_factory=list)
    projection: Projection
    briefing: Briefing


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
    located = read_yaml(folder / "cities.yaml", folder)
    model, errors, warnings = validate(CampaignFile, located)
    if isinstance(located.data, dict):
        errors += cross_check(located)
        warnings += implausible_values(located)
    if model is not None:
        errors += [
            f"{located.where(('group', key))}: {problem}"
            for key in ("logo", "signature")
            if (problem := png_problem(folder, getattr(model.group, key)))
        ]
    raise_if_any(errors, warnings, strict)
    assert model is not None
    return Campaign(folder, located, model, warnings)
