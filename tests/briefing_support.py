"""Helpers for the briefing-pack tests: the text, pictures and structure of packs.

PDF text is read with pypdf (`documents.pdf_lines`, list markers put back on their lines), and page
footers are dropped. Word text is read with python-docx: the first-page header, then paragraphs and table
cells (row by row) in body order. Project copies, the CLI and comparing text are in `documents`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from documents import (
    body_paragraphs,
    footnotes,
    header_texts,
    pdf_lines,
    picture_alts,
    read_pdf,
    squeeze,
    without_notes,
)
from docx.oxml.ns import qn
from pypdf.generic import ArrayObject, DictionaryObject

GROUP = "Key Cities Group"


def write_png(
    path: Path, size: tuple[int, int] = (120, 60), colour: tuple[int, int, int] = (180, 20, 60)
) -> Path:
    """A small PNG made with Pillow."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


# ---- PDF text -------------------------------------------------------------------------------------

BULLET = "•"
# The running footer of a continuation page: `<group>: <title>` then `Page N of M` (Welsh: Tudalen N o M).
PAGE_NUMBER = re.compile(r"(Page \d+ of \d+|Tudalen \d+ o \d+)$")


def is_footer(text: str, footer: str) -> bool:
    """Whether a PDF line is the running footer `footer` followed by its page number."""
    squeezed = squeeze(text)
    found = PAGE_NUMBER.search(squeezed)
    return bool(found) and squeezed[: found.start()].strip() == footer


def pdf_text_lines(path: Path, *, notes: bool = True) -> tuple[list[str], list[str]]:
    """(the PDF's lines without page furniture or bullets, the footer lines dropped); without the note
    references raised in the text when `notes` is false."""
    reader = read_pdf(path)
    footer = f"{GROUP}: {reader.metadata.title}"
    kept, footers = [], []
    for line in pdf_lines(path):
        text = line.text if notes else line.text_without_notes
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
    root = read_pdf(path).trailer["/Root"]
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
    notes_title: str  # the heading over the notes and sources
    listed_notes: list[str]  # the notes nothing in the text refers to, numbered as the PDF numbers them
    footnotes: list[str]  # the text of each footnote, in the order Word numbers them


def _texts(paragraphs: Any) -> list[str]:
    return [paragraph.text for paragraph in paragraphs]


def read_word(path: Path) -> WordPack:
    """Read a briefing pack's .docx."""
    document = docx.Document(str(path))
    section = document.sections[0]
    paragraphs = [paragraph for paragraph, _ in body_paragraphs(document)]
    first = document.tables[0] if document.tables else None
    styled = [(paragraph.text, paragraph.style.name) for paragraph in paragraphs]
    return WordPack(
        header=header_texts(section.first_page_header),
        body=_texts(paragraphs),
        plain_body=[without_notes(paragraph) for paragraph in paragraphs],
        footer=_texts(section.footer.paragraphs),
        body_alts=picture_alts(document.element.body),
        header_alts=picture_alts(section.first_page_header._element),
        inline_body_pictures=len(list(document.element.body.iter(qn("wp:inline")))),
        header_rows=[
            row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
            for row in (first.rows if first is not None else [])
        ],
        table_rows=[[cell.text for cell in row.cells] for row in (first.rows if first is not None else [])],
        language=document.core_properties.language,
        title=document.core_properties.title,
        notes_title=next(text for text, style in styled if style == "Notes Heading"),
        listed_notes=[text for text, style in styled if style == "Note"],
        footnotes=footnotes(document).texts,
    )


def numbered_notes(text: str) -> dict[int, str]:
    """The notes of a list set out as `1. text 2. text ...`, by number; each number is looked for after
    the one before, so a number inside a note's text is not taken for the next note."""
    starts: list[tuple[int, int]] = []  # (where a note's number starts, where its text starts)
    while found := re.compile(rf"(?:^| ){len(starts) + 1}\. ").search(text, starts[-1][1] if starts else 0):
        starts.append((found.start(), found.end()))
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return {
        number: text[begin:end].strip()
        for number, ((_, begin), end) in enumerate(zip(starts, ends, strict=True), start=1)
    }


# ---- Comparing the text of the two formats -----------------------------------------------------


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
