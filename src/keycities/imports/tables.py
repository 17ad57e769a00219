"""Reading a table as ONS publishes it (CSV, XLSX or XLS): title rows, a header row with an area-code
column and a column per year, one row per area, notes below. Values stay as published: numbers, or the
markers ONS writes where a value is missing.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from keycities.errors import DataError

Cell = str | int | float | None
# ONS's markers for a missing value: not available, confidential, not applicable; and a blank cell ("").
MARKERS = ("[x]", "[c]", "[z]", ":", "..")
Value = int | float | str | None  # a number, a marker, or None for a blank cell

CODE_HEADERS = {"la code", "lad code", "itl code", "area code", "code"}
NAME_HEADERS = {"la name", "lad name", "region name", "area name", "name"}
YEAR = re.compile(r"(?<!\d)(19[9]\d|20\d\d|2100)(?!\d)")
NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
AREA_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")


@dataclass(frozen=True)
class YearRange:
    """The years to take: `first` to `last`, either end open."""

    first: int | None = None
    last: int | None = None

    def __contains__(self, year: int) -> bool:
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)


@dataclass(frozen=True)
class TableRow:
    """One area's row: its code and name as published, and its value for each year taken."""

    number: int  # 1-based, as a spreadsheet shows it
    code: str
    name: str
    values: dict[int, Value]


@dataclass(frozen=True)
class Table:
    """The rows of one sheet, with where they came from for messages."""

    file: Path
    sheet: str | None  # None for a CSV file
    code_column: str  # its letter, for messages
    years: tuple[int, ...]
    rows: tuple[TableRow, ...]

    @property
    def where(self) -> str:
        """`file.xlsx, sheet Table 1` for messages."""
        return f"{self.file.name}, sheet {self.sheet}" if self.sheet is not None else self.file.name


def parse_year_range(text: str) -> YearRange:
    """`2017-2020`, `2017-` or `2017` as a YearRange; a DataError saying what to write otherwise."""
    match = re.fullmatch(r"\s*(\d{4})\s*(-\s*(\d{4})?)?\s*", text)
    if not match:
        raise DataError(
            [f"--years {text!r}: give a year (2017), a range (2017-2020) or an open range (2017-)"]
        )
    first = int(match[1])
    last = int(match[3]) if match[3] else (None if match[2] else first)
    if last is not None and last < first:
        raise DataError([f"--years {text!r}: the range ends before it starts; write {last}-{first}"])
    return YearRange(first, last)


def read_table(file: Path, sheet: str | None, years: YearRange) -> Table:
    """The table in `file` (in `sheet` of a workbook), its year columns limited to `years`."""
    chosen, rows = read_sheet(file, sheet)
    return parse_table(rows, file, chosen, years)


def read_sheet(file: Path, sheet: str | None) -> tuple[str | None, list[list[Cell]]]:
    """The sheet's name (None for CSV) and its rows of cells, read by the file's extension."""
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".xls"):
        raise DataError([f"{file}: not a table this command reads; give a .csv, .xlsx or .xls file"])
    if not file.is_file():
        raise DataError([f"{file}: file not found; check the path"])
    try:
        if suffix == ".csv":
            if sheet is not None:
                raise DataError([f"{file}: a CSV file has no sheets; leave out --sheet {sheet}"])
            with open(file, encoding="utf-8-sig", newline="") as handle:
                return None, [list(row) for row in csv.reader(handle)]
        if suffix == ".xls":
            return _read_xls(file, sheet)
        return _read_xlsx(file, sheet)
    except (OSError, UnicodeDecodeError) as error:
        raise DataError([f"{file}: cannot be read ({error}); check it is the file ONS published"]) from None


