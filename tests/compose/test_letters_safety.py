"""Letters with hostile or broken input: data stays literal, templates stay sandboxed, problems are reported
as `letters/<file>.md:<line>: ...` without a traceback, and a document that fails writes nothing.

Every test works on its own copy of the project (cities.yaml, recipients.yaml, letters/, templates/,
assets/) and builds only the Prime Minister's letter, in this process, with one worker.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import docx
import pytest
from documents import (
    assert_clean_failure,
    copy_project,
    edit,
    letters,
    line_of,
    pdf_lines,
    read_pdf,
    squeeze,
    summary,
)
from docx.oxml.ns import qn
from letters_support import (
    files_under,
    word_text,
)

from keycities.figures.model import FigureBook

TRICKY_NAME = "<b>May</b> & {{ 7*7 }}"
TRICKY_OFFICE = "Prime **bold** [link](http://x) Minister"
LETTER = "letters/cities-in-action.md"
ANCHOR = "With Brexit looming"  # the start of the shipped letter's last paragraph


def add_paragraph(project: Path, text: str, letter: str = LETTER) -> int:
    """Put a paragraph before the letter's last one; return the line it is on."""
    edit(project / letter, ANCHOR, f"{text}\n\n{ANCHOR}")
    return line_of(project / letter, text)


def build_pm(project: Path, out: Path, *args: str) -> Any:
    """Build every letter that goes to the Prime Minister."""
    return letters(project, out, "--recipient", "prime-minister", *args)


def yaml_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shipped project, its letter with its notes at its end: a broken copy fails alone (with its notes
    in an enclosure, the enclosure fails too: build/test_notes_modes.py)."""
    project = copy_project(tmp_path / "project")
    edit(project / LETTER, "\nnotes: enclosure", "\nnotes: end")
    return project


# ---- Data is printed as it is ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Prime Minister's letter with markup in the holder's name and office, placed in the body too."""
    project = copy_project(tmp_path_factory.mktemp("tricky") / "project")
    edit(project / "recipients.yaml", "name: Theresa May", f"name: {yaml_quoted(TRICKY_NAME)}")
    edit(project / "recipients.yaml", "office: Prime Minister\n", f"office: {yaml_quoted(TRICKY_OFFICE)}\n")
    edit(
        project / LETTER,
        "UK productivity growth is struggling.",
        "To {{ recipient.name }} at {{ recipient.office }}: UK productivity growth is struggling.",
    )
    out = project / "out"
    result = build_pm(project, out)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return out / "letters" / "cities-in-action"


HOLDER = f"The Rt Hon {TRICKY_NAME} MP"
IN_BODY = f"To {TRICKY_NAME} at {TRICKY_OFFICE}: UK productivity growth is struggling."


def test_markup_in_the_address_block_is_printed_as_is_in_pdf(tricky: Path) -> None:
    texts = [line.text for line in pdf_lines(tricky / "prime-minister.pdf")]
    start = texts.index(HOLDER)
    assert texts[start : start + 3] == [HOLDER, TRICKY_OFFICE, "10 Downing Street"]
    assert texts[start + 5] == "4 February 2019"


def test_markup_in_the_address_block_is_printed_as_is_in_word(tricky: Path) -> None:
    body = word_text(tricky / "prime-minister.docx").body
    assert [p.text for p in body if p.style == "Address"][:2] == [HOLDER, TRICKY_OFFICE]


def test_markup_placed_in_the_body_is_printed_as_is(tricky: Path) -> None:
    pdf = squeeze(" ".join(line.text for line in pdf_lines(tricky / "prime-minister.pdf")))
    word = word_text(tricky / "prime-minister.docx")
    assert IN_BODY in pdf
    placed = [p.text for p in word.body if TRICKY_NAME in p.text and p.style == "Normal"]
    assert len(placed) == 1
    assert placed[0].startswith(IN_BODY)
    # Footer and title carry the data as it is too.
    assert word.footer[0].startswith(f"{HOLDER}, 4 February 2019\t")
    assert f"{HOLDER}, 4 February 2019 Page 2 of" in pdf
    assert read_pdf(tricky / "prime-minister.pdf").metadata.title.endswith(f"letter to {TRICKY_OFFICE}")
    # Neither Jinja nor Markdown ran on the data.
    for text in (pdf, " ".join(word.body_text)):
        assert "49" not in text.split("May")[1][:20]
        assert "**bold**" in text
        assert "[link](http://x)" in text


