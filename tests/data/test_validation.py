"""Every kind of bad cities.yaml is reported as `cities.yaml:LINE: path: what`, all at once, no traceback.

Each test edits a copy of the shipped file and finds the expected line in the edited text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from documents import assert_clean_failure, invoke
from documents import edit as documents_edit
from documents import line_of as documents_line_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from keycities.cli import cli
from keycities.data.cities import CampaignFile, Member, load_campaign
from keycities.data.measures import FIGURE_KEYS
from keycities.errors import DataError
from keycities.figures.compute import compute

SHIPPED_YAML = Path(__file__).resolve().parents[2] / "cities.yaml"
RAW = yaml.safe_load(SHIPPED_YAML.read_text(encoding="utf-8"))
SLUGS = [member["slug"] for member in RAW["members"]]
SOURCE_IDS = ", ".join(sorted(RAW["sources"]))
BLACKPOOL = "slug: blackpool\n"
NO_ZERO = "use null when the figure does not exist"


def problems_of(copy: Any, strict: bool = False) -> DataError:
    """Load the copy, which must fail, and return the error."""
    with pytest.raises(DataError) as caught:
        copy.load(strict=strict)
    return caught.value


def only_problem(copy: Any, strict: bool = False) -> str:
    error = problems_of(copy, strict)
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


def known_keys(model: type[BaseModel]) -> str:
    """The keys a section may have, as the unknown-key message lists them."""
    assert "slug" in Member.model_fields and "members" in CampaignFile.model_fields
    return ", ".join(sorted(model.model_fields))


def check(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--project", str(project), *args])


# -- the shipped file --------------------------------------------------------------------------------


def test_shipped_file_is_valid_and_has_no_warnings(shipped):
    assert shipped.warnings == []
    assert len(shipped.members) == 24
    assert next(iter(shipped.members)) == "blackpool"


def test_strict_accepts_the_shipped_file(project_root):
    assert load_campaign(project_root, strict=True).warnings == []


# -- malformed YAML ----------------------------------------------------------------------------------


def test_malformed_yaml_gives_line_and_column(project_copy):
    project_copy.edit("gva_2017_gbp_m: 2672\n", "gva_2017_gbp_m: 2672: 3\n", after=BLACKPOOL)
    line = project_copy.line_of("gva_2017_gbp_m: 2672: 3")
    column = project_copy.column_of(": 3", after="gva_2017_gbp_m: 2672")  # the second colon
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}:{column}: invalid YAML: mapping values are not allowed here"
    )


def test_tab_indentation_is_malformed_yaml_at_column_one(project_copy):
    project_copy.edit('    council: "Blackpool Council"\n', '    council: "Blackpool Council"\n\tx: 1\n')
    line = project_copy.line_of("\tx: 1")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}:1: invalid YAML: while scanning for the next token "
        "found character '\\t' that cannot start any token"
    )


# -- figures -----------------------------------------------------------------------------------------


def test_string_where_a_number_belongs(project_copy):
    project_copy.edit("population_mid2017: 139870", "population_mid2017: n/a", after=BLACKPOOL)
    line = project_copy.line_of("population_mid2017: n/a")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: expected a number, got 'n/a'"
    )


def test_a_number_with_thousands_separators_is_text_not_a_number(project_copy):
    project_copy.edit("population_mid2017: 139870", "population_mid2017: 139,870", after=BLACKPOOL)
    line = project_copy.line_of("population_mid2017: 139,870")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: expected a number, got '139,870'"
    )


def test_true_is_not_a_number(project_copy):
    project_copy.edit("filled_jobs_2017: 63340", "filled_jobs_2017: true", after=BLACKPOOL)
    line = project_copy.line_of("filled_jobs_2017: true")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.filled_jobs_2017: expected a number, got True"
    )


@pytest.mark.parametrize("bad", ["-5", "0", "-0.5"])
def test_population_must_be_positive(project_copy, bad):
    project_copy.edit("population_mid2017: 139870", f"population_mid2017: {bad}", after=BLACKPOOL)
    line = project_copy.line_of(f"population_mid2017: {bad}")
    shown = f"{float(bad):g}"
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: must be more than 0, got {shown}; "
        f"{NO_ZERO}"
    )


def test_non_positive_value_in_the_mapping_form_names_its_value_key(project_copy):
    project_copy.edit("{value: 194800,", "{value: -3,")
    line = project_copy.line_of("{value: -3,")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[1].figures.population_mid2017.value: must be more than 0, got -3; "
        f"{NO_ZERO}"
    )


def test_figure_mapping_without_a_value(project_copy):
    project_copy.edit("population_mid2017: 139870", "population_mid2017: {source: ons-mye-2017}")
    line = project_copy.line_of("population_mid2017: {source")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: missing required key 'value'"
    )


def test_null_figure_is_accepted_as_missing(project_copy):
    project_copy.edit("gva_2017_gbp_m: 2672", "gva_2017_gbp_m: null", after=BLACKPOOL)
    campaign = project_copy.load(strict=True)
    assert campaign.members["blackpool"].figures.gva_2017_gbp_m is None
    figure = compute(campaign)["member.blackpool.gva"]
    assert figure.value is None
    assert figure.why_missing == "not published in the sources of cities.yaml"


# -- sources -----------------------------------------------------------------------------------------


def test_figure_naming_an_unknown_source(project_copy):
    project_copy.edit("source: bournemouth-council-2017}", "source: bournemouth-council-2071}")
    line = project_copy.line_of("source: bournemouth-council-2071")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[1].figures.population_mid2017.source: unknown source "
        f"'bournemouth-council-2071'; add it under sources or use one of: {SOURCE_IDS}"
    )


def test_default_source_that_is_not_in_the_registry(project_copy):
    project_copy.edit("  gva_2017_gbp_m: ons-gva-la-2021\n", "  gva_2017_gbp_m: ons-gva-la-2099\n")
    line = project_copy.line_of("gva_2017_gbp_m: ons-gva-la-2099")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: figure_sources.gva_2017_gbp_m: unknown source 'ons-gva-la-2099'; "
        f"add it under sources or use one of: {SOURCE_IDS}"
    )


def _unsourced_count(key: str) -> int:
    """How many non-null `key` figures rely on the default source, counted from the raw YAML."""
    holders = []
    for member in RAW["members"]:
        holders.append(member["figures"])
        holders += [part["figures"] for part in member.get("constituents", [])]
    holders += [comparator["figures"] for comparator in RAW["comparators"]]
    count = 0
    for figures in holders:
        value = figures.get(key)
        if isinstance(value, dict):
            count += value.get("value") is not None and value.get("source") is None
        else:
            count += value is not None
    return count


def test_figure_key_with_no_default_source(project_copy):
    project_copy.edit("  population_mid2017: ons-mye-2017\n", "", after="figure_sources:\n")
    line = project_copy.line_of("population_mid2017: 139870")
    more = _unsourced_count("population_mid2017") - 1
    assert more == 30  # 22 members + 5 Tees Valley councils + 4 comparators - the first
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: this figure names no source "
        f"(nor do {more} more population_mid2017 figures); add 'population_mid2017: <source id>' under "
        "figure_sources, or 'source:' to the figure"
    )


def test_unknown_figure_key_under_figure_sources(project_copy):
    project_copy.edit("figure_sources:\n", "figure_sources:\n  gdp_2017: ons-gva-la-2021\n")
    line = project_copy.line_of("gdp_2017: ons-gva-la-2021")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: figure_sources.gdp_2017: unknown figure 'gdp_2017'; "
        f"known figures: {', '.join(FIGURE_KEYS)}"
    )


# -- members -----------------------------------------------------------------------------------------


def test_duplicate_slug_names_the_first_line(project_copy):
    first = project_copy.line_of("slug: blackpool")
    project_copy.edit("slug: bournemouth", "slug: blackpool")
    line = project_copy.line_of("slug: blackpool", after=BLACKPOOL)
    assert line > first
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[1].slug: duplicate slug 'blackpool' (first used on line {first}); "
        "each must be unique"
    )


def test_duplicate_ons_code_names_the_first_line(project_copy):
    first = project_copy.line_of("ons_code: E06000009")
    project_copy.edit("ons_code: E08000036", "ons_code: E06000009")  # Wakefield takes Blackpool's code
    line = project_copy.line_of("ons_code: E06000009", after="slug: wakefield")
    index = SLUGS.index("wakefield")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[{index}].ons_code: duplicate ons_code 'E06000009' "
        f"(first used on line {first}); each must be unique"
    )


@pytest.mark.parametrize("bad", ["X123", "E0600002", "E060000289", "e06000028", "E0600002A"])
def test_ons_code_of_the_wrong_shape(project_copy, bad):
    project_copy.edit("ons_code: E06000028", f"ons_code: {bad}")
    line = project_copy.line_of(f"ons_code: {bad}")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[1].ons_code: ONS code must be a nation letter and 8 digits, "
        f"like E06000009, got '{bad}'"
    )


def test_ons_code_of_a_constituent_is_checked_too(project_copy):
    project_copy.edit("ons_code: E06000001", "ons_code: E6000001")
    line = project_copy.line_of("ons_code: E6000001")
    index = SLUGS.index("tees-valley")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[{index}].constituents[0].ons_code: ONS code must be a nation letter "
        "and 8 digits, like E06000009, got 'E6000001'"
    )


def test_ons_code_written_as_a_number(project_copy):
    project_copy.edit("ons_code: E06000028", "ons_code: 12345678")
    line = project_copy.line_of("ons_code: 12345678")
    assert (
        only_problem(project_copy) == f"cities.yaml:{line}: members[1].ons_code: expected text, got 12345678"
    )


def test_empty_member_list(project_copy):
    text = project_copy.text
    start = text.index("members:\n")
    end = text.index("\n# National comparators")
    project_copy.write(text[:start] + "members: []\n" + text[end:])
    line = project_copy.line_of("members: []")
    assert only_problem(project_copy) == f"cities.yaml:{line}: members: must not be empty"


def test_missing_required_key_is_reported_on_its_member(project_copy):
    project_copy.edit('    council: "Blackpool Council"\n', "")
    line = project_copy.line_of("- slug: blackpool")
    assert only_problem(project_copy) == f"cities.yaml:{line}: members[0]: missing required key 'council'"


def test_missing_top_level_section(project_copy):
    project_copy.edit("\nprojection:\n", "\nprojections:\n")
    first_key = project_copy.line_of("group:\n  name:")
    error = problems_of(project_copy)
    assert error.problems == [f"cities.yaml:{first_key}: (top level): missing required key 'projection'"]
    line = project_copy.line_of("projections:")
    assert error.warnings == [
        f"cities.yaml:{line}: projections: unknown key 'projections' (ignored); did you mean 'projection'?"
    ]


LOCATED = [
    # (text to replace, replacement, where to start looking, dotted path, what is wrong)
    (
        "nation: Wales",
        "nation: Scotland",
        None,
        f"members[{SLUGS.index('newport')}].nation",
        "expected 'England' or 'Wales', got 'Scotland'",
    ),
    (
        "membership: confirmed",
        "membership: maybe",
        None,
        "members[0].membership",
        "expected 'confirmed' or 'probable', got 'maybe'",
    ),
    (
        "released: 2018-06-28",
        "released: 28/06/2018",
        None,
        "sources.ons-mye-2017.released",
        "expected a date like 2019-02-04 or a month like 2024-06, got '28/06/2018'",
    ),
    (
        "base_year: 2019",
        "base_year: 2019.5",
        None,
        "projection.base_year",
        "expected a whole number, got 2019.5",
    ),
    (
        "target_year: 2029",
        "target_year: 2010",
        None,
        "projection.target_year",
        "must be after base_year (2019)",
    ),
    (
        "benchmark: england",
        "benchmark: englnd",
        None,
        "projection.benchmark",
        "unknown comparator 'englnd'; known: england, scotland, uk, wales",
    ),
    (
        "money_style: house",
        "money_style: fancy",
        None,
        "group.money_style",
        "expected 'house' or 'govuk', got 'fancy'",
    ),
    (
        "  - key: trust\n",
        "  - key: partner\n",
        "  - key: partner\n",
        "asks[1].key",
        "duplicate key 'partner' (first used on line {first}); each must be unique",
    ),
    (
        "figure: group.gva\n",
        "figure: group.gdp\n",
        None,
        "claims[0].figure",
        "unknown figure 'group.gdp'; claims can be checked against: group.member_count, group.population, "
        "group.gva, group.filled_jobs, group.gva_ratio_to_scotland, group.uplift, group.uplift_per_year",
    ),
]


@pytest.mark.parametrize(("old", "new", "after", "path", "what"), LOCATED, ids=[row[3] for row in LOCATED])
def test_other_problems_are_located(project_copy, old, new, after, path, what):
    first = project_copy.line_of("key: partner")
    project_copy.edit(old, new, after=after)
    line = project_copy.line_of(new.strip(), after=after)
    assert only_problem(project_copy) == f"cities.yaml:{line}: {path}: {what.format(first=first)}"


def test_claim_with_nothing_to_check_against(project_copy):
    project_copy.edit("    published: 24\n    rounding: 1\n", "")
    line = project_copy.line_of("  - key: members")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: claims[4]: give 'published' (with 'rounding') or 'holds_between' so the "
        "claim can be checked"
    )


# -- unknown keys ------------------------------------------------------------------------------------


def test_unknown_key_is_a_warning_with_a_hint(project_copy):
    project_copy.edit("      population_mid2017: 139870\n", "      populaton_mid2017: 139870\n")
    line = project_copy.line_of("populaton_mid2017")
    campaign = project_copy.load()
    assert campaign.warnings == [
        f"cities.yaml:{line}: members[0].figures.populaton_mid2017: unknown key 'populaton_mid2017' "
        "(ignored); did you mean 'population_mid2017'?"
    ]
    # ignored means ignored: Blackpool now has no population, and the group total says so
    book = compute(campaign)
    assert book["member.blackpool.population"].value is None
    assert str(book["group.population"].coverage) == "23 of 24 members"


def test_unknown_key_inside_a_figure_mapping(project_copy):
    project_copy.edit('why: "Carlisle', 'wy: "Carlisle')
    line = project_copy.line_of('wy: "Carlisle')
    assert project_copy.load().warnings == [
        f"cities.yaml:{line}: members[3].figures.gva_per_hour_2017_gbp.wy: unknown key 'wy' (ignored); "
        "did you mean 'why'?"
    ]


def test_unknown_key_with_no_close_match_lists_the_known_keys(project_copy):
    project_copy.edit("\nprojection:\n", "\nzzz: 1\nprojection:\n")
    line = project_copy.line_of("zzz: 1")
    assert project_copy.load().warnings == [
        f"cities.yaml:{line}: zzz: unknown key 'zzz' (ignored); known keys: {known_keys(CampaignFile)}"
    ]


def test_unknown_key_is_an_error_under_strict(project_copy):
    project_copy.edit("    membership: confirmed\n", "    membership: confirmed\n    colour: red\n")
    line = project_copy.line_of("colour: red")
    error = problems_of(project_copy, strict=True)
    assert error.problems == [
        f"cities.yaml:{line}: members[0].colour: unknown key 'colour' (ignored); known keys: "
        f"{known_keys(Member)} [an error under --strict]"
    ]
    assert error.warnings == []


# -- several problems, other files -------------------------------------------------------------------


def _break_several(copy: Any) -> tuple[list[str], str]:
    """Four errors and an unknown key, made in an order unlike the file's; the errors in line order."""
    copy.edit("ons_code: E08000031", "ons_code: E0800003")  # Wolverhampton, late in the file
    copy.edit("population_mid2017: 139870", "population_mid2017: -5")  # Blackpool
    copy.edit("slug: swansea", "slug: newport")  # duplicate of an earlier member
    copy.edit("  gva_2017_gbp_m: ons-gva-la-2021\n", "  gva_2017_gbp_m: ons-gva-la-2099\n")  # figure_sources
    copy.edit("slug: salford\n", "slug: salford\n    colour: red\n")  # an unknown key
    index = {slug: SLUGS.index(slug) for slug in ("swansea", "wolverhampton", "salford")}
    bad_code = "ons_code: E0800003\n"  # not E08000032, Bradford's
    errors = [
        f"cities.yaml:{copy.line_of('ons-gva-la-2099')}: figure_sources.gva_2017_gbp_m: unknown source "
        f"'ons-gva-la-2099'; add it under sources or use one of: {SOURCE_IDS}",
        f"cities.yaml:{copy.line_of('population_mid2017: -5')}: members[0].figures.population_mid2017: "
        f"must be more than 0, got -5; {NO_ZERO}",
        f"cities.yaml:{copy.line_of('slug: newport', after='slug: salford')}: "
        f"members[{index['swansea']}].slug: "
        f"duplicate slug 'newport' (first used on line {copy.line_of('slug: newport')}); each must be unique",
        f"cities.yaml:{copy.line_of(bad_code)}: members[{index['wolverhampton']}].ons_code: "
        "ONS code must be a nation letter and 8 digits, like E06000009, got 'E0800003'",
    ]
    warning = (
        f"cities.yaml:{copy.line_of('colour: red')}: members[{index['salford']}].colour: unknown key "
        f"'colour' (ignored); known keys: {known_keys(Member)}"
    )
    return errors, warning


