"""Who signs a letter: `group.signatories` in cities.yaml, named by id in a letter's front matter.

A signatory's name, roles, party and signature image come from the data: a new chair without an image
gets their own name under a blank space to sign by hand (no other person's image), with a warning on the
command line and on the proof page; an unknown id is a located error; the postscript is built from the
signatory's fields.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from build_support import LETTER, SMALL_CSV, documents, invoke
from documents import assert_clean_failure, copy_project, edit, line_of, pdf_lines, read_pdf
from documents import invoke as invoke_result
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from PIL import Image

from keycities.compose.composition import prepare
from keycities.data.inputs import load_inputs

LETTER_FILE = f"letters/{LETTER}.md"
NEW_CHAIR = """\
    jane-doe:
      name: Jane Doe
      title: Councillor
      roles: [Leader of Exampleton Council, Vice-chair of the Key Cities Group]
      party: Independent
      council: Exampleton Council
"""


@pytest.fixture(scope="module")
def new_chair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The shipped letter signed by a new chair with no signature image, built for one recipient:
    (project, output folder, the build's stderr)."""
    root = tmp_path_factory.mktemp("new-chair")
    project = copy_project(root / "project")
    edit(project / "cities.yaml", "  signatories:\n", "  signatories:\n" + NEW_CHAIR)
    edit(project / LETTER_FILE, "signatory: peter-box\n", "signatory: jane-doe\n")
    (root / "one.csv").write_text(SMALL_CSV, encoding="utf-8")
    out = root / "out"
    run = invoke(
        "letters", "--project", project, "--letter", LETTER, "--recipient", "test-one",
        "--recipients", root / "one.csv", "--out", out, "--jobs", "1",
    )  # fmt: skip
    assert run.exit_code == 0, run.describe()
    return project, out, run.stderr


def test_a_new_chair_without_an_image_signs_under_a_space_to_sign_by_hand(
    new_chair: tuple[Path, Path, str],
) -> None:
    project, out, _ = new_chair
    pdf = out / "letters" / LETTER / "test-one.pdf"
    lines = pdf_lines(pdf)
    texts = [line.text for line in lines]
    assert "Councillor Jane Doe" in texts
    assert not any("Peter Box" in text for text in texts)
    # No image the size of the old chair's signature: only the logo is drawn.
    signature_size = Image.open(project / "assets" / "signature.png").size
    images = [image.image.size for page in read_pdf(pdf).pages for image in page.images]
    assert images and signature_size not in images
    # The space between the close and the name: at least the 18 mm left to sign in (1 mm = 2.83 pt).
    close = next(line for line in lines if line.text == "Yours sincerely,")
    name = next(line for line in lines if line.text == "Councillor Jane Doe")
    assert close.page == name.page
    assert close.y - name.y > 18 * 72 / 25.4

    word = docx.Document(str(out / "letters" / LETTER / "test-one.docx"))
    styles = [paragraph.style.name for paragraph in word.paragraphs]
    space = word.paragraphs[styles.index("Signature Name") - 1]
    assert space.style.name == "Signature Image"
    assert not space._p.xpath(".//pic:pic") and space.text == ""
    assert space.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert space.paragraph_format.line_spacing.mm == pytest.approx(18, abs=0.05)  # in twips
    assert word.paragraphs[styles.index("Signature Name")].text == "Councillor Jane Doe"
    assert len(word.element.body.findall(f".//{qn('pic:pic')}")) == 0  # the logo is in the header


def test_a_signatory_without_an_image_is_a_warning_on_the_command_line_and_the_proof_page(
    new_chair: tuple[Path, Path, str],
) -> None:
    project, out, stderr = new_chair
    line = line_of(project / LETTER_FILE, "signatory: jane-doe")
    where = line_of(project / "cities.yaml", "jane-doe:")
    warning = (
        f"{LETTER_FILE}:{line}: signatory: Jane Doe has no signature image (cities.yaml:{where}: "
        "group.signatories.jane-doe), so the letter leaves a space to sign by hand"
    )
    assert f"warning: {warning}" in stderr
    record = documents(out)[f"letters/{LETTER}/test-one.pdf"]
    assert any(text.startswith(warning) for text in record["warnings"])
    assert "Jane Doe has no signature image" in (out / "index.html").read_text(encoding="utf-8")
    check = invoke("check", "--project", project)
    assert check.exit_code == 0 and f"warning: {warning}" in check.stderr


def test_the_postscript_is_built_from_the_signatorys_fields(new_chair: tuple[Path, Path, str]) -> None:
    _, out, _ = new_chair
    texts = " ".join(line.text for line in pdf_lines(out / "letters" / LETTER / "test-one.pdf"))
    assert (
        "Councillor Jane Doe is the Independent leader of Exampleton Council and vice-chair of the Key "
        "Cities Group." in texts
    )


def test_the_shipped_postscript_says_what_the_data_says(project_root: Path) -> None:
    composition = prepare(load_inputs(project_root))
    letter = composition.inputs.letter(LETTER)
    addressee = composition.inputs.addressees[0]
    composed = composition.composer.letter(letter, addressee)
    small = ["".join(run.text for run in block.runs) for block in composed.document.blocks if _small(block)]
    assert (
        "Councillor Peter Box is the Labour leader of Wakefield Council and chair of the Key Cities Group."
        in small
    )
    assert not composed.notices or all("signature" not in notice for notice in composed.notices)
    letter_text = (project_root / LETTER_FILE).read_text(encoding="utf-8")
    for fact in ("Peter Box", "Labour", "Wakefield", "Councillor"):
        assert fact not in letter_text


def _small(block: object) -> bool:
    return getattr(block, "role", None) == "small"


@pytest.mark.parametrize(
    ("given", "hint"),
    [("peter-bx", "did you mean 'peter-box'? "), ("chair", "")],
)
def test_an_unknown_signatory_is_a_located_error_listing_the_ids(
    tmp_path: Path, given: str, hint: str
) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / LETTER_FILE, "signatory: peter-box\n", f"signatory: {given}\n")
    line = line_of(project / LETTER_FILE, f"signatory: {given}")
    result = invoke_result("check", "--project", project)
    assert_clean_failure(
        result,
        f"error: {LETTER_FILE}:{line}: signatory: '{given}' is not a signatory in cities.yaml; {hint}use one "
        "of group.signatories: peter-box\n",
    )