def test_markup_in_data_makes_no_bold_no_link_and_no_html(tricky: Path) -> None:
    document = docx.Document(str(tricky / "prime-minister.docx"))
    placed = [p for p in document.paragraphs if p.text.startswith("To ") or TRICKY_NAME in p.text]
    assert placed
    assert all(not run.bold for paragraph in placed for run in paragraph.runs)
    assert list(document.element.body.iter(qn("w:hyperlink"))) == []
    assert all(rel.reltype.split("/")[-1] != "hyperlink" for rel in document.part.rels.values())
    links = [
        annotation.get_object().get("/A", {}).get("/URI")
        for page in read_pdf(tricky / "prime-minister.pdf").pages
        for annotation in page.get("/Annots") or []
    ]
    assert [uri for uri in links if uri is not None] == []


# ---- The sandbox ----------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ lipsum.__globals__ }}",
    "{{ recipient.__class__ }}",
    "{{ '{0.__class__}'.format(recipient) }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_sandbox_blocks_escapes(project: Path, expression: str) -> None:
    line = add_paragraph(project, f"Escape: {expression}")
    result = build_pm(project, project / "out")
    stderr = assert_clean_failure(result, f"{LETTER}:{line}: ", "unsafe")
    assert "cities-in-action/prime-minister" in stderr
    assert summary(result) == (0, 0, 1)
    assert not (project / "out" / "letters").exists()


HOSTNAME = Path("/etc/hostname")