def test_several_problems_are_reported_at_once_in_line_order(project_copy):
    errors, warning = _break_several(project_copy)
    error = problems_of(project_copy)
    assert error.problems == errors
    assert error.warnings == [warning]
    lines = [int(problem.split(":")[1]) for problem in error.problems]
    assert lines == sorted(lines)


def test_under_strict_the_unknown_key_joins_the_errors_in_line_order(project_copy):
    errors, warning = _break_several(project_copy)
    error = problems_of(project_copy, strict=True)
    strict_warning = f"{warning} [an error under --strict]"
    assert sorted(error.problems, key=lambda p: int(p.split(":")[1])) == error.problems
    assert set(error.problems) == {*errors, strict_warning}
    assert error.warnings == []


def test_a_file_that_does_not_exist(tmp_path):
    with pytest.raises(DataError) as caught:
        load_campaign(tmp_path / "nowhere")
    assert caught.value.problems == [
        f"{tmp_path / 'nowhere' / 'cities.yaml'}: file not found; create it or pass the right project folder"
    ]


def test_a_file_that_is_not_utf8(project_copy):
    project_copy.path.write_bytes(b"group: \xff\xfe\n")
    error = problems_of(project_copy)
    assert len(error.problems) == 1
    assert error.problems[0].startswith("cities.yaml:1: not UTF-8 text (")
    assert error.problems[0].endswith("); save it as UTF-8")


