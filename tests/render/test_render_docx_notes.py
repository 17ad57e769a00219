"""Word footnotes for source notes, charts kept with their headings, and the letterhead's contact lines and
"Our ref" in both formats: each read back from the .docx's XML, and through LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pytest
from documents import copy_project, letters, pdf_lines
from lxml import etree
from PIL import Image as PILImage
from pypdf import PdfReader

from keycities.compose.blocks import (
    Chart,
    Document,
    Heading,
    Image,
    Letterhead,
    ListBlock,
    Notes,
    Paragraph,
    Run,
    Table,
)
from keycities.render.docx import DocxRenderer

REFERENCE = Path(__file__).resolve().parents[2] / "templates" / "reference.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NOTES = ((1, "ONS regional GVA, 2017, released 26 May 2021."), (2, "ONS population estimates, mid-2017."))


def png(width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (0, 70, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def document(*blocks: object, kind: str = "letter") -> Document:
    return Document(
        kind="letter" if kind == "letter" else "briefing",
        title="Notes test",
        author="Key Cities Group",
        subject="Notes",
        language="en-GB",
        created=date(2019, 2, 4),
        letterhead=Letterhead("Key Cities Group", Image(png(), "image/png", "Key Cities Group logo", 60), ()),
        blocks=tuple(blocks),  # type: ignore[arg-type]
        footer="Notes test",
    )


# GVA cites note 1 twice (two footnotes, as Word numbers each reference), population note 2 once.
TEXT = (
    Paragraph((Run("Our GVA is "), Run("£137.2bn", note=1), Run(" and our people "), Run("6.4m", note=2))),
    ListBlock(False, ((Run("GVA again: "), Run("£137.2bn", note=1)),)),
)


@pytest.fixture(scope="module")
def renderer() -> DocxRenderer:
    return DocxRenderer(REFERENCE)


def parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: etree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        }


def footnote_texts(tree: etree._Element) -> dict[str, str]:
    """The text of each numbered footnote (not the separators), by id."""
    return {
        note.get(f"{W}id"): "".join(note.itertext())
        for note in tree.iter(f"{W}footnote")
        if note.get(f"{W}type") is None
    }


def test_each_note_reference_is_one_footnote_holding_the_notes_text(renderer: DocxRenderer) -> None:
    data, _ = renderer.render(document(*TEXT, Notes("Sources", NOTES)))
    xml = parts(data)
    references = [ref.get(f"{W}id") for ref in xml["word/document.xml"].iter(f"{W}footnoteReference")]
    assert references == ["1", "2", "3"]
    assert footnote_texts(xml["word/footnotes.xml"]) == {
        "1": f" {NOTES[0][1]}",
        "2": f" {NOTES[1][1]}",
        "3": f" {NOTES[0][1]}",
    }
    # Each footnote starts with its own number mark, in the reference style; the text is in footnote text.
    for note in xml["word/footnotes.xml"].iter(f"{W}footnote"):
        if note.get(f"{W}type") is None:
            assert note.xpath("./w:p/w:pPr/w:pStyle/@w:val", namespaces={"w": W[1:-1]}) == ["FootnoteText"]
            assert note.find(f"{W}p/{W}r/{W}footnoteRef") is not None
    # The notes are footnotes only: no list, and no heading left over the end of the letter.
    word = docx.Document(io.BytesIO(data))
    assert [p.style.name for p in word.paragraphs] == ["Normal", "List Bullet"]


def test_a_note_in_a_table_cell_is_a_footnote_in_that_cell(renderer: DocxRenderer) -> None:
    # The body cites note 1, the table's cells notes 2 and 1: three footnotes in reading order, no list.
    table = Table(
        "Key figures",
        ("Figure", "Hull"),
        (
            ((Run("Population"),), (Run("6.4m", note=2),)),
            ((Run("GVA", bold=True),), (Run("£137.2bn", note=1),)),
        ),
        numeric_columns=(1,),
    )
    data, _ = renderer.render(document(TEXT[0], table, Notes("Sources", NOTES)))
    word = docx.Document(io.BytesIO(data))
    cells = [[cell.paragraphs[0] for cell in row.cells] for row in word.tables[0].rows]
    assert [[(p.style.name, p.text) for p in row] for row in cells] == [
        [("Table Text", "Figure"), ("Table Number", "Hull")],
        [("Table Text", "Population"), ("Table Number", "6.4m")],
        [("Table Text", "GVA"), ("Table Number", "£137.2bn")],
    ]
    assert cells[2][0].runs[0].bold
    references = [p._p.xpath("./w:r/w:footnoteReference/@w:id") for row in cells for p in row]
    assert references == [[], [], [], ["3"], [], ["4"]]
    assert footnote_texts(parts(data)["word/footnotes.xml"]) == {
        "1": f" {NOTES[0][1]}",
        "2": f" {NOTES[1][1]}",
        "3": f" {NOTES[1][1]}",
        "4": f" {NOTES[0][1]}",
    }
    # Every note is a footnote: no numbered list, and no heading over nothing.
    assert [p.style.name for p in word.paragraphs] == ["Normal", "Table Caption"]


def test_the_footnotes_part_is_wired_as_word_expects(renderer: DocxRenderer) -> None:
    data, _ = renderer.render(document(*TEXT, Notes("Sources", NOTES)))
    xml = parts(data)
    separators = [
        (note.get(f"{W}type"), note.get(f"{W}id")) for note in xml["word/footnotes.xml"].iter(f"{W}footnote")
    ][:2]
    assert separators == [("separator", "-1"), ("continuationSeparator", "0")]
    named = xml["word/settings.xml"].find(f"{W}footnotePr")
    assert [note.get(f"{W}id") for note in named] == ["-1", "0"]
    relationships = xml["word/_rels/document.xml.rels"]
    assert [rel.get("Target") for rel in relationships if rel.get("Type").endswith("/footnotes")] == [
        "footnotes.xml"
    ]
    overrides = {item.get("PartName"): item.get("ContentType") for item in xml["[Content_Types].xml"]}
    assert overrides["/word/footnotes.xml"].endswith("wordprocessingml.footnotes+xml")
    styles = docx.Document(io.BytesIO(data)).styles
    assert styles["footnote reference"].font.superscript


def test_notes_nothing_refers_to_stay_a_numbered_list_under_their_heading(renderer: DocxRenderer) -> None:
    # An enclosure of notes and sources: the numbers refer to another document, so they stay a list.
    data, _ = renderer.render(document(Notes("Notes and sources", NOTES)))
    word = docx.Document(io.BytesIO(data))
    assert [(p.style.name, p.text) for p in word.paragraphs] == [
        ("Notes Heading", "Notes and sources"),
        ("Note", f"1. {NOTES[0][1]}"),
        ("Note", f"2. {NOTES[1][1]}"),
    ]
    assert footnote_texts(parts(data)["word/footnotes.xml"]) == {}


def test_only_the_notes_the_text_refers_to_become_footnotes(renderer: DocxRenderer) -> None:
    only_first = (Paragraph((Run("GVA "), Run("£137.2bn", note=1))),)
    sources = ListBlock(False, ((Run("[A] Office for National Statistics"),),))
    data, _ = renderer.render(document(*only_first, Notes("Sources", NOTES), sources))
    word = docx.Document(io.BytesIO(data))
    assert [(p.style.name, p.text) for p in word.paragraphs] == [
        ("Normal", "GVA £137.2bn"),
        ("Notes Heading", "Sources"),
        ("Note", f"2. {NOTES[1][1]}"),
        ("List Bullet", "[A] Office for National Statistics"),
    ]
    assert footnote_texts(parts(data)["word/footnotes.xml"]) == {"1": f" {NOTES[0][1]}"}
    # Every note referenced, but the sources follow: the heading stays over them.
    data, _ = renderer.render(document(*TEXT, Notes("Sources", NOTES), sources))
    word = docx.Document(io.BytesIO(data))
    assert [p.style.name for p in word.paragraphs][-2:] == ["Notes Heading", "List Bullet"]


def test_each_document_of_a_combined_file_numbers_its_footnotes_from_one(renderer: DocxRenderer) -> None:
    letter = document(*TEXT, Notes("Sources", NOTES))
    data, _ = renderer.render_combined([letter, replace(letter, footer="Second")])
    xml = parts(data)
    ids = [ref.get(f"{W}id") for ref in xml["word/document.xml"].iter(f"{W}footnoteReference")]
    assert ids == ["1", "2", "3", "4", "5", "6"]
    assert len(footnote_texts(xml["word/footnotes.xml"])) == 6
    restarts = xml["word/document.xml"].xpath(
        "//w:sectPr/w:footnotePr/w:numRestart/@w:val", namespaces={"w": W[1:-1]}
    )
    assert restarts == ["eachSect", "eachSect"]


def test_a_reference_saved_with_footnotes_keeps_only_its_separators(
    renderer: DocxRenderer, tmp_path: Path
) -> None:
    # A file with footnotes of its own, as Word saves a reference, becomes the reference.
    saved = tmp_path / "reference.docx"
    saved.write_bytes(renderer.render(document(*TEXT, Notes("Sources", (NOTES[0], (2, "OLD NOTE")))))[0])
    data, _ = DocxRenderer(saved).render(document(*TEXT[:1], Notes("Sources", NOTES)))
    notes = footnote_texts(parts(data)["word/footnotes.xml"])
    assert notes == {"1": f" {NOTES[0][1]}", "2": f" {NOTES[1][1]}"}


def test_a_chart_keeps_its_heading_and_lead_in_on_its_page(renderer: DocxRenderer) -> None:
    picture = Image(png(200, 100), "image/png", "Bar chart of GVA", 150)
    blocks = (
        Heading(2, (Run("Share of the group's GVA"),)),
        Paragraph((Run("Wakefield produced 5.3%."),)),
        Chart(replace(picture, data=b"<svg/>", media_type="image/svg+xml"), picture, "GVA share, 2017"),
        Paragraph((Run("After the chart."),)),
    )
    word = docx.Document(io.BytesIO(renderer.render(document(*blocks, kind="briefing"))[0]))
    kept = [(p.style.name, p.paragraph_format.keep_with_next) for p in word.paragraphs]
    assert kept == [
        ("Heading 2", True),
        ("Normal", True),
        ("Figure", None),  # its style keeps it with its caption
        ("Caption", None),
        ("Normal", None),
    ]
    assert word.styles["Figure"].paragraph_format.keep_with_next


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_sets_the_footnotes_at_the_page_foot(renderer: DocxRenderer, tmp_path: Path) -> None:
    source = tmp_path / "notes.docx"
    source.write_bytes(renderer.render(document(*TEXT, Notes("Sources", NOTES)))[0])
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (page,) = PdfReader(tmp_path / "notes.pdf").pages
    lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
    # The body's references are numbered 1 to 3 by LibreOffice; the notes follow at the page foot.
    assert lines[-3:] == [f"1 {NOTES[0][1]}", f"2 {NOTES[1][1]}", f"3 {NOTES[0][1]}"]


# ---- The group's contact lines and "Our ref", in a copy of the shipped project ----------------------

CONTACT = """  contact:
    address: [Wakefield One, Burton Street, Wakefield, WF1 2EB]
    telephone: 01924 306090
    web: keycities.uk
