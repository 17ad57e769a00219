"""Templates that try to change the data, that break, that run away, that print the tool's objects or that
read a file through a link out of the project (issue 9): each fails its own document with
`file:line: what is wrong; the fix` and no traceback, and the other documents of the same run are built
with the true figures.

Letters are built for the Prime Minister only, in this process, with one worker; a second, untouched
letter to the Prime Minister (`letters/zz-untouched.md`, built after the shipped one) stands for "the
other documents". Briefing packs are built for Swansea, which has an English and a Welsh pack.
"""

from __future__ import annotations

import re
import resource
import signal
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from documents import (
    assert_clean_failure,
    briefings,
    copy_project,
    edit,
    generate,
    letters,
    line_of,
    pdf_lines,
    squeeze,
    summary,
)
from letters_support import word_text

from keycities.compose import limits as template_limits
from keycities.compose.limits import Limits
from keycities.compose.placing import ChartRef
from keycities.data.cities import Campaign
from keycities.figures.model import FigureBook
from keycities.formatting import Formatter

LETTER = "letters/cities-in-action.md"
UNTOUCHED = "letters/zz-untouched.md"
ANCHOR = "With Brexit looming"  # the start of the shipped letter's last paragraph
SECRET = "keycities-secret-8d41c3"
PM_PDF = "letters/{name}/prime-minister.pdf"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with a second, untouched letter to the Prime Minister; the letters carry their
    notes at their end, so that a broken letter fails alone (an enclosure would fail with it)."""
    folder = copy_project(tmp_path / "project")
    edit(folder / LETTER, "\nnotes: enclosure", "\nnotes: end")
    shipped = (folder / LETTER).read_text(encoding="utf-8")
    (folder / UNTOUCHED).write_text(shipped.replace("to: [all]", "to: [prime-minister]"), encoding="utf-8")
    return folder


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Limits:
    """A second of time and 128 MB of memory, so that a runaway template is stopped quickly."""
    limits = Limits(seconds=1.0, memory_mb=128)
    monkeypatch.setattr(template_limits, "LIMITS", limits)
    return limits


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


def everything_written(out: Path) -> str:
    """The text of every file a build wrote, Word files unzipped: to look for text that must not be there."""
    texts = []
    for path in sorted(out.rglob("*")):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        elif path.suffix == ".pdf":
            texts.append(pdf_text(path))
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def assert_fails_alone(result: Any, project: Path, *needles: str) -> str:
    """The shipped letter failed with the needles in its message; the untouched one was built."""
    stderr = assert_clean_failure(result, *needles)
    assert summary(result) == (1, 0, 1), result.stdout
    assert not (project / "out" / "letters" / "cities-in-action").exists()
    assert (project / "out" / "letters" / "zz-untouched" / "prime-minister.docx").is_file()
    return stderr


def figure_text(campaign: Campaign, book: FigureBook, name: str, language: str = "en-GB") -> str:
    formatter = Formatter(campaign.data.group.money_style, language)  # type: ignore[arg-type]
    return formatter.figure(book[name])


# ---- 1. Templates cannot change the data other documents see -------------------------------------


def test_a_letter_cannot_change_the_figures_another_letter_prints(
    project: Path, shipped: Campaign, book: FigureBook
) -> None:
    line = add_paragraph(
        project, '{% set _ = figures.group.update({"gva": figures.group.population}) %}Changed.'
    )
    result = build_pm(project, "--format", "pdf")
    stderr = assert_clean_failure(
        result, f"{LETTER}:{line}: access to attribute 'update' of 'dict' object is unsafe"
    )
    assert summary(result) == (1, 0, 1)
    assert "templates read data and place it" in stderr
    untouched = pdf_text(project / "out" / PM_PDF.format(name="zz-untouched"))
    gva = figure_text(shipped, book, "group.gva")
    assert f"Our collective annual GVA is {gva}, almost equivalent" in untouched
    assert not (project / "out" / "letters" / "cities-in-action").exists()


@pytest.mark.parametrize(
    "change",
    [
        "figures.group.pop('gva')",
        "figures.group.setdefault('gva_2', 1)",
        "figures.group.clear()",
        "figures.member.wakefield.popitem()",
        "members.append(members[0])",
        "members.pop()",
        "members.sort()",
        "asks.partner.update({'title': 'Changed'})",
        "group.contact.address.insert(0, 'Changed')",
    ],
)
def test_no_template_can_change_a_mapping_or_a_list(project: Path, change: str) -> None:
    line = add_paragraph(project, f"{{% set _ = {change} %}}Changed.")
    result = build_pm(project, "--format", "docx")
    assert_fails_alone(result, project, f"{LETTER}:{line}: access to attribute", "is unsafe")


def test_a_members_own_text_cannot_change_the_figures_of_another_pack(
    tmp_path: Path, shipped: Campaign, book: FigureBook
) -> None:
    """cities/swansea.md is a template too: its English pack is composed before its Welsh one."""
    project = copy_project(tmp_path / "project")
    local = project / "cities" / "swansea.md"
    local.write_text(
        local.read_text(encoding="utf-8") + '{% set _ = g.update({"gva": g.population}) %}\n',
        encoding="utf-8",
    )
    line = line_of(local, "g.update")
    # A case study in English needs one in Welsh, else the Welsh pack stops for want of it.
    welsh_local = project / "cities" / "swansea.cy.md"
    welsh_local.write_text(welsh_local.read_text(encoding="utf-8") + "Testun prawf.\n", encoding="utf-8")
    result = briefings(project, project / "out", "--city", "swansea", "--format", "pdf")
    assert_clean_failure(result, f"cities/swansea.md:{line}: access to attribute 'update' of 'dict'")
    assert summary(result) == (1, 0, 1)
    welsh = [line.text_without_notes for line in pdf_lines(project / "out/briefings/swansea.cy.pdf")]
    [gva_row] = [line for line in welsh if line.startswith("GVA £")]  # member, group (total), benchmark
    group_gva = re.escape(figure_text(shipped, book, "group.gva", "cy"))
    assert re.search(rf" {group_gva} \(cyfanswm\) ", gva_row), gva_row
    assert not (project / "out" / "briefings" / "swansea.pdf").exists()


# ---- 2. A slip in a template fails its document, at its line, without a traceback ----------------

SLIPS = {
    # name: (the expression, what the message says)
    "precision of text": ('{{ "x" | precision(1) }}', "the precision filter applies to a figure"),
    "precision given text": (
        '{{ figures.group.gva | precision("a") }}',
        "precision takes a whole number of decimal places from 0 to 6, not 'a'",
    ),
    "negative precision": ("{{ figures.group.gva | precision(-1) }}", "from 0 to 6, not -1"),
    "huge precision": ("{{ figures.group.gva | precision(1000) }}", "from 0 to 6, not 1000"),
    "millions of text": ("{{ 'x' | millions }}", "the millions filter applies to a figure"),
    "lowerfirst of a number": ("{{ 5 | lowerfirst }}", "the lowerfirst filter applies to text"),
    "recursion": (
        "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}{{ again(0) }}",
        "the template recurses without end (a macro that calls itself, a file that includes itself)",
    ),
    "division by zero": ("{{ 1 / 0 }}", "division by zero (ZeroDivisionError)"),
    "overflow": ("{{ 10.0 ** 400 }}", "(OverflowError)"),
    "wrong type": ('{{ 1 + "a" }}', "unsupported operand type(s) for +: 'int' and 'str' (TypeError)"),
    "wrong format": ('{{ "%d" % "x" }}', "(TypeError)"),
    "bad value": (
        '{{ "{:d}".format("x") }}',
        "Unknown format code 'd' for object of type 'str' (ValueError)",
    ),
    "missing key": ('{{ "{a}".format() }}', "'a' (KeyError)"),
    "filter of the wrong type": ("{{ 5 | dictsort }}", "(AttributeError)"),
}


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_a_slip_fails_only_its_document_at_its_line(project: Path, slip: str) -> None:
    expression, message = SLIPS[slip]
    line = add_paragraph(project, f"Slip: {expression}")
    result = build_pm(project, "--format", "docx")
    assert_fails_alone(result, project, f"error: cities-in-action/prime-minister: {LETTER}:{line}: ", message)


def test_a_slip_in_a_postscript_is_reported_at_its_line_in_the_front_matter(project: Path) -> None:
    edit(project / LETTER, 'postscript: "', 'postscript: "{{ 1 / 0 }} ')
    line = line_of(project / LETTER, "postscript:")
    result = build_pm(project, "--format", "docx")
    assert_fails_alone(result, project, f"{LETTER}:{line}: division by zero (ZeroDivisionError)")


def test_generate_build_reports_each_broken_letter_and_builds_the_others(project: Path) -> None:
    """As the README runs it: one broken letter per kind of slip, and the untouched letter."""
    broken = {
        "a-precision": '{{ "x" | precision(1) }}',
        "b-recursion": "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
        "c-division": "{{ 1 / 0 }}",
        "d-type": '{{ 1 + "a" }}',
        "e-overflow": "{{ 10.0 ** 400 }}",
        "f-range": "{% for i in range(10**9) %}{% endfor %}",
    }
    shipped = (project / UNTOUCHED).read_text(encoding="utf-8")
    lines = {}
    for name, expression in broken.items():
        path = project / "letters" / f"{name}.md"
        path.write_text(shipped.replace(ANCHOR, f"Broken: {expression}\n\n{ANCHOR}"), encoding="utf-8")
        lines[name] = line_of(path, "Broken: ")
    out = project / "generated"
    result = generate(
        "build", "--recipient", "prime-minister", "--format", "pdf", "--out", out, project=project
    )
    assert result.exit_code == 1, result.describe()
    assert "Traceback" not in result.stdout + result.stderr
    for name, line in lines.items():
        assert f"error: {name}/prime-minister: letters/{name}.md:{line}: " in result.stderr, result.describe()
    assert summary(result) == (2, 0, len(broken))  # the shipped letter and the untouched one
    assert (out / PM_PDF.format(name="zz-untouched")).is_file()
    assert (out / PM_PDF.format(name="cities-in-action")).is_file()
    assert not [name for name in broken if (out / "letters" / name).exists()]


# ---- 3. Limits: a runaway template is stopped, at its line, saying which limit -----------------------

LIMITED = {
    # name: (the expression, what the message says)
    "huge power": ("{{ 9 ** (9 ** 9) }}", "a number of more than 1,000 digits"),
    "huge product": ("{{ (10 ** 999) * (10 ** 999) }}", "a number of more than 1,000 digits"),
    "huge range": ("{% for i in range(10 ** 9) %}{% endfor %}", "a range of more than 10,000 items"),
    "nested huge ranges": (
        "{% for i in range(10 ** 5) %}{% for j in range(10 ** 5) %}{% endfor %}{% endfor %}",
        "a range of more than 10,000 items",
    ),
    "nested loops": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "the template ran for more than 1 s",
    ),
    "repeated text": ("{{ 'x' * 10 ** 9 }}", "text of more than 200,000 characters"),
    "repeated list": ("{{ [1] * 10 ** 9 }}", "a list of more than 10,000 items"),
    "center": ("{{ 'x' | center(10 ** 9) }}", "a width of more than 1,000 characters (| center)"),
    "center, constant": ("{{ 'x' | center(1000000000) }}", "a width of more than 1,000 characters"),
    "indent": ("{{ 'x' | indent(10 ** 9) }}", "a width of more than 1,000 characters (| indent)"),
    "wordwrap": ("{{ 'x' | wordwrap(10 ** 9) }}", "a width of more than 1,000 characters (| wordwrap)"),
    "format filter": (
        '{{ "%999999999s" | format("x") }}',
        "a width of more than 1,000 characters (%999999999s)",
    ),
    "percent": ('{{ "%.999999999f" % 1 }}', "a width of more than 1,000 characters (%.999999999f)"),
    "percent star": ('{{ "%*d" % (999999999, 1) }}', "a width taken from the values (%*d)"),
    "str.format": (
        '{{ "{:>999999999}".format("x") }}',
        "a width of more than 1,000 characters ({:>999999999})",
    ),
    "ljust": ("{{ 'x'.ljust(10 ** 9) }}", "a width of more than 1,000 characters (.ljust())"),
    "batch": ("{{ [1] | batch(10 ** 9, 0) | list }}", "| batch of more than 10,000"),
    "doubling macro": (
        '{% macro double(s) %}{{ double(s ~ s) }}{% endmacro %}{{ double("x") }}',
        "the template needed more than 128 MB of memory",
    ),
    "long document": (
        "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
        "the document's text passed 200,000 characters",
    ),
}


@pytest.mark.parametrize("case", sorted(LIMITED))
def test_a_runaway_template_is_stopped_at_its_line(project: Path, small_limits: Limits, case: str) -> None:
    expression, message = LIMITED[case]
    line = add_paragraph(project, f"Runaway: {expression}")
    started = time.monotonic()
    result = build_pm(project, "--format", "docx")
    assert time.monotonic() - started < 30
    assert_fails_alone(result, project, f"error: cities-in-action/prime-minister: {LETTER}:{line}: ", message)


def test_the_limits_are_lifted_after_each_document(project: Path, small_limits: Limits) -> None:
    """Memory, the alarm and its handler are as they were, after a document that hit a limit."""

    def handler(signum: int, frame: Any) -> None:
        raise AssertionError("the alarm set before the build went off during it")

    before = resource.getrlimit(resource.RLIMIT_DATA)
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 3600)
    try:
        add_paragraph(project, '{% macro double(s) %}{{ double(s ~ s) }}{% endmacro %}{{ double("x") }}')
        result = build_pm(project, "--format", "docx")
        assert_fails_alone(result, project, "more than 128 MB of memory")
        assert resource.getrlimit(resource.RLIMIT_DATA) == before
        assert signal.getsignal(signal.SIGALRM) is handler
        assert 3500 < signal.getitimer(signal.ITIMER_REAL)[0] <= 3600
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
    "a function formatted": ("{{ '%s' % lipsum }}", "only data can be formatted into text"),
}


@pytest.mark.parametrize("case", sorted(NOT_DATA))
def test_placing_what_is_not_data_fails_at_its_line(project: Path, case: str) -> None:
    expression, message = NOT_DATA[case]
    line = add_paragraph(project, f"Not data: {expression}")
    result = build_pm(project, "--format", "docx")
    stderr = assert_fails_alone(result, project, f"{LETTER}:{line}: {message}")
    assert "0x" not in stderr


# ---- 5. Links in template folders cannot bring in a file from outside ---------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the project whose text would give away that it was read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    path = folder / "secret.md"
    path.write_text(f"The secret: {SECRET}\n", encoding="utf-8")
    return path


LINKED = {
    # how: (where the link is, relative to the project; the statement that reads it; the link as named)
    "include": ("templates/part.md", '{% include "part.md" %}', "templates/part.md"),
    "import": ("templates/part.md", '{% import "part.md" as part %}', "templates/part.md"),
    "extends": ("templates/part.md", '{% extends "part.md" %}', "templates/part.md"),
    "include from letters/": (
        "letters/parts/part.md",
        '{% include "parts/part.md" %}',
        "letters/parts/part.md",
    ),
    "a linked folder": ("templates/parts", '{% include "parts/secret.md" %}', "templates/parts"),
}


@pytest.mark.parametrize("how", sorted(LINKED))
def test_a_link_out_of_a_template_folder_is_refused(project: Path, secret: Path, how: str) -> None:
    where, statement, named = LINKED[how]
    link = project / where
    link.parent.mkdir(parents=True, exist_ok=True)
    target = secret.parent if how == "a linked folder" else secret
    link.symlink_to(target)
    add_paragraph(project, statement)
    result = build_pm(project)
    stderr = assert_fails_alone(
        result,
        project,
        f"error: cities-in-action/prime-minister: {named}: a link to {target}, which is outside",
        "replace the link with a copy of the file, inside the folder",
    )
    assert SECRET not in result.stdout + stderr
    assert SECRET not in everything_written(project / "out")


@pytest.mark.parametrize("linked", ["the file", "the folder"])
def test_a_link_in_a_members_template_folder_is_refused(tmp_path: Path, secret: Path, linked: str) -> None:
    """templates/swansea/briefing.md replaces Swansea's English pack (the Welsh one uses the default)."""
    project = copy_project(tmp_path / "project")
    if linked == "the file":
        (project / "templates" / "swansea").mkdir()
        secret.rename(secret.parent / "briefing.md")
        link, target = project / "templates" / "swansea" / "briefing.md", secret.parent / "briefing.md"
    else:
        secret.rename(secret.parent / "briefing.md")
        link, target = project / "templates" / "swansea", secret.parent
    link.symlink_to(target)
    out = project / "out"
    result = briefings(project, out, "--city", "swansea", "--format", "pdf")
    named = link.relative_to(project)
    stderr = assert_clean_failure(
        result, f"error: briefings/swansea: {named}: a link to {target}, which is outside templates/"
    )
    assert summary(result) == (1, 0, 1)
    assert (out / "briefings" / "swansea.cy.pdf").is_file()
    assert SECRET not in result.stdout + stderr
    assert SECRET not in everything_written(out)


def test_an_included_file_that_is_not_utf8_is_named_with_its_line(project: Path) -> None:
    (project / "templates" / "part.md").write_bytes(b"A first line.\nCaf\xe9, in Latin-1.\n")
    add_paragraph(project, '{% include "part.md" %}')
    result = build_pm(project, "--format", "docx")
    assert_fails_alone(
        result, project, "error: cities-in-action/prime-minister: templates/part.md:2: not UTF-8 text ("
    )


@pytest.fixture(autouse=True)
def no_alarm_left() -> Iterator[None]:
    """No test leaves an alarm set or a handler installed."""
    handler = signal.getsignal(signal.SIGALRM)
    yield
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler
