"""The shipped letters in PDF and Word: the same words in the same order, by UK convention, and faithful
to the original 2019 letter.

Every letter is built once for the session (letters_support.shipped_build) and read back with pypdf and
python-docx. Only page furniture is set aside before comparing: the continuation footer with its "Page N of
M", which is checked on its own.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from documents import (
    PROJECT_ROOT,
    PdfLine,
    pdf_lines,
    read_pdf,
    squeeze,
    summary,
    word_tokens,
)
from letters_support import (
    SEED_LETTER,
    SHIPPED_LETTER,
    SHIPPED_RECIPIENTS,
    ShippedBuild,
    WordText,
    files_under,
    page_footer,
    shipped_build,
    word_text,
)

from keycities.data.cities import load_campaign

# End-to-end: builds real documents (run by default; `pytest -m 'not slow'` leaves them out).
pytestmark = pytest.mark.slow

SUBJECT = "Key Cities: Cities in Action"
DATE = "4 February 2019"
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$")

# (address block, salutation) for each shipped recipient, by the conventions in UK-CONVENTIONS.md.
EXPECTED: dict[str, tuple[tuple[str, ...], str]] = {
    "prime-minister": (
        ("The Rt Hon Theresa May MP", "Prime Minister", "10 Downing Street", "London", "SW1A 2AA"),
        "Dear Prime Minister,",
    ),
    "chancellor": (
        (
            "The Rt Hon Philip Hammond MP",
            "Chancellor of the Exchequer",
            "HM Treasury",
            "1 Horse Guards Road",
            "London",
            "SW1A 2HQ",
        ),
        "Dear Chancellor,",
    ),
    "mhclg-secretary-of-state": (
        (
            "The Rt Hon James Brokenshire MP",
            "Secretary of State for Housing, Communities and Local Government",
            "Ministry of Housing, Communities and Local Government",
            "2 Marsham Street",
            "London",
            "SW1P 4DF",
        ),
        "Dear Secretary of State,",
    ),
    "beis-secretary-of-state": (
        (
            "The Rt Hon Greg Clark MP",
            "Secretary of State for Business, Energy and Industrial Strategy",
            "Department for Business, Energy and Industrial Strategy",
            "1 Victoria Street",
            "London",
            "SW1H 0ET",
        ),
        "Dear Secretary of State,",
    ),
    "wales-secretary-of-state": (
        (
            "The Rt Hon Alun Cairns MP",
            "Secretary of State for Wales",
            "Wales Office",
            "Gwydyr House",
            "Whitehall",
            "London",
            "SW1A 2NP",
        ),
        "Dear Secretary of State,",
    ),
    "first-minister-wales": (
        (
            "Mark Drakeford AM",
            "First Minister of Wales",
            "Welsh Government",
            "Crown Buildings",
            "Cathays Park",
            "Cardiff",
            "CF10 3NQ",
        ),
        "Dear First Minister,",
    ),
    "local-government-minister": (
        (
            "Rishi Sunak MP",
            "Parliamentary Under-Secretary of State for Local Government",
            "Ministry of Housing, Communities and Local Government",
            "2 Marsham Street",
            "London",
            "SW1P 4DF",
        ),
        "Dear Minister,",
    ),
    "northern-powerhouse-minister": (
        (
            "Jake Berry MP",
            "Minister for the Northern Powerhouse and Local Growth",
            "Ministry of Housing, Communities and Local Government",
            "2 Marsham Street",
            "London",
            "SW1P 4DF",
        ),
        "Dear Minister,",
    ),
    "leader-of-the-opposition": (
        ("The Rt Hon Jeremy Corbyn MP", "Leader of the Opposition", "House of Commons", "London", "SW1A 0AA"),
        "Dear Mr Corbyn,",
    ),
}
# Figures in the body (note references removed), matched whole: "24" is not part of "2024" or "1.24".
FIGURES = ("£137.2bn", "£262bn", "6.4 million", "24")
# The seed letter (2019 figures) against the figures from cities.yaml, and its close against the convention.
SEED_CHANGES = {
    "£130.5bn": "£137.2bn",
    "£258bn": "£262bn",
    # The postscript says what cities.yaml says of the signatory: the council's name as it is.
    "leader of Wakefield City council": "leader of Wakefield Council",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> ShippedBuild:
    return shipped_build(tmp_path_factory)


@pytest.fixture(scope="module")
def signer() -> str:
    """The signatory's typed name, as cities.yaml gives the letter's signatory."""
    return load_campaign(PROJECT_ROOT).data.group.signatories["peter-box"].signed_name


class Letter:
    """One built letter, read back from both files."""

    def __init__(self, built: ShippedBuild, recipient: str) -> None:
        self.recipient = recipient
        self.pdf_path = built.path(recipient, "pdf")
        self.docx_path = built.path(recipient, "docx")
        self.address, self.salutation = EXPECTED[recipient]
        self.footer_text = f"{self.address[0]}, {DATE}"
        self.lines: list[PdfLine] = pdf_lines(self.pdf_path)
        self.word: WordText = word_text(self.docx_path)

    @property
    def pdf_content(self) -> list[PdfLine]:
        """The PDF's lines without the continuation footers."""
        footer = page_footer(self.footer_text)
        return [line for line in self.lines if not footer.match(line.text)]

    @property
    def word_content(self) -> list[str]:
        """The Word file's text: first-page letterhead, then the body (paragraphs and tables), with the
        footnotes, numbered, where the PDF lists its notes: under the "Sources" heading."""
        body = self.word.body_text
        notes = [f"{number}. {text}" for number, text in enumerate(self.word.footnotes, start=1)]
        end = body.index("Sources") + 1
        return self.word.first_page_header + body[:end] + notes + body[end:]

    def pdf_body(self) -> list[PdfLine]:
        """PDF lines after the salutation, up to the close."""
        texts = [line.text for line in self.pdf_content]
        return self.pdf_content[texts.index(self.salutation) + 1 : texts.index("Yours sincerely,")]

    def word_body(self) -> list[str]:
        """Word paragraphs after the salutation, up to the close, without note references."""
        texts = [paragraph.text for paragraph in self.word.body]
        start, end = texts.index(self.salutation) + 1, texts.index("Yours sincerely,")
        return [paragraph.text_without_notes for paragraph in self.word.body[start:end]]


