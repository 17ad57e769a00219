"""Helpers for the letter tests: project copies, the CLI, one shared build, and text out of PDF and Word.

The shipped letters are built once per test session (`shipped_build`) and shared by the test modules;
each module asks for it through its own fixture. PDF text is read with pypdf, keeping each piece's
position and size, so that superscript note references and list markers can be told apart from the text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner, Result
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from pypdf import PdfReader

from keycities.cli import cli

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("cities.yaml", "recipients.yaml", "letters", "templates", "assets")
SEED_LETTER = Path("/work/shared/seed/letter-to-the-prime-minister.txt")
SHIPPED_LETTER = "cities-in-action"
SHIPPED_RECIPIENTS = (
    "prime-minister",
    "chancellor",
    "mhclg-secretary-of-state",
    "beis-secretary-of-state",
    "wales-secretary-of-state",
    "first-minister-wales",
    "local-government-minister",
    "northern-powerhouse-minister",
    "leader-of-the-opposition",
)
FORMATS = ("pdf", "docx")
SUMMARY = re.compile(r"(\d+) built, (\d+) skipped, (\d+) failed")


# ---- Projects and the command line -------------------------------------------------------------


def copy_project(destination: Path) -> Path:
    """A copy of the shipped project (data, recipients, letters, templates, assets) to edit freely."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copyfile(source, destination / part)
    return destination


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of `old` in a text file; `old` must occur."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} does not occur in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """The 1-based line on which `needle` first occurs in a text file."""
    text = path.read_text(encoding="utf-8")
    position = text.find(needle)
    assert position >= 0, f"{needle!r} does not occur in {path}"
    return text.count("\n", 0, position) + 1


def invoke(*args: str | Path) -> Result:
    """Run the command line in this process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def letters(project: Path, out: Path, *args: str) -> Result:
    """`letters` for a project into `out`, in this process (one worker: no process start-up)."""
    return invoke("letters", "--project", project, "--out", out, "--jobs", "1", *args)


@dataclass(frozen=True)
class ProcessResult:
    """What a command run in its own process said."""

    exit_code: int
    stdout: str
    stderr: str


def run_generate(*args: str | Path) -> ProcessResult:
    """`python generate.py ARGS` in a new process, as the README runs it."""
    process = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "generate.py"), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        env={**os.environ, "KEYCITIES_PROJECT": str(PROJECT_ROOT)},
        timeout=120,
        check=False,
    )
    return ProcessResult(process.returncode, process.stdout, process.stderr)


def summary(result: Result | ProcessResult) -> tuple[int, int, int]:
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


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# ---- The shipped letters, built once per session --------------------------------------------------


@dataclass
class ShippedBuild:
    """The shipped letters built into `out` by the CLI, with what the CLI said."""

    out: Path
    result: Result
    factory: pytest.TempPathFactory
    _forced: tuple[Path, ProcessResult] | None = field(default=None, repr=False)

    def path(self, recipient: str, file_format: str, letter: str = SHIPPED_LETTER) -> Path:
        """The output file for one letter, recipient and format."""
        return self.out / "letters" / letter / f"{recipient}.{file_format}"

    def forced_rebuild(self) -> tuple[Path, Result]:
        """A copy of the build rebuilt with --force (two workers), once per session: (out, result)."""
        if self._forced is None:
            out = self.factory.mktemp("forced") / "out"
            shutil.copytree(self.out, out)
            result = invoke("letters", "--project", PROJECT_ROOT, "--out", out, "--jobs", "2", "--force")
            self._forced = (out, result)
        return self._forced


_SHIPPED: dict[int, ShippedBuild] = {}


def shipped_build(factory: pytest.TempPathFactory) -> ShippedBuild:
    """Every shipped letter for every recipient in both formats, built by the CLI once per session."""
    key = id(factory)
    if key not in _SHIPPED:
        out = factory.mktemp("shipped") / "out"
        result = letters(PROJECT_ROOT, out)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        _SHIPPED[key] = ShippedBuild(out, result, factory)
    return _SHIPPED[key]


# ---- PDF text with positions --------------------------------------------------------------------

# A list marker ("3. " or a bullet) drawn apart from its item's text; pypdf reads it after the list.
LIST_MARKER = re.compile(r"^\s*(\d+\.|[•◦▪‣])\s*$")
# Word draws a bulleted paragraph's bullet from its list style; the text shows it as this.
WORD_BULLET = "• "


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


