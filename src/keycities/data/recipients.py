"""Who letters go to: recipients.yaml and recipients.csv (or a letter's own list), checked in one pass,
with forms of address derived by UK convention (`addressing.py`).

Forgiving where a spreadsheet is: roles in any case, UK dates (15/01/2019), an id made from the name when
there is none. Every column the tool does not know is a merge field a letter can place
(`{{ recipient.constituency }}`); `member` links a recipient to a member city.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from keycities.data.addressing import close_for, holder_line, salutation
from keycities.data.paths import label_in, read_text
from keycities.data.schema import HeaderText, Language, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, read_yaml
from keycities.errors import DataError

Role = Literal[
    "prime-minister",
    "chancellor",
    "chief-secretary",
    "secretary-of-state",
    "minister",
    "first-minister",
    "mp",
    "peer",
    "council-leader",
    "lord-mayor",
    "office",
]


CSV_LIST_SEPARATOR = ";"  # address lines and tags inside one CSV cell
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ID_FORM = "ids are lowercase words joined by hyphens, e.g. leader-hull"
# What a letter's `recipient` already has besides the record's own keys: a column may not take these names.
BUILT_IN = frozenset({"holder", "salutation", "close", "address_lines", "fields", "source"})
EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[A-Za-z]{2,}$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class Recipient(Model):
    id: str = Field(pattern=SLUG)
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
    member: str | None = Field(default=None, pattern=SLUG)  # a member's slug: the letter's `member`, `local`
    fields: dict[str, str | None] = Field(default_factory=dict)  # the other columns: merge fields

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"expected an email address like name@example.org, got {value!r}")
        return value

    @field_validator("address")
    @classmethod
    def _no_empty_lines(cls, lines: list[str]) -> list[str]:
        if any(not line.strip() for line in lines):
            raise ValueError("address lines must not be empty; put the postcode on its own, last line")
        return lines


KNOWN_COLUMNS = frozenset(Recipient.model_fields) - {"fields"}


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
    folder: Path, strict: bool = False, only: Path | None = None, root: Path | None = None
) -> tuple[list[Addressee], list[str]]:
    """Read recipients.yaml and, when present, recipients.csv (or only the file `only`, YAML or CSV, which
    must be inside `root` when given); every problem of every record is reported at once."""
    errors: list[str] = []
    warnings: list[str] = []
    paths = [only] if only else [folder / "recipients.yaml", folder / "recipients.csv"]
    root = root if only else folder  # a list named on the command line may be anywhere
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
    emails: dict[str, str] = {}
    for located in files:
        errors += _prepare(located, warnings)
        model, schema_errors, schema_warnings = validate(RecipientsFile, located)
        errors += schema_errors
        warnings += schema_warnings
        for index, record in _valid_records(located, model):
            where = located.where(("recipients", index))
            source = f"{located.label}:{located.line(('recipients', index))}"
            if record.id in first_seen:
                errors.append(
                    f"{where}: duplicate id '{record.id}' (first used at {first_seen[record.id]}); "
                    "each must be unique"
                )
                continue
            first_seen[record.id] = source
            if record.email and record.email.lower() in emails:
                first = emails[record.email.lower()]
                errors.append(
                    f"{where}: {record.id}: the email address {record.email} is also {first}'s; each "
                    "recipient needs their own, or the letter would go to one address twice"
                )
            elif record.email:
                emails[record.email.lower()] = f"{source} ({record.id})"
            addressees.append(address(record, source))
    raise_if_any(errors, warnings, strict)
    return addressees, warnings


def _valid_records(located: Located, model: RecipientsFile | None) -> list[tuple[int, Recipient]]:
    """The file's valid records with their positions: all of them, or, when some record is invalid (the
    schema has said why), each that is valid on its own, so that duplicates are still found in one pass."""
    if model is not None:
        return list(enumerate(model.recipients))
    records = located.data.get("recipients") if isinstance(located.data, dict) else None
    valid = []
    for index, raw in enumerate(records if isinstance(records, list) else []):
        with contextlib.suppress(ValidationError):
            valid.append((index, Recipient.model_validate(raw)))
    return valid


def _prepare(located: Located, warnings: list[str]) -> list[str]:
    """A spreadsheet's forms made the schema's (roles in any case, UK dates, an id from the name), and the
    columns the tool does not know set aside as merge fields; problems with a column's name are returned."""
    records = located.data.get("recipients") if isinstance(located.data, dict) else None
    if not isinstance(records, list):
        return []
    known = set(Recipient.model_fields) - {"fields"}
    columns: dict[str, int] = {}  # each merge field, with the line it is first named on
    for index, record in enumerate(records):
        for key in record if isinstance(record, dict) else ():
            if str(key) not in known:
                columns.setdefault(str(key), located.line(("recipients", index, str(key))))
    problems = [
        f"{located.label}:{line}: '{name}' is a name every recipient already has in a letter "
        f"(`recipient.{name}`); rename the column"
        for name, line in columns.items()
        if name in BUILT_IN
    ]
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue
        path = ("recipients", index)
        if isinstance(record.get("role"), str):
            record["role"] = re.sub(r"[\s_]+", "-", record["role"].strip().lower())
        checked = record.get("checked")
        if isinstance(checked, str) and (uk := UK_DATE.match(checked.strip())):
            with contextlib.suppress(ValueError):  # not a real day: the schema says so
                record["checked"] = date(int(uk[3]), int(uk[2]), int(uk[1]))
        if record.get("id") in (None, "") and (made := _id_from(record.get("name") or record.get("office"))):
            record["id"] = made
            warnings.append(f"{located.where(path)}: no id, so '{made}' was made from the name ({ID_FORM})")
        fields: dict[str, str | None] = {}
        for name in columns:
            value = record.pop(name, None)
            if isinstance(value, dict | list):
                kind = "a list" if isinstance(value, list) else "a mapping"
                problems.append(f"{located.where((*path, name))}: a merge field is one value, not {kind}")
                continue
            fields[name] = None if value is None or str(value).strip() == "" else str(value)
            located.lines[(*path, "fields", name)] = located.line((*path, name))
        record["fields"] = {name: value for name, value in fields.items() if name not in BUILT_IN}
    return problems


