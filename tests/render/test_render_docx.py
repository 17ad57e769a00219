"""The Word renderer: styles, letterhead, page-number fields, alt text, metadata and identical bytes."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION
from docx.section import Section
from PIL import Image as PILImage

from keycities.compose.blocks import (
    AddressBlock,
    Chart,
    DateLine,
    Document,
    Heading,
    Image,
    Letterhead,
    ListBlock,
    Notes,
    Paragraph,
    Run,
    Signature,
    Table,
)
from keycities.errors import RenderError
from keycities.render.docx import DocxRenderer

REFERENCE = Path(__file__).resolve().parents[2] / "templates" / "reference.docx"
TRICKY_NAME = "<b>May</b> & {{ 7*7 }}"


def png(width: int = 40, height: int = 20, colour: tuple[int, int, int] = (31, 78, 121)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def picture(alt: str, width_mm: float = 40, colour: tuple[int, int, int] = (31, 78, 121)) -> Image:
    return Image(png(colour=colour), "image/png", alt, width_mm)


@pytest.fixture(scope="module")
def renderer() -> DocxRenderer:
    return DocxRenderer(REFERENCE)


@pytest.fixture
def letter() -> Document:
    return Document(
        kind="letter",
        title="Letter to the Prime Minister",
        author="Cllr Jane Doe",
        subject="Fair funding for mid-sized cities",
        language="en-GB",
        created=date(2019, 2, 4),
        letterhead=Letterhead(
            name="Key Cities",
            logo=picture("Key Cities logo"),
            lines=("Key Cities Group, 1 High Street, Bradford", "01234 567890"),
        ),
        blocks=(
            AddressBlock(
                ("The Rt Hon Theresa May MP", "Prime Minister", "10 Downing Street", "London", "SW1A 2AA")
            ),
            DateLine("4 February 2019"),
            Paragraph((Run("Re: the Key Cities asks"),), role="subject"),
            Paragraph((Run("Dear Prime Minister"),), role="salutation"),
            Paragraph(
                (Run("Our cities produce "), Run("£130.5 billion", bold=True, note=1), Run(" a year."))
            ),
            Paragraph((Run("Yours sincerely"),), role="close"),
            Signature(picture("Signature of Jane Doe"), "Cllr Jane Doe", ("Chair, Key Cities Group",)),
            Notes("Sources", ((1, "ONS regional GVA, 2017"),)),
        ),
        footer="Key Cities Group",
        keywords=("funding", "cities"),
    )


@pytest.fixture
def briefing() -> Document:
    return Document(
        kind="briefing",
        title="Briefing pack: Bradford",
        author="Key Cities Group",
        subject="Bradford in figures",
        language="en-GB",
        created=date(2019, 3, 1),
        letterhead=Letterhead(
            name="Key Cities",
            logo=picture("Key Cities logo"),
            lines=("keycities.co.uk",),
            partner_logo=picture("Bradford Council logo", colour=(200, 0, 0)),
        ),
        blocks=(
            Heading(1, (Run("Bradford"),)),
            Heading(2, (Run("Economy"),)),
            Heading(3, (Run("Output"),)),
            ListBlock(False, ((Run("Young population"),), (Run("Strong manufacturing"),))),
            ListBlock(True, ((Run("Invest"),), (Run("Devolve"),))),
            ListBlock(True, ((Run("Build"),),)),
            Table(
                "Table 1: output by city",
                ("City", "GVA 2017"),
                (((Run("Bradford"),), (Run("£9,900m"),)), ((Run("Hull"),), (Run("£6,600m"),))),
                numeric_columns=(1,),
            ),
            Chart(
                Image(b"<svg/>", "image/svg+xml", "Bar chart of GVA", 150),
                Image(png(200, 100), "image/png", "Bar chart of GVA: Bradford highest", 150),
                "Figure 1: GVA by city",
            ),
        ),
        footer="Briefing: Bradford",
    )


def open_docx(data: bytes) -> WordDocument:
    return docx.Document(io.BytesIO(data))


def styled_texts(word: WordDocument) -> list[tuple[str, str]]:
    return [(paragraph.style.name, paragraph.text) for paragraph in word.paragraphs]


def header_name(section: Section) -> str:
    """The group's name in a section's letterhead (a letter's sits in a table beside its logo; a pack's is
    its cover's name)."""
    names = section.first_page_header._element.xpath(
        ".//w:p[w:pPr/w:pStyle/@w:val='LetterheadName' or w:pPr/w:pStyle/@w:val='CoverName']"
    )
    return "".join(names[0].xpath(".//w:t/text()"))


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def test_letter_paragraphs_are_in_order_with_their_styles(renderer: DocxRenderer, letter: Document) -> None:
    word = open_docx(renderer.render(letter)[0])
    assert [item for item in styled_texts(word) if item[1]] == [
        ("Address", "The Rt Hon Theresa May MP"),
        ("Address", "Prime Minister"),
        ("Address", "10 Downing Street"),
        ("Address", "London"),
        ("Address", "SW1A 2AA"),
        ("Date Line", "4 February 2019"),
        ("Subject", "Re: the Key Cities asks"),
        ("Salutation", "Dear Prime Minister"),
        ("Normal", "Our cities produce £130.5 billion a year."),  # the note is a footnote
        ("Close", "Yours sincerely"),
        ("Signature Name", "Cllr Jane Doe"),
        ("Signature Role", "Chair, Key Cities Group"),
    ]
    signature_image = next(p for p in word.paragraphs if p.style.name == "Signature Image")
    assert signature_image._p.xpath(".//pic:pic")


def test_runs_keep_bold_and_the_note_follows_its_figure(renderer: DocxRenderer, letter: Document) -> None:
    word = open_docx(renderer.render(letter)[0])
    body = next(p for p in word.paragraphs if p.text.startswith("Our cities"))
    assert [(run.text, run.bold, run.font.superscript) for run in body.runs] == [
        ("Our cities produce ", None, None),
        ("£130.5 billion", True, None),
        ("", None, None),  # the footnote reference, which Word numbers and raises by its style
        (" a year.", None, None),
    ]
    assert body.runs[2]._r.xpath("./w:footnoteReference/@w:id") == ["1"]


def test_headings_lists_and_captions_use_reference_styles(renderer: DocxRenderer, briefing: Document) -> None:
    word = open_docx(renderer.render(briefing)[0])
    assert [item for item in styled_texts(word) if item[1]] == [
        ("Heading 1", "Bradford"),
        ("Heading 2", "Economy"),
        ("Heading 3", "Output"),
        ("List Bullet", "Young population"),
        ("List Bullet", "Strong manufacturing"),
        ("List Number", "Invest"),
        ("List Number", "Devolve"),
        ("List Number", "Build"),
        ("Table Caption", "Table 1: output by city"),
        ("Caption", "Figure 1: GVA by city"),
    ]


def test_each_numbered_list_starts_again_at_one(renderer: DocxRenderer, briefing: Document) -> None:
    data, _ = renderer.render(briefing)
    word = open_docx(data)
    numbered = [p for p in word.paragraphs if p.style.name == "List Number"]
    num_ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert num_ids[0] == num_ids[1] != num_ids[2]
    numbering = part_xml(data, "word/numbering.xml")
    for num_id in set(num_ids):
        assert re.search(rf'<w:num w:numId="{num_id}">.*?<w:startOverride w:val="1"/>.*?</w:num>', numbering)


def test_first_page_header_holds_the_letterhead(renderer: DocxRenderer, letter: Document) -> None:
    section = open_docx(renderer.render(letter)[0]).sections[0]
    assert section.different_first_page_header_footer
    header = section.first_page_header
    # The name and lines beside the logo, as the PDF floats it, and the rule under both.
    (table,) = header.tables
    text_cell, logo_cell = table.rows[0].cells
    assert [(p.style.name, p.text) for p in text_cell.paragraphs] == [
        ("Letterhead Name", "Key Cities"),
        ("Letterhead Line", "Key Cities Group, 1 High Street, Bradford"),
        ("Letterhead Line", "01234 567890"),
    ]
    assert [p.style.name for p in logo_cell.paragraphs] == ["Letterhead Logo"]
    assert logo_cell._tc.xpath(".//wp:docPr/@descr") == ["Key Cities logo"]
    assert [(p.style.name, p.text) for p in header.paragraphs] == [("Letterhead Rule", "")]
    assert header._element[-1] is header.paragraphs[0]._p  # the rule is under the table
    assert len(header._element.xpath(".//pic:pic")) == 1
    assert section.header.is_linked_to_previous  # continuation pages carry no letterhead


def test_partner_logo_sits_beside_the_group_logo(renderer: DocxRenderer, briefing: Document) -> None:
    header = open_docx(renderer.render(briefing)[0]).sections[0].first_page_header
    descriptions = header._element.xpath(".//wp:docPr/@descr")
    assert descriptions == ["Key Cities logo", "Bradford Council logo"]


def test_continuation_footer_has_page_fields_and_first_page_footer_is_empty(
    renderer: DocxRenderer, letter: Document
) -> None:
    section = open_docx(renderer.render(letter)[0]).sections[0]
    footer = section.footer._element
    instructions = [text.strip() for text in footer.xpath(".//w:instrText/text()")]
    assert instructions == ["PAGE", "NUMPAGES"]  # a file of one letter: LibreOffice fills NUMPAGES too
    assert len(footer.xpath(".//w:fldChar")) == 6
    assert section.footer.paragraphs[0].text.startswith("Key Cities Group\tPage 1 of 1")
    first = section.first_page_footer
    assert not first.is_linked_to_previous
    assert [p.text for p in first.paragraphs] == [""]
    assert not first._element.xpath(".//w:fldChar")


def test_welsh_document_is_marked_and_labels_pages_in_welsh(renderer: DocxRenderer, letter: Document) -> None:
    data, _ = renderer.render(replace(letter, language="cy"))
    word = open_docx(data)
    assert word.core_properties.language == "cy"
    assert '<w:lang w:val="cy-GB"' in part_xml(data, "word/styles.xml")
    assert "Tudalen" in word.sections[0].footer.paragraphs[0].text


def test_table_has_repeating_header_row_and_right_aligned_numbers(
    renderer: DocxRenderer, briefing: Document
) -> None:
    word = open_docx(renderer.render(briefing)[0])
    table = word.tables[0]
    assert table.style.name == "Data Table"
    header_flags = [bool(row._tr.xpath("./w:trPr/w:tblHeader")) for row in table.rows]
    assert header_flags == [True, False, False]
    assert [[(c.paragraphs[0].style.name, c.text) for c in row.cells] for row in table.rows] == [
        [("Table Text", "City"), ("Table Number", "GVA 2017")],
        [("Table Text", "Bradford"), ("Table Number", "£9,900m")],
        [("Table Text", "Hull"), ("Table Number", "£6,600m")],
    ]
    assert table._tbl.tblPr.xpath("./w:tblCaption/@w:val") == ["Table 1: output by city"]


def test_every_picture_has_alt_text_and_a_unique_sequential_id(
    renderer: DocxRenderer, briefing: Document
) -> None:
    data, _ = renderer.render(
        replace(briefing, blocks=(*briefing.blocks, Signature(picture("Signature"), "A", ())))
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stories = [
            n for n in archive.namelist() if re.fullmatch(r"word/(document|header\d+|footer\d+)\.xml", n)
        ]
        xml = "".join(archive.read(name).decode("utf-8") for name in stories)
    doc_prs = re.findall(r"<wp:docPr [^>]*>", xml)
    assert len(doc_prs) == 4  # two logos, the chart and the signature
    assert all(re.search(r'descr="[^"]+"', doc_pr) for doc_pr in doc_prs)
    ids = sorted(int(re.search(r'id="(\d+)"', doc_pr).group(1)) for doc_pr in doc_prs)  # type: ignore[union-attr]
    assert ids == [1, 2, 3, 4]


def test_core_properties_come_from_the_document(renderer: DocxRenderer, letter: Document) -> None:
    data, _ = renderer.render(letter)
    properties = open_docx(data).core_properties
    midnight = datetime(2019, 2, 4, tzinfo=UTC)
    assert (properties.title, properties.author, properties.subject) == (
        "Letter to the Prime Minister",
        "Cllr Jane Doe",
        "Fair funding for mid-sized cities",
    )
    assert (properties.created, properties.modified, properties.last_modified_by) == (
        midnight,
        midnight,
        "Cllr Jane Doe",
    )
    assert (properties.language, properties.keywords, properties.revision) == ("en-GB", "funding, cities", 1)
    assert (properties.comments, properties.category, properties.content_status) == ("", "", "")
    for name in ("docProps/core.xml", "docProps/app.xml"):
        assert "python-docx" not in part_xml(data, name)
    assert "2013" not in part_xml(data, "docProps/core.xml")


def test_same_input_gives_the_same_bytes(
    renderer: DocxRenderer, letter: Document, briefing: Document
) -> None:
    first = renderer.render_combined([letter, briefing])
    assert DocxRenderer(REFERENCE).render_combined([letter, briefing]) == first
    data, pages = first
    assert pages is None  # Word counts the pages only when it opens the file
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.namelist()[0] == "[Content_Types].xml"


def test_markup_in_text_is_stored_literally(renderer: DocxRenderer, letter: Document) -> None:
    tricky = replace(
        letter,
        title=TRICKY_NAME,
        letterhead=replace(letter.letterhead, name=TRICKY_NAME),
        blocks=(AddressBlock((f"The Rt Hon {TRICKY_NAME} MP", "SW1A 2AA")), *letter.blocks[1:]),
    )
    word = open_docx(renderer.render(tricky)[0])
    assert word.paragraphs[0].text == "The Rt Hon <b>May</b> & {{ 7*7 }} MP"
    assert header_name(word.sections[0]) == TRICKY_NAME
    assert word.core_properties.title == TRICKY_NAME


def test_combined_file_has_one_section_per_document(
    renderer: DocxRenderer, letter: Document, briefing: Document
) -> None:
    second = replace(letter, letterhead=replace(letter.letterhead, name="Key Cities: Hull"))
    word = open_docx(renderer.render_combined([letter, second, briefing])[0])
    sections = word.sections
    assert len(sections) == 3
    assert [s.start_type for s in sections[1:]] == [WD_SECTION.NEW_PAGE, WD_SECTION.NEW_PAGE]
    assert [s._sectPr.xpath("./w:pgNumType/@w:start") for s in sections] == [["1"], ["1"], ["1"]]
    totals = sections[0].footer._element.xpath(".//w:instrText/text()")
    assert [text.strip() for text in totals] == ["PAGE", "SECTIONPAGES"]  # each letter counts its own pages
    assert [header_name(s) for s in sections] == ["Key Cities", "Key Cities: Hull", "Key Cities"]
    assert [s.footer.paragraphs[0].text.split("\t")[0] for s in sections] == [
        "Key Cities Group",
        "Key Cities Group",
        "Briefing: Bradford",
    ]
    assert all(section.different_first_page_header_footer for section in sections)
    assert [s.first_page_header.is_linked_to_previous for s in sections] == [False, False, False]
    # The second letter's footer is the same as the first's, so it links to it rather than repeating it.
    assert [s.footer.is_linked_to_previous for s in sections] == [False, True, False]
    # The break sits in each letter's last paragraph: no empty paragraph is added between letters.
    assert [p.text for p in word.paragraphs if p._p.xpath("./w:pPr/w:sectPr")] == [
        "Chair, Key Cities Group",
        "Chair, Key Cities Group",
    ]
    assert all(
        p.text for p in word.paragraphs if p.style.name != "Figure" and p.style.name != "Signature Image"
    )


def test_reference_missing_a_style_is_named(tmp_path: Path) -> None:
    word = docx.Document(str(REFERENCE))
    for name in ("Signature Name", "Data Table"):
        style = word.styles[name].element
        style.getparent().remove(style)
    broken = tmp_path / "reference.docx"
    word.save(str(broken))
    with pytest.raises(RenderError) as raised:
        DocxRenderer(broken)
    assert str(broken) in str(raised.value)
    assert "Signature Name" in str(raised.value)
    assert "Data Table" in str(raised.value)
    assert "Address" not in str(raised.value)


def test_unreadable_reference_is_a_render_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.docx"
    with pytest.raises(RenderError, match=r"absent\.docx"):
        DocxRenderer(missing)
    not_word = tmp_path / "notes.docx"
    not_word.write_text("not a zip")
    with pytest.raises(RenderError, match="not a Word"):
        DocxRenderer(not_word)


def test_svg_letterhead_logo_asks_for_a_png(renderer: DocxRenderer, letter: Document) -> None:
    svg_logo = Image(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "Key Cities logo", 40)
    with pytest.raises(RenderError, match="PNG"):
        renderer.render(replace(letter, letterhead=replace(letter.letterhead, logo=svg_logo)))


def test_svg_signature_asks_for_a_png(renderer: DocxRenderer, letter: Document) -> None:
    svg = Image(b"<svg/>", "image/svg+xml", "Signature", 40)
    blocks = (*letter.blocks[:-2], Signature(svg, "Cllr Jane Doe", ()))
    with pytest.raises(RenderError, match=r"block 7 \(Signature\).*PNG"):
        renderer.render(replace(letter, blocks=blocks))


def test_broken_png_is_a_render_error(renderer: DocxRenderer, letter: Document) -> None:
    broken = Image(b"\x89PNG not really", "image/png", "Key Cities logo", 40)
    with pytest.raises(RenderError, match="not a readable PNG"):
        renderer.render(replace(letter, letterhead=replace(letter.letterhead, logo=broken)))


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_characters_word_cannot_store_name_the_block(
    renderer: DocxRenderer, letter: Document, bad: str
) -> None:
    blocks = (*letter.blocks[:1], DateLine(f"4 February{bad}2019"), *letter.blocks[2:])
    with pytest.raises(RenderError, match=r"block 2 \(DateLine\) contains U\+"):
        renderer.render(replace(letter, blocks=blocks))


def test_unstorable_character_in_metadata_is_named(renderer: DocxRenderer, letter: Document) -> None:
    with pytest.raises(RenderError, match="footer contains U\\+000C"):
        renderer.render(replace(letter, footer="Key\x0cCities"))


def test_nothing_to_render_is_an_error(renderer: DocxRenderer) -> None:
    with pytest.raises(RenderError):
        renderer.render_combined([])


def test_reference_has_no_sample_content_or_python_docx_defaults() -> None:
    word = docx.Document(str(REFERENCE))
    assert word.paragraphs == [] or [p.text for p in word.paragraphs] == [""]
    assert word.tables == []
    properties = word.core_properties
    assert (properties.author, properties.comments, properties.created) == ("", "", None)
    normal = word.styles["Normal"].font
    assert (normal.name, normal.size.pt) == ("Calibri", 12.0)
    defaults = word.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val")
    assert defaults == ["en-GB"]
    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4


def test_sample_content_in_the_reference_does_not_reach_a_letter(tmp_path: Path, letter: Document) -> None:
    word = docx.Document(str(REFERENCE))
    word.add_paragraph("SAMPLE BODY")
    word.sections[0].header.paragraphs[0].text = "SAMPLE HEADER"
    edited = tmp_path / "reference.docx"
    word.save(str(edited))
    data, _ = DocxRenderer(edited).render(letter)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not [name for name in archive.namelist() if b"SAMPLE" in archive.read(name)]


def test_identical_letters_in_one_file_share_their_header_and_footer(
    renderer: DocxRenderer, letter: Document
) -> None:
    data, _ = renderer.render_combined([letter, letter, letter])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stories = sorted(n for n in archive.namelist() if re.fullmatch(r"word/(header|footer)\d+\.xml", n))
    assert stories == ["word/footer1.xml", "word/footer2.xml", "word/header1.xml"]
    sections = open_docx(data).sections
    assert [header_name(s) for s in sections] == ["Key Cities"] * 3
    assert [s._sectPr.xpath("./w:pgNumType/@w:start") for s in sections] == [["1"]] * 3


def test_welsh_letter_after_english_one_gets_its_own_footer_and_language(
    renderer: DocxRenderer, letter: Document
) -> None:
    data, _ = renderer.render_combined([letter, replace(letter, language="cy")])
    sections = open_docx(data).sections
    assert not sections[1].footer.is_linked_to_previous
    assert "Tudalen" in sections[1].footer.paragraphs[0].text
    assert not sections[1].first_page_header.is_linked_to_previous
    body = part_xml(data, "word/document.xml")
    assert body.count('<w:lang w:val="cy-GB"/>') >= len(letter.blocks)
    assert '<w:lang w:val="en-GB"/>' not in body  # the file's default language needs no marks
