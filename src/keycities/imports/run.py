"""`generate.py data import`: read a published table, take the project's areas from it and merge them into
the source's data file, replacing that measure's rows; report what changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from keycities.data.measures import MEASURE_KEYS, MEASURES
from keycities.data.releases import DATA_FOLDER
from keycities.errors import DataError
from keycities.imports.areas import read_areas
from keycities.imports.changes import change_table, compare, counts
from keycities.imports.datafile import DataFile, read_data_file, render_data_file, write_data_file
from keycities.imports.merge import Selection, select_rows
from keycities.imports.tables import Table, YearRange, parse_year_range, read_table

SOURCE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class ImportRequest:
    """What to import, from where, into which source's data file."""

    project: Path
    file: Path
    measure: str
    source: str
    sheet: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: str | None = None  # YYYY-MM-DD or YYYY-MM
    url: str | None = None
    years: str | None = None  # 2017-2020, 2017- or 2017
    dry_run: bool = False


@dataclass(frozen=True)
class ImportReport:
    """The change table, notes on sums, the summary line and any warnings."""

    table: list[str]
    notes: list[str]
    summary: str
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The report as printed: the table, the notes, then the summary."""
        return "\n".join([*self.table, *(f"note: {note}" for note in self.notes), self.summary])


def import_table(request: ImportRequest) -> ImportReport:
    """Import one measure from a published table into `data/<source>.yaml`, or, with `dry_run`, only say
    what would change. Every problem is a DataError, and then nothing is written."""
    years = _check_request(request)
    measure = MEASURES[request.measure]
    shown = f"{DATA_FOLDER}/{request.source}.yaml"
    path = request.project / shown
    existing = read_data_file(request.project, shown)
    source = _source(request, existing)
    areas, warnings = read_areas(request.project)
    table = read_table(request.file, request.sheet, years)
    selection = select_rows(table, areas, measure)
    names = {area.code: area.name for area in areas}
    data = existing or DataFile()
    changes = compare(data.values.get(measure.key, {}), selection.entries, names)
    data.source = source
    data.tables[measure.key] = _table_entry(table, measure.held_as, selection)
    data.values[measure.key] = selection.entries
    areas_taken = f"{len(selection.entries)} area{'s' if len(selection.entries) != 1 else ''}"
    done = "nothing written (--dry-run)" if request.dry_run else f"written to {shown}"
    summary = f"{measure.key}: {areas_taken}, {len(table.years)} years: {counts(changes)}; {done}"
    if not request.dry_run:
        write_data_file(path, render_data_file(data, names, [area.code for area in areas]))
    return ImportReport(change_table(changes), selection.notes, summary, warnings)


def _check_request(request: ImportRequest) -> YearRange:
    """The years to take; a DataError listing every option that is wrong."""
    problems = []
    if request.measure not in MEASURES:
        problems.append(f"--measure {request.measure!r}: not a measure; use one of {', '.join(MEASURE_KEYS)}")
    if not SOURCE_ID.fullmatch(request.source):
        problems.append(
            f"--source {request.source!r}: use lowercase words and numbers joined by hyphens, such as "
            "ons-gva-la-2021"
        )
    if request.published is not None and _release_date(request.published) is None:
        problems.append(
            f"--published {request.published!r}: give the date as 2021-05-26, or the month as 2024-06"
        )
    try:
        years = parse_year_range(request.years) if request.years is not None else YearRange()
    except DataError as error:
        problems += error.problems
        years = YearRange()
    if problems:
        raise DataError(problems)
    return years


def _release_date(text: str) -> date | str | None:
    """`2021-05-26` as a date, `2024-06` as text; None for anything else."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
            return text
    except ValueError:
        return None
    return None


def _source(request: ImportRequest, existing: DataFile | None) -> dict[str, object]:
    """The source block: the existing one with any given fields replaced, or a new one from all four."""
    given = {
        "title": request.title,
        "publisher": request.publisher,
        "released": _release_date(request.published) if request.published is not None else None,
        "url": request.url,
    }
    if existing is None:
        missing = [
            f"--{'published' if key == 'released' else key}" for key, value in given.items() if not value
        ]
        if missing:
            raise DataError(
                [
                    f"{DATA_FOLDER}/{request.source}.yaml does not exist yet: a new source needs "
                    f"{', '.join(missing)} (all of --title, --publisher, --published and --url)"
                ]
            )
        return dict(given)
    return {**existing.source, **{key: value for key, value in given.items() if value}}


def _table_entry(table: Table, unit: str, selection: Selection) -> dict[str, str]:
    """The `tables` entry of a measure: where it came from, its unit, and a note when sums were made."""
    entry = {"file": table.file.name}
    if table.sheet is not None:
        entry["sheet"] = table.sheet
    entry["unit"] = unit
    summed = selection.summed
    if len(summed) == 1:
        entry["note"] = f"{summed[0]} is the sum of its local authorities' rows: the table has no row for it."
    elif summed:
        names = f"{', '.join(summed[:-1])} and {summed[-1]}"
        entry["note"] = (
            f"{names} are the sums of their local authorities' rows: the table has no rows for them."
        )
    return entry
