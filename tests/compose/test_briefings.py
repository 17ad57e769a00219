"""The briefing packs: every member's pack in PDF and Word, built once by the CLI and shared.

What the issue asks: all 24 packs build in both formats; a pack with local content shows it; Bournemouth's
and Carlisle's state their gaps; local overlays, template overrides, the missing-data path, a Welsh pack
and the parity of the two formats are covered. Projects with extra files (a new member's local content,
template overrides, a Welsh file for Newport) are temporary copies of the shipped one; the shipped
project is never edited.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
import yaml
from briefing_support import (
    GROUP,
    WordPack,
    figure_alts,
    first_difference,
    numbered_notes,
    pdf_text_lines,
    read_word,
    tables,
    write_png,
)
from click.testing import Result
from documents import (
    PROJECT_ROOT,
    assert_clean_failure,
    briefings,
    copy_project,
    edit,
    footnotes,
    generate,
    invoke,
    line_of,
    pdf_lines,
    squeeze,
    summary,
    word_tokens,
)
from pypdf import PdfReader

from keycities.data.cities import Campaign
from keycities.figures.model import FigureBook
from keycities.formatting import Formatter

# The 24 members of the group, as cities.yaml lists them (checked against it below).
MEMBERS = (
    "blackpool",
    "bournemouth",
    "bradford",
    "carlisle",
    "coventry",
    "doncaster",
    "gloucester",
    "hull",
    "kirklees",
    "medway",
    "newport",
    "norwich",
    "plymouth",
    "portsmouth",
    "preston",
    "salford",
    "southampton",
    "southend",
    "sunderland",
    "swansea",
    "wakefield",
    "wolverhampton",
    "derby",
    "tees-valley",
)

# End-to-end: builds real documents (run by default; `pytest -m 'not slow'` leaves them out).
pytestmark = pytest.mark.slow
WELSH = ("swansea.cy",)  # members with cities/<slug>.cy.md in the shipped project
PACKS = (*MEMBERS, *WELSH)
FORMATS = ("pdf", "docx")
# Rows of the key-figures table: the English label and the figure it shows for the member.
KEY_FIGURE_ROWS = {
    "Population (mid-year)": "population",
    "GVA": "gva",
    "GVA per hour worked": "gva_per_hour",
    "GVA per filled job": "gva_per_filled_job",
    "Filled jobs": "filled_jobs",
}


# ---- The shipped packs, built once ----------------------------------------------------------------


@dataclass
class Build:
    """The packs of the shipped project, built by `python generate.py briefings --jobs 2`."""

    out: Path
    stdout: str
    stderr: str

    def path(self, pack: str, file_format: str) -> Path:
        return self.out / "briefings" / f"{pack}.{file_format}"

    @functools.cached_property
    def manifest(self) -> dict[str, dict[str, object]]:
        data = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
        return {entry["path"]: entry for entry in data["documents"]}


@pytest.fixture(scope="session")
def shipped_packs(tmp_path_factory: pytest.TempPathFactory) -> Build:
    out = tmp_path_factory.mktemp("briefings") / "out"
    result = generate("briefings", "--project", PROJECT_ROOT, "--out", out, "--jobs", "2")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return Build(out, result.stdout, result.stderr)


# Reading a pack is slow-ish (pypdf): each file is read once per session.
pdf_lines_of = functools.cache(pdf_text_lines)
word_of: Callable[[Path], WordPack] = functools.cache(read_word)
alts_of = functools.cache(figure_alts)


def squash(text: str) -> str:
    """Text without whitespace: a phrase is found in PDF text whatever the line breaks."""
    return "".join(text.split())


def pdf_words(path: Path) -> str:
    """The PDF's text without page furniture, lines joined by spaces."""
    return " ".join(pdf_lines_of(path)[0])


def word_words(path: Path) -> str:
    """The Word body's text without note references, then its footnotes (the notes the text and its tables
    refer to), paragraphs joined by spaces."""
    word = word_of(path)
    return " ".join(" ".join([*word.plain_body, *word.footnotes]).split())


def front_matter(path: Path) -> dict[str, object]:
    """The YAML front matter of a local content file."""
    _, front, _ = path.read_text(encoding="utf-8").split("---\n", 2)
    loaded = yaml.safe_load(front)
    assert isinstance(loaded, dict)
    return loaded


def shown(book: FigureBook, name: str) -> str:
    """A figure as the English packs show it (the shipped money style is the house style)."""
    return Formatter("house").figure(book[name])


def missing(book: FigureBook, slug: str, figure: str) -> bool:
    return book[f"member.{slug}.{figure}"].value is None


# ---- 1. Every pack, in both formats, and a manifest that matches -----------------------------------


def test_the_members_are_the_24_in_cities_yaml(shipped: Campaign) -> None:
    assert tuple(shipped.members) == MEMBERS
    assert len(MEMBERS) == 24


def test_every_member_has_a_pdf_and_a_docx_and_nothing_else(shipped_packs: Build) -> None:
    found = sorted(
        path.relative_to(shipped_packs.out).as_posix()
        for path in shipped_packs.out.rglob("*")
        if path.is_file()
    )
    expected = sorted(
        [
            "index.html",  # the proof page, listing every document to check
            "manifest.json",
            *(f"briefings/{pack}.{file_format}" for pack in PACKS for file_format in FORMATS),
            *(f"thumbnails/briefings/{pack}.pdf.png" for pack in PACKS),  # the proof page's
        ]
    )
    assert found == expected
    proof = (shipped_packs.out / "index.html").read_text(encoding="utf-8")
    assert all(f"briefings/{pack}.{file_format}" in proof for pack in PACKS for file_format in FORMATS)
    assert summary(shipped_packs) == (len(PACKS), 0, 0)
    assert "error:" not in shipped_packs.stderr and "Traceback" not in shipped_packs.stderr