_letters: dict[str, Letter] = {}


@pytest.fixture(params=SHIPPED_RECIPIENTS)
def letter(request: pytest.FixtureRequest, built: ShippedBuild) -> Letter:
    recipient: str = request.param
    if recipient not in _letters:
        _letters[recipient] = Letter(built, recipient)
    return _letters[recipient]


def test_every_recipient_has_both_files(built: ShippedBuild) -> None:
    found = {path.relative_to(built.out).as_posix() for path in (built.out / "letters").rglob("*.*")}
    expected = {
        f"letters/{SHIPPED_LETTER}/{recipient}.{file_format}"
        for recipient in SHIPPED_RECIPIENTS
        for file_format in ("pdf", "docx")
    }
    assert found == expected
    assert set(EXPECTED) == set(SHIPPED_RECIPIENTS)


def test_pdf_and_word_have_the_same_words_in_the_same_order(letter: Letter) -> None:
    pdf_words, word_words = word_tokens([line.text for line in letter.pdf_content], letter.word_content)
    assert len(word_words) > 700  # the whole letter, not an empty file
    assert pdf_words == word_words


def test_page_furniture_is_only_on_continuation_pages(letter: Letter) -> None:
    pages = len(read_pdf(letter.pdf_path).pages)
    assert pages >= 2
    footer = page_footer(letter.footer_text)
    numbered = [(line.page, footer.match(line.text)) for line in letter.lines if footer.match(line.text)]
    assert [(page, int(m[1]), int(m[2])) for page, m in numbered if m] == [
        (page, page + 1, pages) for page in range(1, pages)
    ]
    # The same footer in Word: none on the first page, the holder and date with page fields after it.
    assert letter.word.first_page_footer == []
    assert letter.word.header == []
    assert len(letter.word.footer) == 1
    text, _, numbers = letter.word.footer[0].partition("\t")
    assert text == letter.footer_text
    assert re.fullmatch(r"Page \d+ of \d+", numbers)
    assert letter.word.footer_fields == ["PAGE", "NUMPAGES"]


