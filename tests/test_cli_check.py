"""`generate.py check` on the shipped data: the headline table (from the latest data), the claims against
the data of their year, the warnings and notices, `--sources`, `--list`, and the help and version of the
command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner, Result

from keycities import __version__
from keycities.cli import cli

ROOT = Path(__file__).resolve().parent.parent
RAW = yaml.safe_load((ROOT / "cities.yaml").read_text(encoding="utf-8"))
DATA_SOURCES = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["source"]
    for path in sorted((ROOT / "data").glob("*.yaml"))
}
# the member list's sources, or the file itself when it names none
MEMBERSHIP_SOURCES = ", ".join(sorted(RAW["group"].get("membership_sources") or [])) or "cities.yaml"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def shipped_check() -> Result:
    result = run("check", "--project", str(ROOT))
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result


def row(text: str, starts: str) -> str:
    """The one line of `text` that starts with `starts`."""
    rows = [line for line in text.splitlines() if line.startswith(starts)]
    assert len(rows) == 1, (starts, rows)
    return rows[0]


def cells(line: str) -> list[str]:
    """The cells of a table row (columns are separated by two or more spaces)."""
    return re.split(r"\s{2,}", line.strip())


# -- the headline table ------------------------------------------------------------------------------


def test_check_exits_zero_and_says_its_headlines_are_the_latest(shipped_check):
    assert shipped_check.stdout.splitlines()[0] == "Headline figures, from the latest data"
    assert "Traceback" not in shipped_check.output


PRODUCTIVITY = "ons-productivity-itl-2024, ons-productivity-la-2024"


@pytest.mark.parametrize(
    ("label", "value", "year", "coverage", "sources"),
    [
        ("Member cities", "24", "-", "24 of 24 members", MEMBERSHIP_SOURCES),
        (  # Bournemouth's own figure is of 2017 only
            "Combined population, mid-2020",
            "6,283,508 (6.3 million)",
            "2020",
            "23 of 24 members",
            "ons-population-la-2022",
        ),
        ("Collective GVA, 2020", "£143.4bn", "2020", "23 of 24 members", "ons-gva-la-2022"),
        ("GVA, 2020, Scotland", "£145.2bn", "2020", "-", "ons-gva-la-2022"),
        (
            "Collective GVA as a share of Scotland's GVA, 2020",
            "98.7%",
            "2020",
            "23 of 24 members",
            "ons-gva-la-2022",
        ),
        ("Filled jobs, 2022", "2,893,788", "2022", "22 of 24 members", "ons-productivity-la-2024"),
        (
            "Median GVA per filled job across members, 2022",
            "£49,553",
            "2022",
            "21 of 24 members",
            "ons-productivity-la-2024",
        ),
        ("GVA per filled job, 2022, England", "£62,751", "2022", "-", "ons-productivity-itl-2024"),
        ("Added each year at the England average", "£31.0bn", "2022", "22 of 24 members", PRODUCTIVITY),
        ("Added by 2029 at the England average", "£310.1bn", "2022", "22 of 24 members", PRODUCTIVITY),
    ],
)
def test_headline_rows(shipped_check, label, value, year, coverage, sources):
    assert cells(row(shipped_check.stdout, label + "  ")) == [label, value, year, coverage, sources]


def test_headline_table_has_a_header_and_a_rule(shipped_check):
    lines = shipped_check.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("Figure ")))
    assert cells(lines[header]) == ["Figure", "Value", "Year", "Coverage", "Sources"]
    assert set(lines[header + 1]) == {"-", " "}


def test_the_summary_line_counts_members_and_figures(shipped_check, book):
    # recipients: the 9 of recipients.yaml and the 73 MPs of the MP letter's own list
    assert shipped_check.stdout.splitlines()[-1] == (
        f"24 members, 82 recipients and 2 letters valid; {len(book.figures)} figures computed; "
        "107 documents composed."
    )


# -- the claims --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (
            "Our collective annual GVA is £130.5bn",
            ["£130.5bn", "£137.2bn", "+£6.7bn (+5.2%)", "differs"],
        ),
        ("almost equivalent to the annual GVA of Scotland", ["-", "98.8%", "-", "holds"]),
        (
            "we will contribute an additional £258bn to the UK economy by 2029",
            ["£258bn", "£262bn", "+£4.5bn (+1.7%)", "differs"],
        ),
        ("home to a combined population of 6.4 million", ["6.4 million", "6.4 million", "-", "matches"]),
        ("24 mid-sized cities in the Key Cities Group", ["24", "24", "-", "matches"]),
    ],
)
def test_claims_table(shipped_check, claim, expected):
    # the claims of 2017 beside the figures of 2017, not the latest headlines
    assert cells(row(shipped_check.stdout, f"“{claim}”  ")) == [f"“{claim}”", *expected]


def test_every_claim_in_the_file_is_in_the_table(shipped_check):
    start = shipped_check.stdout.index("Published claims against the data")
    table = shipped_check.stdout[start:]
    for claim in RAW["claims"]:
        assert f"“{claim['text']}”" in table


def claim_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.match(r"warning: cities\.yaml:\d+: claims\[", line)]


def test_warnings_for_the_two_differing_claims_name_their_line(shipped_check):
    lines = (ROOT / "cities.yaml").read_text(encoding="utf-8").splitlines()
    warnings = claim_warnings(shipped_check.stderr)
    differing = [
        (0, "collective-gva", "Collective GVA, 2017: £137.2bn"),
        (2, "uplift", "Added by 2029 at the England average: £262.5bn"),
    ]
    assert len(warnings) == len(differing)
    for warning, (index, key, computed) in zip(warnings, differing, strict=True):
        claim = RAW["claims"][index]
        assert claim["key"] == key
        line = lines.index(f"  - key: {key}") + 1
        assert warning == (
            f"warning: cities.yaml:{line}: claims[{index}]: “{claim['text']}” differs from the data "
            f"({computed}; source cities-in-action-2019); update the claim or note the vintage it used"
        )


def test_a_claim_that_does_not_hold_is_a_warning_too(project_copy):
    project_copy.edit("holds_between: [0.9, 1.0]", "holds_between: [0.5, 0.9]")
    line = project_copy.line_of("  - key: scotland", after="\nclaims:\n")
    result = run("check", "--project", str(project_copy.folder))
    assert result.exit_code == 0
    assert "does not hold" in row(result.stdout, "“almost equivalent to the annual GVA of Scotland”  ")
    assert (
        f"warning: cities.yaml:{line}: claims[1]: “almost equivalent to the annual GVA of Scotland” does not "
        "hold from the data (Collective GVA as a share of Scotland's GVA, 2017: 98.8%;"
    ) in result.stderr


def test_a_corrected_claim_matches_and_its_warning_goes(project_copy):
    project_copy.edit("Our collective annual GVA is £130.5bn", "Our collective annual GVA is £137.2bn")
    project_copy.edit("published: 130500000000", "published: 137200000000")
    result = run("check", "--project", str(project_copy.folder))
    assert result.exit_code == 0
    assert cells(row(result.stdout, "“Our collective annual GVA is £137.2bn”  "))[-1] == "matches"
    assert "collective annual GVA" not in result.stderr
    assert len(claim_warnings(result.stderr)) == 1
    assert "“Our collective annual GVA" not in result.stdout.split("Why the claims differ")[1]


def test_govuk_money_style_applies_to_the_whole_check(project_copy):
    project_copy.edit("money_style: house", "money_style: govuk")
    result = run("check", "--project", str(project_copy.folder))
    assert result.exit_code == 0
    assert cells(row(result.stdout, "Collective GVA, 2020  "))[1] == "£143.4 billion"
    assert cells(row(result.stdout, "“Our collective annual GVA is £130.5bn”  "))[1:3] == [
        "£130.5 billion",
        "£137.2 billion",
    ]
    assert "£137.2bn" not in result.stdout and "£143.4bn" not in result.stdout


# -- notices: documents dated before the releases they cite ------------------------------------------


def test_each_letter_and_the_packs_are_noticed_once_for_citing_later_releases(shipped_check):
    notices = [line for line in shipped_check.stderr.splitlines() if "cites releases published after" in line]
    assert len(notices) == 3
    mp_letter, letter, packs = notices  # the letters in name order, then the packs
    assert letter.startswith("warning: letters/cities-in-action.md: dated 2019-02-04, it cites releases ")
    assert mp_letter.startswith(
        "warning: letters/cities-in-action-mps.md: dated 2019-02-04, it cites releases "
    )
    assert packs.startswith("warning: briefing packs: dated 2019-02-04, it cites releases ")
    for notice in notices:
        assert notice.endswith("allowed, but its figures are not those that were current on its date")
        for key in ("ons-gva-la-2021", "ons-population-la-2021", "ons-productivity-la-2024"):
            assert DATA_SOURCES[key]["title"] in notice, key
        # the 2017 figures come from the earliest releases: the later one of the same year is not cited
        assert DATA_SOURCES["ons-gva-la-2022"]["title"] not in notice


# -- --sources ---------------------------------------------------------------------------------------


def test_sources_lists_every_source(project_root):
    result = run("check", "--project", str(project_root), "--sources")
    assert result.exit_code == 0
    section = result.stdout[result.stdout.index("\nSources\n") :]
    every = RAW["sources"] | DATA_SOURCES  # cities.yaml's and each data file's release
    assert len(every) == len(RAW["sources"]) + len(DATA_SOURCES)
    for key, source in every.items():
        line = row(section, key + "  ")
        assert source["url"] in line
        assert source["title"] in line
        assert str(source.get("released", "-")) in line
    assert len([line for line in section.splitlines() if line.split(" ")[0] in every]) == len(every)


def test_list_gives_every_figures_name_label_value_year_and_release(book):
    result = run("check", "--list", "--project", str(ROOT))
    assert result.exit_code == 0, result.output
    section = result.stdout[result.stdout.index("Figures (in templates: {{ figures.<name> }})") :]
    assert "from the latest data" in section.splitlines()[0]
    assert cells(section.splitlines()[2]) == ["Name", "Label", "Value", "Year", "Release"]
    expected = {
        "group.gva": ["group.gva", "Collective GVA, 2020", "£143.4bn", "2020", "ons-gva-la-2022"],
        "member.wakefield.gva_per_hour": [
            "member.wakefield.gva_per_hour",
            "GVA per hour worked, 2022, Wakefield",
            "£34.10",
            "2022",
            "ons-productivity-la-2024",
        ],
        "member.bournemouth.gva": [
            "member.bournemouth.gva", "GVA, 2020, Bournemouth", "missing", "2020", "-",
        ],
        "group.member_count": ["group.member_count", "Member cities", "24", "-", MEMBERSHIP_SOURCES],
    }  # fmt: skip
    for name, expected_cells in expected.items():
        assert cells(row(section, name + "  ")) == expected_cells
    listed = [line.split(" ")[0] for line in section.splitlines()[4:] if line and not line.startswith(" ")]
    assert set(book.figures) <= set(listed)


def test_sources_are_not_listed_without_the_option(shipped_check):
    assert "\nSources\n" not in shipped_check.stdout


# -- the project folder ------------------------------------------------------------------------------


def test_the_project_folder_can_come_from_the_environment(shipped_check):
    result = run("check", env={"KEYCITIES_PROJECT": str(ROOT)})
    assert result.exit_code == 0
    assert result.stdout == shipped_check.stdout


def test_generate_py_runs_check_on_the_shipped_data_from_any_folder(tmp_path, shipped_check):
    env = {key: value for key, value in os.environ.items() if key != "KEYCITIES_PROJECT"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == shipped_check.stdout
    assert done.stderr == shipped_check.stderr


# -- help and version --------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_group_help(option):
    result = run(option)
    assert result.exit_code == 0
    assert "Letters and briefing packs for the Key Cities Group" in result.stdout
    for name in cli.commands:
        assert re.search(rf"^\s+{re.escape(name)}\b", result.stdout, re.MULTILINE), name


def test_every_command_has_help_text():
    assert "check" in cli.commands
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help text"
        result = run(name, "--help")
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout.startswith("Usage: ")
        assert f" {name} " in result.stdout.splitlines()[0]
        first_sentence = " ".join(command.help.split()).split(". ")[0]
        assert first_sentence in " ".join(result.stdout.split())
        for parameter in command.params:
            if isinstance(parameter, click.Option) and not parameter.hidden:
                assert parameter.help, f"{name} {parameter.opts[0]} has no help text"


def test_check_help_lists_its_options():
    result = run("check", "--help")
    assert result.exit_code == 0
    for option in ("--project", "--strict", "--sources"):
        assert option in result.stdout


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"keycities, version {__version__}\n"
    assert __version__ == "0.1.0"


def test_an_unknown_command_is_a_usage_error():
    result = run("chekc")
    assert result.exit_code == 2
    assert "No such command 'chekc'" in result.stderr


# -- edge cases found in review ---------------------------------------------------------------------


def test_the_option_named_in_the_unknown_figure_message_exists(book):
    from keycities.errors import FigureError

    with pytest.raises(FigureError) as caught:
        book["group.gdp"]
    assert "generate.py check --list" in str(caught.value)
    result = run("check", "--list", "--project", str(ROOT))
    assert result.exit_code == 0, result.output


def test_a_missing_scotland_comparator_is_a_located_problem(project_copy):
    project_copy.edit("  - key: scotland\n    name: Scotland", "  - key: alba\n    name: Scotland")
    result = run("check", "--project", str(project_copy.folder))
    assert result.exit_code == 1
    assert re.match(r"error: cities\.yaml:\d+: ", result.stderr), result.stderr


def test_check_reads_the_recipients_too(project_copy):
    recipients = project_copy.folder / "recipients.yaml"
    text = recipients.read_text(encoding="utf-8")
    recipients.write_text(text.replace("role: prime-minister\n", "role: king\n", 1), encoding="utf-8")
    line = recipients.read_text(encoding="utf-8").split("\n").index("    role: king") + 1
    result = run("check", "--project", str(project_copy.folder))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [text for text in result.stderr.splitlines() if text.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: recipients.yaml:{line}: recipients[0].role: ")
    assert "'king'" in errors[0]
    assert result.stderr.splitlines()[-1] == "1 problem found; nothing was written"
    assert result.stdout == ""
