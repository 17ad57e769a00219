"""Where a letter's source notes go (`notes:` in its front matter): at its end, in an enclosure built once
for every copy, or nowhere in print; each mode built end to end on a copy of the project for three
recipients, the PDF read back with pypdf and the Word file with python-docx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path

import docx
import pytest
from build_support import LETTER, SMALL_CSV, SMALL_IDS, Run, documents, invoke
from documents import copy_project, edit, pdf_lines, read_pdf

from keycities.build.jobs import Selection, plan_briefings, plan_letters
from keycities.compose.composition import prepare
from keycities.data.inputs import load_inputs
from keycities.errors import ComposeError

LETTER_FILE = f"letters/{LETTER}.md"
ENCLOSURE = f"letters/{LETTER}/{LETTER}-sources"
ENCLOSED = "Enc. Key Cities: Cities in Action, notes and sources"
FIRST_NOTE = "Member cities: 24. The members of the Key Cities Group, as listed in ‘Key Cities: Cities in"
INTERNAL = re.compile(r"\.yaml|\.csv|\.md\b|data/")


def build(root: Path, mode: str | None) -> tuple[Path, Run]:
    """The shipped letter with `notes: <mode>` (None: as shipped) to the three test recipients."""
    project = copy_project(root / "project")
    if mode is not None:
        edit(project / LETTER_FILE, "\nnotes: enclosure", f"\nnotes: {mode}")
    (root / "small.csv").write_text(SMALL_CSV, encoding="utf-8")
    out = root / "out"
    run = invoke(
        "letters", "--project", project, "--letter", LETTER, "--recipients", root / "small.csv",
        "--out", out, "--jobs", "1",
    )  # fmt: skip
    assert run.exit_code == 0, run.describe()
    return out, run


def pdf_text(path: Path) -> list[str]:
    return [line.text_without_notes for line in pdf_lines(path)]


def markers(path: Path) -> list[int]:
    return [number for line in pdf_lines(path) for number in line.notes]


def word_paragraphs(path: Path) -> list[docx.text.paragraph.Paragraph]:
    return list(docx.Document(str(path)).paragraphs)


@pytest.fixture(scope="module")
def enclosure(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    return build(tmp_path_factory.mktemp("enclosure"), None)


def test_enclosure_is_built_once_for_every_recipient(enclosure: tuple[Path, Run]) -> None:
    out, run = enclosure
    assert run.counts == (len(SMALL_IDS) + 1, 0, 0), run.describe()
    assert list(run.statuses).count(f"{LETTER}/{LETTER}-sources") == 1
    records = documents(out)
    assert {path for path, record in records.items() if record["kind"] == "enclosure"} == {
        f"{ENCLOSURE}.pdf",
        f"{ENCLOSURE}.docx",
    }
    record = records[f"{ENCLOSURE}.pdf"]
    assert record["pages"] == read_pdf(out / record["path"]).get_num_pages()
    assert record["figures"] and all(figure["sources"] for figure in record["figures"])
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{ENCLOSURE}.pdf"' in page and 'data-kind="enclosure"' in page


def test_enclosure_holds_the_notes_and_each_letter_names_it(enclosure: tuple[Path, Run]) -> None:
    out, _ = enclosure
    enclosed = pdf_text(out / f"{ENCLOSURE}.pdf")
    assert "Key Cities: Cities in Action, notes and sources" in enclosed
    assert any(line.startswith(f"1. {FIRST_NOTE}") for line in enclosed)
    word_enclosure = [p.text for p in word_paragraphs(out / f"{ENCLOSURE}.docx")]
    assert any(text.startswith(f"1. {FIRST_NOTE}") for text in word_enclosure)
    for recipient in SMALL_IDS:
        pdf = out / "letters" / LETTER / f"{recipient}.pdf"
        text = pdf_text(pdf)
        assert ENCLOSED in text
        assert "Sources" not in text and not any(FIRST_NOTE in line for line in text)
        assert markers(pdf)[:3] == [1, 2, 3]  # the markers point to the enclosure's notes
        assert read_pdf(pdf).get_num_pages() == 2
        paragraphs = word_paragraphs(out / "letters" / LETTER / f"{recipient}.docx")
        styles = [p.style.name for p in paragraphs]
        assert paragraphs[styles.index("Signature Role") + 2].text == ENCLOSED
        assert "Note" not in styles
        assert any(run.font.superscript for p in paragraphs for run in p.runs)


def test_every_shipped_letter_with_its_enclosure_is_two_pages(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    run = invoke(
        "letters", "--project", project, "--letter", LETTER, "--format", "pdf", "--out", out, "--jobs", "2"
    )
    assert run.exit_code == 0, run.describe()
    letters = [record for record in documents(out).values() if record["kind"] == "letter"]
    assert len(letters) == 9
    for record in letters:
        assert read_pdf(out / record["path"]).get_num_pages() == 2, record["path"]


def test_notes_at_the_end(tmp_path: Path) -> None:
    out, run = build(tmp_path, "end")
    assert run.counts == (len(SMALL_IDS), 0, 0)
    assert not (out / f"{ENCLOSURE}.pdf").exists()
    pdf = out / "letters" / LETTER / "test-one.pdf"
    text = pdf_text(pdf)
    assert "Sources" in text and any(line.startswith(f"1. {FIRST_NOTE}") for line in text)
    assert ENCLOSED not in text
    assert markers(pdf)[:3] == [1, 2, 3]
    paragraphs = word_paragraphs(out / "letters" / LETTER / "test-one.docx")
    assert any(p.style.name == "Note" and p.text.startswith(f"1. {FIRST_NOTE}") for p in paragraphs)


def test_no_notes_in_print_but_the_manifest_keeps_every_figures_sources(tmp_path: Path) -> None:
    out, run = build(tmp_path, "none")
    assert run.counts == (len(SMALL_IDS), 0, 0)
    pdf = out / "letters" / LETTER / "test-one.pdf"
    text = pdf_text(pdf)
    assert "Sources" not in text and ENCLOSED not in text
    assert not any(FIRST_NOTE in line for line in text)
    assert markers(pdf) == []
    paragraphs = word_paragraphs(out / "letters" / LETTER / "test-one.docx")
    assert not any(run.font.superscript for p in paragraphs for run in p.runs)
    assert "Note" not in [p.style.name for p in paragraphs]
    record = documents(out)[f"letters/{LETTER}/test-one.pdf"]
    names = {figure["name"]: figure for figure in record["figures"]}
    assert {"group.member_count", "group.gva", "group.uplift", "group.population"} <= set(names)
    assert all(figure["sources"] for figure in names.values())
    assert names["group.member_count"]["sources"] == ["cities-in-action-2019", "key-cities-new-members-2018"]


def test_an_enclosure_for_copies_with_different_notes_is_refused(tmp_path: Path) -> None:
    """The MPs' letter places each MP's own city's figures, so no one enclosure fits its copies."""
    project = copy_project(tmp_path / "project")
    edit(
        project / "letters/cities-in-action-mps.md",
        "signatory: peter-box\n",
        "signatory: peter-box\nnotes: enclosure\n",
    )
    composition = prepare(load_inputs(project))
    letter = composition.inputs.letter("cities-in-action-mps")
    with pytest.raises(
        ComposeError,
        match=r"letters/cities-in-action-mps\.md:\d+: notes: enclosure, but the "
        r"letters to \S+ and \S+ have different notes .* use `notes: end`",
    ):
        composition.enclosure(letter)
    with pytest.raises(ComposeError, match="different notes"):
        composition.letter(letter, composition.inputs.addressees_of(letter)[0])


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            if field.name != "data":  # an image's bytes
                yield from _strings(getattr(value, field.name))