def test_manifest_lists_every_pack_with_its_sha256(shipped_packs: Build) -> None:
    manifest = shipped_packs.manifest
    assert sorted(manifest) == sorted(f"briefings/{pack}.{f}" for pack in PACKS for f in FORMATS)
    for path, entry in manifest.items():
        data = (shipped_packs.out / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["bytes"] == len(data), path
        pack, _, file_format = path.removeprefix("briefings/").rpartition(".")
        assert entry["kind"] == "briefing"
        assert entry["format"] == file_format
        assert entry["target"] == pack
        assert entry["member"] == pack.removesuffix(".cy")
        assert entry["language"] == ("cy" if pack.endswith(".cy") else "en-GB")
        if file_format == "pdf":
            assert entry["pages"] == len(PdfReader(shipped_packs.out / path).pages), path


# ---- 2. Parity: the same words and figures in the same order in both formats ------------------------


def assert_parity(pdf: Path, word: Path) -> None:
    """The PDF's text (less footers, bullet characters and note references) and the Word text have the
    same tokens, and the same notes.

    Word: the first-page header (the letterhead), then body paragraphs and table cells row by row. The
    PDF lists every note under the notes heading; Word lists there only the notes nothing in the text or
    its tables refers to, with the PDF's numbers, and makes the others footnotes, numbered by Word.
    """
    lines, footers = pdf_lines_of(pdf, notes=False)
    document = word_of(word)
    title = lines.index(document.notes_title)
    sources = next(index for index, line in enumerate(lines) if index > title and line.startswith("[A] "))
    body = [text for text in document.header + document.plain_body if text not in document.listed_notes]
    pdf_tokens, word_tokens_ = word_tokens(lines[: title + 1] + lines[sources:], body)
    assert len(pdf_tokens) > 100
    assert pdf_tokens == word_tokens_, first_difference(pdf_tokens, word_tokens_)
    # The notes: those listed in Word as the PDF lists them, the others as Word's footnotes, one for each
    # reference the PDF raises in its text.
    pdf_notes = pdf_notes_of(pdf, document.notes_title)
    listed = {int(number): text for number, _, text in (n.partition(". ") for n in document.listed_notes)}
    assert listed == {number: pdf_notes[number] for number in listed}
    assert set(document.footnotes) == {text for number, text in pdf_notes.items() if number not in listed}
    assert len(document.footnotes) == sum(len(line.notes) for line in pdf_lines(pdf))
    # The furniture that was dropped is only the running footer, numbered on every page but the first.
    pages = len(PdfReader(pdf).pages)
    title = PdfReader(pdf).metadata.title
    assert [re.sub(r"\D+", " ", footer.rpartition(":")[2]).split() for footer in footers] == [
        [str(number), str(pages)] for number in range(2, pages + 1)
    ]
    # Word's footer is the same text, with fields for the page numbers.
    assert document.footer and document.footer[0].partition("\t")[0] == f"{GROUP}: {title}"


def pdf_notes_of(pdf: Path, notes_title: str) -> dict[int, str]:
    """The notes the PDF lists under its notes heading, by number."""
    lines = pdf_lines_of(pdf, notes=False)[0]
    title = lines.index(notes_title)
    sources = next(index for index, line in enumerate(lines) if index > title and line.startswith("[A] "))
    return numbered_notes(squeeze(" ".join(lines[title + 1 : sources])))


@pytest.mark.parametrize("pack", PACKS)
def test_pdf_and_word_have_the_same_words_and_figures(shipped_packs: Build, pack: str) -> None:
    assert_parity(shipped_packs.path(pack, "pdf"), shipped_packs.path(pack, "docx"))


def test_a_table_cells_note_is_raised_in_the_pdf_and_a_footnote_in_word(shipped_packs: Build) -> None:
    """The key figures' notes as the body's: raised numbers in the PDF, footnotes in Word holding the same
    notes; so Word lists no note under the heading whose number a reader could take for a footnote's."""
    pdf, word = shipped_packs.path("wakefield", "pdf"), shipped_packs.path("wakefield", "docx")
    pdf_notes = pdf_notes_of(pdf, word_of(word).notes_title)
    pdf_rows = {}
    for label in KEY_FIGURE_ROWS:
        [row] = [
            line for line in pdf_lines(pdf) if re.match(rf"{re.escape(label)} [£\d]", line.text_without_notes)
        ]
        assert "[" not in row.text, row.text
        pdf_rows[label] = [pdf_notes[number] for number in row.notes]
    document = docx.Document(str(word))
    notes = footnotes(document)
    word_rows = {}
    for row in document.tables[0].rows[1:]:
        cells = [cell.paragraphs[0]._p.xpath("./w:r/w:footnoteReference/@w:id") for cell in row.cells]
        assert [len(ids) for ids in cells] == [0, 1, 1, 1], row.cells[0].text  # one note per figure
        word_rows[row.cells[0].text] = [notes.texts[notes.numbers[ids[0]] - 1] for ids in cells[1:]]
    assert word_rows == pdf_rows
    assert word_of(word).listed_notes == []


def test_parity_check_tolerates_wrapping_but_not_changed_words() -> None:
    word = ["Replace them in cities/wakefield.md now.", "£44,72710 of GVA"]
    # Wrapped lines, and a line break inside a path, are the same text.
    same = word_tokens(["Replace them in cities/", "wakefield.md now. £44,72710", "of GVA"], word)
    assert same[0] == same[1]
    for changed in (
        ["Replace them in cities/wakefield.md now. £44,72710 GVA"],  # a word dropped
        ["Replace them in cities/wakefield.md now. £44,727 10 of GVA"],  # a figure split
        ["Replace in them cities/wakefield.md now. £44,72710 of GVA"],  # words swapped
        ["Replace them incities/wakefield.md now. £44,72710 of GVA"],  # words joined
        ["Replace them in cities/wakefield.md now. £44,72710 of GVA", "Page 2 of 3"],  # furniture left
    ):
        pdf_tokens, word_tokens_ = word_tokens(changed, word)
        assert pdf_tokens != word_tokens_, changed


# ---- 3. Local content ------------------------------------------------------------------------------


def asks_in_order(shipped: Campaign) -> list[tuple[str, str]]:
    return [(ask.key, ask.title) for ask in shipped.data.asks]


def assert_points_under_asks(text: str, name: str, points: dict[str, list[str]], shipped: Campaign) -> None:
    """Each ask's points follow `In <name>:` after that ask's title and come before the next ask."""
    asks = asks_in_order(shipped)
    squashed = squash(text)
    for index, (key, title) in enumerate(asks):
        start = squashed.index(squash(title))
        end = squashed.index(squash(asks[index + 1][1]), start) if index + 1 < len(asks) else len(squashed)
        section = squashed[start:end]
        if points.get(key):
            assert squash(f"In {name}:") in section, (key, title)
            for point in points[key]:
                assert squash(point) in section, (key, point)
        else:
            assert squash(f"In {name}:") not in section, (key, title)


def local_points(path: Path) -> dict[str, list[str]]:
    front = front_matter(path)
    asks = front.get("asks", {})
    assert isinstance(asks, dict)
    return {key: list(value.get("points", [])) for key, value in asks.items()}


@pytest.mark.parametrize("file_format", FORMATS)
def test_wakefield_pack_shows_its_local_content(
    shipped_packs: Build, shipped: Campaign, file_format: str
) -> None:
    path = shipped_packs.path("wakefield", file_format)
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    local_file = PROJECT_ROOT / "cities" / "wakefield.md"
    points = local_points(local_file)
    assert sum(len(p) for p in points.values()) == 3
    assert_points_under_asks(text, "Wakefield", points, shipped)
    quote = front_matter(local_file)["quote"]
    assert isinstance(quote, dict)
    assert squash(f"“{quote['text']}” — {quote['by']}") in squash(text)
    # The case study, with its placeholders filled from the data (a note reference follows a figure).
    assert squash("Case study: Wakefield in figures") in squash(text)
    assert re.search(r"In 2017 Wakefield had 159,876(\d+)? filled jobs", text)
    assert "{{" not in text and "m.filled_jobs" not in text
    assert squash("Sample local content: the local points, quote and case study in this pack") in squash(text)
    assert squash("Contact Wakefield Council Sources and method") in squash(text)


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_pack_without_local_content_has_none(shipped_packs: Build, file_format: str) -> None:
    path = shipped_packs.path("blackpool", file_format)
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    assert not (PROJECT_ROOT / "cities" / "blackpool.md").exists()
    assert "The three asks in Blackpool" in text
    assert "In Blackpool:" not in text
    assert "Sample" not in text
    assert "“" not in text  # no quote
    assert "Case study" not in text
    assert squash(f"Contact {GROUP}: keycities.uk Sources and method") in squash(text)


DERBY_LOCAL = """\
---
# Derby's own content, written for this test.
logo: assets/derby-logo.png
contact:
  name: Derby City Council
  role: Head of Policy and Partnerships
  address:
    - The Council House
    - Corporation Street
    - Derby DE1 2FS
  telephone: 01332 293111
  email: policy@derby.example
  web: derby.example/key-cities
quote:
  text: Derby builds the trains the country rides on.
  by: Leader of Derby City Council
asks:
  trust:
    points:
      - Derby would take on the adult skills budget in full.
      - Derby would pool transport and regeneration funds.
  listen:
    points:
      - A Derby pilot of rail-skills apprenticeships.
---
## Case study: Derby at work

In 2017 Derby had {{ m.filled_jobs }} filled jobs and produced {{ m.gva }} of GVA.
"""
DERBY_LOGO_SIZE = (123, 45)
HULL_TEMPLATE = """\
# {{ member.name }}: a pack of its own

This pack for {{ member.name }} comes from templates/hull/briefing.md, not the default template.
Hull had {{ m.filled_jobs }} filled jobs in 2017.
"""
NEWPORT_WELSH = """\
---
sample: true
english_fallback: true  # Welsh for one ask only: the others, and Newport's English points, stay English
asks:
  trust:
    title: Ymddiried mewn dinasoedd canolig eu maint
    summary: Datganoli pwerau a chyllidebau yn llawn.
    text: "Testun prawf: ail ofyn y grŵp."
    points:
      - "Pwynt prawf: y pwerau y byddai Casnewydd yn eu cymryd."
contact:
  name: Cyngor Dinas Casnewydd
---
## Astudiaeth achos: Casnewydd

Roedd gan Gasnewydd {{ m.filled_jobs }} o swyddi wedi’u llenwi yn 2017.
"""


@dataclass
class OverlayProject:
    """A copy of the project with: local content for Derby (logo, contact, quote, points, case study),
    a template override for Hull, a stylesheet override for Plymouth and Welsh text for Newport.

    Each member is built on first use, into an output folder of its own."""

    folder: Path
    outputs: Path
    results: dict[str, Result] = field(default_factory=dict)

    def build(self, city: str) -> Path:
        out = self.outputs / city
        if city not in self.results:
            self.results[city] = briefings(self.folder, out, "--city", city)
        result = self.results[city]
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return out / "briefings"


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> OverlayProject:
    folder = copy_project(tmp_path_factory.mktemp("overlay") / "project")
    write_png(folder / "assets" / "derby-logo.png", DERBY_LOGO_SIZE)
    (folder / "cities" / "derby.md").write_text(DERBY_LOCAL, encoding="utf-8")
    (folder / "templates" / "hull").mkdir()
    (folder / "templates" / "hull" / "briefing.md").write_text(HULL_TEMPLATE, encoding="utf-8")
    css = (folder / "templates" / "print.css").read_text(encoding="utf-8")
    assert css.count("size: A4;") == 1
    (folder / "templates" / "plymouth").mkdir()
    (folder / "templates" / "plymouth" / "print.css").write_text(
        css.replace("size: A4;", "size: A5;"), encoding="utf-8"
    )
    (folder / "cities" / "newport.cy.md").write_text(NEWPORT_WELSH, encoding="utf-8")
    return OverlayProject(folder, tmp_path_factory.mktemp("overlay-out"))


@pytest.mark.parametrize("file_format", FORMATS)
def test_new_local_file_appears_in_that_members_pack(
    overlay: OverlayProject, shipped: Campaign, book: FigureBook, file_format: str
) -> None:
    path = overlay.build("derby") / f"derby.{file_format}"
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    assert_points_under_asks(text, "Derby", local_points(overlay.folder / "cities" / "derby.md"), shipped)
    assert squash("“Derby builds the trains the country rides on.” — Leader of Derby City Council") in squash(
        text
    )
    jobs, gva = shown(book, "member.derby.filled_jobs"), shown(book, "member.derby.gva")
    assert re.search(rf"In 2017 Derby had {jobs}(\d+)? filled jobs and produced {re.escape(gva)}", text)
    contact = (
        "Contact Derby City Council Head of Policy and Partnerships The Council House, Corporation Street, "
        "Derby DE1 2FS 01332 293111 policy@derby.example derby.example/key-cities Sources and method"
    )
    assert squash(contact) in squash(text)
    assert "Sample" not in text  # the file does not say it is sample text


def test_new_local_logo_is_in_both_formats_with_alt_text(overlay: OverlayProject, shipped: Campaign) -> None:
    folder = overlay.build("derby")
    alt = f"{shipped.members['derby'].council} logo"
    # PDF: a Figure with the alt text in the structure tree, and the image itself on the first page.
    assert alt in alts_of(folder / "derby.pdf")
    sizes = [image.image.size for image in PdfReader(folder / "derby.pdf").pages[0].images]
    assert DERBY_LOGO_SIZE in sizes
    # Word: a picture in the first-page header with the alt text, holding the PNG's bytes.
    word = word_of(folder / "derby.docx")
    assert word.header_alts == [f"{GROUP} logo", alt]
    header = docx.Document(str(folder / "derby.docx")).sections[0].first_page_header
    blobs = [rel.target_part.blob for rel in header.part.rels.values() if "image" in rel.reltype]
    assert (overlay.folder / "assets" / "derby-logo.png").read_bytes() in blobs


def test_new_local_pack_keeps_parity(overlay: OverlayProject) -> None:
    folder = overlay.build("derby")
    assert_parity(folder / "derby.pdf", folder / "derby.docx")


def test_shipped_pack_has_only_the_group_logo(shipped_packs: Build) -> None:
    for pack in ("blackpool", "wakefield"):
        assert word_of(shipped_packs.path(pack, "docx")).header_alts == [f"{GROUP} logo"]
        assert alts_of(shipped_packs.path(pack, "pdf"))[0] == f"{GROUP} logo"


BAD_LOCAL_FILES = {
    "unknown-member": (
        "atlantis.md",
        "---\ncontact:\n  name: Atlantis Council\n---\n",
        "---",
        "no member 'atlantis'",
    ),
    "unknown-ask": (
        "derby.md",
        "---\ncontact:\n  name: Derby City Council\nasks:\n  trustt:\n    points: [A point.]\n---\n",
        "trustt:",
        "asks.trustt: no ask 'trustt'; the asks are partner, trust, listen",
    ),
    "missing-logo": (
        "derby.md",
        "---\ncontact:\n  name: Derby City Council\nlogo: assets/no-such-logo.png\n---\n",
        "logo:",
        "logo: no such file assets/no-such-logo.png",
    ),
    "quote-without-by": (
        "derby.md",
        "---\nquote:\n  text: A quote nobody said.\n---\n",
        "quote:",
        "quote: missing required key 'by'",
    ),
}


def write_bad_local_file(tmp_path: Path, case: str) -> tuple[Path, Result, str, int]:
    project = copy_project(tmp_path / "project")
    name, text, needle, message = BAD_LOCAL_FILES[case]
    path = project / "cities" / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = briefings(project, out)
    return out, result, message, line_of(path, needle)


@pytest.mark.parametrize("case", BAD_LOCAL_FILES)
def test_bad_local_file_fails_naming_file_and_line_and_writes_nothing(tmp_path: Path, case: str) -> None:
    out, result, message, line = write_bad_local_file(tmp_path, case)
    name = BAD_LOCAL_FILES[case][0]
    # The file is named as in the project, `cities/<file>.md:<line>:`, as cities.yaml's problems are.
    stderr = assert_clean_failure(result, f"error: cities/{name}:{line}: {message}", "nothing was written")
    assert len(re.findall(r"^error: ", stderr, re.MULTILINE)) == 1
    assert not out.exists()


def test_undefined_name_in_local_case_study_names_its_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "cities" / "derby.md"
    path.write_text("---\ncontact:\n  name: Derby\n---\n## Study\n\nDerby had {{ m.no_such_figure }}.\n")
    result = briefings(project, tmp_path / "out", "--city", "derby")
    assert_clean_failure(result, f"cities/derby.md:{line_of(path, 'no_such_figure')}: ", "no_such_figure")
    assert not (tmp_path / "out" / "briefings" / "derby.pdf").exists()


# ---- 4. Template overrides -------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
def test_template_override_replaces_the_default_for_that_member(
    overlay: OverlayProject, book: FigureBook, file_format: str
) -> None:
    path = overlay.build("hull") / f"hull.{file_format}"
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    assert "Hull: a pack of its own" in text
    assert squash("This pack for Hull comes from templates/hull/briefing.md, not the default template.") in (
        squash(text)
    )
    assert f"Hull had {shown(book, 'member.hull.filled_jobs')}" in text
    for default in ("Key figures", "The three asks", "briefing pack", "Contact"):
        assert default not in text


def test_overrides_leave_other_members_unchanged(overlay: OverlayProject, shipped_packs: Build) -> None:
    """Blackpool, built from the project with Hull's and Plymouth's overrides, is byte for byte as shipped."""
    folder = overlay.build("blackpool")
    for file_format in FORMATS:
        built = (folder / f"blackpool.{file_format}").read_bytes()
        assert built == shipped_packs.path("blackpool", file_format).read_bytes(), file_format
    # The member with the override is the one that changed.
    assert "Key figures" in pdf_words(shipped_packs.path("hull", "pdf"))
    assert "Key figures" not in pdf_words(overlay.build("hull") / "hull.pdf")


def test_stylesheet_override_changes_only_that_members_pdf(
    overlay: OverlayProject, shipped_packs: Build
) -> None:
    folder = overlay.build("plymouth")
    pdf = folder / "plymouth.pdf"
    assert pdf.read_bytes() != shipped_packs.path("plymouth", "pdf").read_bytes()
    a5, a4 = (419.5, 595.3), (595.3, 841.9)
    sizes = {
        (round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in PdfReader(pdf).pages
    }
    assert sizes == {a5}
    shipped_sizes = {
        (round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1))
        for p in PdfReader(shipped_packs.path("plymouth", "pdf")).pages
    }
    assert shipped_sizes == {a4}
    # The Word file does not use the stylesheet.
    assert (folder / "plymouth.docx").read_bytes() == shipped_packs.path("plymouth", "docx").read_bytes()


def test_undefined_name_in_template_override_names_file_line_and_name(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    template = project / "templates" / "hull" / "briefing.md"
    template.parent.mkdir()
    template.write_text("# {{ member.name }}\n\nSome text.\n\n{{ no_such_name }}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = briefings(project, out, "--city", "hull")
    stderr = assert_clean_failure(
        result,
        f"templates/hull/briefing.md:{line_of(template, 'no_such_name')}: ",
        "'no_such_name' is undefined",
    )
    assert "briefings/hull" in stderr
    assert not (out / "briefings" / "hull.pdf").exists()
    assert not (out / "briefings" / "hull.docx").exists()


# ---- 5. Missing data ---------------------------------------------------------------------------------


def key_figure_lines(path: Path) -> dict[str, str]:
    """The PDF's key-figures rows, by label: the text after the label."""
    lines = pdf_lines_of(path, notes=False)[0]
    found = {}
    for label in KEY_FIGURE_ROWS:
        rows = [line for line in lines if re.match(rf"{re.escape(label)} (not available|£|\d)", line)]
        assert len(rows) == 1, (label, rows)
        found[label] = rows[0].removeprefix(label).strip()
    return found


@pytest.mark.parametrize("slug", MEMBERS)
def test_key_figures_table_shows_each_figure_or_not_available(
    shipped_packs: Build, shipped: Campaign, book: FigureBook, slug: str
) -> None:
    word = word_of(shipped_packs.path(slug, "docx"))
    name = shipped.members[slug].name
    assert word.table_rows[0] == ["2017", name, "Key Cities", "England"]
    assert [row[0] for row in word.table_rows[1:]] == list(KEY_FIGURE_ROWS)
    pdf_rows = key_figure_lines(shipped_packs.path(slug, "pdf"))
    for row in word.table_rows[1:]:
        assert all(cell.strip() for cell in row), row  # never a blank cell
        label, figure = row[0], KEY_FIGURE_ROWS[row[0]]
        expected = "not available" if missing(book, slug, figure) else shown(book, f"member.{slug}.{figure}")
        assert row[1] == expected, (label, row[1], expected)  # its note is a footnote, which holds no text
        assert pdf_rows[label].startswith(row[1] + " "), (label, pdf_rows[label], row[1])


@pytest.mark.parametrize("file_format", FORMATS)
def test_bournemouth_pack_states_its_gaps(shipped_packs: Build, file_format: str) -> None:
    path = shipped_packs.path("bournemouth", file_format)
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    # The reason is the release that lacks it (the one nearest the pack's date).
    productivity = "not in Subregional productivity: labour productivity indices by local authority district"
    gva = (
        "not in Regional gross domestic product: local authorities (Table 1, GVA(B) at current basic prices)"
    )
    assert squash(f"There is no figure for Bournemouth’s GVA per filled job: {productivity}") in squash(text)
    assert squash(
        f"There is no GVA figure for Bournemouth, so its share of the group’s GVA cannot be shown: {gva}"
    ) in squash(text)
    assert "1998 to 2020" not in text  # the later release is not the one cited
    assert (
        "What raising Bournemouth’s productivity to the England average would add cannot be worked out"
        in text
    )
    # Notes say why for each missing figure.
    for label, why in (
        ("GVA, 2017", gva),
        ("GVA per hour worked, 2017", productivity),
        ("GVA per filled job, 2017", productivity),
    ):
        why = why[0].upper() + why[1:]
        assert squash(f"{label}, Bournemouth: not available. {why}") in squash(text), label
    assert "Bournemouth produced" not in text and "Bournemouth ranks" not in text


def test_bournemouth_pack_has_no_gva_share_chart(shipped_packs: Build) -> None:
    for alts in (
        alts_of(shipped_packs.path("bournemouth", "pdf")),
        word_of(shipped_packs.path("bournemouth", "docx")).body_alts,
    ):
        assert not any("split into" in alt for alt in alts), alts
        assert any(alt.startswith("Bar chart of GVA per filled job") for alt in alts), alts


@pytest.mark.parametrize("file_format", FORMATS)
def test_carlisle_pack_states_its_productivity_gap(shipped_packs: Build, file_format: str) -> None:
    path = shipped_packs.path("carlisle", file_format)
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    release = "Subregional productivity: labour productivity indices by local authority district"
    assert squash(f"There is no figure for Carlisle’s GVA per filled job: not in {release}") in squash(text)
    assert "GVA per filled job or filled jobs is not published for Carlisle" in text
    assert "Carlisle produced £2.8bn" in text  # its GVA is known, so its share is shown


@pytest.mark.parametrize("file_format", FORMATS)
def test_tees_valley_pack_explains_rates_cannot_be_added(shipped_packs: Build, file_format: str) -> None:
    path = shipped_packs.path("tees-valley", file_format)
    text = pdf_words(path) if file_format == "pdf" else word_words(path)
    assert squash(
        "There is no figure for Tees Valley’s GVA per filled job: Tees Valley is a combined authority"
    ) in squash(text)
    assert "rates cannot be added up" in text
    # Its counts are the sums of its 5 councils, and said to be.
    assert squash("Population, mid-2017, Tees Valley: 672,497. Sum of its 5 councils") in squash(text)


@pytest.mark.parametrize("pack", PACKS)
def test_productivity_caption_names_the_members_left_out(
    shipped_packs: Build, shipped: Campaign, book: FigureBook, pack: str
) -> None:
    absent = [m.name for m in shipped.data.members if missing(book, m.slug, "gva_per_filled_job")]
    assert absent == ["Bournemouth", "Carlisle", "Tees Valley"]
    names = ", ".join(absent)
    caption = (
        f"Heb eu dangos, am nad oes ffigur: {names}."
        if pack.endswith(".cy")
        else f"GVA per filled job, 2017, members of the group. Not shown, for want of a figure: {names}."
    )
    for file_format in FORMATS:
        path = shipped_packs.path(pack, file_format)
        text = pdf_words(path) if file_format == "pdf" else word_words(path)
        assert squash(caption) in squash(text), file_format


@pytest.mark.parametrize("pack", PACKS)
def test_no_pack_shows_nan_none_or_template_syntax(shipped_packs: Build, pack: str) -> None:
    for file_format in FORMATS:
        path = shipped_packs.path(pack, file_format)
        text = pdf_words(path) if file_format == "pdf" else word_words(path)
        alts = alts_of(path) if file_format == "pdf" else word_of(path).body_alts
        for shown_text in (text, *alts):
            assert not re.search(r"\b(nan|NaN|None|null|undefined|inf)\b", shown_text), shown_text
            assert "{{" not in shown_text and "{%" not in shown_text


@pytest.mark.parametrize("pack", PACKS)
def test_no_pack_shows_zero_pounds(shipped_packs: Build, pack: str) -> None:
    for file_format in FORMATS:
        path = shipped_packs.path(pack, file_format)
        # Word text without note references, so "£0" followed by note 20 is not read as "£020".
        text = pdf_words(path) if file_format == "pdf" else word_words(path)
        if file_format == "pdf":
            assert "£0 " not in text
        else:
            assert not re.search(r"£0(?![.,]?\d)", text), re.findall(r".{40}£0(?![.,]?\d).{20}", text)


@pytest.mark.parametrize("pack", PACKS)
def test_no_sentence_ends_twice(shipped_packs: Build, pack: str) -> None:
    for file_format in FORMATS:
        path = shipped_packs.path(pack, file_format)
        text = pdf_words(path) if file_format == "pdf" else word_words(path)
        alts = alts_of(path) if file_format == "pdf" else word_of(path).body_alts
        for shown_text in (text, *alts):
            found = re.findall(r".{30}(?:\.\.(?!\.)|\.\)\.)", shown_text)
            assert not found, (file_format, found)


# ---- 6. Charts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", PACKS)
def test_charts_have_alt_text_in_both_formats(shipped_packs: Build, book: FigureBook, pack: str) -> None:
    slug = pack.removesuffix(".cy")
    pdf_alts = alts_of(shipped_packs.path(pack, "pdf"))
    word = word_of(shipped_packs.path(pack, "docx"))
    assert pdf_alts[0] == f"{GROUP} logo" and word.header_alts == [f"{GROUP} logo"]
    charts = pdf_alts[1:]
    # The productivity chart always; the GVA share chart when the member has a GVA figure.
    expected = 1 if missing(book, slug, "gva") else 2
    assert len(charts) == expected, charts
    assert all(alt.strip() for alt in charts)
    opening = (
        "Siart bar o GVA fesul swydd wedi’i llenwi yn 2017 ar gyfer y 21 aelod sydd â ffigur"
        if pack.endswith(".cy")
        else "Bar chart of GVA per filled job in 2017 for the 21 members with a figure"
    )
    assert charts[0].startswith(opening)
    # Word: the same pictures, inline, with the same alt text.
    assert word.body_alts == charts
    assert word.inline_body_pictures == expected


def test_productivity_chart_alt_text_names_the_members_rank(shipped_packs: Build, book: FigureBook) -> None:
    rank = shown(book, "member.wakefield.gva_per_filled_job_rank")
    assert rank == "13th of 21"
    value = shown(book, "member.wakefield.gva_per_filled_job")
    alt = alts_of(shipped_packs.path("wakefield", "pdf"))[1]
    assert f"Wakefield, highlighted, is 13th of 21 at {value}." in alt
    assert alt in word_of(shipped_packs.path("wakefield", "docx")).body_alts
    # A member without a figure is said not to be shown, and why.
    bournemouth = alts_of(shipped_packs.path("bournemouth", "pdf"))[1]
    assert "Bournemouth has no figure and is not shown (not in Subregional productivity" in bournemouth
    assert "highlighted" not in bournemouth


def rename_member(tmp_path: Path, name: str) -> Path:
    """A copy of the project in which Wakefield is called `name` (in single quotes: YAML keeps it as is)."""
    project = copy_project(tmp_path / "project")
    edit(project / "cities.yaml", 'name: "Wakefield"\n', f"name: '{name}'\n")
    return project


def test_a_member_name_with_tex_markup_is_shown_as_it_is(tmp_path: Path) -> None:
    """matplotlib reads `$...$` as mathematics; the pack and the charts' alt text show the name itself."""
    name = "Wakefield $\\frac{1}{2}$"
    project = rename_member(tmp_path, name)
    out = tmp_path / "out"
    result = briefings(project, out, "--city", "wakefield")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert summary(result) == (1, 0, 0)
    pdf, word = out / "briefings" / "wakefield.pdf", out / "briefings" / "wakefield.docx"
    alts = figure_alts(pdf)[1:]
    assert len(alts) == 2
    assert f"{name}, highlighted, is 13th of 21 at" in alts[0]
    assert f"split into {name}'s" in alts[1]
    assert read_word(word).body_alts == alts
    assert PdfReader(pdf).metadata.title == f"{name}: briefing pack"
    assert squash(f"This pack sets {name}’s official figures") in squash(pdf_words(pdf))
    assert squash(f"This pack sets {name}’s official figures") in squash(word_words(word))


def test_a_member_name_with_unknown_tex_markup_builds(tmp_path: Path) -> None:
    name = "Wakefield $\\nosuch$"
    project = rename_member(tmp_path, name)
    out = tmp_path / "out"
    result = briefings(project, out, "--city", "wakefield", "--format", "pdf")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert f"{name}, highlighted, is 13th of 21 at" in figure_alts(out / "briefings" / "wakefield.pdf")[1]


# ---- 7. Welsh --------------------------------------------------------------------------------------


def test_welsh_pack_is_welsh_and_english_pack_english(shipped_packs: Build) -> None:
    welsh_pdf, english_pdf = shipped_packs.path("swansea.cy", "pdf"), shipped_packs.path("swansea", "pdf")
    assert PdfReader(welsh_pdf).trailer["/Root"]["/Lang"] == "cy"
    assert PdfReader(english_pdf).trailer["/Root"]["/Lang"] == "en-GB"
    assert word_of(shipped_packs.path("swansea.cy", "docx")).language == "cy"
    assert word_of(shipped_packs.path("swansea", "docx")).language == "en-GB"
    for file_format in FORMATS:
        welsh_path = shipped_packs.path("swansea.cy", file_format)
        english_path = shipped_packs.path("swansea", file_format)
        welsh = pdf_words(welsh_path) if file_format == "pdf" else word_words(welsh_path)
        english = pdf_words(english_path) if file_format == "pdf" else word_words(english_path)
        for phrase in (
            "Abertawe: pecyn briffio",
            "4 Chwefror 2019",
            "Ffigurau allweddol",
            "Y tri gofyn",
            "Cyswllt",
        ):
            assert phrase in welsh, (file_format, phrase)
            assert phrase not in english, (file_format, phrase)
        assert "Key figures" not in welsh and "February" not in welsh
        assert "Key figures" in english and "4 February 2019" in english
        # Its own Welsh asks and points, from cities/swansea.cy.md.
        assert "Gweithio mewn partneriaeth â dinasoedd canolig eu maint" in welsh
        assert squash("Testun enghreifftiol: y pwerau a'r cyllidebau y byddai Abertawe") in squash(welsh)
        assert "Work in partnership with mid-sized cities" not in welsh


def test_welsh_pack_title_and_footer_use_the_welsh_name(shipped_packs: Build) -> None:
    assert PdfReader(shipped_packs.path("swansea.cy", "pdf")).metadata.title == "Abertawe: pecyn briffio"
    assert word_of(shipped_packs.path("swansea.cy", "docx")).title == "Abertawe: pecyn briffio"


def test_welsh_pack_chart_alt_text_is_not_english(shipped_packs: Build) -> None:
    alt = alts_of(shipped_packs.path("swansea.cy", "pdf"))[1]
    assert "Bar chart" not in alt and "highlighted" not in alt, alt


def test_welsh_pack_publication_dates_are_not_half_english(shipped_packs: Build) -> None:
    text = word_words(shipped_packs.path("swansea.cy", "docx"))
    months = "Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr"
    assert not re.search(rf"released \d+ ({months})", text), re.findall(
        rf"released \d+ (?:{months}) \d+", text
    )


def test_welsh_local_file_adds_a_welsh_pack(overlay: OverlayProject) -> None:
    folder = overlay.build("newport")
    assert sorted(path.name for path in folder.iterdir()) == [
        "newport.cy.docx",
        "newport.cy.pdf",
        "newport.docx",
        "newport.pdf",
    ]
    manifest = json.loads((folder.parent / "manifest.json").read_text(encoding="utf-8"))
    languages = {entry["path"]: entry["language"] for entry in manifest["documents"]}
    assert languages["briefings/newport.cy.pdf"] == languages["briefings/newport.cy.docx"] == "cy"
    assert languages["briefings/newport.pdf"] == "en-GB"
    assert PdfReader(folder / "newport.cy.pdf").trailer["/Root"]["/Lang"] == "cy"
    assert word_of(folder / "newport.cy.docx").language == "cy"
    for file_format in FORMATS:
        path = folder / f"newport.cy.{file_format}"
        text = pdf_words(path) if file_format == "pdf" else word_words(path)
        assert "Casnewydd: pecyn briffio" in text
        assert "4 Chwefror 2019" in text
        assert squash("Pwynt prawf: y pwerau y byddai Casnewydd yn eu cymryd.") in squash(text)
        assert re.search(r"Roedd gan Gasnewydd [\d,]+ o swyddi", text)
        assert "Cyngor Dinas Casnewydd" in text
    assert_parity(folder / "newport.cy.pdf", folder / "newport.cy.docx")


# ---- 8. Identical bytes -------------------------------------------------------------------------------


def test_forced_rebuild_gives_identical_bytes(shipped_packs: Build, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(shipped_packs.out, out)
    unchanged = invoke(
        "briefings", "--project", PROJECT_ROOT, "--out", out, "--city", "wakefield", "--jobs", "2"
    )
    assert unchanged.exit_code == 0, unchanged.stderr
    assert summary(unchanged) == (0, 1, 0)
    forced = invoke(
        "briefings", "--project", PROJECT_ROOT, "--out", out, "--city", "wakefield", "--jobs", "2", "--force"
    )
    assert forced.exit_code == 0, forced.stderr
    assert summary(forced) == (1, 0, 0)
    for file_format in FORMATS:
        relative = f"briefings/wakefield.{file_format}"
        assert (out / relative).read_bytes() == (shipped_packs.out / relative).read_bytes(), file_format
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {e["path"]: e["sha256"] for e in manifest["documents"]} == {
        path: entry["sha256"] for path, entry in shipped_packs.manifest.items()
    }


def test_changed_local_logo_rebuilds_the_pack(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    logo = write_png(project / "logos" / "derby.png", (50, 50))
    (project / "cities" / "derby.md").write_text("---\nlogo: logos/derby.png\n---\n", encoding="utf-8")
    out = tmp_path / "out"
    first = briefings(project, out, "--city", "derby", "--format", "pdf")
    assert summary(first) == (1, 0, 0)
    write_png(logo, (80, 50))  # a new logo, same file name
    second = briefings(project, out, "--city", "derby", "--format", "pdf")
    sizes = [image.image.size for image in PdfReader(out / "briefings" / "derby.pdf").pages[0].images]
    assert summary(second) == (1, 0, 0) and (80, 50) in sizes, (second.stdout, sizes)


# ---- 9. The key-figures table is a table with a header row, in both formats -----------------------


@pytest.mark.parametrize("pack", PACKS)
def test_key_figures_table_has_a_header_row(shipped_packs: Build, pack: str) -> None:
    found = tables(shipped_packs.path(pack, "pdf"))
    assert len(found) == 1, found
    rows = found[0]
    assert rows[0] == ["TH"] * 4
    assert rows[1:] == [["TD"] * 4] * len(KEY_FIGURE_ROWS)
    word = word_of(shipped_packs.path(pack, "docx"))
    assert word.header_rows == [True] + [False] * len(KEY_FIGURE_ROWS)
