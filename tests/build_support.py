"""Helpers for the build tests: running the command line, reading the output folder.

A build is run either in this process (`invoke`, through click's CliRunner) or as the README runs it
(`documents.generate`, `python generate.py` in a subprocess). Both return a `documents.Run` that knows
the summary line and the status of each document from the progress lines
(`[2/3] built cities-in-action/test-one`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from documents import Run
from documents import invoke as invoke_result

LETTER = "cities-in-action"
SMALL_IDS = ("test-one", "test-two", "test-three")
SMALL_CSV = """\
id,office,role,name,honorific,address,email,tags,checked
test-one,Test Office One,mp,Alex Example,Mx,House of Commons;London;SW1A 0AA,t1@example.org,test,2019-02-01
test-two,Test Office Two,office,,,1 Example Street;Exampletown;EX1 1EX,t2@example.org,test,2019-02-01
test-three,Test Office Three,council-leader,Sam Sample,,Town Hall;Leeds;S1 1SA,t3@example.org,test,2019-02-01
"""


def invoke(*args: str | Path) -> Run:
    """The command line in this process; an exception other than a clean exit fails the test."""
    result = invoke_result(*args)
    exception = result.exception
    assert exception is None or isinstance(exception, SystemExit), (
        f"unexpected {exception!r}:\n{result.stdout}\n{result.stderr}"
    )
    return Run(result.exit_code, result.stdout, result.stderr, exception)


def label(path: str) -> str:
    """`cities-in-action/test-one` from `letters/cities-in-action/test-one.pdf`; `briefings/x` likewise."""
    stem = path.rsplit(".", 1)[0]
    return stem.removeprefix("letters/")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under a folder: (sha256, mtime in ns), by path relative to the folder."""
    return {
        path.relative_to(folder).as_posix(): (sha256_file(path), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def documents(out: Path) -> dict[str, dict[str, Any]]:
    """The manifest's records by path (the manifest must be valid JSON)."""
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["tool"] == "keycities"
    paths = [entry["path"] for entry in data["documents"]]
    assert paths == sorted(paths), "manifest records are not in path order"
    assert len(set(paths)) == len(paths), "a path is recorded twice"
    return {entry["path"]: entry for entry in data["documents"]}


def output_files(out: Path) -> set[str]:
    """The documents on disk under letters/ and briefings/, relative to the output folder."""
    return {
        path.relative_to(out).as_posix()
        for folder in ("letters", "briefings")
        for path in (out / folder).rglob("*")
        if path.is_file()
    }


def assert_consistent(out: Path) -> None:
    """What must hold after any run: a valid manifest whose every record is a file on disk with the
    recorded hash and size, every output recorded, no temporary files, and no lock left behind."""
    records = documents(out)
    for path, entry in records.items():
        file = out / path
        assert file.is_file(), f"the manifest records {path}, which is not on disk"
        data = file.read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), f"{path}: sha256 is not the file's"
        assert entry["bytes"] == len(data), f"{path}: size is not the file's"
    unrecorded = output_files(out) - set(records)
    assert not unrecorded, f"outputs missing from the manifest: {sorted(unrecorded)}"
    leftovers = [path.name for path in out.rglob("*") if path.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    assert not (out / ".build.lock").exists(), "the build lock was not removed"


# The proof page's columns, in order (each body row's cells).
THUMBNAIL, DOCUMENT, RECIPIENT, SALUTATION, EMAIL, APPROVED, MAILED, WARNINGS, FILES = range(9)


class ProofPage(HTMLParser):
    """What the tests need from the proof page's DOM: its language, links, warnings, data notices, summary,
    headings and table rows (with their attributes and thumbnails), and the live region's text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.links: list[str] = []
        self.warnings: list[str] = []  # the items under the "Warnings" heading
        self.notices: list[str] = []  # the items under the "Data notices" heading
        self.summary: dict[str, int] = {}  # the counts at the top, by data-count
        self.headers: list[dict[str, str | None]] = []  # the table's column headings' attributes
        self.buttons: list[str] = []  # the data-key of each button in a column heading
        self.caption = ""
        self.shown = ""  # the live region's text
        self.filters: dict[str, str | None] | None = None  # the filter form's attributes
        self.labels: list[str] = []  # the `for` of every label
        self.rows: list[list[str]] = []  # the document table's body rows: each cell's text
        self.row_links: list[list[str]] = []
        self.row_attributes: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []  # each body row's thumbnail's attributes ({} if none)
        self._heading: str | None = None
        self._in_h2 = False
        self._h2_text = ""
        self._section = ""  # thead or tbody
        self._cell: list[str] | None = None
        self._item: list[str] | None = None
        self._text: list[str] | None = None  # the caption's, the live region's or a summary item's
        self._target = ""
        self._count_key = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "a" and attributes.get("href") is not None:
            self.links.append(str(attributes["href"]))
            if self._section == "tbody" and self._cell is not None:
                self.row_links[-1].append(str(attributes["href"]))
        elif tag == "h2":
            self._in_h2, self._h2_text = True, ""
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append([])
            self.row_links.append([])
            self.row_attributes.append(attributes)
            self.images.append({})
        elif tag in ("td", "th") and self._section == "tbody":
            self._cell = []
        elif tag == "th" and self._section == "thead":
            self.headers.append(attributes)
        elif tag == "button" and self._section == "thead":
            self.buttons.append(str(attributes.get("data-key")))
        elif tag == "img" and self._section == "tbody":
            self.images[-1] = attributes
        elif tag == "li" and self._heading in ("Warnings", "Data notices"):
            self._item = []
        elif tag == "li" and attributes.get("data-count"):
            self._text, self._target, self._count_key = [], "summary", str(attributes["data-count"])
        elif tag == "caption":
            self._text, self._target = [], "caption"
        elif tag == "p" and attributes.get("id") == "shown":
            self._text, self._target = [], "shown"
        elif tag == "form" and attributes.get("id") == "filters":
            self.filters = attributes
        elif tag == "label":
            self.labels.append(str(attributes.get("for")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2, self._heading = False, self._h2_text.strip()
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag in ("thead", "tbody"):
            self._section = ""
        elif tag == "li" and self._item is not None:
            items = self.warnings if self._heading == "Warnings" else self.notices
            items.append(" ".join("".join(self._item).split()))
            self._item = None
        elif tag in ("li", "caption", "p") and self._text is not None:
            text = " ".join("".join(self._text).split())
            if self._target == "summary":
                self.summary[self._count_key] = int(text.split()[0])
            else:
                setattr(self, self._target, text)
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self._h2_text += data
        if self._cell is not None:
            self._cell.append(data)
        if self._item is not None:
            self._item.append(data)
        if self._text is not None:
            self._text.append(data)

    @property
    def document_rows(self) -> list[tuple[list[str], list[str]]]:
        """The table's body rows, each as (its cells' text, its links)."""
        return list(zip(self.rows, self.row_links, strict=True))

    def visible_rows(self) -> list[list[str]]:
        """The body rows the filters leave shown, in the page's order."""
        return [row for row, attributes in zip(self.rows, self.row_attributes, strict=True)
                if "hidden" not in attributes]  # fmt: skip


@dataclass
class Small:
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def csv(self) -> Path:
        return self.root / "recipients.csv"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def letter(self, recipient: str, file_format: str = "pdf") -> Path:
        return self.out / "letters" / LETTER / f"{recipient}.{file_format}"

    def arguments(self, *extra: str) -> list[str | Path]:
        return [
            "build",
            "--project",
            self.project,
            "--recipients",
            self.csv,
            "--letter",
            LETTER,
            "--format",
            "pdf",
            "--jobs",
            "1",
            "--out",
            self.out,
            *extra,
        ]

    def build_letters(self, *extra: str) -> Run:
        return invoke(*self.arguments(*extra))

    def build_wakefield(self, *extra: str) -> Run:
        return invoke(
            "build", "--project", self.project, "--city", "wakefield", "--format", "pdf", "--jobs", "1",
            "--out", self.out, *extra,
        )  # fmt: skip

    def letters_snapshot(self) -> dict[str, tuple[str, int]]:
        return {path: state for path, state in snapshot(self.out).items() if path.startswith("letters/")}
