"""Who letters go to: recipients.yaml and recipients.csv, with forms of address derived by UK convention.

The salutation follows the role when a record does not give one; "Yours faithfully" closes only a
letter that opens "Dear Sir or Madam" (see the design notes on UK conventions).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from keycities.data.paths import read_text
from keycities.data.schema import HeaderText, Language, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, read_yaml
from keycities.errors import DataError

Role = Literal[
    "prime-minister",
    "chancellor",
    "secretary-of-state",
    "minister",
    "first-minister",
    "mp",
    "peer",
    "council-leader",
    "lord-mayor",
    "office",
]


UNKNOWN_PERSON = "Dear Sir or Madam"


SALUTATION_BY_ROLE = {
    "prime-minister": "Dear Prime Minister",
    "chancellor": "Dear Chancellor",
    "secretary-of-state": "Dear Secretary of State",
    "minister": "Dear Minister",
    "first-minister": "Dear First Minister",
    "lord-mayor": "Dear Lord Mayor",
}


CSV_LIST_SEPARATOR = ";"  # address lines and tags inside one CSV cell


class Recipient(Model):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    office: HeaderText
    role: Role
    name: HeaderText | None = None  # the holder; None writes to the office ("Dear Sir or Madam" for "office")
    honorific: HeaderText | None = None  # Mr, Ms, Dr: for an MP's salutation
    style: HeaderText | None = None  # "The Rt Hon"
    post_nominals: HeaderText | None = None  # "MP"
    salutation: HeaderText | None = None  # derived from the role when not given
    address: list[HeaderText] = Field(min_length=1)
    email: HeaderText | None = None
    nation: Literal["England", "Wales", "Scotland", "Northern Ireland", "United Kingdom"] = "United Kingdom"
    language: Language = "en-GB"
    tags: list[str] = Field(default_factory=list)
    checked: date  # when the holder and address were last confirmed
    verify: bool = False  # the holder was not confirmed from a source
    note: str | None = None

    @field_validator("address")
    @classmethod
    def _no_empty_lines(cls, lines: list[str]) -> list[str]:
        if any(not line.strip() for line in lines):
            raise ValueError("address lines must not be empty; put the postcode on its own, last line")
        return lines


class RecipientsFile(Model):
    recipients: list[Recipient] = Field(min_length=1)


@dataclass(frozen=True)
class Addressee:
    """A recipient with the forms of address a letter needs."""

    record: Recipient
    source: str  # `recipients.yaml:12`, for messages
    address_lines: tuple[str, ...]
    salutation: str
    close: str


def load_recipients(
    folder: Path, strict: bool = False, only: Path | None = None
) -> tuple[list[Addressee], list[str]]:
    """Read recipients.yaml and, when present, recipients.csv (or only the file `only`, YAML or CSV);
    every problem is reported at once."""
    errors: list[str] = []
    warnings: list[str] = []
    paths = [only] if only else [folder / "recipients.yaml", folder / "recipients.csv"]
    root = None if only else folder  # a list named on the command line may be anywhere
    files = []
    for path in paths:
        try:
            if path.suffix.lower() == ".csv":
                if path.exists() or path.is_symlink() or only:
                    files.append(read_csv(path, root))
            else:
                files.append(read_yaml(path, root))
        except DataError as error:
            errors += error.problems
    addressees: list[Addressee] = []
    first_seen: dict[str, str] = {}
    for located in files:
        model, schema_errors, schema_warnings = validate(RecipientsFile, located)
        errors += schema_errors
        warnings += schema_warnings
        for index, record in enumerate(model.recipients if model else []):
            where = located.where(("recipients", index))
            source = f"{located.label}:{located.line(('recipients', index))}"
            if record.id in first_seen:
                errors.append(
                    f"{where}: duplicate id '{record.id}' (first used at {first_seen[record.id]}); "
                    "each must be unique"
                )
                continue
            first_seen[record.id] = source
            try:
                addressees.append(address(record, source))
            except ValueError as error:
                errors.append(f"{where}: {error}")
    raise_if_any(errors, warnings, strict)
    return addressees, warnings


def read_csv(file: Path, root: Path | None = None) -> Located:
    """A contact-system export as recipient records: one row each, `;` between address lines and tags.
    With `root`, the file (links followed) must be inside that folder."""
    text = read_text(file, root).removeprefix("\ufeff")  # the byte order mark spreadsheets write
    located = Located(file, {"recipients": []})
    reader = csv.reader(io.StringIO(text))
    next_line = 1  # where the next row starts: a quoted field may run over several lines
    columns: list[str] | None = None
    try:
        for row in reader:
            line, next_line = next_line, reader.line_num + 1
            if not row:  # a blank line is no record
                continue
            if columns is None:
                columns = _columns(row, located, line)
            else:
                _add_record(located, dict(zip(columns, row, strict=False)), line)
    except csv.Error as error:
        what = (
            f"a field longer than {csv.field_size_limit():,} characters; check for a quote that is never "
            "closed (the field runs on to the end of the file)"
            if "field larger than field limit" in str(error)
            else f"cannot be read as CSV ({error}); check the quoting"
        )
        raise DataError([f"{located.label}:{next_line}: {what}"]) from None
    return located


def _columns(header: list[str], located: Located, line: int) -> list[str]:
    """The column names; a name given twice is a problem (a record would keep only the last)."""
    columns = [name.strip() for name in header]
    first: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if name in first:
            located.problems.append(
                f"{located.label}:{line}: columns {first[name]} and {position} are both '{name}'; remove or "
                "rename one"
            )
        elif name:
            first[name] = position
    return columns


def _add_record(located: Located, row: dict[str, str], line: int) -> None:
    index = len(located.data["recipients"])
    record: dict[str, object] = {}
    for key, value in row.items():
        if value.strip() == "":
            continue
        if key in {"address", "tags"}:
            record[key] = [part.strip() for part in value.split(CSV_LIST_SEPARATOR) if part.strip()]
        elif key == "checked":
            record[key] = _csv_date(value.strip())
        elif key == "verify":
            record[key] = value.strip().lower() in {"yes", "true", "1"}
        else:
            record[key] = value.strip()
        located.lines[("recipients", index, key)] = line
    located.lines[("recipients", index)] = line
    located.data["recipients"].append(record)


def _csv_date(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # reported by the schema as "expected a date like 2019-02-04"


def address(record: Recipient, source: str) -> Addressee:
    """The address block, salutation and close for a record, by UK convention."""
    holder = " ".join(part for part in (record.style, record.name, record.post_nominals) if part)
    lines = [holder] if record.name else []
    lines += [record.office, *record.address]
    salutation = record.salutation or _salutation(record)
    close = "Yours faithfully" if salutation == UNKNOWN_PERSON else "Yours sincerely"
    return Addressee(record, source, tuple(lines), salutation, close)


def _salutation(record: Recipient) -> str:
    if record.role in SALUTATION_BY_ROLE:
        return SALUTATION_BY_ROLE[record.role]
    if record.role == "office" or not record.name:
        return UNKNOWN_PERSON
    surname = record.name.split()[-1]
    if record.role == "council-leader":
        return f"Dear Councillor {surname}"
    if record.role == "peer":
        return f"Dear {record.name}"  # "Lord Smith", "Baroness Jones"
    if record.honorific is None:
        raise ValueError(f"give 'honorific' (Mr, Ms, Dr...) or 'salutation' for {record.name}")
    return f"Dear {record.honorific} {surname}"


def stale_warning(addressee: Addressee, letter_date: date) -> str | None:
    """A warning when the record was last checked more than a year before the letter's date."""
    checked = addressee.record.checked
    try:
        a_year_on = checked.replace(year=checked.year + 1)
    except ValueError:  # 29 February
        a_year_on = checked.replace(year=checked.year + 1, month=3, day=1)
    if letter_date > a_year_on:
        return (
            f"{addressee.source}: {addressee.record.id}: last checked {checked.isoformat()}, more than a "
            f"year before the letter's date ({letter_date.isoformat()}); confirm the holder and address, "
            "then update 'checked'"
        )
    return None