def outside_file(tmp_path: Path) -> tuple[Path, str]:
    """A file outside the project, with text that would give away that it was read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("keycities-secret-8d41c3\n", encoding="utf-8")
    return secret, "keycities-secret-8d41c3"


def assert_not_shown(result: Any, text: str) -> None:
    """The text of a file outside the project appears nowhere in what the command said (as a whole word:
    a short host name may be part of a longer one)."""
    shown = re.search(rf"(?<![\w-]){re.escape(text.strip())}(?![\w-])", result.stdout + result.stderr)
    assert shown is None, f"{text.strip()!r} was shown:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("target", ["hostname", "outside file"])
def test_sandbox_keeps_the_tools_objects_out_of_reach(project: Path, tmp_path: Path, target: str) -> None:
    """The source notes (and through them the campaign, its folder, a path's methods) are not in a
    template's namespace: `place_value` finds them outside it."""
    if target == "hostname":
        if not HOSTNAME.is_file():
            pytest.skip("/etc/hostname does not exist here")
        path, text = HOSTNAME, f"Host: {HOSTNAME.read_text(encoding='utf-8').strip()}"
    else:
        path, text = outside_file(tmp_path)
    expression = f"{{{{ __notes__.campaign.folder.joinpath('{path}').read_text() }}}}"
    line = add_paragraph(project, f"Host: {expression}")
    result = build_pm(project, project / "out")
    stderr = assert_clean_failure(result)
    assert (
        f"error: cities-in-action/prime-minister: {LETTER}:{line}: '__notes__' is undefined; names "
        "available: "
    ) in stderr
    assert summary(result) == (0, 0, 1)
    assert_not_shown(result, text)
    assert not (project / "out" / "letters").exists()


def test_placed_figures_show_their_documented_properties_and_nothing_else(
    project: Path, book: FigureBook
) -> None:
    allowed = (
        "Shown: {{ figures.member.bournemouth.gva.missing }}; {{ figures.member.bournemouth.gva.why }}; "
        "{{ figures.group.gva.label }}; {{ figures.group.uplift.zero }}; "
        "{% for key, ask in asks.items() %}[{{ key }}: {{ ask.title }}]{% endfor %}"
    )
    add_paragraph(project, allowed)
    add_paragraph(project, "Method: {{ figures.group.gva.method }}")
    out = project / "out"
    result = build_pm(project, out, "--format", "docx")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    paragraphs = [p.text for p in word_text(out / "letters/cities-in-action/prime-minister.docx").body]
    [shown] = [text for text in paragraphs if text.startswith("Shown: ")]
    why = (book["member.bournemouth.gva"].why_missing or "").rstrip(".")
    assert why
    assert shown == (
        f"Shown: True; {why}; {book['group.gva'].label}; False; "
        "[partner: Work in partnership with mid-sized cities][trust: Trust mid-sized cities]"
        "[listen: Listen to mid-sized cities]"
    )
    assert squeeze(f"Method: {book['group.gva'].method}") in [squeeze(text) for text in paragraphs]

    # The figure behind a placed figure is not one of its documented properties.
    line = add_paragraph(project, "Value: {{ figures.group.gva.figure.value }}")
    failed = build_pm(project, project / "out-2", "--format", "docx")
    assert (
        f"error: cities-in-action/prime-minister: {LETTER}:{line}: access to attribute 'figure' of "
        "'FigureRef' object is unsafe"
    ) in assert_clean_failure(failed)
    assert summary(failed) == (0, 0, 1)
    assert not (project / "out-2" / "letters").exists()


# ---- Undefined names and missing figures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("{{ figures.group.gvaa }}", "'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?"),
        ("{{ nosuchname }}", "'nosuchname' is undefined"),
        ("{{ recipient.nmae }}", "'recipient.nmae' is undefined; did you mean `recipient.name`?"),
        ("{{ figures.grop.gva }}", "'figures.grop' is undefined; did you mean `figures.group.gva`?"),
    ],
)
def test_undefined_name_fails_with_its_line(project: Path, expression: str, named: str) -> None:
    line = add_paragraph(project, f"Figure: {expression}.")
    result = build_pm(project, project / "out")
    assert_clean_failure(result, f"{LETTER}:{line}: ", named)
    assert not (project / "out" / "letters").exists()


def test_failed_letter_writes_nothing_and_other_outputs_stay_byte_identical(project: Path) -> None:
    # Two letters to the Prime Minister, built once.
    second = project / "letters" / "second.md"
    second.write_text(
        (project / LETTER).read_text(encoding="utf-8").replace("to: [all]", "to: [prime-minister]"),
        encoding="utf-8",
    )
    out = project / "out"
    first = build_pm(project, out)
    assert first.exit_code == 0, first.stderr
    assert summary(first) == (2, 0, 0)
    before = files_under(out / "letters")
    assert sorted(before) == [
        "cities-in-action/prime-minister.docx",
        "cities-in-action/prime-minister.pdf",
        "second/prime-minister.docx",
        "second/prime-minister.pdf",
    ]
    # Now one letter breaks, and a new broken letter is added.
    broken_second = add_paragraph(project, "Figure: {{ figures.group.gvaa }}.", "letters/second.md")
    third = project / "letters" / "third.md"
    third.write_text(second.read_text(encoding="utf-8"), encoding="utf-8")
    broken_third = line_of(third, "{{ figures.group.gvaa }}")
    result = build_pm(project, out)
    assert_clean_failure(
        result,
        f"letters/second.md:{broken_second}: ",
        f"letters/third.md:{broken_third}: ",
        "'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?",
    )
    assert summary(result) == (0, 1, 2)
    # Nothing for the new letter; the old letters' files are exactly as they were.
    assert not (out / "letters" / "third").exists()
    assert files_under(out / "letters") == before
    assert not [path for path in out.rglob("*") if path.name.endswith(".tmp")]
    recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert sorted(entry["path"] for entry in recorded) == [f"letters/{name}" for name in sorted(before)]