def test_letterhead_is_on_the_first_page_in_both(letter: Letter) -> None:
    header = letter.word.first_page_header
    assert header[0] == "Key Cities Group"
    first_page = [line.text for line in letter.lines if line.page == 0]
    assert first_page[: len(header)] == header
    assert all(line.text not in header for line in letter.lines if line.page > 0)


def test_address_block_date_subject_and_salutation(letter: Letter) -> None:
    expected = [*letter.address, DATE, SUBJECT, letter.salutation]
    assert UK_POSTCODE.match(letter.address[-1])
    # Word: one paragraph per address line, in the address style, then date, subject, salutation.
    styles = [(p.style, p.text) for p in letter.word.body[: len(expected)]]
    assert styles == [
        *(("Address", line) for line in letter.address),
        ("Date Line", DATE),
        ("Subject", SUBJECT),
        ("Salutation", letter.salutation),
    ]
    # PDF: the same lines, each on its own line, straight after the letterhead.
    texts = [line.text for line in letter.pdf_content]
    start = texts.index(letter.address[0])
    assert texts[start : start + len(expected)] == expected
    assert start == len(letter.word.first_page_header)


def test_close_signature_and_postscript(letter: Letter, signer: str) -> None:
    assert "Peter Box" in signer
    after_body = ["Yours sincerely,", signer, "Leader of Wakefield Council", "Chair of the Key Cities Group"]
    word = [p.text for p in letter.word.body if p.text.strip()]
    start = word.index("Yours sincerely,")
    assert word[start : start + 4] == after_body
    assert word[start + 4].startswith("Councillor Peter Box is the Labour leader of Wakefield")
    pdf = [line.text for line in letter.pdf_content]
    start = pdf.index("Yours sincerely,")
    assert pdf[start : start + 4] == after_body
    for texts in (word, pdf):
        assert "Yours faithfully," not in texts
        assert texts.count("Yours sincerely,") == 1


@pytest.mark.parametrize("figure", FIGURES)
def test_figures_are_in_the_body_of_both(letter: Letter, figure: str) -> None:
    pattern = re.compile(rf"(?<![\w.,£]){re.escape(figure)}(?![\w£]|[.,]\d)")
    pdf_body = squeeze(" ".join(line.text_without_notes for line in letter.pdf_body()))
    word_body = squeeze(" ".join(letter.word_body()))
    assert pattern.search(word_body), f"{figure} not in the Word body"
    assert pattern.search(pdf_body), f"{figure} not in the PDF body"
    assert len(pattern.findall(word_body)) == len(pattern.findall(pdf_body))


