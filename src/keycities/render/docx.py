"""Blocks to Word: a .docx styled only by reference.docx, with the same bytes for the same input."""

from __future__ import annotations

import copy
import io
import re
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK, WD_LINE_SPACING
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section, _Footer, _Header
from docx.shared import Length, Mm
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run as WordRun

from keycities.compose.blocks import (
    SIGNATURE_SPACE_MM,
    AddressBlock,
    Block,
    Chart,
    DateLine,
    Document,
    Heading,
    Image,
    ListBlock,
    Notes,
    PageBreak,
    Paragraph,
    Run,
    Signature,
    Table,
)
from keycities.errors import RenderError
from keycities.render.docx_letterhead import add_letterhead
from keycities.render.footnotes import Footnotes, restart_footnote_numbers
from keycities.render.ooxml import (
    add_field,
    clear_reference_content,
    defined,
    deterministic_zip,
    new_section,
    number_drawings,
    restart_page_numbers,
    set_core_properties,
    set_default_language,
    set_language,
    word_language,
)

# Every style the renderer names; an office may restyle them in Word but must keep the names.
PARAGRAPH_STYLES = (
    *("Normal", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Number", "Footer"),
    *("Letterhead Logo", "Letterhead Name", "Letterhead Line", "Letterhead Rule", "Cover Name", "Cover Rule"),
    *("Address", "Date Line", "Subject", "Salutation", "Close", "Lead", "Quote", "Small"),
    *("Caption", "Table Caption", "Figure", "Notes Heading", "Note", "footnote text"),
    *("Signature Image", "Signature Name", "Signature Role", "Table Text", "Table Number"),
)
CHARACTER_STYLES = ("footnote reference",)
TABLE_STYLE = "Data Table"
# Each paragraph role but "body" has the style of the same name.
ROLE_STYLES = {"body": "Normal"} | {
    role: role.title() for role in ("subject", "salutation", "close", "lead", "quote", "small")
}

# Characters XML 1.0 cannot carry (python-docx raises ValueError) and lone surrogates (UnicodeEncodeError).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PAGE_WORDS = {"cy": ("Tudalen", "o")}


class DocxRenderer:
    """Renders Documents to .docx bytes with the styles of one reference.docx."""

    def __init__(self, reference: Path) -> None:
        """Load the reference once and check that it has every style the renderer names."""
        try:
            word = docx.Document(io.BytesIO(reference.read_bytes()))
        except OSError as exc:
            raise RenderError(f"{reference}: cannot read the Word reference: {exc.strerror}") from exc
        except (zipfile.BadZipFile, KeyError, PackageNotFoundError, SyntaxError) as exc:
            raise RenderError(f"{reference}: not a Word .docx file ({exc})") from exc
        present = {(style.name, style.type) for style in word.styles}
        # Looked up once: python-docx scans every style each time a style is assigned by name.
        self._style_ids = {
            style.name: None if style.element.default else style.style_id
            for style in word.styles
            if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER)
        }
        missing = [name for name in PARAGRAPH_STYLES if (name, WD_STYLE_TYPE.PARAGRAPH) not in present]
        missing += [
            f"{name} (character style)"
            for name in CHARACTER_STYLES
            if (name, WD_STYLE_TYPE.CHARACTER) not in present
        ]
        if (TABLE_STYLE, WD_STYLE_TYPE.TABLE) not in present:
            missing.append(f"{TABLE_STYLE} (table style)")
        if missing:
            raise RenderError(f"{reference}: missing Word styles: {', '.join(missing)}")
        # Parsed and emptied once; each render works on a copy of its own.
        clear_reference_content(word)
        self._reference = word

    def render(self, document: Document) -> tuple[bytes, None]:
        """One document's .docx; no page count, since Word counts the pages only when it opens the file."""
        return self.render_combined([document])

    def render_combined(self, documents: Sequence[Document]) -> tuple[bytes, None]:
        """One .docx holding each document in its own section, each numbered from page 1; no page count."""
        if not documents:
            raise RenderError("no documents to render to Word")
        for document in documents:
            _check_text(document)
        word: WordDocument = copy.deepcopy(self._reference)
        # A file of one document counts all its pages (NUMPAGES, which LibreOffice also fills in); a
        # combined file counts each section's own (SECTIONPAGES, which only Word fills in).
        total = "NUMPAGES" if len(documents) == 1 else "SECTIONPAGES"
        builder = _Builder(word, documents[0].language, self._style_ids, total)
        previous: Document | None = None
        for document in documents:
            builder.add(document, word.sections[0] if previous is None else new_section(word), previous)
            previous = document
        set_core_properties(word, documents[0])
        number_drawings(word)
        return deterministic_zip(word), None