def test_missing_figure_is_named(project: Path) -> None:
    line = add_paragraph(project, "Bournemouth: {{ figures.member.bournemouth.gva }}.")
    result = build_pm(project, project / "out")
    stderr = assert_clean_failure(result, f"{LETTER}:{line}: ", "Bournemouth", "member.bournemouth.gva")
    assert "figures.member.bournemouth.gva.missing" in stderr  # how to handle the gap
    assert not (project / "out" / "letters").exists()


def test_missing_figure_can_be_handled_in_the_template(project: Path) -> None:
    add_paragraph(
        project,
        "{% if figures.member.bournemouth.gva.missing %}Bournemouth's GVA is not published."
        "{% else %}Bournemouth's GVA is {{ figures.member.bournemouth.gva }}.{% endif %} "
        "{% if figures.member.wakefield.gva.missing %}Wakefield's GVA is not published."
        "{% else %}Wakefield's GVA is {{ figures.member.wakefield.gva | bare }}.{% endif %}",
    )
    out = project / "out"
    result = build_pm(project, out, "--format", "docx")
    assert result.exit_code == 0, result.stderr
    paragraphs = [p.text for p in word_text(out / "letters/cities-in-action/prime-minister.docx").body]
    placed = [text for text in paragraphs if text.startswith("Bournemouth's GVA")]
    assert len(placed) == 1
    expected = r"Bournemouth's GVA is not published\. Wakefield's GVA is £[\d.,]+(bn|m)\."
    assert re.fullmatch(expected, placed[0]), placed[0]


# ---- Stylesheets may not fetch -------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every attempt to resolve or connect is recorded and refused."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network use in a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("file:///etc/passwd", "file:///etc/passwd"),
        ("http://example.invalid/x.png", "http://example.invalid/x.png"),
        ("../../../../../../../etc/passwd", "file:///etc/passwd"),
    ],
)
def test_stylesheet_urls_outside_the_assets_are_refused(
    project: Path, no_network: list[tuple[Any, ...]], url: str, named: str
) -> None:
    css = project / "templates" / "print.css"
    css.write_text(
        css.read_text(encoding="utf-8") + f"\n.letterhead {{ background-image: url({url}); }}\n",
        encoding="utf-8",
    )
    out = project / "out"
    result = build_pm(project, out)
    assert_clean_failure(result, "cities-in-action/prime-minister", f"refused to fetch {named}")
    assert summary(result) == (0, 0, 1)
    assert not (out / "letters").exists()
    assert no_network == []