def _id_from(name: object) -> str | None:
    """`mary-creagh` from "Mary Creagh"; None when nothing is left."""
    if not isinstance(name, str):
        return None
    words = re.findall(
        r"[a-z0-9]+", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    )
    return "-".join(words) or None


def read_csv(file: Path, root: Path | None = None) -> Located:
    """A contact-system export as recipient records: one row each, `;` between address lines and tags.
    With `root`, the file (links followed) must be inside that folder."""
    text = read_text(file, root).removeprefix("\ufeff")  # the byte order mark spreadsheets write
    located = Located(Path(label_in(root, file)) if root is not None else file, {"recipients": []})
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
        located.lines[("recipients", index, key)] = line
        if value.strip() == "":
            if key not in KNOWN_COLUMNS:
                record[key] = ""  # an empty merge field: the column is known, its value missing
            continue
        if key in {"address", "tags"}:
            record[key] = [part.strip() for part in value.split(CSV_LIST_SEPARATOR) if part.strip()]
        elif key == "checked":
            record[key] = _csv_date(value.strip())
        elif key == "verify":
            record[key] = value.strip().lower() in {"yes", "true", "1"}
        else:
            record[key] = value.strip()
    located.lines[("recipients", index)] = line
    located.data["recipients"].append(record)


def _csv_date(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # reported by the schema as "expected a date like 2019-02-04"


def address(record: Recipient, source: str) -> Addressee:
    """The address block, salutation and close for a record, by UK convention."""
    lines = []
    if record.name:
        lines.append(
            holder_line(record.role, record.name, record.honorific, record.style, record.post_nominals)
        )
    lines += [record.office, *record.address]
    greeting = record.salutation or salutation(record.role, record.name, record.honorific)
    return Addressee(record, source, tuple(lines), greeting, close_for(greeting))


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
