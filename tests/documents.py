"""Helpers shared by the test modules: project copies, text files edited by exact text, the command line,
and the text of PDF and Word documents.

A build is run either in this process (`invoke`, through click's CliRunner) or as the README runs it
(`generate`, `python generate.py` in a subprocess). PDF text is read with pypdf, keeping each piece's
position and size, so that superscript note references and list markers (which pypdf reads after the
list) can be told apart from the text and put back on their lines. Word text is read with python-docx:
body paragraphs and table cells (row by row) in document order, and the footnotes from their part's XML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from click.testing import CliRunner, Result
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from lxml import etree
from pypdf import PdfReader

from keycities.cli import cli
from keycities.compose.charts import CHART_FONT_FAMILY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GENERATE = PROJECT_ROOT / "generate.py"
PROJECT_PARTS = (
    "data",
    "cities.yaml",
    "recipients.yaml",
    "recipients",
    "letters",
    "templates",
    "assets",
    "cities",
)
# A build's summary, wherever it stands in the output.
SUMMARY = re.compile(r"(\d+) built, (\d+) skipped, (\d+) failed")
# A build's summary line, the whole of it.
SUMMARY_LINE = re.compile(
    r"^(?P<built>\d+) built, (?P<skipped>\d+) skipped, (?P<failed>\d+) failed in \d+\.\d s; "
    r"outputs in (?P<out>.+)$",
    re.MULTILINE,
)
PROGRESS = re.compile(r"^\[\d+/\d+\] (?P<status>built|skipped|failed) (?P<document>\S+)$", re.MULTILINE)


# ---- Projects and text files ----------------------------------------------------------------------


def copy_project(destination: Path) -> Path:
    """A copy of the shipped project (data, recipients, letters, templates, assets, local content)."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    return destination


def _find(path: Path, text: str, needle: str, after: str | None) -> int:
    """Where `needle` first occurs in `text` (after the text `after`, if given); it must occur."""
    start = 0
    if after is not None:
        start = text.find(after)
        assert start >= 0, f"{after!r} does not occur in {path}"
        start += len(after)
    position = text.find(needle, start)
    assert position >= 0, f"{needle!r} does not occur in {path} (from offset {start})"
    return position


def edit(path: Path, old: str, new: str, *, after: str | None = None) -> None:
    """Replace the first occurrence of `old` in a text file (after the text `after`, if given); `old`
    must occur."""
    text = path.read_text(encoding="utf-8")
    position = _find(path, text, old, after)
    path.write_text(text[:position] + new + text[position + len(old) :], encoding="utf-8")


def line_of(path: Path, needle: str, *, after: str | None = None) -> int:
    """The 1-based line on which `needle` first occurs in a text file (after the text `after`, if given)."""
    text = path.read_text(encoding="utf-8")
    return text.count("\n", 0, _find(path, text, needle, after)) + 1


def column_of(path: Path, needle: str, *, after: str | None = None) -> int:
    """The 1-based column at which `needle` first occurs in a text file (after the text `after`, if given)."""
    text = path.read_text(encoding="utf-8")
    position = _find(path, text, needle, after)
    return position - (text.rfind("\n", 0, position) + 1) + 1


# ---- The command line -----------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    """Run the command line in this process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def letters(project: Path, out: Path, *args: str) -> Result:
    """`letters` for a project into `out`, in this process (one worker: no process start-up)."""
    return invoke("letters", "--project", project, "--out", out, "--jobs", "1", *args)


def briefings(project: Path, out: Path, *args: str) -> Result:
    """`briefings` for a project into `out`, in this process, one worker (no process start-up)."""
    return invoke("briefings", "--project", project, "--out", out, "--jobs", "1", *args)


