"""The letterhead in Word's first-page header, laid out as print.css lays out the PDF's.

A letter's: the group's name and contact lines at the left, its logo level with them at the right margin,
and a rule under both. A briefing pack's cover band: the logos above (a member's at the right margin),
the name large, the lines, and a heavier rule.
"""

from __future__ import annotations

from typing import Literal, Protocol

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import _Header
from docx.shared import Length, Mm
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run as WordRun

from keycities.compose.blocks import Image, Letterhead

_LOGO_GAP_MM = 6  # between two logos, as print.css spaces them


class LetterheadWriter(Protocol):
    """What the letterhead needs of the Word builder."""

    def paragraph_in(
        self, container: _Header | _Cell, style: str, *, first: bool = False
    ) -> WordParagraph: ...

    def text(self, paragraph: WordParagraph, text: str) -> WordRun: ...

    def picture(self, paragraph: WordParagraph, image: Image) -> None: ...


def add_letterhead(
    writer: LetterheadWriter,
    header: _Header,
    text_width: Length,
    letterhead: Letterhead,
    kind: Literal["letter", "briefing"],
) -> None:
    """Fill an empty first-page header with the letterhead."""
    logos = [logo for logo in (letterhead.logo, letterhead.partner_logo) if logo is not None]
    if kind == "letter" and logos:
        _beside_logos(writer, header, text_width, letterhead, logos)
        return
    if logos:
        row = writer.paragraph_in(header, "Letterhead Logo", first=True)
        for position, logo in enumerate(logos):
            if position:
                writer.text(row, "\t")  # the style's right tab puts a partner's logo at the margin
            writer.picture(row, logo)
    cover = kind == "briefing"
    name = writer.paragraph_in(header, "Cover Name" if cover else "Letterhead Name", first=not logos)
    writer.text(name, letterhead.name)
    _lines(writer, header, letterhead.lines)
    writer.paragraph_in(header, "Cover Rule" if cover else "Letterhead Rule")


def _beside_logos(
    writer: LetterheadWriter, header: _Header, text_width: Length, letterhead: Letterhead, logos: list[Image]
) -> None:
    """The name and lines in a table's left cell, the logos right-aligned in its right cell; the header's
    first paragraph, moved under the table, draws the rule."""
    logo_width = Mm(sum(logo.width_mm for logo in logos) + _LOGO_GAP_MM * len(logos))
    widths = (Length(text_width - logo_width), logo_width)
    table = header.add_table(1, 2, text_width)
    table.autofit = False
    table_width = table._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(text_width.twips))
    # No cell padding, so the name lines up with the letter's text below it.
    table._tbl.tblPr.insert_element_before(
        parse_xml(
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/>'
            "</w:tblCellMar>"
        ),
        *("w:tblLook", "w:tblCaption", "w:tblDescription"),
    )
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    text_cell, logo_cell = table.rows[0].cells
    for cell, width in zip((text_cell, logo_cell), widths, strict=True):
        cell.width = width
    writer.text(writer.paragraph_in(text_cell, "Letterhead Name", first=True), letterhead.name)
    _lines(writer, text_cell, letterhead.lines)
    row = writer.paragraph_in(logo_cell, "Letterhead Logo", first=True)
    row.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    row.paragraph_format.space_after = 0  # the rule's own spacing sets it off
    for position, logo in enumerate(logos):
        if position:
            writer.text(row, " ")
        writer.picture(row, logo)
    rule = writer.paragraph_in(header, "Letterhead Rule", first=True)
    header._element.append(rule._p)


def _lines(writer: LetterheadWriter, container: _Header | _Cell, lines: tuple[str, ...]) -> None:
    for line in lines:
        writer.text(writer.paragraph_in(container, "Letterhead Line"), line)
