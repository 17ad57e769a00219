"""Welsh packs that are Welsh: an overlay lacking Welsh text stops its pack (or, with english_fallback,
shows the English marked as English), Welsh captions, notes and sources, the sample notice only when the
overlay says so; and, in every pack, the group median on the productivity chart, captions that end with
a full stop, and a quote's attribution on a line of its own.

Packs are built by the command line into temporary folders and read back: PDFs with pypdf, Word files
with python-docx; the HTML is the renderer's, from the composed pack.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from briefing_support import pdf_text_lines, read_word
from documents import PROJECT_ROOT, assert_clean_failure, briefings, copy_project, edit
from docx.oxml.ns import qn

from keycities.compose.blocks import Chart
from keycities.compose.composition import prepare
from keycities.data.inputs import load_inputs
from keycities.render.html import render_html

pytestmark = pytest.mark.slow

NEWPORT_QUOTE = """\
quote:
  text: Newport is where the M4 meets the border.
  by: Leader of Newport City Council
"""
# Welsh for Newport's trust ask and contact only: the partner and listen asks, the points under them, the
# quote and the case study have no Welsh.
PARTIAL = """\
---
{extra}asks:
  trust:
    title: Ymddiried mewn dinasoedd canolig eu maint
    summary: Datganoli pwerau a chyllidebau yn llawn.
    text: "Testun prawf: ail ofyn y grŵp."
    points:
      - "Pwynt prawf: y pwerau y byddai Casnewydd yn eu cymryd."
contact:
  name: Cyngor Dinas Casnewydd
---
"""
MISSING = (
    "asks.partner.title",
    "asks.partner.summary",
    "asks.partner.text",
    "asks.partner.points",
    "asks.listen.title",
    "asks.listen.summary",
    "asks.listen.text",
    "asks.listen.points",
    "quote",
    "the case study",
)
COMPLETE = """\
---
sample: false
asks:
  partner:
    title: Gweithio mewn partneriaeth
    summary: Gweithio gyda ni fel partneriaid.
    text: "Testun prawf: gofyn cyntaf y grŵp."
    points: ["Pwynt prawf: partneriaeth ar draws y ffin."]
  trust:
    title: Ymddiried ynom
    summary: Datganoli pwerau a chyllidebau yn llawn.
    text: "Testun prawf: ail ofyn y grŵp."
    points: ["Pwynt prawf: y pwerau y byddai Casnewydd yn eu cymryd."]
  listen:
    title: Gwrando arnom
    summary: Profi polisïau newydd gyda ni.
    text: "Testun prawf: trydydd gofyn y grŵp."
    points: ["Pwynt prawf: cynllun peilot."]
quote:
  text: Casnewydd yw’r porth i Gymru.
  by: Arweinydd Cyngor Dinas Casnewydd
contact:
  name: Cyngor Dinas Casnewydd
---
## Astudiaeth achos

Testun prawf.
"""
ENGLISH_TITLE = "Work in partnership with mid-sized cities"
IN_ENGLISH = "(Saesneg / English)"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project with a quote in Newport's English content."""
    folder = copy_project(tmp_path_factory.mktemp("welsh") / "project")
    edit(folder / "cities" / "newport.md", "contact:\n", NEWPORT_QUOTE + "contact:\n")
    return folder


def with_overlay(project: Path, text: str) -> Path:
    (project / "cities" / "newport.cy.md").write_text(text, encoding="utf-8")
    return project


@functools.cache
def pdf_text(path: Path) -> str:
    return " ".join(pdf_text_lines(path)[0])


def word_paragraphs(path: Path) -> list[str]:
    """A Word file's body paragraphs, then its footnotes (the notes the text refers to are footnotes)."""
    word = read_word(path)
    return [*word.plain_body, *word.footnotes]


def english_runs(path: Path) -> Iterator[str]:
    """The text of every Word run marked with the proofing language en-GB."""
    for run in docx.Document(str(path)).element.body.iter(qn("w:r")):
        lang = run.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        if lang is not None and lang.get(qn("w:val")) == "en-GB":
            yield "".join(text.text or "" for text in run.iter(qn("w:t")))


# ---- An overlay without Welsh for what the pack shows -------------------------------------------


def test_missing_welsh_stops_the_pack_naming_the_file_and_every_part(project: Path, tmp_path: Path) -> None:
    with_overlay(project, PARTIAL.format(extra=""))
    result = briefings(project, tmp_path / "out", "--city", "newport")
    stderr = assert_clean_failure(result, "cities/newport.cy.md:1: no Welsh text for", *MISSING)
    assert "english_fallback: true" in stderr
    assert "asks.trust" not in stderr and "contact" not in stderr.split("no Welsh text for")[1].split(";")[0]
    folder = tmp_path / "out" / "briefings"
    assert sorted(path.name for path in folder.iterdir()) == ["newport.docx", "newport.pdf"]