@dataclass
class Run:
    """One run of the command line: exit code, output, and what it did to each document."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        """(built, skipped, failed) from the summary line; fails the test when there is none."""
        found = SUMMARY_LINE.search(self.stdout)
        assert found, f"no summary line in stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        return int(found["built"]), int(found["skipped"]), int(found["failed"])

    @property
    def statuses(self) -> dict[str, str]:
        """Each document's status (`built`, `skipped`, `failed`), from the progress lines on stderr."""
        return {match["document"]: match["status"] for match in PROGRESS.finditer(self.stderr)}

    def with_status(self, status: str) -> set[str]:
        return {document for document, state in self.statuses.items() if state == status}

    def describe(self) -> str:
        return f"exit {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def generate(*args: str | Path, project: Path = PROJECT_ROOT, timeout: float = 300) -> Run:
    """`python generate.py ARGS` as the README runs it, with KEYCITIES_PROJECT naming the project."""
    environment = os.environ | {"KEYCITIES_PROJECT": str(project), "PYTHONUNBUFFERED": "1"}
    completed = subprocess.run(
        [sys.executable, str(GENERATE), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=project,
        timeout=timeout,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


class Output(Protocol):
    """What a command said: a click `Result`, a `Run`, or a build kept for the session."""

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...


def summary(result: Output) -> tuple[int, int, int]:
    """(built, skipped, failed) from a build's last line."""
    found = SUMMARY.search(result.stdout)
    assert found, f"no build summary in the output:\n{result.stdout}\n{result.stderr}"
    built, skipped, failed = (int(group) for group in found.groups())
    return built, skipped, failed


def assert_clean_failure(result: Result, *needles: str) -> str:
    """Exit 1 with `error:` messages containing every needle and no traceback; returns stderr."""
    # An exception the CLI did not turn into a message ends up in result.exception, not SystemExit.
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "error: " in result.stderr
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in:\n{result.stderr}"
    return result.stderr


# ---- PDF text with positions --------------------------------------------------------------------

# A list marker ("3. " or a bullet) drawn apart from its item's text; pypdf reads it after the list.
LIST_MARKER = re.compile(r"^\s*(\d+\.|[•◦▪‣])\s*$")


@dataclass(frozen=True)
class Chunk:
    """A piece of text as pypdf reads it: where its baseline starts and its size in points."""

    text: str
    x: float
    y: float
    size: float


@dataclass
class PdfLine:
    """One line of a page: its chunks in reading order."""

    page: int  # 0-based
    chunks: list[Chunk]

    @property
    def size(self) -> float:
        """The size of the line's text (its largest chunk)."""
        return max(chunk.size for chunk in self.chunks)

    @property
    def y(self) -> float:
        """The baseline of the line's text (of its largest chunk)."""
        return max(self.chunks, key=lambda chunk: chunk.size).y

    def is_superscript(self, chunk: Chunk) -> bool:
        """A chunk smaller than the line's text and raised above its baseline: a note reference."""
        return chunk.size < 0.85 * self.size and chunk.y > self.y + 0.5

    @property
    def text(self) -> str:
        """The line as read, note references included (as digits run into the text)."""
        return "".join(chunk.text for chunk in self.chunks).strip()

    @property
    def text_without_notes(self) -> str:
        """The line without its superscript note references."""
        return "".join(chunk.text for chunk in self.chunks if not self.is_superscript(chunk)).strip()

    @property
    def notes(self) -> list[int]:
        """The note numbers referred to on this line, in order."""
        return [int(chunk.text) for chunk in self.chunks if self.is_superscript(chunk)]


def read_pdf(path: Path) -> PdfReader:
    """A PDF, parsed."""
    return PdfReader(path)


def pdf_lines(path: Path) -> list[PdfLine]:
    """Every non-empty line of every page, in pypdf's reading order, list markers put back in place.

    pypdf reads an ordered list's markers after the list; each is moved to the start of the line
    drawn at the same height on the same page (a marker on a line of its own is left where it is).
    The text of charts (drawn in their own font) is left out: it belongs to the picture, which Word holds
    as a PNG; `chart_text` reads it.
    """
    lines: list[PdfLine] = []
    for number, page in enumerate(read_pdf(path).pages):
        lines += _markers_in_place(_page_lines(number, page))
    return lines


def _page_lines(number: int, page: Any) -> list[PdfLine]:
    lines: list[PdfLine] = []
    current: list[Chunk] = []

    def finish() -> None:
        if "".join(chunk.text for chunk in current).strip():
            lines.append(PdfLine(number, list(current)))
        current.clear()

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        if is_chart_font(font):
            return
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        points = abs(size * tm[3] * cm[3]) if size else 0.0
        for index, part in enumerate(text.split("\n")):
            if index:
                finish()
            if part:
                current.append(Chunk(part, round(x, 1), round(y, 1), round(points, 1)))

    page.extract_text(visitor_text=visit)
    finish()
    return lines


def is_chart_font(font: Any) -> bool:
    """Whether a pypdf font dictionary is one of the charts' fonts (`/ABCDEF+KeyCities-Chart[-Bold]`)."""
    name = "" if font is None else str(font.get("/BaseFont", "")).partition("+")[2]
    return name.startswith(CHART_FONT_FAMILY.replace(" ", "-"))


def chart_text(path: Path) -> list[str]:
    """The text drawn in the charts' font, page by page, each piece as pypdf reads it."""
    found: list[str] = []
    for page in read_pdf(path).pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if is_chart_font(font) and text.strip():
                found.append(text.strip())

        page.extract_text(visitor_text=visit)
    return found


def _markers_in_place(lines: list[PdfLine]) -> list[PdfLine]:
    """Each lone list marker moved to the start of the line drawn at its height, to its right."""
    kept: list[PdfLine] = []
    markers: list[PdfLine] = []
    for line in lines:
        (markers if LIST_MARKER.match(line.text) else kept).append(line)
    for marker in markers:
        target = next(
            (
                line
                for line in kept
                if abs(line.y - marker.y) < 0.5 and min(c.x for c in line.chunks) > marker.chunks[0].x
            ),
            None,
        )
        if target is None:
            kept.append(marker)  # not drawn beside a line: keep it, in pypdf's order
        else:
            target.chunks[:0] = marker.chunks
    order = {id(line): index for index, line in enumerate(lines)}
    return sorted(kept, key=lambda line: order[id(line)])


# ---- Word text ------------------------------------------------------------------------------------


def body_paragraphs(document: Any) -> Iterator[tuple[Any, bool]]:
    """The body's paragraphs and its tables' cell paragraphs (row by row) in document order, each with
    whether it stands in a table cell."""
    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            for row in item.rows:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        yield paragraph, True
        else:
            yield item, False


def without_notes(paragraph: Any) -> str:
    """A paragraph's text without its note references (footnote references, which hold no text, and
    superscript runs)."""
    return "".join(run.text for run in paragraph.runs if not run.font.superscript)


def header_texts(header: Any) -> list[str]:
    """The non-empty paragraphs of a header, a table's cells (row by row) where it has one: a letter's
    letterhead sets the group's name and lines in a table beside its logo."""
    paragraphs: list[Any] = []
    for item in header.iter_inner_content():
        if isinstance(item, WordTable):
            paragraphs += [p for row in item.rows for cell in row.cells for p in cell.paragraphs]
        else:
            paragraphs.append(item)
    return [paragraph.text for paragraph in paragraphs if paragraph.text.strip()]


@dataclass(frozen=True)
class Footnotes:
    """A .docx's footnotes: the number Word shows for each reference (by footnote id: Word numbers the
    references in the order of the text, from 1) and each footnote's text, in that order."""

    numbers: dict[str, int]
    texts: list[str]

    def text_of(self, paragraph: Any) -> str:
        """A paragraph's text with each footnote reference as the number Word shows for it."""
        return "".join(
            run.text + "".join(str(self.numbers[i]) for i in run._r.xpath("./w:footnoteReference/@w:id"))
            for run in paragraph.runs
        )

    def of(self, paragraph: Any) -> tuple[int, ...]:
        """The numbers Word shows for a paragraph's footnote references."""
        return tuple(self.numbers[i] for i in paragraph._p.xpath("./w:r/w:footnoteReference/@w:id"))


def footnotes(document: Any) -> Footnotes:
    """The footnotes of a python-docx document, read from its footnotes part's XML."""
    texts: dict[str, str] = {}
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            for note in etree.fromstring(rel.target_part.blob).iter(qn("w:footnote")):
                texts[note.get(qn("w:id"))] = "".join(note.itertext()).strip()
    ids = [ref.get(qn("w:id")) for ref in document.element.body.iter(qn("w:footnoteReference"))]
    numbers = {note_id: number for number, note_id in enumerate(ids, start=1)}
    return Footnotes(numbers, [texts[note_id] for note_id in ids])


def picture_alts(element: Any) -> list[str]:
    """The alt text (descr) of every picture under an XML element, in order ('' when it has none)."""
    return [doc_pr.get("descr") or "" for doc_pr in element.iter(qn("wp:docPr"))]


# ---- Comparing text -------------------------------------------------------------------------------


def squeeze(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed."""
    return " ".join(text.split())


def _characters_and_breaks(lines: Iterable[str]) -> tuple[str, set[int], set[int]]:
    """(the text without whitespace, where words broke within a line, where lines ended)."""
    text = ""
    spaces: set[int] = set()
    ends: set[int] = set()
    for line in lines:
        for index, word in enumerate(line.split()):
            if index:
                spaces.add(len(text))
            text += word
        ends.add(len(text))
    return text, spaces, ends


def _split(text: str, at: set[int]) -> list[str]:
    cuts = sorted(position for position in at if 0 < position < len(text))
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True) if start < end]


def word_tokens(pdf: Sequence[str], word: Sequence[str]) -> tuple[list[str], list[str]]:
    """The word tokens of PDF lines and of Word paragraphs, to compare with `==`.

    The PDF wraps paragraphs into lines, and may wrap inside a word (a long web address, a hyphenated
    word): a PDF line end counts as a word break only where the Word text has a break too. Apart from
    that the tokens are the whitespace-separated words, so the lists are equal exactly when both have
    the same characters in the same order with the same word breaks. When the characters differ, the
    plain whitespace-separated words are returned, for a readable difference.
    """
    pdf_text, pdf_spaces, pdf_ends = _characters_and_breaks(pdf)
    word_text, word_spaces, word_ends = _characters_and_breaks(word)
    word_breaks = word_spaces | word_ends
    if pdf_text != word_text:
        return [w for line in pdf for w in line.split()], [w for p in word for w in p.split()]
    return _split(pdf_text, pdf_spaces | (pdf_ends & word_breaks)), _split(word_text, word_breaks)