class _Builder:
    """Writes documents into one python-docx document; one builder per render, so renders share nothing."""

    def __init__(
        self, word: WordDocument, file_language: str, style_ids: dict[str, str | None], total: str
    ) -> None:
        self._word = word
        self._total = total
        self._style_ids = style_ids
        self._file_language = file_language
        self._run_language: str | None = None
        self._label = ""
        self._footnotes = Footnotes(word, style_ids["footnote text"], style_ids["footnote reference"])
        self._footnote_texts: dict[int, str] = {}
        set_default_language(word, word_language(file_language))

    def add(self, document: Document, section: Section, previous: Document | None) -> None:
        """Append one document's section: letterhead, footer and blocks."""
        # Runs carry their own language only when a combined file mixes English and Welsh.
        language = document.language
        self._run_language = None if language == self._file_language else word_language(language)
        self._label = f"{document.title!r}: letterhead"
        section.different_first_page_header_footer = True
        restart_page_numbers(section)
        restart_footnote_numbers(section)
        # A header or footer the same as the previous section's links to it (Word's "Link to Previous"),
        # so a batch of letters holds one letterhead; python-docx adds each new part in quadratic time.
        if not _repeats(previous, document, "letterhead"):
            header = defined(section.first_page_header)
            add_letterhead(self, header, _text_width(section), document.letterhead, document.kind)
        if previous is None:
            defined(section.first_page_footer)
        if not _repeats(previous, document, "footer"):
            self._footer(defined(section.footer), document)
        # A note the text refers to becomes a Word footnote at its reference; the others stay in a list.
        referenced = {run.note for run in _runs_of(document.blocks) if run.note is not None}
        self._footnote_texts = {
            number: text
            for block in document.blocks
            if isinstance(block, Notes)
            for number, text in block.items
            if number in referenced
        }
        kept_with_next = _leading_to_charts(document.blocks)
        for index, block in enumerate(document.blocks, start=1):
            self._label = f"{document.title!r}: block {index} ({type(block).__name__})"
            last_paragraph = self._block(block, followed=index < len(document.blocks))
            if index - 1 in kept_with_next and last_paragraph is not None:
                last_paragraph.paragraph_format.keep_with_next = True

    def _block(self, block: Block, *, followed: bool) -> WordParagraph | None:
        """Add one block; its last paragraph, when it ends with one."""
        match block:
            case Heading(level=level, runs=runs):
                if level not in (1, 2, 3):
                    raise RenderError(f"{self._label}: heading level {level} is not 1, 2 or 3")
                return self._runs(self._paragraph(f"Heading {level}"), runs)
            case Paragraph(runs=runs, role=role):
                return self._runs(self._paragraph(ROLE_STYLES[role]), runs)
            case ListBlock():
                self._list(block)
            case Table():
                self._table(block)
            case Chart(png=png, caption=caption):
                self.picture(self._paragraph("Figure"), png)
                if caption:
                    self.text(self._paragraph("Caption"), caption)
            case AddressBlock(lines=lines):
                for line in lines:
                    self.text(self._paragraph("Address"), line)
            case DateLine(text=text):
                self.text(self._paragraph("Date Line"), text)
            case Signature(image=image, name=name, roles=roles):
                if image is not None:
                    self.picture(self._paragraph("Signature Image"), image)
                else:  # a space to sign by hand: an empty line of that exact height
                    space = self._paragraph("Signature Image").paragraph_format
                    space.line_spacing_rule = WD_LINE_SPACING.EXACTLY
                    space.line_spacing = Mm(SIGNATURE_SPACE_MM)
                self.text(self._paragraph("Signature Name"), name)
                for position in roles:
                    self.text(self._paragraph("Signature Role"), position)
            case Notes(title=title, items=items):
                listed = [(number, text) for number, text in items if number not in self._footnote_texts]
                # The heading stays over what is left: notes nothing refers to, or what follows them.
                if title and (listed or followed):
                    self.text(self._paragraph("Notes Heading"), title)
                # Literal numbers, so they always match the numbers the PDF gives the same notes.
                for number, text in listed:
                    self.text(self._paragraph("Note"), f"{number}. {text}")
            case PageBreak():
                self._paragraph("Normal").add_run().add_break(WD_BREAK.PAGE)
        return None

    def paragraph_in(self, container: _Header | _Cell, style: str, *, first: bool = False) -> WordParagraph:
        """A paragraph of `style` in a header or table cell: its first (always there), or a new one."""
        return self._styled(container.paragraphs[0] if first else container.add_paragraph(), style)

    def _paragraph(self, style: str) -> WordParagraph:
        return self._styled(self._word.add_paragraph(), style)

    def _styled(self, paragraph: WordParagraph, style: str) -> WordParagraph:
        # None for the default paragraph style, which Word applies without a w:pStyle.
        paragraph._p.style = self._style_ids[style]
        return paragraph

    def _runs(self, paragraph: WordParagraph, runs: Sequence[Run]) -> WordParagraph:
        for run in runs:
            written = self.text(paragraph, run.text, run.bold, run.italic)
            if run.language is not None:  # a passage in another language than the document's
                set_language(written._r.get_or_add_rPr(), word_language(run.language))
            if run.note in self._footnote_texts:
                self._footnotes.add(paragraph, self._footnote_texts[run.note], self._run_language)
            elif run.note is not None:  # a note no Notes block holds: its number, as the PDF shows it
                self.text(paragraph, str(run.note)).font.superscript = True
        return paragraph

    def text(self, paragraph: WordParagraph, text: str, bold: bool = False, italic: bool = False) -> WordRun:
        """Append a run of text, marked with the document's language when it is not the file's."""
        run = paragraph.add_run(text)
        if bold:
            run.bold = True
        if italic:
            run.italic = True
        if self._run_language is not None:
            set_language(run._r.get_or_add_rPr(), self._run_language)
        return run

    def _list(self, block: ListBlock) -> None:
        style = "List Number" if block.ordered else "List Bullet"
        # Each numbered list gets its own w:num starting at 1, or Word would continue the previous list.
        num_id = self._restarted_numbering() if block.ordered else None
        for item in block.items:
            paragraph = self._paragraph(style)
            if num_id is not None:
                num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                num_pr.get_or_add_ilvl().val = 0
                num_pr.get_or_add_numId().val = num_id
            self._runs(paragraph, item)

    def _restarted_numbering(self) -> int | None:
        style_pr = self._word.styles["List Number"].element.pPr
        style_num = None if style_pr is None or style_pr.numPr is None else style_pr.numPr.numId
        if style_num is None:
            return None
        numbering = self._word.part.numbering_part.element
        abstract_id = numbering.num_having_numId(style_num.val).abstractNumId.val
        num = numbering.add_num(abstract_id)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    def _table(self, block: Table) -> None:
        width = len(block.header)
        if width == 0 or any(len(row) != width for row in block.rows):
            raise RenderError(f"{self._label}: every row needs {width} cells, as many as the header")
        if block.caption:
            self.text(self._paragraph("Table Caption"), block.caption)
        table = self._word.add_table(rows=1 + len(block.rows), cols=width, style=TABLE_STYLE)
        numeric = set(block.numeric_columns)
        header_cells = tuple((Run(text),) for text in block.header)
        for cells, row in zip((header_cells, *block.rows), table.rows, strict=True):
            for column, (runs, cell) in enumerate(zip(cells, row.cells, strict=True)):
                style = "Table Number" if column in numeric else "Table Text"
                self._runs(self._styled(cell.paragraphs[0], style), runs)
        # The header row repeats on every page and is what Word's accessibility checker looks for.
        table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        if block.caption:
            caption = OxmlElement("w:tblCaption")
            caption.set(qn("w:val"), block.caption)
            table._tbl.tblPr.append(caption)

    def picture(self, paragraph: WordParagraph, image: Image) -> None:
        """Append a PNG with its alt text at its width."""
        if image.media_type != "image/png":
            raise RenderError(
                f"{self._label}: Word needs a PNG for the image {image.alt!r}, got {image.media_type}"
            )
        if not image.alt.strip():
            raise RenderError(f"{self._label}: an image has no alt text")
        try:
            shape = paragraph.add_run().add_picture(io.BytesIO(image.data), width=Mm(image.width_mm))
        except (UnrecognizedImageError, struct.error, ValueError) as exc:
            raise RenderError(f"{self._label}: the image {image.alt!r} is not a readable PNG") from exc
        shape._inline.docPr.set("descr", image.alt)

    def _footer(self, footer: _Footer, document: Document) -> None:
        paragraph = self._styled(footer.paragraphs[0], "Footer")
        page, of = _PAGE_WORDS.get(document.language.split("-")[0], ("Page", "of"))
        self.text(paragraph, f"{document.footer}\t{page} ")
        add_field(paragraph, "PAGE")
        self.text(paragraph, f" {of} ")
        add_field(paragraph, self._total)