def test_english_fallback_marks_each_english_passage(project: Path, tmp_path: Path) -> None:
    with_overlay(project, PARTIAL.format(extra="english_fallback: true\n"))
    result = briefings(project, tmp_path / "out", "--city", "newport")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    folder = tmp_path / "out" / "briefings"
    pdf = pdf_text(folder / "newport.cy.pdf")
    paragraphs = word_paragraphs(folder / "newport.cy.docx")
    word = " ".join(paragraphs)
    for text in (pdf, word):
        assert f"{ENGLISH_TITLE} {IN_ENGLISH}" in text
        assert f"“Newport is where the M4 meets the border. {IN_ENGLISH}”" in text
        assert "Mae’r astudiaeth achos isod yn Saesneg" in text and "Newport: a Welsh member" in text
        assert "Ymddiried mewn dinasoedd canolig eu maint" in text  # the Welsh that is there
        assert f"Ymddiried mewn dinasoedd canolig eu maint {IN_ENGLISH}" not in text
    # Word marks the English runs' proofing language; the Welsh around them keeps the document's.
    marked = list(english_runs(folder / "newport.cy.docx"))
    assert ENGLISH_TITLE in marked
    assert not any("Ymddiried" in text or "Saesneg" in text for text in marked)
    # The HTML carries lang="en-GB" on the English passages, for screen readers.
    composition = prepare(load_inputs(project))
    html = render_html(composition.briefings.briefing("newport", "cy").document, stylesheet="")
    assert f'<span lang="en-GB">{ENGLISH_TITLE}</span> {IN_ENGLISH}' in html
    assert '<span lang="en-GB">Ymddiried' not in html


def test_complete_overlay_has_no_english_and_no_sample_notice(project: Path, tmp_path: Path) -> None:
    with_overlay(project, COMPLETE)
    result = briefings(project, tmp_path / "out", "--city", "newport")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    folder = tmp_path / "out" / "briefings"
    paragraphs = word_paragraphs(folder / "newport.cy.docx")
    for text in (pdf_text(folder / "newport.cy.pdf"), " ".join(paragraphs)):
        assert IN_ENGLISH not in text and ENGLISH_TITLE not in text
        assert "Testun Cymraeg enghreifftiol" not in text  # sample: false
        assert "Y tri gofyn yng Nghasnewydd" in text  # the place name mutated after "yn"
        assert "— Arweinydd Cyngor Dinas Casnewydd" in text
    # The quote's attribution is a paragraph of its own, after a dash.
    quote = paragraphs.index("“Casnewydd yw’r porth i Gymru.”")
    assert paragraphs[quote + 1] == "— Arweinydd Cyngor Dinas Casnewydd"
    # In the PDF too: the attribution is a line of its own.
    assert "— Arweinydd Cyngor Dinas Casnewydd" in pdf_text_lines(folder / "newport.cy.pdf")[0]
    # The English pack's quote likewise.
    english = word_paragraphs(folder / "newport.docx")
    quote = english.index("“Newport is where the M4 meets the border.”")
    assert english[quote + 1] == "— Leader of Newport City Council"


# ---- Swansea's shipped Welsh pack ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def swansea(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("swansea") / "out"
    result = briefings(PROJECT_ROOT, out, "--city", "swansea")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return out / "briefings"


def test_welsh_captions_notes_and_masthead_are_welsh(swansea: Path) -> None:
    paragraphs = word_paragraphs(swansea / "swansea.cy.docx")
    for text in (pdf_text(swansea / "swansea.cy.pdf"), " ".join(paragraphs)):
        assert "aelodau’r grŵp. Heb eu dangos, am nad oes ffigur: Bournemouth, Carlisle, Tees Valley." in text
        assert "Cyfran Abertawe o GVA y grŵp, 2017. Ffynhonnell: [C]." in text
        assert "Source" not in text and "Covers" not in text and "As published" not in text
        assert "GVA fesul swydd wedi’i llenwi, 2017, Abertawe: £44,925. Ffynhonnell: [D]." in text
        median = "Canolrif GVA fesul swydd wedi’i llenwi ar draws yr aelodau, 2017: £44,925. Canolrif dros "
        assert median in text
        assert "Swm 309 awdurdod lleol Lloegr yn y datganiad" in text
        assert "Testun Cymraeg enghreifftiol" in text  # the shipped overlay says sample: true
        # Publications keep their own (English) titles; the words around them are Welsh.
        assert "cyhoeddwyd 26 Mai 2021" in text and "Regional gross domestic product" in text
    header = read_word(swansea / "swansea.cy.docx").header
    assert "Cynghrair drawsbleidiol o ddinasoedd canolig eu maint yng Nghymru a Lloegr" in header
    assert "A cross-party alliance" not in " ".join(header)


def test_english_chart_captions_end_with_a_full_stop_before_the_source(swansea: Path) -> None:
    for text in (pdf_text(swansea / "swansea.pdf"), " ".join(word_paragraphs(swansea / "swansea.docx"))):
        assert "Swansea's share of the group's GVA, 2017. Source: [" in text
        assert "members of the group. Not shown, for want of a figure: " in text


# ---- The group median on the productivity chart -----------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [("en-GB", "Group median"), ("cy", "Canolrif y grŵp")])
def test_productivity_chart_draws_the_group_median(language: str, words: str) -> None:
    composition = prepare(load_inputs(PROJECT_ROOT))
    composed = composition.briefings.briefing("swansea", language)  # type: ignore[arg-type]
    chart = next(block for block in composed.document.blocks if isinstance(block, Chart))
    svg = chart.svg.data.decode()
    assert f"{words}: £44,925" in svg
    assert ("England: £56,196" if language == "en-GB" else "Lloegr: £56,196") in svg
    assert "stroke-dasharray" in svg  # the median's line is dashed, England's solid
    median = "group median of £44,925" if language == "en-GB" else "chanolrif y grŵp (£44,925)"
    assert median in chart.svg.alt
    # The median is a figure of its own, computed and sourced, recorded as the pack's.
    assert "group.gva_per_filled_job_median" in {figure.name for figure in composed.figures}
