"""The Cities in Action letter to the members' MPs (`letters/cities-in-action-mps.md`): each MP gets a
paragraph on their own member city from its figures (`local`), worded for a whole or part constituency,
for a combined authority, and for a member with no figure; read back from the built PDFs with pypdf (and
one Word file with python-docx)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from documents import PROJECT_ROOT, PdfLine, letters, pdf_lines, squeeze
from letters_support import word_text

pytestmark = pytest.mark.slow

LETTER = "cities-in-action-mps"
BUILT = ("mary-creagh", "paul-maynard", "simon-clarke", "tobias-ellwood", "david-amess", "rosie-winterton")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mps") / "out"
    for recipient in BUILT:
        result = letters(
            PROJECT_ROOT, folder, "--letter", LETTER, "--recipient", recipient, "--format", "pdf"
        )
        assert result.exit_code == 0, (result.stdout, result.stderr)
        assert "1 built, 0 skipped, 0 failed" in result.stdout
    result = letters(
        PROJECT_ROOT, folder, "--letter", LETTER, "--recipient", "mary-creagh", "--format", "docx"
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return folder / "letters" / LETTER


def lines(out: Path, recipient: str) -> list[PdfLine]:
    return pdf_lines(out / f"{recipient}.pdf")


def text(out: Path, recipient: str) -> str:
    """The letter's text without note references, on one line."""
    return squeeze(" ".join(line.text_without_notes for line in lines(out, recipient)))


def local_paragraph(out: Path, recipient: str) -> str:
    """The paragraph on the MP's own member city: from "Your constituency" or "Part of your constituency"
    to the paragraph after it."""
    found = re.search(
        r"((?:Your|Part of your) constituency, .*?)(?= Together, our collective)", text(out, recipient)
    )
    assert found, text(out, recipient)
    return found[1]


def test_only_the_recipients_asked_for_are_built(out: Path) -> None:
    assert sorted(path.name for path in out.iterdir()) == sorted(
        [f"{recipient}.pdf" for recipient in BUILT] + ["mary-creagh.docx"]
    )


def test_a_whole_constituency_gets_its_members_figures(out: Path) -> None:
    assert local_paragraph(out, "mary-creagh") == (
        "Your constituency, Wakefield, lies in Wakefield, one of the Key Cities. Each filled job in "
        "Wakefield produced £44,727 of GVA in 2017: £11,469 below the England average of £56,196, or "
        "79.6% of it. Closing that gap would add £18.3bn to the UK economy by 2029."
    )


def test_the_figures_are_wakefields_in_word_too(out: Path) -> None:
    body = " ".join(paragraph.text_without_notes for paragraph in word_text(out / "mary-creagh.docx").body)
    assert "Your constituency, Wakefield, lies in Wakefield, one of the Key Cities." in body
    for figure in ("£44,727", "£11,469 below", "79.6%", "£18.3bn"):
        assert figure in body


def test_a_part_constituency_says_part(out: Path) -> None:
    paragraph = local_paragraph(out, "paul-maynard")
    assert paragraph.startswith(
        "Part of your constituency, Blackpool North and Cleveleys, lies in Blackpool, one of the Key Cities. "
        "Each filled job in Blackpool produced £"
    )
    assert "Your constituency" not in text(out, "paul-maynard")
    assert "Wakefield" not in paragraph and "£44,727" not in paragraph


def test_a_combined_authority_gets_the_uplift_of_its_councils(out: Path) -> None:
    paragraph = local_paragraph(out, "simon-clarke")
    assert re.fullmatch(
        r"Part of your constituency, Middlesbrough South and East Cleveland, lies in Tees Valley, one of the "
        r"Key Cities\. Raising the productivity of its councils to the England average would add "
        r"£\d+(\.\d)?bn to the UK economy by 2029\.",
        paragraph,
    ), paragraph
    assert "Each filled job" not in paragraph  # a rate cannot be summed over councils


def test_a_member_without_a_figure_says_so_with_a_note(out: Path) -> None:
    assert local_paragraph(out, "tobias-ellwood") == (
        "Your constituency, Bournemouth East, lies in Bournemouth, one of the Key Cities. Its productivity "
        "cannot be set against the England average, since the official figure for Bournemouth on its own is "
        "not available; its people would share in what the Key Cities could add together."
    )
    found = lines(out, "tobias-ellwood")
    (marked,) = [line for line in found if line.text_without_notes.startswith("not available; its people")]
    (number,) = marked.notes
    note = next(line.text for line in found if line.text.startswith(f"{number}. "))
    assert note.startswith(f"{number}. GVA per filled job, 2017, Bournemouth: not available. Not in ")


@pytest.mark.parametrize(
    ("recipient", "holder", "salutation"),
    [
        ("mary-creagh", "Mary Creagh MP", "Dear Mary Creagh,"),
        ("david-amess", "Sir David Amess MP", "Dear Sir David,"),
        ("rosie-winterton", "Dame Rosie Winterton MP", "Dear Dame Rosie,"),
        ("simon-clarke", "Simon Clarke MP", "Dear Mr Clarke,"),
    ],
)
def test_each_mp_is_addressed_by_convention(out: Path, recipient: str, holder: str, salutation: str) -> None:
    shown = [line.text_without_notes for line in lines(out, recipient)]
    assert holder in shown
    assert salutation in shown
    assert "Yours sincerely," in shown
    constituency = shown[shown.index(holder) + 1]
    assert constituency.startswith("Member of Parliament for ")
