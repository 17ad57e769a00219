"""`generate.py check` compiles every template and composes every document (each letter for each of its
recipients, each member's pack in each language) without rendering them: every problem is listed at once
with its file and line, an unknown name with the nearest names there are, and a problem shared by many
documents once, naming them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from documents import PROJECT_ROOT, assert_clean_failure, copy_project, edit, invoke, line_of

MP_LETTER = "letters/cities-in-action-mps.md"
LETTER = "letters/cities-in-action.md"
MP_COUNT = 73  # the MPs of recipients/members-mps-2019.csv
DOCUMENTS = 9 + MP_COUNT + 25  # the 2019 letter's recipients, the MPs, the members' packs (Swansea's twice)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def check(project: Path) -> Result:
    return invoke("check", "--project", project)


def errors(result: Result) -> list[str]:
    return [line.removeprefix("error: ") for line in result.stderr.splitlines() if line.startswith("error: ")]


def test_the_shipped_project_composes_every_document() -> None:
    result = check(PROJECT_ROOT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(f"; {DOCUMENTS} documents composed.")
    assert not errors(result)


def test_check_draws_no_chart() -> None:
    """Drawing the packs' charts is most of what composing them costs: check composes without it."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom keycities.check import check\n"
        f"print(check(Path({str(PROJECT_ROOT)!r})).summary)\nprint('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    summary, matplotlib_loaded = done.stdout.splitlines()
    assert summary.endswith(f"{DOCUMENTS} documents composed.")
    assert matplotlib_loaded == "False"


def test_a_syntax_error_in_a_letter_and_an_unknown_name_in_a_members_text_are_found_together(
    project: Path,
) -> None:
    edit(project / LETTER, "{{ figures.group.gva }}, almost", "{{ figures.group.gva }, almost")
    syntax_line = line_of(project / LETTER, "{{ figures.group.gva }, almost")
    wakefield = project / "cities" / "wakefield.md"
    edit(wakefield, "{{ m.gva_per_filled_job }}", "{{ m.gva_per_filed_job }}")
    name_line = line_of(wakefield, "m.gva_per_filed_job")
    result = check(project)
    assert_clean_failure(result)
    assert errors(result) == [
        f"{LETTER}:{syntax_line}: unexpected '}}'",  # once, not once for each of its 9 recipients
        f"briefings/wakefield: cities/wakefield.md:{name_line}: 'm.gva_per_filed_job' is undefined; "
        "did you mean `m.gva_per_filled_job`, `m.gva_per_filled_job_rank` or "
        "`m.gva_per_filled_job_ratio_to_england`?",
    ]
    assert result.stderr.splitlines()[-1] == "2 problems found; nothing was written"
    # The report is still shown, and says how many documents failed.
    assert result.stdout.splitlines()[0] == "Headline figures, from the latest data"
    assert result.stdout.splitlines()[-1].endswith(
        f"; {DOCUMENTS} documents composed, 10 of them failed (the problems below)."
    )


def test_an_unknown_figure_is_reported_with_the_nearest_figure_names(project: Path) -> None:
    edit(project / LETTER, "{{ figures.group.gva }}, almost", "{{ figures.group.gvaa }}, almost")
    line = line_of(project / LETTER, "figures.group.gvaa")
    result = check(project)
    assert errors(result) == [
        f"cities-in-action (all 9 recipients' letters): {LETTER}:{line}: 'figures.group.gvaa' is undefined; "
        "did you mean `figures.group.gva`?"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("figures.grop.gva", "'figures.grop' is undefined; did you mean `figures.group.gva`?"),
        (
            "figures.group.gva.yeer",
            "'figures.group.gva.yeer' is undefined; did you mean `figures.group.gva.year`?",
        ),
        ("asks.partner.titel", "'asks.partner.titel' is undefined; did you mean `asks.partner.title`?"),
        ("recipient.nmae", "'recipient.nmae' is undefined; did you mean `recipient.name`?"),
        (
            "figures.group.zzz",
            "'figures.group.zzz' is undefined; figures.group has member_count, population, gva,",
        ),
        (
            "grup.name",
            "'grup' is undefined; names available: asks, data_year, figures, group, letter, local,",
        ),
    ],
)
def test_unknown_names_are_named_as_written_with_what_there_is(
    project: Path, written: str, message: str
) -> None:
    edit(project / LETTER, "{{ figures.group.gva }}, almost", f"{{{{ {written} }}}}, almost")
    line = line_of(project / LETTER, written)
    result = check(project)
    [error] = errors(result)
    assert error.startswith(f"cities-in-action (all 9 recipients' letters): {LETTER}:{line}: {message}"), (
        error
    )
    if written.startswith("figures.group.zzz"):
        assert error.endswith("; `generate.py check --list` lists every figure")
    if written == "grup.name":
        assert error.endswith("; did you mean `group`?")


def test_a_problem_in_every_mps_letter_is_reported_once(project: Path) -> None:
    edit(project / MP_LETTER, "{{ figures.group.gva }}", "{{ figures.group.gvaa }}")
    line = line_of(project / MP_LETTER, "figures.group.gvaa")
    result = check(project)
    assert errors(result) == [
        f"cities-in-action-mps (all {MP_COUNT} recipients' letters): {MP_LETTER}:{line}: "
        "'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?"
    ]
    assert result.stderr.splitlines()[-1] == "1 problem found; nothing was written"


def test_a_problem_in_some_mps_letters_names_the_first_few(project: Path) -> None:
    """Only the MPs whose constituency lies partly in a member city reach the broken line."""
    edit(
        project / MP_LETTER,
        "Part of your constituency, {{",
        "Part of your constituency, {{ local.upliftt }}{{",
    )
    line = line_of(project / MP_LETTER, "local.upliftt")
    partly = [
        row.split(",")[0]
        for row in (project / "recipients" / "members-mps-2019.csv").read_text(encoding="utf-8").splitlines()
        if re.search(r",part(,|$)", row)
    ]
    assert 3 < len(partly) < MP_COUNT
    result = check(project)
    assert errors(result) == [
        f"cities-in-action-mps (the letters to {', '.join(partly[:3])} and {len(partly) - 3} more): "
        f"{MP_LETTER}:{line}: 'local.upliftt' is undefined; did you mean `local.uplift`?"
    ]


def test_a_syntax_error_in_a_variant_no_one_gets_and_in_an_email_is_found(project: Path) -> None:
    (project / "letters" / "unused.md").write_text("Text.\n\n{% if %}\n", encoding="utf-8")
    edit(
        project / LETTER,
        "signatory: peter-box\n",
        "signatory: peter-box\nvariants:\n  - to: [tag:nobody]\n    body: unused.md\n"
        'email:\n  subject: "{{ letter.subject "\n  body: Hello.\n',
    )
    subject_line = line_of(project / LETTER, '  subject: "{{ letter.subject')
    result = check(project)
    found = errors(result)
    assert "letters/unused.md:3: Expected an expression, got 'end of statement block'" in found
    assert any(error.startswith(f"{LETTER}:{subject_line}: ") for error in found), found
    assert len(found) == 2, found