"""


@pytest.fixture(scope="module")
def contact_letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The Prime Minister's letter from a project whose group has an address and telephone, and whose
    letter has a reference: (PDF, Word)."""
    project = copy_project(tmp_path_factory.mktemp("contact") / "project")
    cities = project / "cities.yaml"
    text = cities.read_text(encoding="utf-8")
    assert text.count("  contact:\n    web: keycities.uk\n") == 1
    cities.write_text(text.replace("  contact:\n    web: keycities.uk\n", CONTACT), encoding="utf-8")
    letter = project / "letters" / "cities-in-action.md"
    body = letter.read_text(encoding="utf-8")
    letter.write_text(body.replace("date: 2019-02-04\n", "date: 2019-02-04\nreference: KC/2019/01\n", 1))
    out = project.parent / "out"
    result = letters(project, out, "--letter", "cities-in-action", "--recipient", "prime-minister")
    assert result.exit_code == 0, result.stderr
    folder = out / "letters" / "cities-in-action"
    return folder / "prime-minister.pdf", folder / "prime-minister.docx"


LETTERHEAD = [
    "Key Cities Group",
    "A cross-party alliance of mid-sized cities in England and Wales",
    "Wakefield One",
    "Burton Street",
    "Wakefield",
    "WF1 2EB",
    "01924 306090",
    "keycities.uk",
]


def test_the_letterhead_gives_the_groups_address_and_telephone(contact_letter: tuple[Path, Path]) -> None:
    pdf, word = contact_letter
    first_page = [line.text for line in pdf_lines(pdf) if line.page == 0]
    assert first_page[: len(LETTERHEAD)] == LETTERHEAD
    header = docx.Document(str(word)).sections[0].first_page_header
    (table,) = header.tables
    assert [p.text for p in table.rows[0].cells[0].paragraphs] == LETTERHEAD


def test_our_ref_sits_above_the_date(contact_letter: tuple[Path, Path]) -> None:
    pdf, word = contact_letter
    texts = [line.text for line in pdf_lines(pdf)]
    start = texts.index("SW1A 2AA")
    assert texts[start + 1 : start + 3] == ["Our ref: KC/2019/01", "4 February 2019"]
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(word)).paragraphs]
    start = paragraphs.index(("Address", "SW1A 2AA"))
    assert paragraphs[start + 1 : start + 3] == [
        ("Small", "Our ref: KC/2019/01"),
        ("Date Line", "4 February 2019"),
    ]