def test_sources_section_names_the_ons_and_matches_the_references(letter: Letter) -> None:
    # Word: each reference is a footnote, numbered by Word in order; the notes are footnotes, not a list,
    # and the small "Sources" heading is kept over the publications they cite.
    word_refs = [n for paragraph in letter.word.body for n in paragraph.notes]
    notes = letter.word.footnotes
    assert len(notes) >= 4
    assert word_refs == list(range(1, len(notes) + 1))
    assert letter.word.styled("Note") == []
    headings = [(p.style, p.text) for p in letter.word.body if "Heading" in p.style]
    assert headings == [("Notes Heading", "Sources")]
    word_texts = [p.text for p in letter.word.body]
    word_sources = squeeze(" ".join(word_texts[word_texts.index("Sources") + 1 :]))
    assert "Office for National Statistics" in word_sources
    assert "https://www.ons.gov.uk/" in word_sources
    # PDF: the same references, raised and smaller, and the same notes, numbered, under "Sources".
    pdf_refs = [n for line in letter.pdf_content for n in line.notes]
    assert pdf_refs == word_refs
    texts = [line.text for line in letter.pdf_content]
    assert texts.count("Sources") == 1
    after = squeeze(" ".join(texts[texts.index("Sources") + 1 :]))
    listed = after[: after.index("[A] ")].rstrip(" •")  # up to the first publication and its bullet
    assert listed == " ".join(f"{number}. {text}" for number, text in enumerate(notes, start=1))
    assert "Office for National Statistics" in after


def test_pdf_is_tagged_with_language_and_title(letter: Letter) -> None:
    reader = read_pdf(letter.pdf_path)
    root = reader.trailer["/Root"]
    title = f"{SUBJECT}: letter to {letter.address[1]}"
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True  # a pypdf BooleanObject is always truthy
    assert root["/Lang"] == "en-GB"
    assert reader.metadata is not None
    assert reader.metadata.title == title
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.dc_title == {"x-default": title}
    assert 'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data().decode()
    # Word carries the same title and language.
    assert letter.word.title == title
    assert letter.word.language == "en-GB"


