"""Choosing a table's rows for the project's areas: a council by its code, a comparator by its ONS or ITL
code or, in a local-authority table of a measure that adds up, as the sum of its nation's councils."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from keycities.data.measures import Measure
from keycities.errors import DataError
from keycities.imports.areas import Area
from keycities.imports.tables import Table, TableRow, Value

ABSENT: Literal["absent"] = "absent"
LA_CODE = re.compile(r"[EWSN]\d{8}")
NATION_CODE = re.compile(r"[EWSN]92\d{6}|K0\d{7}")
# The letter of a nation's local-authority codes; None for the UK, which sums every nation.
NATION_LETTER: dict[str, str | None] = {
    "E92000001": "E",
    "W92000004": "W",
    "S92000003": "S",
    "N92000002": "N",
    "K02000001": None,
}


@dataclass(frozen=True)
class Series:
    """An area's values by year as published; `sum_of` counts the rows a comparator's sum adds up."""

    values: dict[int, Value]
    sum_of: int | None = None


Entry = Series | Literal["absent"]


@dataclass
class Selection:
    """The entries taken from a table, by ONS code in the order of cities.yaml."""

    entries: dict[str, Entry] = field(default_factory=dict)
    summed: list[str] = field(default_factory=list)  # the names of comparators made as sums
    notes: list[str] = field(default_factory=list)  # years a sum leaves out, and why


def is_local_authority_code(code: str) -> bool:
    """A council's code (E06000009), not a nation's (E92000001) or the UK's (K02000001)."""
    return bool(LA_CODE.fullmatch(code)) and not NATION_CODE.fullmatch(code)


def select_rows(table: Table, areas: Sequence[Area], measure: Measure) -> Selection:
    """The entries for `areas` from `table`. In a local-authority table, a council with no row is
    `absent`, and a comparator with no row is the sum of its nation's councils when the measure adds up;
    in another table (ITL regions) councils are not taken. A code in two rows that are used is an error."""
    rows_by_code: dict[str, list[TableRow]] = {}
    for row in table.rows:
        rows_by_code.setdefault(row.code, []).append(row)
    local_rows = [row for row in table.rows if is_local_authority_code(row.code)]
    local_table = bool(local_rows)
    selection = Selection()
    used: set[str] = set()
    for area in areas:
        if area.role == "council":
            if not local_table:
                continue
            found = rows_by_code.get(area.code, [])
            used.add(area.code)
            selection.entries[area.code] = Series(dict(found[0].values)) if found else ABSENT
            continue
        found = rows_by_code.get(area.code, []) or rows_by_code.get(area.itl_code or "", [])
        used |= {row.code for row in found}
        if found:
            selection.entries[area.code] = Series(dict(found[0].values))
        elif local_table and measure.summable and area.code in NATION_LETTER:
            letter = NATION_LETTER[area.code]
            parts = [row for row in local_rows if letter is None or row.code.startswith(letter)]
            if not parts:
                continue  # the table has none of its authorities: nothing to add up
            used |= {row.code for row in parts}
            selection.entries[area.code] = _sum(area, parts, table, selection.notes)
            selection.summed.append(area.name)
    _check_duplicates(table, rows_by_code, used)
    return selection


def _sum(area: Area, parts: list[TableRow], table: Table, notes: list[str]) -> Series:
    """The sum of `parts` for each year; a year with a missing value in any part is left out, with a note."""
    values: dict[int, Value] = {}
    for year in table.years:
        numbers = [value for row in parts if isinstance(value := row.values.get(year), int | float)]
        missing = [row for row in parts if not isinstance(row.values.get(year), int | float)]
        if not missing:
            values[year] = exact_sum(numbers)
            continue
        first = missing[0]
        shown = first.values.get(year)
        others = f" and {len(missing) - 1} more rows" if len(missing) > 1 else ""
        notes.append(
            f"{area.name} {year}: not summed, since {first.name or first.code} ({table.where}, row "
            f"{first.number}){others} has no value ({shown if shown is not None else 'blank'})"
        )
    return Series(values, sum_of=len(parts))


def exact_sum(numbers: list[int | float]) -> int | float:
    """The sum as the published digits add up (0.1 + 0.2 is 0.3); an int when every part is."""
    total = sum((Decimal(repr(number)) for number in numbers), Decimal(0))
    if all(isinstance(number, int) for number in numbers):
        return int(total)
    return float(total)


def _check_duplicates(table: Table, rows_by_code: dict[str, list[TableRow]], used: set[str]) -> None:
    problems = [
        f"{table.where}, rows {' and '.join(str(row.number) for row in rows)}, column {table.code_column}: "
        f"{code} is in more than one row ({', '.join(repr(row.name) for row in rows)}); delete the wrong one"
        for code, rows in rows_by_code.items()
        if code in used and len(rows) > 1
    ]
    if problems:
        raise DataError(problems)