def test_no_built_document_names_an_internal_file(project_root: Path, tmp_path: Path) -> None:
    """Every shipped document's text (notes and methods included) names publications, never the files
    the tool reads; the letter, its enclosure and a pack of each language are also read back as built."""
    composition = prepare(load_inputs(project_root))
    jobs = plan_letters(composition, Selection()) + plan_briefings(composition, Selection())
    found = [
        f"{job.label}: {text}"
        for job in jobs
        for text in _strings(job.compose().document)
        if INTERNAL.search(text)
    ]
    assert found == []
    out = tmp_path / "out"
    for args in (("--letter", LETTER, "--recipient", "prime-minister"), ("--city", "swansea")):
        run = invoke("build", "--project", project_root, *args, "--out", out, "--jobs", "1")
        assert run.exit_code == 0, run.describe()
    built = [out / path for path in documents(out)]
    assert len(built) == 8  # the letter, its enclosure, Swansea's packs in English and Welsh: PDF and Word
    for path in built:
        if path.suffix == ".pdf":
            text = "\n".join(page.extract_text() for page in read_pdf(path).pages)
        else:
            word = docx.Document(str(path))
            text = "\n".join(p.text for p in word.paragraphs) + "\n".join(
                cell.text for table in word.tables for row in table.rows for cell in row.cells
            )
        assert text.strip() and not INTERNAL.search(text), path