def test_stylesheet_urls_inside_the_assets_are_allowed(
    project: Path, no_network: list[tuple[Any, ...]]
) -> None:
    """The refusal above is about where the URL points, not about url() as such."""
    css = project / "templates" / "print.css"
    css.write_text(
        css.read_text(encoding="utf-8")
        + "\n.letterhead { background-image: url(../assets/signature.png); }\n",
        encoding="utf-8",
    )
    result = build_pm(project, project / "out", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert no_network == []


# ---- Front matter ---------------------------------------------------------------------------------

FRONT_MATTER_CASES = {
    # case: (old text, new text, the line's text in the edited file, words the message must contain)
    "bad yaml": (
        "signatory: peter-box",
        "signatory: peter-box: x",
        "signatory: peter-box: x",
        ("invalid YAML",),
    ),
    "unknown recipient": (
        "to: [all]",
        "to: [all, prime-minster]",
        "to: [all, prime-minster]",
        ("'prime-minster'", "matches no recipient"),
    ),
    "missing variant body": (
        "signatory: peter-box",
        "signatory: peter-box\nvariants:\n  - to: [tag:wales]\n    body: cities-in-action.wales.md",
        "body: cities-in-action.wales.md",
        ("letters/cities-in-action.wales.md",),
    ),
    "unknown role": (
        "to: [all]",
        "to:\n  - all\n  - role:lord-protector",
        "role:lord-protector",
        ("'role:lord-protector' matches no recipient",),
    ),
}


def _break_front_matter(project: Path, case: str) -> tuple[int, tuple[str, ...]]:
    old, new, needle, words = FRONT_MATTER_CASES[case]
    edit(project / LETTER, old, new)
    return line_of(project / LETTER, needle), words


@pytest.mark.parametrize("case", sorted(FRONT_MATTER_CASES))
def test_front_matter_problem_names_file_and_line(project: Path, case: str) -> None:
    line, words = _break_front_matter(project, case)
    result = letters(project, project / "out")
    stderr = assert_clean_failure(result, *words)
    # The file and line; the `letters/` folder is checked in the test below.
    assert re.search(rf"^error: (letters/)?cities-in-action\.md:{line}:", stderr, re.MULTILINE), stderr
    assert "nothing was written" in stderr
    assert not (project / "out").exists()


def test_front_matter_without_subject(project: Path) -> None:
    edit(project / LETTER, 'subject: "Key Cities: Cities in Action"\n', "")
    result = letters(project, project / "out")
    stderr = assert_clean_failure(result, "missing required key 'subject'")
    found = re.search(r"^error: (?:letters/)?cities-in-action\.md:(\d+):", stderr, re.MULTILINE)
    assert found, stderr
    closing_fence = (project / LETTER).read_text(encoding="utf-8").split("\n").index("---", 1) + 1
    assert 1 <= int(found[1]) < closing_fence  # within the front matter
    assert not (project / "out").exists()


def test_front_matter_without_fences(project: Path) -> None:
    edit(project / LETTER, "---\n", "")
    result = letters(project, project / "out")
    assert_clean_failure(result, f"{LETTER}:1: ", "front matter")


@pytest.mark.parametrize("case", sorted(FRONT_MATTER_CASES))
def test_front_matter_problem_names_the_letters_folder(project: Path, case: str) -> None:
    line, _ = _break_front_matter(project, case)
    result = letters(project, project / "out")
    assert_clean_failure(result, f"{LETTER}:{line}:")


@pytest.mark.parametrize("target", ["hostname", "outside file"])
@pytest.mark.parametrize("written", ["relative", "absolute"])
def test_a_variant_body_outside_the_letters_folder_is_not_read(
    project: Path, tmp_path: Path, target: str, written: str
) -> None:
    if target == "hostname":
        if not HOSTNAME.is_file():
            pytest.skip("/etc/hostname does not exist here")
        path, text = HOSTNAME, HOSTNAME.read_text(encoding="utf-8")
    else:
        path, text = outside_file(tmp_path)
    # `../../..` as far as the root, so that without the check the path would reach the file.
    name = os.path.relpath(path, project / "letters") if written == "relative" else str(path)
    assert (project / "letters" / name).resolve() == path.resolve()
    edit(
        project / LETTER,
        "signatory: peter-box\n",
        f"signatory: peter-box\nvariants:\n  - to: [prime-minister]\n    body: {name}\n",
    )
    line = line_of(project / LETTER, f"body: {name}")
    result = build_pm(project, project / "out")
    assert_clean_failure(
        result,
        f"error: {LETTER}:{line}: variants[0].body: no such file letters/{name}",
        "nothing was written",
    )
    assert_not_shown(result, text)
    assert not (project / "out").exists()


@pytest.mark.parametrize("key", ["css", "docx"])
def test_a_layout_outside_the_templates_folder_is_not_read(project: Path, tmp_path: Path, key: str) -> None:
    if key == "css":
        path = Path("/etc/passwd")
        if not path.is_file():
            pytest.skip("/etc/passwd does not exist here")
        text = path.read_text(encoding="utf-8").split("\n")[0]
    else:
        path = tmp_path / "reference.docx"
        path.write_bytes((project / "templates" / "reference.docx").read_bytes())
        text = ""
    name = os.path.relpath(path, project / "templates")
    assert (project / "templates" / name).resolve() == path.resolve()
    edit(project / LETTER, "signatory: peter-box\n", f"signatory: peter-box\ntemplate: {{{key}: {name}}}\n")
    line = line_of(project / LETTER, f"template: {{{key}: {name}}}")
    result = build_pm(project, project / "out")
    assert_clean_failure(
        result,
        f"error: {LETTER}:{line}: template.{key}: no such file templates/{name}",
        "nothing was written",
    )
    if text:
        assert_not_shown(result, text)
    assert not (project / "out").exists()


# ---- Variant bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cities-in-action.notes.md", "stray.md"])
def test_a_markdown_file_no_letter_names_is_an_error(project: Path, name: str) -> None:
    """A file without front matter is only ever a variant's body: one that no letter names (a body whose
    variant was deleted, notes left in letters/) is reported, not silently skipped."""
    (project / "letters" / name).write_text("Notes for the next letter.\n", encoding="utf-8")
    result = letters(project, project / "out")
    assert_clean_failure(
        result, f"error: letters/{name}:1: ", "a variant's body must be named by a letter's variants"
    )
    assert not (project / "out").exists()


def test_a_variant_body_may_have_any_name(project: Path) -> None:
    (project / "letters" / "wales-body.md").write_text(
        "This body, in a file of its own, goes to {{ recipient.office }} alone.\n", encoding="utf-8"
    )
    edit(
        project / LETTER,
        "signatory: peter-box\n",
        "signatory: peter-box\nvariants:\n  - to: [prime-minister]\n    body: wales-body.md\n",
    )
    out = project / "out"
    result = letters(project, out, "--format", "docx", "--recipient", "prime-minister")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert summary(result) == (1, 0, 0)
    body = [p.text for p in word_text(out / "letters/cities-in-action/prime-minister.docx").body]
    assert "This body, in a file of its own, goes to Prime Minister alone." in body
    assert not [text for text in body if "UK productivity growth is struggling" in text]
    assert sorted(files_under(out / "letters")) == ["cities-in-action/prime-minister.docx"]


def test_a_variant_for_nobody_in_the_list_is_a_warning(project: Path) -> None:
    edit(
        project / LETTER,
        "signatory: peter-box\n",
        'signatory: peter-box\nvariants:\n  - to: ["tag:nobody"]\n    subject: "Another subject"\n',
    )
    line = line_of(project / LETTER, '"tag:nobody"')
    out = project / "out"
    result = letters(project, out, "--format", "docx", "--recipient", "prime-minister")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert summary(result) == (1, 0, 0)
    assert (
        f"warning: {LETTER}:{line}: variants[0].to[0]: 'tag:nobody' matches no recipient in this list, so "
        "the variant is not used"
    ) in result.stderr
    assert "error:" not in result.stderr
    body = [p.text for p in word_text(out / "letters/cities-in-action/prime-minister.docx").body]
    assert "Key Cities: Cities in Action" in body
    assert "Another subject" not in body


def test_impossible_date_is_a_clean_error(project: Path) -> None:
    edit(project / LETTER, "date: 2019-02-04", "date: 2019-02-30")
    result = letters(project, project / "out")
    assert_clean_failure(result, "2019-02-30")


def test_bad_date_is_reported_on_its_line(project: Path) -> None:
    edit(project / LETTER, "date: 2019-02-04", "date: next tuesday")
    line = line_of(project / LETTER, "date: next tuesday")
    result = letters(project, project / "out")
    stderr = assert_clean_failure(result, "expected a date like 2019-02-04")
    assert re.search(rf"cities-in-action\.md:{line}: date: ", stderr), stderr


def test_undefined_name_in_postscript_names_its_line(project: Path) -> None:
    edit(project / LETTER, 'postscript: "', 'postscript: "{{ nosuchname }} ')
    line = line_of(project / LETTER, "postscript:")
    result = build_pm(project, project / "out")
    assert_clean_failure(result, f"{LETTER}:{line}: ", "'nosuchname' is undefined")
