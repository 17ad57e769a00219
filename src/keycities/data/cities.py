"""The schema of cities.yaml (the group, its members, comparators, sources, asks, claims) and its loading."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from keycities.data.cross_check import cross_check, implausible_values
from keycities.data.images import png_problem
from keycities.data.releases import Releases, load_releases
from keycities.data.schema import HeaderText, Model, raise_if_any, validate
from keycities.data.sources import Source
from keycities.data.yaml_lines import Located, read_yaml

ONS_CODE = re.compile(r"^[EWSN]\d{8}$")
ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Constituent(Model):
    name: str
    ons_code: str

    @field_validator("ons_code")
    @classmethod
    def _ons(cls, value: str) -> str:
        return _ons_code(value)


class Member(Model):
    slug: str = Field(pattern=ID)
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
    constituents: list[Constituent] = Field(default_factory=list)

    @field_validator("ons_code")
    @classmethod
    def _ons(cls, value: str) -> str:
        return _ons_code(value)


class Comparator(Model):
    key: str
    name: str
    name_cy: str | None = None
    ons_code: str  # E92000001 England, W92000004 Wales, S92000003 Scotland, K02000001 the UK
    itl_code: str | None = None  # as ONS's ITL tables name it: TLB England, UKX the UK


class Signatory(Model):
    """A person who can sign the group's letters, named by a letter's `signatory:` (its key in
    `group.signatories`)."""

    name: HeaderText
    title: str | None = None  # "Councillor"
    honours: str | None = None  # "CBE"
    roles: list[str] = Field(default_factory=list)  # printed under the name, in order
    party: str | None = None
    council: str | None = None  # "Wakefield Council"
    signature: str | None = None  # their signature image, PNG; without it, a space to sign by hand

    @property
    def signed_name(self) -> str:
        """The name as it is typed under the signature: "Councillor Peter Box CBE"."""
        return " ".join(part for part in (self.title, self.name, self.honours) if part)


class Contact(Model):
    address: list[str] = Field(default_factory=list)
    email: str | None = None
    telephone: str | None = None
    web: str | None = None


class Group(Model):
    name: HeaderText
    short_name: HeaderText | None = None  # "Key Cities": names the files mailed (else the name)
    description: str
    description_cy: str | None = None  # in Welsh: the letterhead of Welsh documents
    # Who can sign letters, by the id a letter's `signatory:` gives: lowercase words joined by hyphens.
    signatories: dict[Annotated[str, StringConstraints(pattern=ID)], Signatory] = Field(min_length=1)
    contact: Contact
    membership_sources: list[str] = Field(min_length=1)  # where the member list comes from
    logo: str  # path under the project folder, PNG
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
    data_year: int | None = Field(
        default=None, gt=1900, lt=10_000
    )  # the year of its figures; else the latest
    computed_from: str | None = None  # what the group computed it from, in words
    published: float | None = Field(default=None, gt=0, allow_inf_nan=False)  # in the figure's unit
    rounding: float | None = Field(default=None, gt=0, allow_inf_nan=False)  # what `published` was rounded to
    # for a comparison: the [lowest, highest] value for which it holds
    holds_between: list[float] | None = Field(default=None, min_length=2, max_length=2)


class Projection(Model):
    benchmark: str  # a comparator key
    # Per filled job, since the gap is multiplied by filled jobs: a per-hour gap would need hours instead.
    measure: Literal["gva_per_filled_job"]
    jobs: Literal["filled_jobs"]
    # A year of four digits: the years between them multiply every yearly addition.
    base_year: int = Field(gt=1990, lt=10_000)
    target_year: int = Field(gt=1990, lt=10_000)


class Briefing(Model):
    date: date  # printed on every pack; also its fixed creation date, so the same data gives the same bytes
    data_year: int | None = Field(
        default=None, gt=1900, lt=10_000
    )  # the year of the figures; else the latest


class CampaignFile(Model):
    group: Group
    sources: dict[str, Source]
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
    """cities.yaml, validated, with the folder it came from (for its assets) and the figures of `data/`."""

    def __init__(
        self, folder: Path, located: Located, data: CampaignFile, releases: Releases, warnings: list[str]
    ) -> None:
        self.folder = folder
        self.located = located
        self.data = data
        self.releases = releases
        self.warnings = warnings
        self.members = {member.slug: member for member in data.members}
        self.comparators = {comparator.key: comparator for comparator in data.comparators}
        self.asks = {ask.key: ask for ask in data.asks}
        # Every source a note may cite: those of cities.yaml and the releases of data/.
        self.sources = data.sources | releases.sources

    def area_codes(self) -> set[str]:
        """The ONS codes whose figures the campaign uses: members, their councils, comparators."""
        codes = {comparator.ons_code for comparator in self.data.comparators}
        for member in self.data.members:
            codes |= {part.ons_code for part in member.constituents} or {member.ons_code}
        return codes


def load_campaign(folder: Path, strict: bool = False) -> Campaign:
    """Read and validate `folder/cities.yaml` and the data files of `folder/data/`; DataError lists every
    problem found."""
    located = read_yaml(folder / "cities.yaml", folder)
    model, errors, warnings = validate(CampaignFile, located)
    releases, data_errors, data_warnings = load_releases(folder)
    errors += data_errors
    warnings += data_warnings
    if isinstance(located.data, dict):
        errors += cross_check(located, set(releases.sources))
        warnings += implausible_values(located)
    if model is not None:
        images = [(("group", "logo"), model.group.logo)] + [
            (("group", "signatories", key, "signature"), signatory.signature)
            for key, signatory in model.group.signatories.items()
            if signatory.signature is not None
        ]
        errors += [
            f"{located.where(path)}: {problem}"
            for path, relative in images
            if (problem := png_problem(folder, relative))
        ]
    raise_if_any(errors, warnings, strict)
    assert model is not None
    return Campaign(folder, located, model, releases, warnings)