@pytest.mark.parametrize(
    ("text", "shown"), [("- a\n- b\n", "a list"), ("", "nothing (null)"), ("just words\n", "'just words'")]
)
def test_a_top_level_that_is_not_a_mapping(project_copy, text, shown):
    project_copy.write(text)
    assert (
        only_problem(project_copy) == f"cities.yaml:1: (top level): expected a mapping of keys, got {shown}"
    )


# -- the command line --------------------------------------------------------------------------------


def test_check_on_invalid_data_lists_every_problem_on_stderr(project_copy):
    errors, warning = _break_several(project_copy)
    result = check(project_copy.folder)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"warning: {warning}",
        *(f"error: {problem}" for problem in errors),
        "4 problems found; nothing was written",
    ]
    for line, problem in zip(result.stderr.splitlines()[1:-1], errors, strict=True):
        assert line.startswith(f"error: cities.yaml:{problem.split(':')[1]}: ")


def test_check_strict_fails_on_an_unknown_key_that_plain_check_warns_about(project_copy):
    project_copy.edit("    membership: confirmed\n", "    membership: confirmed\n    colour: red\n")
    line = project_copy.line_of("colour: red")
    plain = check(project_copy.folder)
    assert plain.exit_code == 0, plain.output
    assert f"warning: cities.yaml:{line}: members[0].colour: unknown key 'colour'" in plain.stderr
    strict = check(project_copy.folder, "--strict")
    assert strict.exit_code == 1
    assert isinstance(strict.exception, SystemExit)
    assert strict.stderr.splitlines()[0].startswith(f"error: cities.yaml:{line}: members[0].colour: ")
    assert strict.stderr.splitlines()[0].endswith("[an error under --strict]")
    assert strict.stderr.splitlines()[-1] == "1 problem found; nothing was written"
    assert strict.stdout == ""


