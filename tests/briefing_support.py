"""Helpers for the briefing-pack tests: project copies, the CLI, and the text, pictures and structure of
packs.

PDF text is read with pypdf, keeping each piece's position, so that list markers (which pypdf reads
after the list) can be put back on their lines and page footers dropped. Word text is read with
python-docx: the first-page header, then paragraphs and table cells (row by row) in body order.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from click.testing import CliRunner, Result
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from keycities.cli import cli

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("cities.yaml", "recipients.yaml", "letters", "templates", "assets", "cities")
GROUP = "Key Cities Group"
SUMMARY = re.compile(r"(\d+) built, (\d+) skipped, (\d+) failed")


# ---- Projects and the command line -------------------------------------------------------------


def copy_project(destination: Path) -> Path:
    """A copy of the shipped project (data, recipients, letters, templates, assets, cities) to edit."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copyfile(source, destination / part)
    return destination


def generate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python generate.py ARGS`, as the README shows it, in a process of its own."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "generate.py"), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def invoke(*args: str | Path) -> Result:
    """Run the command line in this process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def briefings(project: Path, out: Path, *args: str) -> Result:
    """`briefings` for a project into `out`, in this process, one worker (no process start-up)."""
    return invoke("briefings", "--project", project, "--out", out, "--jobs", "1", *args)


def summary(text: str) -> tuple[int, int, int]:
    """(built, skipped, failed) from a build's last line."""
    found = SUMMARY.search(text)
    assert found, f"no build summary in the output:\n{text}"
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


def write_png(
    path: Path, size: tuple[int, int] = (120, 60), colour: tuple[int, int, int] = (180, 20, 60)
) -> Path:
    """A small PNG made with Pillow."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line on which `needle` first occurs in a text file."""
    text = path.read_text(encoding="utf-8")
    position = text.find(needle)
    assert position >= 0, f"{needle!r} does not occur in {path}"
    return text.count("\n", 0, position) + 1


# ---- PDF text -------------------------------------------------------------------------------------

# A list marker drawn apart from its item's text ("3. " or a bullet); pypdf reads it after the list.
LIST_MARKER = re.compile(r"^\s*(\d+\.|•)\s*$")
BULLET = "•"
# The running footer of a continuation page: `<group>: <title>` then `Page N of M` (Welsh: Tudalen N o M).
PAGE_NUMBER = re.compile(r"(Page \d+ of \d+|Tudalen \d+ o \d+)$")


@dataclass(frozen=True)
class Chunk:
    text: str
    x: float
    y: float


@dataclass
class PdfLine:
    page: int  # 0-based
    chunks: list[Chunk]

    @property
    def text(self) -> str:
        return "".join(chunk.text for chunk in self.chunks).strip()

    @property
    def y(self) -> float:
        return self.chunks[-1].y


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
        for index, part in enumerate(text.split("\n")):
            if index:
                finish()
            if part:
                current.append(Chunk(part, round(x, 1), round(y, 1)))

    page.extract_text(visitor_text=visit)
    finish()
    return lines


def _markers_in_place(lines: list[PdfLine]) -> list[PdfLine]:
    """Each lone list marker moved to the start of the line drawn at its height, to its right."""
    kept = [line for line in lines if not LIST_MARKER.match(line.text)]
    for marker in (line for line in lines if LIST_MARKER.match(line.text)):
        target = next(
            (
                line
                for line in kept
                if abs(line.y - marker.y) < 0.5 and min(c.x for c in line.chunks) > marker.chunks[0].x
            ),
            None,
        )
        if target is None:
            kept.append(marker)  # not drawn beside a line: keep it where pypdf read it
        else:
            target.chunks[:0] = marker.chunks
    order = {id(line): index for index, line in enumerate(lines)}
    return sorted(kept, key=lambda line: order[id(line)])


def pdf_lines(path: Path) -> list[PdfLine]:
    """Every non-empty line of every page, in reading order, with list markers back in place."""
    lines: list[PdfLine] = []
    for number, page in enumerate(PdfReader(path).pages):
        lines += _markers_in_place(_page_lines(number, page))
    return lines


def is_footer(text: str, footer: str) -> bool:
    """Whether a PDF line is the running footer `footer` followed by its page number."""
    squeezed = " ".join(text.split())
    found = PAGE_NUMBER.search(squeezed)
    return bool(found) and squeezed[: found.start()].strip() == footer


def pdf_text_lines(path: Path) -> tuple[list[str], list[str]]:
    """(the PDF's lines without page furniture or bullets, the footer lines dropped)."""
    reader = PdfReader(path)
    footer = f"{GROUP}: {reader.metadata.title}"
    kept, footers = [], []
    for line in pdf_lines(path):
        text = line.text
        if is_footer(text, footer):
            footers.append(text)
            continue
        # Word draws a bullet by numbering, not as text: the PDF's bullet character is not compared.
        text = text.removeprefix(BULLET).strip() if text.startswith(BULLET) else text
        if text:
            kept.append(text)
    return kept, footers


# ---- PDF structure --------------------------------------------------------------------------------


def structure_elements(path: Path) -> Iterator[DictionaryObject]:
    """Every structure element of a tagged PDF, depth first, in document order."""
    root = PdfReader(path).trailer["/Root"]
    stack: list[Any] = [root["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if not isinstance(node, DictionaryObject):
            continue
        if "/S" in node:
            yield node
        kids = node.get("/K")
        if kids is None:
            continue
        kids = kids.get_object()
        children = list(kids) if isinstance(kids, ArrayObject) else [kids]
        stack.extend(reversed(children))


def figure_alts(path: Path) -> list[str]:
    """The /Alt of every Figure structure element, in order ('' when it has none)."""
    return [str(node.get("/Alt", "")) for node in structure_elements(path) if node["/S"] == "/Figure"]


def tables(path: Path) -> list[list[list[str]]]:
    """Each Table element's rows, each row the structure types of its cells (TH, TD)."""
    found = []
    for node in structure_elements(path):
        if node["/S"] != "/Table":
            continue
        rows: list[list[str]] = []
        for element in _descendants(node):
            if element["/S"] == "/TR":
                rows.append(
                    [str(cell["/S"])[1:] for cell in _children(element) if cell["/S"] in ("/TH", "/TD")]
                )
        found.append(rows)
    return found


def _children(node: DictionaryObject) -> list[DictionaryObject]:
    kids = node.get("/K")
    if kids is None:
        return []
    kids = kids.get_object()
    children = [kid.get_object() for kid in (kids if isinstance(kids, ArrayObject) else [kids])]
    return [child for child in children if isinstance(child, DictionaryObject) and "/S" in child]


def _descendants(node: DictionaryObject) -> Iterator[DictionaryObject]:
    for child in _children(node):
        yield child
        yield from _descendants(child)


# ---- Word -----------------------------------------------------------------------------------------


@dataclass
class WordPack:
    """What the tests read of a .docx."""

    header: list[str]  # first-page header paragraphs (the letterhead)
    body: list[str]  # paragraphs and table cells (row by row) in document order
    plain_body: list[str]  # the same without superscript runs (note references)
    footer: list[str]  # continuation-page footer paragraphs
    body_alts: list[str]  # descr of every picture in the body
    header_alts: list[str]  # descr of every picture in the first-page header
    inline_body_pictures: int  # pictures in the body placed inline (wp:inline)
    header_rows: list[bool]  # for the first table: whether each row repeats as a header (w:tblHeader)
    table_rows: list[list[str]]  # the first table's cell texts
    language: str
    title: str


def _texts(paragraphs: Any) -> list[str]:
    return [paragraph.text for paragraph in paragraphs]


def _plain(paragraph: Any) -> str:
    return "".join(run.text for run in paragraph.runs if not run.font.superscript)


def read_word(path: Path) -> WordPack:
    """Read a briefing pack's .docx."""
    document = docx.Document(str(path))
    section = document.sections[0]
    body: list[str] = []
    plain: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            for row in item.rows:
                for cell in row.cells:
                    body += _texts(cell.paragraphs)
                    plain += [_plain(p) for p in cell.paragraphs]
        else:
            body.append(item.text)
            plain.append(_plain(item))
    first = document.tables[0] if document.tables else None

    def alts(element: Any) -> list[str]:
        return [doc_pr.get("descr") or "" for doc_pr in element.iter(qn("wp:docPr"))]

    return WordPack(
        header=_texts(section.first_page_header.paragraphs),
        body=body,
        plain_body=plain,
        footer=_texts(section.footer.paragraphs),
        body_alts=alts(document.element.body),
        header_alts=alts(section.first_page_header._element),
        inline_body_pictures=len(list(document.element.body.iter(qn("wp:inline")))),
        header_rows=[
            row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
            for row in (first.rows if first is not None else [])
        ],
        table_rows=[[cell.text for cell in row.cells] for row in (first.rows if first is not None else [])],
        language=document.core_properties.language,
        title=document.core_properties.title,
    )


# ---- Comparing the text of the two formats -----------------------------------------------------


def _characters_and_breaks(lines: Sequence[str]) -> tuple[str, set[int], set[int]]:
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


def first_difference(left: Sequence[str], right: Sequence[str], context: int = 8) -> str:
    """Where two token lists first differ, with some context, for an assertion message."""
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal":
            return (
                f"{tag} at token {a1}: PDF …{' '.join(left[max(0, a1 - context) : a2 + context])}… | "
                f"Word …{' '.join(right[max(0, b1 - context) : b2 + context])}…"
            )
    return "no difference"
