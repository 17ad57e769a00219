"""Templates that try to change the data, that break, that run away, that print the tool's objects or that
read a file through a link out of the project (issue 9): each fails its own document with
`file:line: what is wrong; the fix` and no traceback, and the other documents of the same run are built
with the true figures.

Letters are built for the Prime Minister only, in this process, with one worker; a second, untouched
letter to the Prime Minister (`letters/zz-untouched.md`, built after the shipped one) stands for "the
other documents". Briefing packs are built for Swansea, which has an English and a Welsh pack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from documents import (
    assert_clean_failure,
    copy_project,
    edit,
    letters,
    line_of,
    pdf_lines,
    squeeze,
    summary,
)
from letters_support import word_text

from keycities.placing import ChartRef

LETTER = "letters/cities-in-action.md"
UNTOUCHED = "letters/zz-untouched.md"
ANCHOR = "With Brexit looming"  # the start of the shipped letter's last paragraph
PM_PDF = "letters/{name}/prime-minister.pdf"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with a second, untouched letter to the Prime Minister."""
    folder = copy_project(tmp_path / "project")
    shipped = (folder / LETTER).read_text(encoding="utf-8")
    (folder / UNTOUCHED).write_text(shipped.replace("to: [all]", "to: [prime-minister]"), encoding="utf-8")
    return folder


def add_paragraph(project: Path, text: str, letter: str = LETTER) -> int:
    """Put a paragraph before the letter's last one; return the line it is on."""
    edit(project / letter, ANCHOR, f"{text}\n\n{ANCHOR}")
    return line_of(project / letter, text)


def build_pm(project: Path, *args: str) -> Any:
    """Build every letter that goes to the Prime Minister, into project/out."""
    return letters(project, project / "out", "--recipient", "prime-minister", *args)


def pdf_text(path: Path) -> str:
    """A PDF's text on one line, without its note references."""
    return squeeze(" ".join(line.text_without_notes for line in pdf_lines(path)))


def assert_fails_alone(result: Any, project: Path, *needles: str) -> str:
    """The shipped letter failed with the needles in its message; the untouched one was built."""
    stderr = assert_clean_failure(result, *needles)
    assert summary(result) == (1, 0, 1), result.stdout
    assert not (project / "out" / "letters" / "cities-in-action").exists()
    assert (project / "out" / "letters" / "zz-untouched" / "prime-minister.docx").is_file()
    return stderr


# ---- 4. Templates cannot print the tool's objects ---------------------------------------------------


@pytest.mark.parametrize("name", ["__formatter__", "__notes__", "__charts__"])
def test_the_tools_objects_are_not_in_the_templates_namespace(project: Path, name: str) -> None:
    line = add_paragraph(project, f"Internal: {{{{ {name} }}}}")
    result = build_pm(project, "--format", "docx")
    stderr = assert_fails_alone(result, project, f"{LETTER}:{line}: '{name}' is undefined; names available: ")
    assert "Formatter(" not in stderr and "SourceNotes" not in stderr


@pytest.mark.parametrize(
    "expression",
    [
        "{{ '%r' % figures.group.gva }}",
        "{{ '%s' % figures.group.gva }}",
        "{{ figures.group.gva | string }}",
        "{{ '' ~ figures.group.gva }}",
        "{{ '{!r}'.format(figures.group.gva) }}",
    ],
)
def test_a_figure_turned_into_text_shows_its_name_only(project: Path, expression: str) -> None:
    add_paragraph(project, f"As text: {expression}")
    out = project / "out"
    result = build_pm(project)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    paragraphs = [p.text for p in word_text(out / "letters/cities-in-action/prime-minister.docx").body]
    assert "As text: figures.group.gva" in paragraphs
    pdf = pdf_text(out / PM_PDF.format(name="cities-in-action"))
    assert "As text: figures.group.gva" in pdf
    for text in (pdf, " ".join(paragraphs)):
        assert "FigureRef" not in text and "Figure(" not in text and "0x" not in text


def test_a_chart_turned_into_text_shows_its_name_only() -> None:
    chart = ChartRef("productivity", None)
    assert repr(chart) == str(chart) == "charts.productivity"


NOT_DATA = {
    # name: (the expression, what the message says)
    "all the figures": ("{{ figures }}", "a mapping cannot be placed whole; place one of its values"),
    "a group of figures": ("{{ figures.group }}", "a mapping cannot be placed whole"),
    "a list": ("{{ members }}", "a list cannot be placed whole"),
    "range": ("{{ range }}", "a function is not data and cannot be placed"),
    "lipsum": ("{{ lipsum }}", "a function is not data and cannot be placed"),
    "a macro": ("{% macro m() %}{% endmacro %}{{ m }}", "a Macro is not data and cannot be placed"),
    "self": ("{{ self }}", "a TemplateReference is not data and cannot be placed"),
    "a cycler": ("{{ cycler(1, 2) }}", "a Cycler is not data and cannot be placed"),
    "a namespace": ("{{ namespace(a=1) }}", "a Namespace is not data and cannot be placed"),
    "the loop": ("{% for m in members %}{{ loop }}{% endfor %}", "a LoopContext is not data"),
    "a function as text": ("{{ range | string }}", "a function is not data"),
}


@pytest.mark.parametrize("case", sorted(NOT_DATA))
def test_placing_what_is_not_data_fails_at_its_line(project: Path, case: str) -> None:
    expression, message = NOT_DATA[case]
    line = add_paragraph(project, f"Not data: {expression}")
    result = build_pm(project, "--format", "docx")
    stderr = assert_fails_alone(result, project, f"{LETTER}:{line}: {message}")
    assert "0x" not in stderr