@pytest.mark.parametrize(
    ("old", "new", "after"),
    [
        ("gva_2017_gbp_m: 2672\n", "gva_2017_gbp_m: 2672: 3", None),
        ("population_mid2017: 139870", "population_mid2017: n/a", None),
        ("slug: bournemouth", "slug: blackpool", BLACKPOOL),
    ],
)
def test_check_reports_a_single_problem_with_its_line(project_copy, old, new, after):
    project_copy.edit(old, new + ("\n" if old.endswith("\n") else ""))
    line = project_copy.line_of(new, after=after)
    result = check(project_copy.folder)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: cities.yaml:{line}:")
    assert lines[1] == "1 problem found; nothing was written"


def test_check_on_a_folder_without_cities_yaml(tmp_path):
    result = check(tmp_path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [  # check reads every input of the project
        f"error: {tmp_path / 'cities.yaml'}: file not found; create it or pass the right project folder",
        f"error: {tmp_path / 'recipients.yaml'}: file not found; create it or pass the right project folder",
        f"error: {tmp_path / 'letters'}: no letters found; add letters/<name>.md",
        "3 problems found; nothing was written",
    ]


# -- properties --------------------------------------------------------------------------------------

BARE_FIGURES = [
    (index, member["slug"], key)
    for index, member in enumerate(RAW["members"])
    for key, value in member["figures"].items()
    if isinstance(value, int | float)
]
# Text YAML keeps as-is inside double quotes: no quote, backslash, control or line-break characters.
PLAIN_TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters='"\\'), max_size=12
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(BARE_FIGURES), text=PLAIN_TEXT)
def test_any_text_where_a_figure_belongs_is_reported_on_its_line(project_copy, place, text):
    index, slug, key = place
    project_copy.reset()
    line = project_copy.line_of(f"{key}:", after=f"slug: {slug}\n")
    indent = " " * (project_copy.column_of(f"{key}:", after=f"slug: {slug}\n") - 1)
    project_copy.replace_line(line, f'{indent}{key}: "{text}"')
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[{index}].figures.{key}: expected a number, got {text!r}"
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=st.integers(min_value=1, max_value=10**12)
    | st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False)
)
def test_any_positive_number_is_accepted_as_a_figure(project_copy, number):
    project_copy.reset()
    # PyYAML reads `1e-06` as text: write floats with a point and a signed exponent
    written = str(number) if isinstance(number, int) else f"{number:.17e}"
    project_copy.edit("population_mid2017: 139870", f"population_mid2017: {written}", after=BLACKPOOL)
    campaign = project_copy.load()
    # Accepted; above 100 million, beyond any UK area, with a warning (an error under --strict).
    assert len(campaign.warnings) == (float(written) > 100_000_000)
    figure = campaign.members["blackpool"].figures.population_mid2017
    assert figure is not None
    assert figure.value == float(written)
    book = compute(campaign)
    assert book["member.blackpool.population"].value == float(written)
    assert book["group.population"].value == pytest.approx(6_400_797 - 139_870 + float(written))


# -- edge cases found in review ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [".nan", ".inf"])
def test_nan_and_infinity_are_not_figures(project_copy, bad):
    project_copy.edit("population_mid2017: 139870", f"population_mid2017: {bad}")
    line = project_copy.line_of(f"population_mid2017: {bad}")
    problem = only_problem(project_copy)
    assert problem.startswith(f"cities.yaml:{line}: members[0].figures.population_mid2017: ")


def test_duplicate_comparator_key_is_a_located_problem(project_copy):
    first = project_copy.line_of("  - key: england")
    project_copy.edit("  - key: wales\n", "  - key: england\n")
    line = project_copy.line_of("key: england", after="  - key: england\n")
    result = check(project_copy.folder)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: cities.yaml:{line}: comparators[1].key: duplicate key 'england' (first used on line "
        f"{first}); each must be unique"
    )


def test_a_key_repeated_in_one_mapping_is_a_problem(project_copy):
    project_copy.edit(
        "      gva_2017_gbp_m: 2672\n", "      gva_2017_gbp_m: 2672\n      gva_2017_gbp_m: 9999\n"
    )
    line = project_copy.line_of("gva_2017_gbp_m: 9999")
    error = problems_of(project_copy)
    assert any(p.startswith(f"cities.yaml:{line}:") and "duplicate" in p for p in error.problems)


