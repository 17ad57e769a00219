"""Edits to a python-docx document that python-docx has no API for: written as WordprocessingML.

Page-number fields and restarts, sections, header and footer links, proofing languages, core
properties, drawing ids, and a zip with the same bytes for the same content.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import TypeVar

from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section, _Footer, _Header
from docx.text.paragraph import Paragraph as WordParagraph

from keycities.compose.blocks import Document

_HeaderOrFooter = TypeVar("_HeaderOrFooter", _Header, _Footer)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# w:sectPr children that must follow w:pgNumType, in schema order.
_AFTER_PGNUMTYPE = (
    *("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi"),
    *("w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange"),
)


def word_language(tag: str) -> str:
    """The proofing language Word expects for a document's language tag."""
    # Word's proofing languages are region-qualified ("cy-GB"); every member city is in the UK.
    return tag if "-" in tag else f"{tag}-GB"


def set_language(rpr: BaseOxmlElement, tag: str) -> None:
    """Mark run properties (w:rPr) with a proofing language."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), tag)


def set_default_language(word: WordDocument, tag: str) -> None:
    """Make `tag` the proofing language of every run that does not name its own."""
    for rpr in word.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr"):
        set_language(rpr, tag)


def clear_reference_content(word: WordDocument) -> None:
    """Remove the reference's body text and unlink its headers and footers, keeping only its styles."""
    # Sample text or headers an office typed while restyling the reference must not reach a letter.
    word.element.body.clear_content()
    section = word.sections[0]
    for kind in ("header", "footer"):
        for prefix in ("", "first_page_", "even_page_"):
            getattr(section, prefix + kind).is_linked_to_previous = True


def new_section(word: WordDocument) -> Section:
    """Start a new section on a new page, for the next document of a combined file."""
    section: Section = word.add_section(WD_SECTION.NEW_PAGE)
    # Move the break into the last paragraph when there is one, so no empty paragraph ends a letter.
    break_paragraph = section._sectPr.getprevious()
    previous = break_paragraph.getprevious()
    if previous is not None and previous.tag == qn("w:p") and not previous.xpath("./w:pPr/w:sectPr"):
        previous.get_or_add_pPr()._insert_sectPr(break_paragraph.pPr.sectPr)
        break_paragraph.getparent().remove(break_paragraph)
    return section


def restart_page_numbers(section: Section) -> None:
    """Number the section's pages from 1."""
    page_numbers = section._sectPr.find(qn("w:pgNumType"))
    if page_numbers is None:
        page_numbers = OxmlElement("w:pgNumType")
        section._sectPr.insert_element_before(page_numbers, *_AFTER_PGNUMTYPE)
    page_numbers.set(qn("w:start"), "1")


def defined(part: _HeaderOrFooter) -> _HeaderOrFooter:
    """The header or footer, defined for its own section rather than inherited from the previous one."""
    part.is_linked_to_previous = False
    return part


def add_field(paragraph: WordParagraph, instruction: str) -> None:
    """Append a field (PAGE, NUMPAGES, SECTIONPAGES) that Word fills in when it lays the pages out."""
    runs = (
        '<w:fldChar w:fldCharType="begin"/>',
        f'<w:instrText xml:space="preserve"> {instruction} </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    )
    for content in runs:
        paragraph._p.append(parse_xml(f"<w:r {nsdecls('w')}>{content}</w:r>"))


def set_core_properties(word: WordDocument, document: Document) -> None:
    """Replace every core property (title, author, dates...) with the document's own."""
    properties = word.core_properties
    # Start from nothing, so no value from python-docx or from whoever last saved the reference survives.
    for element in list(properties._element):
        properties._element.remove(element)
    stamp = datetime(document.created.year, document.created.month, document.created.day, tzinfo=UTC)
    properties.title = document.title
    properties.author = document.author
    properties.last_modified_by = document.author
    properties.subject = document.subject
    properties.language = document.language
    properties.keywords = ", ".join(document.keywords)
    properties.created = stamp
    properties.modified = stamp
    properties.revision = 1


def number_drawings(word: WordDocument) -> None:
    """Give every picture in the file, body and headers and footers alike, its own id."""
    # python-docx numbers pictures per part, so a header logo and a body chart can share an id.
    stories = [word.part]
    for sect_pr in word.element.body.iter(qn("w:sectPr")):
        for reference in sect_pr.iterchildren(qn("w:headerReference"), qn("w:footerReference")):
            stories.append(word.part.related_parts[reference.get(qn("r:id"))])
    drawings = (doc_pr for story in stories for doc_pr in story.element.iter(qn("wp:docPr")))
    for number, doc_pr in enumerate(drawings, start=1):
        doc_pr.set("id", str(number))
        doc_pr.set("name", f"Picture {number}")


def deterministic_zip(word: WordDocument) -> bytes:
    """The .docx bytes, with the same bytes for the same content."""
    # python-docx stamps each zip entry with the save time; rewrite with a fixed time and order.
    saved = io.BytesIO()
    word.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w") as target:
        for name in sorted(source.namelist(), key=lambda name: (name != "[Content_Types].xml", name)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            target.writestr(info, source.read(name))
    return out.getvalue()
