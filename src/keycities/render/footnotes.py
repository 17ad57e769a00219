"""Word footnotes, which python-docx has no API for: the footnotes part, its separators and the references.

Each source-note reference in the text becomes a real footnote, so Word numbers the notes itself and
renumbers them when a letter is edited. The part holds the two separator footnotes Word expects (ids -1
and 0, named in the settings too); the notes are numbered from 1 across the file, and each section (each
document of a combined file) starts its footnote numbers again at 1.
"""

from __future__ import annotations

from docx.document import Document as WordDocument
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.text.paragraph import Paragraph as WordParagraph

from keycities.render.ooxml import set_language

_SEPARATORS = (("separator", "-1"), ("continuationSeparator", "0"))
_PART_NAME = "/word/footnotes.xml"
# w:settings children that follow w:footnotePr, in schema order.
_AFTER_SETTINGS_FOOTNOTEPR = (
    *("w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema"),
    *("w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats"),
    *("w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown"),
    *("w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags"),
    *("w:decimalSymbol", "w:listSeparator"),
)
# w:sectPr children that follow w:footnotePr, in schema order.
_AFTER_SECTION_FOOTNOTEPR = (
    *("w:endnotePr", "w:type", "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType"),
    *("w:pgNumType", "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg"),
    *("w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange"),
)


def restart_footnote_numbers(section: Section) -> None:
    """Number the section's footnotes from 1."""
    properties = section._sectPr.find(qn("w:footnotePr"))
    if properties is None:
        properties = OxmlElement("w:footnotePr")
        section._sectPr.insert_element_before(properties, *_AFTER_SECTION_FOOTNOTEPR)
    restart = properties.find(qn("w:numRestart"))
    if restart is None:
        restart = OxmlElement("w:numRestart")
        properties.append(restart)
    restart.set(qn("w:val"), "eachSect")


class Footnotes:
    """Adds footnotes to the footnotes part of one document."""

    def __init__(self, word: WordDocument, text_style: str | None, reference_style: str | None) -> None:
        self._notes = _prepared_notes(word)
        self._text_style, self._reference_style = text_style, reference_style
        self._next_id = 1

    def add(self, paragraph: WordParagraph, text: str, language: str | None) -> None:
        """A footnote holding `text`, referenced from the end of `paragraph`; `language` marks its runs
        when it differs from the file's."""
        note_id = str(self._next_id)
        self._next_id += 1
        footnote = OxmlElement("w:footnote")
        footnote.set(qn("w:id"), note_id)
        note_paragraph = OxmlElement("w:p")
        if self._text_style is not None:
            style = OxmlElement("w:pStyle")
            style.set(qn("w:val"), self._text_style)
            properties = OxmlElement("w:pPr")
            properties.append(style)
            note_paragraph.append(properties)
        note_paragraph.append(self._reference_run(OxmlElement("w:footnoteRef"), language))
        text_run = self._run(language, reference=False)
        text_element = OxmlElement("w:t")
        text_element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        text_element.text = f" {text}"
        text_run.append(text_element)
        note_paragraph.append(text_run)
        footnote.append(note_paragraph)
        self._notes.append(footnote)
        reference = OxmlElement("w:footnoteReference")
        reference.set(qn("w:id"), note_id)
        paragraph._p.append(self._reference_run(reference, language))

    def _reference_run(self, mark: BaseOxmlElement, language: str | None) -> BaseOxmlElement:
        run = self._run(language, reference=True)
        run.append(mark)
        return run

    def _run(self, language: str | None, *, reference: bool) -> BaseOxmlElement:
        run = OxmlElement("w:r")
        if (reference and self._reference_style is not None) or language is not None:
            properties = OxmlElement("w:rPr")
            if reference and self._reference_style is not None:
                style = OxmlElement("w:rStyle")
                style.set(qn("w:val"), self._reference_style)
                properties.append(style)
            if language is not None:
                set_language(properties, language)
            run.append(properties)
        return run


def _prepared_notes(word: WordDocument) -> BaseOxmlElement:
    """The document's footnotes element, holding only the separators: made when the reference has no
    footnotes part; when it has one (Word saves one), its notes are dropped and its separators kept. The
    separators are named in the settings too, as Word names them."""
    existing = _footnotes_part(word)
    if existing is not None and isinstance(existing[1], XmlPart):
        made: BaseOxmlElement = existing[1].element
        return made
    if existing is None:
        element = parse_xml(f"<w:footnotes {nsdecls('w')}/>")
        for kind, note_id in _SEPARATORS:
            element.append(_separator(kind, note_id))
        partname = PackURI(_PART_NAME)
    else:
        rel_id, part = existing
        element = parse_xml(part.blob)
        for footnote in element.findall(qn("w:footnote")):
            if footnote.get(qn("w:type")) in (None, "normal"):
                element.remove(footnote)
        partname = part.partname
        word.part.drop_rel(rel_id)
    word.part.relate_to(
        XmlPart(partname, CONTENT_TYPE.WML_FOOTNOTES, element, word.part.package), RELATIONSHIP_TYPE.FOOTNOTES
    )
    settings = word.settings.element
    if settings.find(qn("w:footnotePr")) is None:
        named = OxmlElement("w:footnotePr")
        for footnote in element.findall(qn("w:footnote")):
            reference = OxmlElement("w:footnote")
            reference.set(qn("w:id"), footnote.get(qn("w:id")))
            named.append(reference)
        settings.insert_element_before(named, *_AFTER_SETTINGS_FOOTNOTEPR)
    return element


def _footnotes_part(word: WordDocument) -> tuple[str, Part] | None:
    for rel_id, rel in word.part.rels.items():
        if rel.reltype == RELATIONSHIP_TYPE.FOOTNOTES and not rel.is_external:
            return rel_id, rel.target_part
    return None


def _separator(kind: str, note_id: str) -> BaseOxmlElement:
    return parse_xml(
        f'<w:footnote {nsdecls("w")} w:type="{kind}" w:id="{note_id}"><w:p><w:pPr>'
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f"<w:r><w:{kind}/></w:r></w:p></w:footnote>"
    )
