"""The schema of cities.yaml (the group, its members, comparators, sources, asks, claims) and its loading."""

from __future__ import annotations

import math
import re
import struct
import warnings
import zlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from keycities.errors import DataError
from keycities.source import Located, check_unique, raise_if_any, read_yaml, resolve_inside, validate
from keycities.text_rules import text_problem

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
CLAIM_COMPARATORS = {"group.gva_ratio_to_scotland": "scotland"}  # figures that need a comparator
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Far beyond any UK area (the UK itself, 2017: 66 million people, GVA £1.8 trillion, about £35 of GVA per
# hour and £55,000 per filled job, 33 million filled jobs, about a billion hours worked a week): a value
# past one is most likely a slip of units or digits. A warning, since it may be right; --strict refuses it.
PLAUSIBLE_MAXIMUM = {
    "population_mid2017": (100_000_000, "100 million people"),
    "gva_2017_gbp_m": (5_000_000, "£5 trillion (5,000,000 in £ million)"),
    "gva_2017_gbp_m_2022_release": (5_000_000, "£5 trillion (5,000,000 in £ million)"),
    "gva_per_hour_2017_gbp": (1_000, "£1,000 an hour"),
    "gva_per_hour_index_2017_uk100": (1_000, "ten times the UK's (1,000)"),
    "gva_per_filled_job_2017_gbp": (10_000_000, "£10 million a job"),
    "filled_jobs_2017": (100_000_000, "100 million jobs"),
    "hours_worked_per_week_2017": (5_000_000_000, "5 billion hours a week"),
}
LATEST_TARGET_YEAR = 2100  # a projection further ahead is a slip of the year
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


def _one_line(text: str) -> str:
    if problem := text_problem(text):
        raise ValueError(problem)
    return text


# Text that becomes a mail header or a line of an address block (a name, a subject, an address line):
# refused when loaded, with its file and line, rather than when a letter is mailed.
HeaderText = Annotated[str, AfterValidator(_one_line)]


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
        errors += _cross_check(located)
        warnings += _implausible(located)
    if model is not None:
        errors += [
            f"{located.where(('group', key))}: {problem}"
            for key in ("logo", "signature")
            if (problem := png_problem(folder, getattr(model.group, key)))
        ]
    raise_if_any(errors, warnings, strict)
    assert model is not None
    return Campaign(folder, located, model, warnings)


def _cross_check(located: Located) -> list[str]:
    """What the schema alone cannot see: unique keys, known sources and figures. Works on the raw data,
    so these problems are reported beside the schema's own, in one run."""
    data = located.data
    sources = _mapping(data, "sources")
    figure_sources = _mapping(data, "figure_sources")
    members, asks, claims = _items(data, "members"), _items(data, "asks"), _items(data, "claims")
    problems = check_unique(located, members, "slug", ("members",))
    problems += check_unique(located, members, "ons_code", ("members",))
    problems += check_unique(located, asks, "key", ("asks",))
    problems += check_unique(located, claims, "key", ("claims",))
    problems += check_unique(located, _items(data, "comparators"), "key", ("comparators",))
    for key, source in figure_sources.items():
        if key not in FIGURE_KEYS:
            problems.append(
                f"{located.where(('figure_sources', key))}: unknown figure '{key}'; "
                f"known figures: {', '.join(FIGURE_KEYS)}"
            )
        elif isinstance(source, str) and source not in sources:  # anything else is the schema's to report
            problems.append(_unknown_source(located, ("figure_sources", key), source, sources))
    unsourced: dict[str, list[tuple[str | int, ...]]] = {}
    for path in _figure_holders(data):
        for key, value in _mapping_at(data, path).items():
            figure = value if isinstance(value, dict) else {"value": value}
            if figure.get("value") is None or key not in FIGURE_KEYS:
                continue
            own = figure.get("source")
            if own is None and key not in figure_sources:
                unsourced.setdefault(key, []).append((*path, key))
            elif isinstance(own, str) and own not in sources:
                problems.append(_unknown_source(located, (*path, key, "source"), own, sources))
    for key, paths in unsourced.items():
        others = f" (nor do {len(paths) - 1} more {key} figures)" if len(paths) > 1 else ""
        problems.append(
            f"{located.where(paths[0])}: this figure names no source{others}; add "
            f"'{key}: <source id>' under figure_sources, or 'source:' to the figure"
        )
    listed = _mapping(data, "group").get("membership_sources")
    for index, source in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(source, str) and source not in sources:
            problems.append(_unknown_source(located, ("group", "membership_sources", index), source, sources))
    for index, claim in claims:
        if "figure" in claim and claim["figure"] not in CLAIMABLE_FIGURES:
            problems.append(
                f"{located.where(('claims', index, 'figure'))}: unknown figure '{claim['figure']}'; "
                f"claims can be checked against: {', '.join(CLAIMABLE_FIGURES)}"
            )
        needed = CLAIM_COMPARATORS.get(str(claim.get("figure")))
        if needed and needed not in [item.get("key") for _, item in _items(data, "comparators")]:
            problems.append(
                f"{located.where(('claims', index, 'figure'))}: {claim['figure']} needs a comparator with "
                f"key '{needed}'; add it under comparators"
            )
        if claim.get("published") is None and claim.get("holds_between") is None:
            problems.append(
                f"{located.where(('claims', index))}: give 'published' (with 'rounding') or "
                "'holds_between' so the claim can be checked"
            )
        if isinstance(claim.get("source"), str) and claim["source"] not in sources:
            problems.append(_unknown_source(located, ("claims", index, "source"), claim["source"], sources))
    projection = _mapping(data, "projection")
    comparator_keys = sorted(str(item.get("key")) for _, item in _items(data, "comparators"))
    if "benchmark" in projection and projection["benchmark"] not in comparator_keys:
        problems.append(
            f"{located.where(('projection', 'benchmark'))}: unknown comparator "
            f"'{projection['benchmark']}'; known: {', '.join(comparator_keys)}"
        )
    benchmark = next(
        (item for _, item in _items(data, "comparators") if item.get("key") == projection.get("benchmark")),
        None,
    )
    measure = projection.get("measure")
    if benchmark is not None and isinstance(measure, str):
        value = _mapping(benchmark, "figures").get(measure)
        if (value.get("value") if isinstance(value, dict) else value) is None:
            problems.append(
                f"{located.where(('projection', 'benchmark'))}: the projection needs the {measure} of "
                f"'{projection['benchmark']}'; give it under that comparator's figures"
            )
    base, target = projection.get("base_year"), projection.get("target_year")
    if isinstance(base, int) and isinstance(target, int) and target <= base:
        problems.append(f"{located.where(('projection', 'target_year'))}: must be after base_year ({base})")
    return problems


def _figure_holders(data: Any) -> list[tuple[str | int, ...]]:
    """The path of every `figures:` mapping: each member's, each council's of a combined authority, each
    comparator's."""
    holders: list[tuple[str | int, ...]] = []
    for index, member in _items(data, "members"):
        holders.append(("members", index, "figures"))
        holders += [
            ("members", index, "constituents", number, "figures")
            for number, _ in _items(member, "constituents")
        ]
    return holders + [("comparators", index, "figures") for index, _ in _items(data, "comparators")]


def _implausible(located: Located) -> list[str]:
    """A warning for each value far beyond any UK area's, and for a projection beyond LATEST_TARGET_YEAR."""
    warnings = []
    for path in _figure_holders(located.data):
        for key, value in _mapping_at(located.data, path).items():
            written = value.get("value") if isinstance(value, dict) else value
            limit = PLAUSIBLE_MAXIMUM.get(str(key))
            if not limit or isinstance(written, bool) or not isinstance(written, int | float):
                continue  # not a number: the schema's to report
            try:
                number = float(written)
            except OverflowError:  # a whole number longer than any figure: the schema refuses it
                continue
            if number <= limit[0]:
                continue
            shown = f"{number:,.2f}".rstrip("0").rstrip(".") if number < 1e15 else f"{number:g}"
            warnings.append(
                f"{located.where((*path, key))}: {shown} is more than {limit[1]}, far beyond any UK area; "
                "check the value and its unit"
            )
    target = _mapping(located.data, "projection").get("target_year")
    if isinstance(target, int) and LATEST_TARGET_YEAR < target < 10_000:  # a later one is an error
        warnings.append(
            f"{located.where(('projection', 'target_year'))}: {target} is after {LATEST_TARGET_YEAR}, "
            "further ahead than any projection of these figures can reach; check the year"
        )
    return warnings


def png_problem(folder: Path, relative: str) -> str | None:
    """What is wrong with an image a document will show, or None: it must be a PNG inside the project,
    links followed."""
    try:
        path = resolve_inside(folder, folder / relative)
    except DataError as error:
        return error.problems[0]
    try:
        with open(path, "rb") as image:
            start = image.read(len(PNG_SIGNATURE))
    except FileNotFoundError:
        return f"no such file {relative}; give a PNG in the project folder"
    except IsADirectoryError:
        return f"{relative} is a folder where a PNG image belongs; name the image's file"
    except OSError as error:
        return f"cannot read {relative} ({error.strerror}); check the path"
    if start != PNG_SIGNATURE:
        return f"{relative} is not a PNG image; save it as PNG (Word cannot show SVG)"
    return _damaged(path, relative)


def _damaged(path: Path, relative: str) -> str | None:
    """What is wrong inside a file that starts as a PNG, or None: the renderers decode it only when a
    document is built, and fail there with a traceback, so it is decoded here, whole."""
    from PIL import Image, ImageFile  # imported here: only a check that loads images needs it

    # WeasyPrint, once imported, lets Pillow pass over a cut-short image: not while checking one.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a huge image, not a logo
            with Image.open(path) as image:
                image.verify()  # every chunk and its checksum
            with Image.open(path) as image:  # verify leaves the image unusable: open it again
                image.load()  # the pixels themselves
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        return f"{relative} is a damaged PNG image ({error}); export it again as PNG"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return None


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _mapping_at(data: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int):
            data = data[part]
    return data if isinstance(data, dict) else {}


def _items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a list, with their positions (anything malformed is the schema's to report)."""
    value = data.get(key) if isinstance(data, dict) else None
    return (
        [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]
        if isinstance(value, list)
        else []
    )


def _unknown_source(
    located: Located, path: tuple[str | int, ...], source: object, sources: dict[str, Any]
) -> str:
    return (
        f"{located.where(path)}: unknown source '{source}'; add it under sources or use one of: "
        f"{', '.join(sorted(sources))}"
    )
