"""What an import changes in a data file: a line per area and year whose value changed, is new, was
removed, or is absent from the table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from keycities.imports.merge import ABSENT, Entry, Series
from keycities.imports.tables import Value

Kind = Literal["changed", "new", "removed", "absent"]
NOTHING = "-"


@dataclass(frozen=True)
class Change:
    """One line of the change table; `old` and `new` as the table shows them."""

    area: str  # "Blackpool (E06000009)"
    year: str  # "2017", or "-" for an area absent from the table
    old: str
    new: str
    difference: str
    kind: Kind


def compare(old: dict[str, Entry], new: dict[str, Entry], names: dict[str, str]) -> list[Change]:
    """The changes from a measure's old entries to its new ones, areas in the new entries' order, then
    those only the old ones have."""
    changes: list[Change] = []
    for code in [*new, *(code for code in old if code not in new)]:
        area = f"{names[code]} ({code})" if names.get(code) else code
        before, after = old.get(code), new.get(code)
        if after == ABSENT:
            old_years = before.values if isinstance(before, Series) else {}
            for year, value in sorted(old_years.items()):
                changes.append(Change(area, str(year), shown(value), ABSENT, "", "absent"))
            if not old_years:
                changes.append(
                    Change(area, NOTHING, ABSENT if before == ABSENT else NOTHING, ABSENT, "", "absent")
                )
            continue
        if before == ABSENT and after is None:
            changes.append(Change(area, NOTHING, ABSENT, NOTHING, "", "removed"))
            continue
        old_years = before.values if isinstance(before, Series) else {}
        new_years = after.values if isinstance(after, Series) else {}
        for year in sorted(old_years.keys() | new_years.keys()):
            change = _year_change(area, year, old_years, new_years)
            if change is not None:
                changes.append(change)
    return changes


def _year_change(area: str, year: int, old: dict[int, Value], new: dict[int, Value]) -> Change | None:
    if year not in new:
        return Change(area, str(year), shown(old[year]), NOTHING, "", "removed")
    if year not in old:
        return Change(area, str(year), NOTHING, shown(new[year]), "", "new")
    before, after = old[year], new[year]
    if _same(before, after):
        return None
    numbers = isinstance(before, int | float) and isinstance(after, int | float)
    difference = f"{_decimal(after) - _decimal(before):+,}" if numbers else ""
    return Change(area, str(year), shown(before), shown(after), difference, "changed")


def _same(before: Value, after: Value) -> bool:
    """Equal as published: 57365 and 57365.0 are the same figure; a marker is not a number."""
    if isinstance(before, int | float) and isinstance(after, int | float):
        return before == after
    return type(before) is type(after) and before == after


def _decimal(value: Value) -> Decimal:
    return Decimal(repr(value))


def shown(value: Value) -> str:
    """A value in the change table: the number as published (thousands separated), a marker as written, a
    blank cell `blank`."""
    if value is None:
        return "blank"
    if isinstance(value, str):
        return value
    return f"{value:,}" if not isinstance(value, float) else format(Decimal(repr(value)), ",f")


def change_table(changes: list[Change]) -> list[str]:
    """The changes as aligned columns under a heading; a single line when there are none."""
    if not changes:
        return ["no changes"]
    rows = [("area", "year", "old", "new", "difference")]
    rows += [(c.area, c.year, c.old, c.new, c.difference) for c in changes]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    aligned = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [text.rjust(width) for text, width in zip(row[2:], widths[2:], strict=True)]
        aligned.append("  ".join(cells).rstrip())
    return aligned


def counts(changes: list[Change]) -> str:
    """`12 changed, 100 new, 1 absent` (and `2 removed` when any were): absent counts areas."""
    kinds = Counter(change.kind for change in changes)
    absent = len({change.area for change in changes if change.kind == "absent"})
    parts = [f"{kinds['changed']} changed", f"{kinds['new']} new", f"{absent} absent"]
    if kinds["removed"]:
        parts.append(f"{kinds['removed']} removed")
    return ", ".join(parts)