def _figure_alts(node: object, found: list[str], depth: int = 0) -> list[str]:
    """The /Alt of every /Figure in a structure tree."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if depth > 60:
        return found
    if isinstance(node, dict):
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            _figure_alts(kid, found, depth + 1)
    return found


def test_signature_and_logo_have_alt_text(letter: Letter) -> None:
    root = read_pdf(letter.pdf_path).trailer["/Root"]
    alts = _figure_alts(root["/StructTreeRoot"], [])
    assert sorted(alts) == ["Key Cities Group logo", "Signature of Peter Box"]
    assert letter.word.pictures == {"header": ["Key Cities Group logo"], "body": ["Signature of Peter Box"]}
    signature = [p.style for p in letter.word.body].index("Signature Image")
    assert letter.word.body[signature - 1].text == "Yours sincerely,"


def test_rebuild_with_force_gives_the_same_bytes(built: ShippedBuild) -> None:
    out, result = built.forced_rebuild()
    assert result.exit_code == 0, result.stderr
    assert summary(result) == (len(SHIPPED_RECIPIENTS), 0, 0)
    before, after = files_under(built.out / "letters"), files_under(out / "letters")
    assert len(before) == 2 * len(SHIPPED_RECIPIENTS)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []


# ---- The Prime Minister's letter against the original of 2019 ----------------------------------------


def _seed() -> tuple[list[str], str]:
    """The seed letter's paragraphs as the build should print them, and the signatory's name.

    Whitespace is normalised (the seed has double spaces, a trailing space and stray blank lines);
    the figures are the ones cities.yaml gives; the close is the conventional "Yours sincerely,".
    """
    text = SEED_LETTER.read_text(encoding="utf-8")
    for old, new in SEED_CHANGES.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    paragraphs = [squeeze(part) for part in re.split(r"\n\s*\n", text) if part.strip()]
    close = paragraphs.index("Yours,")
    paragraphs[close] = "Yours sincerely,"
    name = paragraphs.pop(close + 1)  # the typed name: the build adds title, honours and roles
    return paragraphs, name


def _same_paragraphs(actual: list[str], expected: list[str]) -> None:
    """Paragraph by paragraph; a paragraph the seed left without its full stop may have gained one."""
    allowed = [
        line
        if line[-1:] in ".,:;!?" or index >= len(actual) or actual[index] != f"{line}."
        else actual[index]
        for index, line in enumerate(expected)
    ]
    assert actual == allowed


def test_seed_has_the_quirks_the_comparison_allows_for() -> None:
    raw = SEED_LETTER.read_text(encoding="utf-8")
    paragraphs, name = _seed()
    assert re.search(r"quick win\.\s\s+Our", raw)  # a double space (no-break space and space)
    assert "benefit from economic growth\n" in raw  # no full stop
    assert paragraphs[0] == "Dear Prime Minister,"
    assert name == "Peter Box"
    assert len(paragraphs) == 12  # salutation, nine paragraphs, close, postscript


def test_prime_minister_word_letter_matches_the_seed(built: ShippedBuild, signer: str) -> None:
    expected, name = _seed()
    body = word_text(built.path("prime-minister", "docx")).body
    styles = [paragraph.style for paragraph in body]
    start, end = styles.index("Salutation"), styles.index("Small")
    signature = {"Signature Image", "Signature Name", "Signature Role"}
    actual = [p.text_without_notes for p in body[start : end + 1] if p.style not in signature]
    assert [p.text for p in body if p.style == "Signature Name"] == [signer]
    assert name in signer
    _same_paragraphs([squeeze(text) for text in actual], expected)


def _pdf_paragraphs(lines: list[PdfLine]) -> list[tuple[bool, str]]:
    """Lines joined into paragraphs, by the space between them: (starts a page, text without notes)."""
    pitch: dict[float, float] = {}  # the distance between lines of one paragraph, by text size
    for above, below in pairwise(lines):
        if above.page == below.page and above.size == below.size and above.y > below.y:
            pitch[above.size] = min(pitch.get(above.size, above.y - below.y), above.y - below.y)
    paragraphs: list[tuple[bool, str]] = []
    for above, line in zip([None, *lines], lines, strict=False):
        text = line.text_without_notes
        if (
            above is not None
            and above.page == line.page
            and above.size == line.size
            and above.y - line.y <= 1.15 * pitch[line.size]
        ):
            paragraphs[-1] = (paragraphs[-1][0], f"{paragraphs[-1][1]} {text}")
        else:
            paragraphs.append((above is None or above.page != line.page, text))
    return paragraphs


def test_prime_minister_pdf_letter_matches_the_seed(built: ShippedBuild, signer: str) -> None:
    expected, _ = _seed()
    footer = page_footer(f"{EXPECTED['prime-minister'][0][0]}, {DATE}")
    lines = [line for line in pdf_lines(built.path("prime-minister", "pdf")) if not footer.match(line.text)]
    paragraphs = _pdf_paragraphs(lines)
    texts = [text for _, text in paragraphs]
    start = texts.index("Dear Prime Minister,")
    end = next(i for i, text in enumerate(texts) if text.startswith("Councillor Peter Box is the"))
    actual: list[str] = []
    for starts_page, text in paragraphs[start : end + 1]:
        if text.startswith(signer):  # the signature block: name and roles
            continue
        index = len(actual) - 1
        # A paragraph the page break cut in two: the page's last lines begin the expected paragraph.
        if (
            starts_page
            and 0 <= index < len(expected)
            and actual[index] != expected[index]
            and expected[index].startswith(f"{actual[index]} ")
        ):
            actual[index] = f"{actual[index]} {text}"
        else:
            actual.append(text)
    _same_paragraphs([squeeze(text) for text in actual], expected)


def test_seed_comparison_can_fail(built: ShippedBuild) -> None:
    """The comparison sees a changed word: the seed's own 2019 figure is not what the letter prints."""
    expected, _ = _seed()
    body = word_text(built.path("prime-minister", "docx")).body
    actual = [squeeze(p.text_without_notes) for p in body if p.style == "Normal"]
    changed = [text.replace("£137.2bn", "£130.5bn") for text in actual]
    with pytest.raises(AssertionError):
        _same_paragraphs(changed, expected[1:10])
    _same_paragraphs(actual, expected[1:10])