def _read_xlsx(file: Path, sheet: str | None) -> tuple[str, list[list[Cell]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise DataError([f"{file}: not a readable .xlsx workbook ({error}); save it again"]) from None
    try:
        name = _choose_sheet(file, book.sheetnames, sheet)
        rows = [list(row) for row in book[name].iter_rows(min_row=1, values_only=True)]
    finally:
        book.close()
    return name, [[_plain(cell) for cell in row] for row in rows]


def _read_xls(file: Path, sheet: str | None) -> tuple[str, list[list[Cell]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file, on_demand=True)
    except Exception as error:  # xlrd raises many kinds for a damaged or mislabelled file
        raise DataError([f"{file}: not a readable .xls workbook ({error}); save it again as .xls"]) from None
    try:
        name = _choose_sheet(file, book.sheet_names(), sheet)
        table = book.sheet_by_name(name)
        rows = [[_plain(cell) for cell in table.row_values(index)] for index in range(table.nrows)]
    finally:
        book.release_resources()
    return name, rows


def _plain(cell: object) -> Cell:
    """A cell as text, a number or None; whole floats become ints (an .xls holds every number as a float)."""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else cell
    if cell is None or isinstance(cell, str | int):
        return cell
    return str(cell)  # a date or a boolean: reported as text if it stands where a value belongs


def _choose_sheet(file: Path, names: list[str], sheet: str | None) -> str:
    listed = ", ".join(repr(name) for name in names)
    if sheet is None:
        if len(names) == 1:
            return names[0]
        raise DataError([f"{file}: the workbook has {len(names)} sheets; choose one with --sheet: {listed}"])
    if sheet not in names:
        raise DataError([f"{file}: no sheet {sheet!r}; the sheets are {listed}"])
    return sheet


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def parse_table(rows: list[list[Cell]], file: Path, sheet: str | None, years: YearRange) -> Table:
    """The area rows under the header row, their year columns limited to `years`; every bad cell is
    reported at once, with its row and column."""
    where = f"{file.name}, sheet {sheet}" if sheet is not None else file.name
    found = _find_header(rows, where)
    header_number, code_column, name_column, year_columns = found
    taken = {year: column for year, column in year_columns.items() if year in years}
    if not taken:
        published = f"{min(year_columns)} to {max(year_columns)}"
        raise DataError([f"{where}: no year column in the range of --years; the table has {published}"])
    problems: list[str] = []
    table_rows = []
    for number, row in enumerate(rows[header_number:], start=header_number + 1):
        if _ends_table(row, code_column):
            break
        code = _text(row, code_column).upper()
        if not code:
            continue  # a blank row, or a heading within the table
        values: dict[int, Value] = {}
        for year, column in taken.items():
            cell = row[column] if column < len(row) else None
            try:
                values[year] = parse_value(cell)
            except ValueError:
                problems.append(
                    f"{where}, row {number}, column {column_letter(column)} ({code}, {year}): {cell!r} is "
                    f"not a number or an ONS marker ({', '.join(MARKERS)}); correct the cell"
                )
        name = _text(row, name_column) if name_column is not None else ""
        table_rows.append(TableRow(number, code, name, values))
    if problems:
        raise DataError(problems)
    return Table(file, sheet, column_letter(code_column), tuple(sorted(taken)), tuple(table_rows))


def _find_header(rows: list[list[Cell]], where: str) -> tuple[int, int, int | None, dict[int, int]]:
    """The header row's number, its code and name columns and the column of each year: the first row
    with an area-code column and a year column."""
    codes_seen = years_seen = False
    for number, row in enumerate(rows, start=1):
        headers = [_header(cell) for cell in row]
        code_column = next((i for i, text in enumerate(headers) if text in CODE_HEADERS), None)
        found = [(year, column) for column, cell in enumerate(row) if (year := header_year(cell))]
        codes_seen |= code_column is not None
        years_seen |= bool(found)
        if code_column is not None and found:
            name_column = next((i for i, text in enumerate(headers) if text in NAME_HEADERS), None)
            return number, code_column, name_column, _year_columns(found, f"{where}, row {number}")
    if not codes_seen:
        wanted = ", ".join(sorted(CODE_HEADERS))
        raise DataError([f"{where}: no area-code column; the header row needs one headed {wanted}"])
    raise DataError(
        [f"{where}: no header row has both an area-code column and year columns; check the sheet"]
        if years_seen
        else [f"{where}: no year columns; the header row needs columns headed by year (2017, Pounds_2017)"]
    )


def _year_columns(found: list[tuple[int, int]], where: str) -> dict[int, int]:
    """The column of each year in the header row; a year heading two columns is an error."""
    columns: dict[int, int] = {}
    for year, column in found:
        if year in columns:
            first, second = column_letter(columns[year]), column_letter(column)
            raise DataError([f"{where}: columns {first} and {second} are both headed {year}; keep one"])
        columns[year] = column
    return columns


def _header(cell: Cell) -> str:
    """A header cell compared loosely: `LAD_Code` and `lad code` are the same."""
    return " ".join(str(cell).replace("_", " ").lower().split()) if cell is not None else ""


def header_year(cell: Cell) -> int | None:
    """The year a header names: 2018, '2018', '2019\\n[note 3]', 'Pounds_2018'; None for other headers."""
    if isinstance(cell, int):
        return cell if 1990 <= cell <= 2100 else None
    if not isinstance(cell, str) or not cell.strip():
        return None
    first_line = cell.strip().splitlines()[0]
    match = YEAR.search(first_line)
    return int(match[1]) if match else None


def _text(row: list[Cell], column: int) -> str:
    cell = row[column] if column < len(row) else None
    return str(cell).strip() if cell is not None else ""


def _ends_table(row: list[Cell], code_column: int) -> bool:
    """A note below the table ("Note 1: ...", "Source: ...") ends it."""
    code = _text(row, code_column)
    if code and not AREA_CODE.fullmatch(code):
        return True
    first = next((str(cell).strip() for cell in row if cell is not None and str(cell).strip()), "")
    return not code and first.lower().startswith(("note", "source"))


def parse_value(cell: Cell) -> Value:
    """A cell's value as published: a number (`1,234.5` read as 1234.5), an ONS marker, or None for a
    blank cell; a ValueError for anything else."""
    if cell is None:
        return None
    if isinstance(cell, int | float):
        if not math.isfinite(cell):
            raise ValueError(cell)
        return cell
    text = cell.strip()
    if not text:
        return None
    if text.lower() in MARKERS:
        return text.lower()
    if NUMBER.fullmatch(text):
        plain = text.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    raise ValueError(cell)
