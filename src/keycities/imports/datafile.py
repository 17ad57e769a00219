"""A project data file, `data/<source-id>.yaml`: one release's figures as published, a line per area and
measure. The text is written here rather than by a YAML library, so that it is the same for the same
figures and a change shows in a diff as the lines of the areas that changed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from keycities.build.files import write_atomic
from keycities.data.measures import MEASURE_KEYS
from keycities.data.yaml_lines import read_yaml
from keycities.errors import DataError
from keycities.imports.merge import ABSENT, Entry, Series
from keycities.imports.tables import Value

SOURCE_FIELDS = ("title", "publisher", "released", "url")
HEADER = """\
# Figures from one release, as published (units: see each table below). Written by
# `generate.py data import`; a later import of the same measure replaces that measure's rows.
"""


@dataclass
class DataFile:
    """A data file's source, the table each measure came from, and each measure's entries by ONS code."""

    source: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, Entry]] = field(default_factory=dict)


def read_data_file(project: Path, shown: str) -> DataFile | None:
    """The project's data file `shown` (`data/ons-gva-la-2021.yaml`), or None when there is none yet."""
    path = project / shown
    if not path.exists():
        return None
    located = read_yaml(path, project)
    data = located.data
    problems = [shown + problem.removeprefix(located.label) for problem in located.problems]
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), dict) for key in ("source", "tables", "values")
    ):
        raise DataError(
            [f"{shown}:1: not a data file as `data import` writes it (source, tables, values); move it aside"]
        )
    values: dict[str, dict[str, Entry]] = {}
    for measure, entries in data["values"].items():
        if not isinstance(entries, dict):
            problems.append(f"{shown}:{located.line(('values', measure))}: values.{measure}: not a mapping")
            continue
        values[str(measure)] = {}
        for code, entry in entries.items():
            parsed = _entry(entry)
            if parsed is None:
                problems.append(
                    f"{shown}:{located.line(('values', measure, code))}: values.{measure}.{code}: expected "
                    "`absent` or {year: value, ...}; import the measure again"
                )
            else:
                values[str(measure)][str(code)] = parsed
    if problems:
        raise DataError(problems)
    tables = {str(key): dict(table) for key, table in data["tables"].items() if isinstance(table, dict)}
    return DataFile(dict(data["source"]), tables, values)


def _entry(entry: Any) -> Entry | None:
    if entry == ABSENT:
        return ABSENT
    if not isinstance(entry, dict):
        return None
    sum_of = entry.get("sum_of")
    years = {key: value for key, value in entry.items() if key != "sum_of"}
    if not isinstance(sum_of, int | None) or not all(
        isinstance(year, int) and isinstance(value, int | float | str | None) for year, value in years.items()
    ):
        return None
    return Series(years, sum_of)


def render_data_file(data: DataFile, names: dict[str, str], order: list[str]) -> str:
    """The file's text: the header, the source, the tables and one line per area and measure, measures in
    the registry's order and areas in `order` (cities.yaml's), each line ending with the area's name."""
    lines = [HEADER.rstrip("\n"), "source:"]
    fields = [*SOURCE_FIELDS, *(key for key in data.source if key not in SOURCE_FIELDS)]
    lines += [f"  {key}: {_source_value(data.source[key])}" for key in fields if key in data.source]
    lines.append("tables:")
    for measure in _measure_order(data.tables):
        lines.append(f"  {measure}:")
        lines += [
            f"    {key}: {_plain(text) if key in ('file', 'sheet') else _quoted(text)}"
            for key, text in data.tables[measure].items()
        ]
    lines.append("values:")
    for measure in _measure_order(data.values):
        entries = data.values[measure]
        lines.append(f"  {measure}:")
        codes = [code for code in order if code in entries]
        codes += [code for code in entries if code not in codes]
        for code in codes:
            name = " ".join(names.get(code, "").split())
            comment = f"  # {name}" if name else ""
            lines.append(f"    {_key(code)}: {_entry_text(entries[code])}{comment}")
    return "\n".join(lines) + "\n"


def write_data_file(path: Path, text: str) -> None:
    """Write the data file whole, or leave the old one as it was."""
    write_atomic(path, text.encode("utf-8"))


def _measure_order(by_measure: dict[str, Any]) -> list[str]:
    known = [key for key in MEASURE_KEYS if key in by_measure]
    return known + [key for key in by_measure if key not in known]


def _entry_text(entry: Entry) -> str:
    if entry == ABSENT:
        return ABSENT
    assert isinstance(entry, Series)
    parts = [f"sum_of: {entry.sum_of}"] if entry.sum_of is not None else []
    parts += [f"{year}: {value_text(value)}" for year, value in sorted(entry.values.items())]
    return "{" + ", ".join(parts) + "}"


def value_text(value: Value) -> str:
    """A value as the file writes it: a number as published, a marker quoted, a blank cell `null`."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text:  # YAML 1.1 reads 1e+16 as text: write the digits out
        text = format(Decimal(text), "f")
        text += "" if "." in text else ".0"
    return text


def _source_value(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    return _quoted(str(value))


def _quoted(text: str) -> str:
    """A double-quoted YAML string: JSON's escapes are YAML's."""
    return json.dumps(text, ensure_ascii=False)


def _plain(text: str) -> str:
    """A file or sheet name as it reads (`Table 1`), quoted when YAML would read it otherwise."""
    plain = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._()-]*[A-Za-z0-9)]", text) and yaml.safe_load(text) == text
    return text if plain else _quoted(text)


def _key(code: str) -> str:
    """A mapping key, quoted when YAML would read it as something other than that text (`NO`, `1E5`)."""
    return code if re.fullmatch(r"[A-Za-z0-9]+", code) and yaml.safe_load(code) == code else _quoted(code)