def test_holds_between_with_one_item_is_not_called_empty(project_copy):
    project_copy.edit("holds_between: [0.9, 1.0]", "holds_between: [0.9]")
    line = project_copy.line_of("holds_between: [0.9]")
    problem = only_problem(project_copy)
    assert problem.startswith(f"cities.yaml:{line}: claims[1].holds_between: ")
    assert "must not be empty" not in problem
    assert "2" in problem.split("holds_between: ", 1)[1]


def test_a_list_where_a_figure_belongs_names_the_figure(project_copy):
    project_copy.edit("population_mid2017: 139870", "population_mid2017: [1, 2]")
    line = project_copy.line_of("population_mid2017: [1, 2]")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: members[0].figures.population_mid2017: expected a number, got a list"
    )


# -- problems that used to end in a traceback or pass unnoticed ------------------------------------

ENGLAND_RATE = "gva_per_filled_job_2017_gbp: {value: 56196.2, source: ons-productivity-itl-2024}"
LOCATED_IN_CHECK = [
    # (id, text to replace, replacement, where to start looking, what the line holds, what the error says)
    ("claim published 0", "    published: 24\n", "    published: 0\n", None, "published: 0",
     "claims[4].published: must be more than 0"),
    ("default source a list", "  gva_2017_gbp_m: ons-gva-la-2021\n", "  gva_2017_gbp_m: [x]\n", None,
     "gva_2017_gbp_m: [x]", "figure_sources.gva_2017_gbp_m: expected text, got a list"),
    ("figure source a list", "source: bournemouth-council-2017}", "source: [x]}", None, "source: [x]}",
     "members[1].figures.population_mid2017.source: expected text, got a list"),
    ("claim source a list", "    source: cities-in-action-2019\n", "    source: [x]\n", "\nclaims:\n",
     "source: [x]", "claims[0].source: expected text, got a list"),
    ("membership source a list", "membership_sources: [cities-in-action-2019, key-cities-new-members-2018]",
     "membership_sources: [[a], b]", None, "membership_sources: [[a], b]",
     "group.membership_sources[0]: expected text, got a list"),
    ("control character", '    name: "Blackpool"\n', '    name: "Black\x07pool"\n', None, "Black\x07pool",
     "invalid YAML: unacceptable character #x0007"),
    ("logo not found", "logo: assets/key-cities-logo.png", "logo: assets/nope.png", None,
     "logo: assets/nope.png", "group.logo: no such file assets/nope.png"),
    ("benchmark without the measure", ENGLAND_RATE, "gva_per_filled_job_2017_gbp: null", None,
     "benchmark: england",
     "projection.benchmark: the projection needs the gva_per_filled_job_2017_gbp of 'england'"),
    ("per-hour measure", "  measure: gva_per_filled_job_2017_gbp\n", "  measure: gva_per_hour_2017_gbp\n",
     None, "measure: gva_per_hour_2017_gbp",
     "projection.measure: expected 'gva_per_filled_job_2017_gbp', got 'gva_per_hour_2017_gbp'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "after", "needle", "what"),
    [case[1:] for case in LOCATED_IN_CHECK],
    ids=[case[0] for case in LOCATED_IN_CHECK],
)
def test_odd_input_is_a_located_error_not_a_traceback(project_copy, old, new, after, needle, what):
    project_copy.edit(old, new, after=after)
    line = project_copy.line_of(needle, after=after)
    stderr = assert_clean_failure(check(project_copy.folder), f"error: cities.yaml:{line}: {what}")
    assert stderr.splitlines()[0].startswith(f"error: cities.yaml:{line}: ")


def test_a_logo_that_is_not_a_png_is_a_located_error(project_copy):
    (project_copy.folder / "assets" / "logo.png").write_text("not an image\n", encoding="utf-8")
    project_copy.edit("logo: assets/key-cities-logo.png", "logo: assets/logo.png")
    line = project_copy.line_of("logo: assets/logo.png")
    assert_clean_failure(
        check(project_copy.folder),
        f"error: cities.yaml:{line}: group.logo: assets/logo.png is not a PNG image",
    )


RECIPIENTS_CSV = """\
id,office,role,name,honorific,address,email,tags,checked
test-one,Test Office One,office,,,1 Example Street;Exampletown;EX1 1EX,t1@example.org,test,"2019-02-30"
"""


def test_only_a_quoted_real_date_is_told_to_lose_its_quotes(project_copy, tmp_path):
    recipients = project_copy.folder / "recipients.yaml"
    documents_edit(recipients, "checked: 2019-02-04", 'checked: "2019-02-04"')
    line = documents_line_of(recipients, 'checked: "2019-02-04"')
    stderr = assert_clean_failure(check(project_copy.folder), f"error: recipients.yaml:{line}: ")
    [problem] = [text for text in stderr.splitlines() if text.startswith("error: ")]
    assert problem == (
        f"error: recipients.yaml:{line}: recipients[0].checked: expected a date like 2019-02-04, got "
        "'2019-02-04'; remove the quotes around it"
    )

    # In a CSV every value is text: a date that does not exist is not one the quotes hide.
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(RECIPIENTS_CSV, encoding="utf-8")
    result = invoke(
        "letters", "--project", project_copy.folder, "--recipients", csv_file, "--out", tmp_path / "out"
    )
    stderr = assert_clean_failure(
        result, "list.csv:2: recipients[0].checked: expected a date like 2019-02-04"
    )
    assert "'2019-02-30'" in stderr
    assert "quotes" not in stderr
    assert not (tmp_path / "out").exists()
