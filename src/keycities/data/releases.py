"""The figures the project holds, by measure, area, year and release: the files in `data/`, one per
release (written by `generate.py data import`), read and checked, and the rule that picks which value of
a year a document uses.

A data file:

    source: {title, publisher, released, url}
    tables: {<measure>: {file, sheet, unit, note}}
    values:
      <measure>:
        <ONS code>: {2017: 2672, 2018: "[c]", sum_of: 309}   # a year's value, or ONS's marker for a gap
        <ONS code>: absent                                  # a council the release does not have

A year's value may also be `{value: 194800, rounded_to: 100}` for a figure rounded in its source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field

from keycities.data.measures import MEASURES
from keycities.data.schema import Model, validate
from keycities.data.sources import Source, released_on
from keycities.data.yaml_lines import Located, PathKey, read_yaml
from keycities.errors import DataError

DATA_FOLDER = "data"
ABSENT = "absent"
# ONS's markers for a value it does not publish, and what each means.
MARKERS = {
    "[x]": "not available",
    "[c]": "confidential",
    "[z]": "not applicable",
    "[low]": "too low to publish",
    "[u]": "too unreliable to publish",
    ":": "not available",
    "..": "not available",
    "": "left blank",
}
YEAR = re.compile(r"^\d{4}$")


class Table(Model):
    file: str
    sheet: str | None = None
    unit: str | None = None
    note: str | None = None


class DataFile(Model):
    source: Source
    tables: dict[str, Table] = Field(default_factory=dict)
    values: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Held:
    """One value of one release: the number (None for a gap), where it is written, and what it is."""

    measure: str
    code: str
    year: int
    value: float | None  # in the figure's unit (pounds, not £ million)
    source: str
    released: date
    where: str  # `data/ons-gva-la-2021.yaml:14`
    why: str | None = None  # for a gap: ONS's marker's meaning, or "not in <release>"
    sum_of: int | None = None  # the value is the sum of this many local authorities' rows
    rounded_to: float | None = None  # the source rounded it to this (in the figure's unit)


@dataclass
class Releases:
    """Every value of every data file, by (measure, ONS code, year), with the sources they come from."""

    sources: dict[str, Source]
    held: dict[tuple[str, str, int], list[Held]]
    notes: dict[tuple[str, str], str]  # (source, measure) -> the table's note

    def years(self, measure: str, codes: set[str]) -> list[int]:
        """The years for which some release holds a value of `measure` for one of `codes`."""
        return sorted(
            {year for (key, code, year), helds in self.held.items()
             if key == measure and code in codes and any(held.value is not None for held in helds)}
        )  # fmt: skip

    def pick(self, measure: str, code: str, year: int, as_of: date | None) -> Held | None:
        """The value a document dated `as_of` uses: from the latest release published by then, or, when
        every release came later, the earliest (the nearest to what was current then); with no date, the
        latest. At the same date a value read from a row beats a sum of rows. When no release has a number,
        the gap (value None, with its reason) of the release the same rule picks; None when no release
        mentions the area and year at all."""
        helds = self.held.get((measure, code, year), [])
        numbers = [held for held in helds if held.value is not None] or helds
        earlier = [held for held in numbers if as_of is None or held.released <= as_of]
        if not numbers:
            return None
        if earlier:
            return max(earlier, key=lambda held: (held.released, held.sum_of is None, held.source))
        return min(numbers, key=lambda held: (held.released, held.sum_of is not None, held.source))

    def releases_of(self, measure: str, year: int, codes: set[str]) -> list[str]:
        """The releases holding a number of `measure` for `year` for one of `codes`, oldest first."""
        found = {
            held.source: held.released
            for (key, code, held_year), helds in self.held.items()
            if key == measure and held_year == year and code in codes
            for held in helds
            if held.value is not None
        }
        return sorted(found, key=lambda source: (found[source], source))


def load_releases(folder: Path) -> tuple[Releases, list[str], list[str]]:
    """Read every `data/*.yaml` of the project: the values, their sources, the problems and the warnings
    (values far beyond any UK area's)."""
    releases = Releases({}, {}, {})
    problems: list[str] = []
    warnings: list[str] = []
    root = folder / DATA_FOLDER
    for file in sorted(root.glob("*.yaml")) if root.is_dir() else []:
        try:
            located = read_yaml(file, root)
        except DataError as error:
            problems += error.problems
            continue
        model, errors, unknown = validate(DataFile, located)
        problems += errors
        warnings += unknown
        if model is None:
            continue
        source_id = file.stem
        releases.sources[source_id] = model.source
        for measure, table in model.tables.items():
            if table.note:
                releases.notes[(source_id, measure)] = table.note
        problems += _read_values(located, source_id, model, releases, warnings)
    return releases, problems, warnings


def _read_values(
    located: Located, source_id: str, model: DataFile, releases: Releases, warnings: list[str]
) -> list[str]:
    problems: list[str] = []
    released = released_on(model.source.released)
    release_name = f"{model.source.title} ({model.source.publisher}, {model.source.released})"
    for measure, areas in model.values.items():
        if measure not in MEASURES:
            problems.append(
                f"{located.where(('values', measure))}: unknown measure '{measure}'; known measures: "
                f"{', '.join(MEASURES)}"
            )
            continue
        spec = MEASURES[measure]  # `areas` is a mapping: the schema (DataFile) refuses anything else
        file_years = sorted(
            {
                year
                for years in areas.values()
                if isinstance(years, dict)
                for year in years
                if isinstance(year, int)
            }
        )
        for code, years in areas.items():
            path: PathKey = ("values", measure, code)
            where = f"{located.label}:{located.line(path)}"
            if years == ABSENT:  # a gap in every year the release has
                for year in file_years:
                    releases.held.setdefault((measure, str(code), year), []).append(
                        Held(
                            measure,
                            str(code),
                            year,
                            None,
                            source_id,
                            released,
                            where,
                            f"not in {release_name}",
                        )
                    )
                continue
            if not isinstance(years, dict):
                problems.append(
                    f"{located.where(path)}: expected {{year: value, ...}} or '{ABSENT}', got {years!r}"
                )
                continue
            sum_of = years.get("sum_of")
            for year, written in years.items():
                if year == "sum_of":
                    continue
                held, problem = _held(spec.scale, measure, str(code), year, written, sum_of, source_id,
                                      released, where, release_name)  # fmt: skip
                if problem:
                    problems.append(f"{located.where((*path, str(year)))}: {problem}")
                elif held:
                    releases.held.setdefault((measure, held.code, held.year), []).append(held)
                    limit = spec.plausible_maximum
                    written_value = None if held.value is None else held.value / spec.scale
                    if written_value is not None and written_value > limit[0]:
                        shown = (
                            f"{written_value:,.2f}".rstrip("0").rstrip(".")
                            if written_value < 1e15
                            else f"{written_value:g}"
                        )
                        warnings.append(
                            f"{located.where((*path, str(year)))}: {shown} is more than {limit[1]}, far "
                            "beyond any UK area; check the value and its unit"
                        )
    return problems


def _held(
    scale: float, measure: str, code: str, year: Any, written: Any, sum_of: Any, source: str,
    released: date, where: str, release_name: str,
) -> tuple[Held | None, str | None]:  # fmt: skip
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200:
        return None, f"expected a year such as 2018, got {year!r}"
    rounded_to = None
    if isinstance(written, dict):
        rounded_to, written = written.get("rounded_to"), written.get("value")
    if isinstance(written, str):
        if written.strip() not in MARKERS:
            known = ", ".join(repr(marker) for marker in MARKERS if marker)
            return None, f"expected a number or one of ONS's markers ({known}), got {written!r}"
        meaning = MARKERS[written.strip()]
        return Held(measure, code, year, None, source, released, where, f"{meaning} in {release_name}"), None
    if isinstance(written, bool) or not isinstance(written, int | float):
        return None, f"expected a number, got {written!r}"
    try:
        number = float(written)
    except OverflowError:  # a whole number longer than any figure
        return None, f"a number of {len(str(written))} digits is longer than any figure; check the value"
    if not math.isfinite(number) or not math.isfinite(number * scale):
        return None, f"expected a number, got {written!r}" if not math.isfinite(number) else (
            f"{written:g} is too large for any figure; check the value and its unit"
        )
    if written <= 0:
        return None, f"must be more than 0, got {written:g}; use ONS's marker ('[x]') for a gap"
    if rounded_to is not None and (isinstance(rounded_to, bool) or not isinstance(rounded_to, int | float)):
        return None, f"rounded_to: expected a number such as 100, got {rounded_to!r}"
    count = sum_of if isinstance(sum_of, int) and not isinstance(sum_of, bool) else None
    return (
        Held(measure, code, year, float(written) * scale, source, released, where, None, count,
             None if rounded_to is None else float(rounded_to) * scale),
        None,
    )  # fmt: skip


def data_file_paths(folder: Path) -> list[str]:
    """The project's data files, as paths relative to the project (what a build depends on)."""
    root = folder / DATA_FOLDER
    if not root.is_dir():
        return []
    return [str(path.relative_to(folder)) for path in sorted(root.glob("*.yaml")) if path.is_file()]