def _markers_in_place(lines: list[PdfLine]) -> list[PdfLine]:
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
            kept.append(marker)  # not a list marker after all: keep it, in pypdf's order
        else:
            target.chunks[:0] = marker.chunks
    order = {id(line): index for index, line in enumerate(lines)}
    return sorted(kept, key=lambda line: order[id(line)])


def page_footer(footer: str) -> re.Pattern[str]:
    """A continuation page's footer line: the footer text, then `Page N of M`."""
    return re.compile(rf"^{re.escape(footer)}\s*Page (\d+) of (\d+)$")


# ---- Word text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WordParagraph:
    style: str
    text: str
    text_without_notes: str  # without superscript runs
    notes: tuple[int, ...]  # the numbers in superscript runs


@dataclass
class WordText:
    """The text of a .docx, part by part."""

    first_page_header: list[str]
    body: list[WordParagraph]  # paragraphs, and table cells (style "table cell"), in document order
    first_page_footer: list[str]
    footer: list[str]  # continuation pages
    header: list[str]  # continuation pages
    footer_fields: list[str]  # field instructions in the continuation footer
    pictures: dict[str, list[str]]  # alt text of pictures, by part: "header", "body"
    title: str
    language: str

    @property
    def body_text(self) -> list[str]:
        """The non-empty paragraphs and cells of the body; a bulleted paragraph starts with its bullet."""
        return [
            (WORD_BULLET if paragraph.style.startswith("List Bullet") else "") + paragraph.text
            for paragraph in self.body
            if paragraph.text.strip()
        ]

    def styled(self, style: str) -> list[WordParagraph]:
        """The body paragraphs of one style."""
        return [paragraph for paragraph in self.body if paragraph.style == style]


def _word_paragraph(paragraph: Any, style: str | None = None) -> WordParagraph:
    plain, notes = [], []
    for run in paragraph.runs:
        if run.font.superscript:
            notes.append(int(run.text))
        else:
            plain.append(run.text)
    return WordParagraph(style or paragraph.style.name, paragraph.text, "".join(plain), tuple(notes))


def word_text(path: Path) -> WordText:
    """Read a .docx: first-page header, body paragraphs and tables, footers, pictures, properties."""
    document = docx.Document(str(path))
    section = document.sections[0]
    body: list[WordParagraph] = []
    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            for row in item.rows:
                for cell in row.cells:
                    body += [_word_paragraph(p, "table cell") for p in cell.paragraphs]
        else:
            body.append(_word_paragraph(item))

    def texts(part: Any) -> list[str]:
        return [p.text for p in part.paragraphs if p.text.strip()]

    def alts(element: Any) -> list[str]:
        return [doc_pr.get("descr") for doc_pr in element.iter(qn("wp:docPr"))]

    return WordText(
        first_page_header=texts(section.first_page_header),
        body=body,
        first_page_footer=texts(section.first_page_footer),
        footer=texts(section.footer),
        header=texts(section.header),
        footer_fields=[
            instruction.text.strip() for instruction in section.footer._element.iter(qn("w:instrText"))
        ],
        pictures={
            "header": alts(section.first_page_header._element),
            "body": alts(document.element.body),
        },
        title=document.core_properties.title,
        language=document.core_properties.language,
    )


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


def words_as_in_word(pdf: Sequence[str], word: Sequence[str]) -> tuple[list[str], list[str]]:
    """The words of PDF lines and of Word paragraphs, to compare with `==`.

    A PDF line may end inside a word (a long web address wraps), so a line end counts as a word break
    only where the Word text has one. Apart from that the lists are the whitespace-separated words:
    equal exactly when both have the same characters in the same order and the same word breaks.
    """
    pdf_text, pdf_spaces, pdf_ends = _characters_and_breaks(pdf)
    word_text_, word_spaces, word_ends = _characters_and_breaks(word)
    word_breaks = word_spaces | word_ends
    if pdf_text != word_text_:
        return [w for line in pdf for w in line.split()], [w for p in word for w in p.split()]
    return _split(pdf_text, pdf_spaces | (pdf_ends & word_breaks)), _split(word_text_, word_breaks)