def _repeats(previous: Document | None, document: Document, field: str) -> bool:
    if previous is None or previous.language != document.language:
        return False
    return bool(getattr(previous, field) == getattr(document, field))


def _text_width(section: Section) -> Length:
    """The width between the margins; a reference that sets no page is A4 with 25.4 mm margins."""
    margins = [Mm(25.4) if side is None else side for side in (section.left_margin, section.right_margin)]
    page = Mm(210) if section.page_width is None else section.page_width
    return Length(page - sum(margins))


def _runs_of(blocks: Sequence[Block]) -> Iterator[Run]:
    """Every run of text that may refer to a note: in headings, paragraphs, list items and table cells."""
    for block in blocks:
        match block:
            case Heading(runs=runs) | Paragraph(runs=runs):
                yield from runs
            case ListBlock(items=items):
                for item in items:
                    yield from item
            case Table(rows=rows):
                for row in rows:
                    for cell in row:
                        yield from cell


def _leading_to_charts(blocks: Sequence[Block]) -> set[int]:
    """The blocks to keep on the page of the chart they lead to: a heading and the paragraphs between it
    and its chart (at most two, as a longer run cannot be kept together)."""
    kept: set[int] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, Chart):
            continue
        start = index - 1
        while start >= 0 and index - start <= 2 and isinstance(blocks[start], Paragraph):
            start -= 1
        if start >= 0 and isinstance(blocks[start], Heading):
            kept.update(range(start, index))
    return kept


def _check_text(document: Document) -> None:
    """Raise RenderError naming the part of `document` holding a character Word cannot store."""
    parts: list[tuple[str, object]] = [
        (field.name, getattr(document, field.name)) for field in fields(document) if field.name != "blocks"
    ]
    parts += [(f"block {i} ({type(b).__name__})", b) for i, b in enumerate(document.blocks, start=1)]
    for label, value in parts:
        for text in _strings(value):
            found = _UNSTORABLE.search(text)
            if found:
                code = f"U+{ord(found.group()):04X}"
                raise RenderError(f"{document.title!r}: {label} contains {code}, which Word cannot store")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            yield from _strings(getattr(value, field.name))
