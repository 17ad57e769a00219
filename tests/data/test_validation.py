"""Every kind of bad cities.yaml or data file is reported as `file:LINE: path: what`, all at once, no
traceback.

Each test edits a copy of the shipped project (cities.yaml or a data file in data/) and finds the expected
line in the edited text.
"""

from __future__ import annotations

import re
from datetime import date
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
from keycities.errors import DataError
from keycities.figures.compute import compute
from keycities.figures.model import DataChoice

PROJECT = Path(__file__).resolve().parents[2]
SHIPPED_YAML = PROJECT / "cities.yaml"
RAW = yaml.safe_load(SHIPPED_YAML.read_text(encoding="utf-8"))
SLUGS = [member["slug"] for member in RAW["members"]]
DATA_FILES = sorted(path.name for path in (PROJECT / "data").glob("*.yaml"))
# Every source a claim or the member list may cite: those of cities.yaml and those of the data files.
SOURCE_IDS = ", ".join(sorted([*RAW["sources"], *(Path(name).stem for name in DATA_FILES)]))
BLACKPOOL = "E06000009"
GVA_2021, GVA_2022 = "ons-gva-la-2021.yaml", "ons-gva-la-2022.yaml"
POPULATION_2022 = "ons-population-la-2022.yaml"
BOURNEMOUTH_COUNCIL = "bournemouth-council-2017.yaml"
KNOWN_MARKERS = "'[x]', '[c]', '[z]', '[low]', '[u]', ':', '..'"
NOT_A_NUMBER = f"expected a number or one of ONS's markers ({KNOWN_MARKERS})"
NO_ZERO = "use ONS's marker ('[x]') for a gap"


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


def data_path(copy: Any, name: str) -> Path:
    return copy.folder / "data" / name


def edit_data(copy: Any, name: str, old: str, new: str, *, after: str | None = None) -> int:
    """Replace the first `old` in the copy's `data/<name>` (after `after`, if given); the line `new`
    starts on."""
    path = data_path(copy, name)
    documents_edit(path, old, new, after=after)
    return documents_line_of(path, new, after=after)


def area_line(path: Path, measure: str, code: str) -> tuple[int, str]:
    """The line (number and text) of `code` under `values.<measure>` of a data file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index("values:")
    start = lines.index(f"  {measure}:", start)
    number = next(n for n in range(start + 1, len(lines)) if lines[n].startswith(f"    {code}: "))
    return number + 1, lines[number]


def set_value(path: Path, measure: str, code: str, year: int, written: str) -> int:
    """Write `written` as the `year` value of `code` under `values.<measure>` (a flow mapping on one
    line); the line it is on."""
    number, line = area_line(path, measure, code)
    changed, count = re.subn(rf"(?<=[{{ ]){year}: [^,}}]+", f"{year}: {written}", line, count=1)
    assert count == 1, line
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[number - 1] = changed
    path.write_text("\n".join(lines), encoding="utf-8")
    return number


def at(measure: str, code: str, year: int | str) -> str:
    """How a problem names a year's value of a data file."""
    return f"values.{measure}.{code}.{year}"


# -- the shipped file --------------------------------------------------------------------------------


def test_shipped_file_is_valid_and_has_no_warnings(shipped):
    assert shipped.warnings == []
    assert len(shipped.members) == 24
    assert next(iter(shipped.members)) == "blackpool"


def test_strict_accepts_the_shipped_file(project_root):
    assert load_campaign(project_root, strict=True).warnings == []


# -- malformed YAML ----------------------------------------------------------------------------------


def test_malformed_yaml_gives_line_and_column(project_copy):
    project_copy.edit("base_year: 2019\n", "base_year: 2019: 3\n")
    line = project_copy.line_of("base_year: 2019: 3")
    column = project_copy.column_of(": 3", after="base_year: 2019")  # the second colon
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


def test_malformed_yaml_in_a_data_file_names_the_data_file(project_copy):
    line = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: 2672: 3,")
    problem = only_problem(project_copy)
    assert problem.startswith(f"data/{GVA_2021}:{line}:"), problem
    assert ": invalid YAML: " in problem


# -- figures in the data files -----------------------------------------------------------------------


def test_text_where_a_number_belongs(project_copy):
    line = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: n/a,")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: {at('gva', BLACKPOOL, 2017)}: {NOT_A_NUMBER}, got 'n/a'"
    )


def test_a_number_with_thousands_separators_in_quotes_is_text_not_a_number(project_copy):
    line = edit_data(project_copy, POPULATION_2022, "{2017: 139870,", '{2017: "139,870",')
    assert only_problem(project_copy) == (
        f"data/{POPULATION_2022}:{line}: {at('population', BLACKPOOL, 2017)}: {NOT_A_NUMBER}, got '139,870'"
    )


def test_a_number_with_thousands_separators_is_not_read_as_its_first_digits(project_copy):
    # In a flow mapping the comma ends the value: 139 for 2017, then a key 870 with no value.
    line = edit_data(project_copy, POPULATION_2022, "{2017: 139870,", "{2017: 139,870,")
    assert only_problem(project_copy) == (
        f"data/{POPULATION_2022}:{line}: {at('population', BLACKPOOL, 870)}: expected a year such as 2018, "
        "got 870"
    )


def test_true_is_not_a_number(project_copy):
    line = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: true,")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: {at('gva', BLACKPOOL, 2017)}: expected a number, got True"
    )


@pytest.mark.parametrize("bad", ["-5", "0", "-0.5"])
def test_a_figure_must_be_positive(project_copy, bad):
    line = edit_data(project_copy, POPULATION_2022, "{2017: 139870,", f"{{2017: {bad},")
    shown = f"{float(bad):g}"
    assert only_problem(project_copy) == (
        f"data/{POPULATION_2022}:{line}: {at('population', BLACKPOOL, 2017)}: must be more than 0, "
        f"got {shown}; {NO_ZERO}"
    )


def test_non_positive_value_in_the_mapping_form_names_its_year(project_copy):
    line = edit_data(project_copy, BOURNEMOUTH_COUNCIL, "{value: 194800,", "{value: -3,")
    assert only_problem(project_copy) == (
        f"data/{BOURNEMOUTH_COUNCIL}:{line}: {at('population', 'E06000028', 2017)}: must be more than 0, "
        f"got -3; {NO_ZERO}"
    )


def test_figure_mapping_without_a_value(project_copy):
    line = edit_data(
        project_copy, BOURNEMOUTH_COUNCIL, "{value: 194800, rounded_to: 100}", "{rounded_to: 100}"
    )
    assert only_problem(project_copy) == (
        f"data/{BOURNEMOUTH_COUNCIL}:{line}: {at('population', 'E06000028', 2017)}: expected a number, "
        "got None"
    )


def test_a_rounding_that_is_not_a_number(project_copy):
    line = edit_data(project_copy, BOURNEMOUTH_COUNCIL, "rounded_to: 100}", "rounded_to: hundred}")
    assert only_problem(project_copy) == (
        f"data/{BOURNEMOUTH_COUNCIL}:{line}: {at('population', 'E06000028', 2017)}: rounded_to: expected a "
        "number such as 100, got 'hundred'"
    )


def test_null_is_not_a_gap(project_copy):
    # A gap is written with ONS's marker, which says why; a bare null says nothing.
    line = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: null,")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: {at('gva', BLACKPOOL, 2017)}: expected a number, got None"
    )


def test_markers_are_accepted_as_gaps_with_their_reason(project_copy):
    edit_data(project_copy, GVA_2021, "{2017: 2672,", '{2017: "[x]",')
    edit_data(project_copy, GVA_2022, "{2017: 2676,", '{2017: "[c]",')
    campaign = project_copy.load(strict=True)
    source = campaign.releases.sources[Path(GVA_2022).stem]
    figure = compute(campaign, DataChoice(2017, None))["member.blackpool.gva"]
    assert figure.value is None
    assert figure.why_missing == f"confidential in {source.title} ({source.publisher}, {source.released})"
    # Of the release current in February 2019 (none was yet: the earliest), the other marker.
    early = compute(campaign, DataChoice(2017, date(2019, 2, 4)))["member.blackpool.gva"]
    assert early.value is None
    assert early.why_missing is not None
    assert early.why_missing.startswith("not available in Regional gross domestic product")
    assert "(Office for National Statistics, 2021-05-26)" in early.why_missing


def test_a_marker_in_one_release_falls_back_to_a_number_in_another(project_copy):
    edit_data(project_copy, GVA_2022, "{2017: 2676,", '{2017: "[c]",')
    figure = compute(project_copy.load(strict=True), DataChoice(2017, None))["member.blackpool.gva"]
    assert figure.value == 2_672_000_000
    assert (
        figure.inputs[0].where
        == f"data/{GVA_2021}:{area_line(data_path(project_copy, GVA_2021), 'gva', BLACKPOOL)[0]}"
    )


def test_a_year_written_one_a_line_is_named_on_its_own_line(project_copy):
    edit_data(
        project_copy,
        GVA_2021,
        f"{BLACKPOOL}: {{2017: 2672, 2018: 2714, 2019: 2810}}",
        f"{BLACKPOOL}:\n      2017: 2672\n      2018: n/a\n      2019: 2810",
    )
    line = documents_line_of(data_path(project_copy, GVA_2021), "2018: n/a")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: {at('gva', BLACKPOOL, 2018)}: {NOT_A_NUMBER}, got 'n/a'"
    )


def test_an_unknown_measure_in_a_data_file(project_copy):
    edit_data(project_copy, GVA_2021, "values:\n  gva:\n", "values:\n  gdp:\n")
    line = documents_line_of(data_path(project_copy, GVA_2021), "  gdp:")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: values.gdp: unknown measure 'gdp'; known measures: population, gva, "
        "gva_per_hour, gva_per_hour_index, gva_per_filled_job, filled_jobs, hours"
    )


def test_an_area_neither_with_years_nor_absent(project_copy):
    line = edit_data(project_copy, GVA_2021, "E06000028: absent", "E06000028: abset")
    assert only_problem(project_copy) == (
        f"data/{GVA_2021}:{line}: values.gva.E06000028: expected {{year: value, ...}} or 'absent', "
        "got 'abset'"
    )


def test_problems_in_cities_yaml_and_in_data_files_are_reported_together(project_copy):
    project_copy.edit("membership: confirmed", "membership: maybe")
    in_cities = project_copy.line_of("membership: maybe")
    in_data = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: -1,")
    assert sorted(problems_of(project_copy).problems) == [
        f"cities.yaml:{in_cities}: members[0].membership: expected 'confirmed' or 'probable', got 'maybe'",
        f"data/{GVA_2021}:{in_data}: {at('gva', BLACKPOOL, 2017)}: must be more than 0, got -1; {NO_ZERO}",
    ]


# -- sources -----------------------------------------------------------------------------------------


def test_claim_naming_an_unknown_source(project_copy):
    project_copy.edit("    source: cities-in-action-2019\n", "    source: cities-in-action-2091\n")
    line = project_copy.line_of("source: cities-in-action-2091")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: claims[0].source: unknown source 'cities-in-action-2091'; add it under "
        f"sources or use one of: {SOURCE_IDS}"
    )


def test_a_claim_may_cite_a_data_files_source(project_copy):
    project_copy.edit("    source: cities-in-action-2019\n", "    source: ons-gva-la-2021\n")
    campaign = project_copy.load(strict=True)
    assert campaign.data.claims[0].source == "ons-gva-la-2021"
    assert campaign.sources["ons-gva-la-2021"].title.startswith("Regional gross domestic product")


def test_a_data_file_with_its_source_removed_is_no_longer_a_known_source(project_copy):
    project_copy.edit("    source: cities-in-action-2019\n", "    source: ons-gva-la-2021\n")
    data_path(project_copy, GVA_2021).unlink()
    line = project_copy.line_of("source: ons-gva-la-2021")
    remaining = ", ".join(part for part in SOURCE_IDS.split(", ") if part != "ons-gva-la-2021")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: claims[0].source: unknown source 'ons-gva-la-2021'; add it under sources or "
        f"use one of: {remaining}"
    )


def test_a_source_both_in_cities_yaml_and_a_data_file(project_copy):
    project_copy.edit(
        "\nsources:\n",
        '\nsources:\n  ons-gva-la-2021:\n    title: "GVA"\n    publisher: "ONS"\n    url: "https://example.org"\n',
    )
    line = project_copy.line_of("  ons-gva-la-2021:")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: sources.ons-gva-la-2021: the data file data/ons-gva-la-2021.yaml registers "
        "this source too; remove it here (the data file's `source:` is the one used)"
    )


def test_membership_source_that_is_unknown(project_copy):
    project_copy.edit("[cities-in-action-2019, key-cities", "[cities-in-action-2019, key-citys")
    line = project_copy.line_of("membership_sources:")
    assert only_problem(project_copy) == (
        f"cities.yaml:{line}: group.membership_sources[1]: unknown source 'key-citys-new-members-2018'; "
        f"add it under sources or use one of: {SOURCE_IDS}"
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
        "released: 2019-02-04",
        "released: 04/02/2019",
        None,
        "sources.cities-in-action-2019.released",
        "expected a date like 2019-02-04 or a month like 2024-06, got '04/02/2019'",
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
    project_copy.edit('    note: "Merged', '    nte: "Merged')
    line = project_copy.line_of("nte:")
    campaign = project_copy.load()
    assert campaign.warnings == [
        f"cities.yaml:{line}: members[1].nte: unknown key 'nte' (ignored); did you mean 'note'?"
    ]
    assert campaign.members["bournemouth"].note is None  # ignored means ignored


def test_unknown_key_in_a_data_file_is_a_warning_with_a_hint(project_copy):
    line = edit_data(project_copy, GVA_2021, "  released: 2021-05-26", "  relased: 2021-05-26")
    assert project_copy.load().warnings == [
        f"data/{GVA_2021}:{line}: source.relased: unknown key 'relased' (ignored); did you mean 'released'?"
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
    copy.edit("    source: cities-in-action-2019\n", "    source: cities-in-action-2091\n")  # a claim, last
    copy.edit("membership: confirmed", "membership: maybe")  # Blackpool, first
    copy.edit("slug: swansea", "slug: newport")  # duplicate of an earlier member
    copy.edit("slug: salford\n", "slug: salford\n    colour: red\n")  # an unknown key
    index = {slug: SLUGS.index(slug) for slug in ("swansea", "wolverhampton", "salford")}
    bad_code = "ons_code: E0800003\n"  # not E08000032, Bradford's
    errors = [
        f"cities.yaml:{copy.line_of('membership: maybe')}: members[0].membership: expected 'confirmed' or "
        "'probable', got 'maybe'",
        f"cities.yaml:{copy.line_of('slug: newport', after='slug: salford')}: "
        f"members[{index['swansea']}].slug: "
        f"duplicate slug 'newport' (first used on line {copy.line_of('slug: newport')}); each must be unique",
        f"cities.yaml:{copy.line_of(bad_code)}: members[{index['wolverhampton']}].ons_code: "
        "ONS code must be a nation letter and 8 digits, like E06000009, got 'E0800003'",
        f"cities.yaml:{copy.line_of('cities-in-action-2091')}: claims[0].source: unknown source "
        f"'cities-in-action-2091'; add it under sources or use one of: {SOURCE_IDS}",
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
    ("file", "old", "new", "after"),
    [
        ("cities.yaml", "base_year: 2019\n", "base_year: 2019: 3", None),
        ("cities.yaml", "slug: bournemouth", "slug: blackpool", "slug: blackpool\n"),
        (f"data/{GVA_2021}", "{2017: 2672,", "{2017: n/a,", None),
        (f"data/{GVA_2021}", "{2017: 2672,", "{2017: 2672: 3,", None),
    ],
    ids=["cities.yaml malformed", "cities.yaml duplicate", "data file not a number", "data file malformed"],
)
def test_check_reports_a_single_problem_with_its_line(project_copy, file, old, new, after):
    path = project_copy.folder / file
    documents_edit(path, old, new + ("\n" if old.endswith("\n") else ""))
    line = documents_line_of(path, new, after=after)
    result = check(project_copy.folder)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"error: {file}:{line}:")
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


def _numbers_of_2017() -> list[tuple[str, str, str]]:
    """(data file, measure, ONS code) of every shipped 2017 value that is a number."""
    places = []
    for name in DATA_FILES:
        values = yaml.safe_load((PROJECT / "data" / name).read_text(encoding="utf-8"))["values"]
        for measure, areas in values.items():
            places += [
                (name, measure, code)
                for code, years in areas.items()
                if isinstance(years, dict) and isinstance(years.get(2017), int | float)
            ]
    return places


NUMBERS_OF_2017 = _numbers_of_2017()
ORIGINALS = {name: (PROJECT / "data" / name).read_text(encoding="utf-8") for name in DATA_FILES}
MARKERS = {"[x]", "[c]", "[z]", "[low]", "[u]", ":", "..", ""}
# Text YAML keeps as-is inside double quotes: no quote, backslash, control or line-break characters.
PLAIN_TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters='"\\'), max_size=12
)


def reset_data(copy: Any) -> None:
    """The copy's data files back to the shipped text (for property tests that reuse one folder)."""
    for name, text in ORIGINALS.items():
        data_path(copy, name).write_text(text, encoding="utf-8")


def test_the_properties_have_places_to_try():
    assert len(NUMBERS_OF_2017) > 100
    assert {name for name, _, _ in NUMBERS_OF_2017} == set(DATA_FILES) - {BOURNEMOUTH_COUNCIL}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    place=st.sampled_from(NUMBERS_OF_2017),
    text=PLAIN_TEXT.filter(lambda text: text.strip() not in MARKERS),
)
def test_any_text_where_a_figure_belongs_is_reported_on_its_line(project_copy, place, text):
    name, measure, code = place
    reset_data(project_copy)
    line = set_value(data_path(project_copy, name), measure, code, 2017, f'"{text}"')
    assert only_problem(project_copy) == (
        f"data/{name}:{line}: {at(measure, code, 2017)}: {NOT_A_NUMBER}, got {text!r}"
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=st.integers(min_value=1, max_value=10**12)
    | st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False)
)
def test_any_positive_number_is_accepted_as_a_figure(project_copy, shipped, number):
    reset_data(project_copy)
    # PyYAML reads `1e-06` as text: write floats with a point and a signed exponent
    written = str(number) if isinstance(number, int) else f"{number:.17e}"
    set_value(data_path(project_copy, POPULATION_2022), "population", BLACKPOOL, 2017, written)
    campaign = project_copy.load()
    # Accepted; above 100 million, beyond any UK area, with a warning (an error under --strict).
    assert len(campaign.warnings) == (float(written) > 100_000_000)
    choice = DataChoice(2017, None)  # the latest release: the one edited
    book = compute(campaign, choice)
    assert book["member.blackpool.population"].value == float(written)
    shipped_book = compute(shipped, choice)
    shipped_total = shipped_book["group.population"].value
    assert shipped_total is not None
    assert book["group.population"].value == pytest.approx(
        shipped_total - shipped_book["member.blackpool.population"].value + float(written)
    )


# -- edge cases found in review ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_not_figures(project_copy, bad):
    line = edit_data(project_copy, POPULATION_2022, "{2017: 139870,", f"{{2017: {bad},")
    assert only_problem(project_copy).startswith(
        f"data/{POPULATION_2022}:{line}: {at('population', BLACKPOOL, 2017)}: "
    )


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
    project_copy.edit("    membership: confirmed\n", "    membership: confirmed\n    membership: probable\n")
    line = project_copy.line_of("membership: probable")
    error = problems_of(project_copy)
    assert any(p.startswith(f"cities.yaml:{line}:") and "duplicate" in p for p in error.problems)


def test_a_year_repeated_in_a_data_file_is_a_problem(project_copy):
    line = edit_data(project_copy, GVA_2021, "{2017: 2672,", "{2017: 2672, 2017: 9999,")
    error = problems_of(project_copy)
    assert error.problems == [
        f"data/{GVA_2021}:{line}: {at('gva', BLACKPOOL, 2017)}: duplicate key '2017' (first on line {line}); "
        "keep one"
    ]


def test_holds_between_with_one_item_is_not_called_empty(project_copy):
    project_copy.edit("holds_between: [0.9, 1.0]", "holds_between: [0.9]")
    line = project_copy.line_of("holds_between: [0.9]")
    problem = only_problem(project_copy)
    assert problem.startswith(f"cities.yaml:{line}: claims[1].holds_between: ")
    assert "must not be empty" not in problem
    assert "2" in problem.split("holds_between: ", 1)[1]


def test_a_list_where_a_figure_belongs_names_the_figure(project_copy):
    line = edit_data(project_copy, POPULATION_2022, "{2017: 139870,", "{2017: [1, 2],")
    assert only_problem(project_copy) == (
        f"data/{POPULATION_2022}:{line}: {at('population', BLACKPOOL, 2017)}: expected a number, got [1, 2]"
    )


def test_a_benchmark_without_the_measure_leaves_the_uplift_missing_with_the_reason(project_copy):
    itl = "ons-productivity-itl-2024.yaml"
    set_value(data_path(project_copy, itl), "gva_per_filled_job", "E92000001", 2017, '"[c]"')
    campaign = project_copy.load(strict=True)
    title = campaign.releases.sources[Path(itl).stem].title
    uplift = compute(campaign, DataChoice(2017, None))["group.uplift"]
    assert uplift.value is None
    assert uplift.why_missing is not None
    assert "England" in uplift.why_missing
    assert f"confidential in {title}" in uplift.why_missing
    assert compute(campaign, DataChoice(2018, None))["group.uplift"].value is not None  # only 2017's gap


# -- problems that used to end in a traceback or pass unnoticed ------------------------------------

LOCATED_IN_CHECK = [
    # (id, text to replace, replacement, where to start looking, what the line holds, what the error says)
    ("claim published 0", "    published: 24\n", "    published: 0\n", None, "published: 0",
     "claims[4].published: must be more than 0"),
    ("claim source a list", "    source: cities-in-action-2019\n", "    source: [x]\n", "\nclaims:\n",
     "source: [x]", "claims[0].source: expected text, got a list"),
    ("membership source a list", "membership_sources: [cities-in-action-2019, key-cities-new-members-2018]",
     "membership_sources: [[a], b]", None, "membership_sources: [[a], b]",
     "group.membership_sources[0]: expected text, got a list"),
    ("control character", '    name: "Blackpool"\n', '    name: "Black\x07pool"\n', None, "Black\x07pool",
     "invalid YAML: unacceptable character #x0007"),
    ("logo not found", "logo: assets/key-cities-logo.png", "logo: assets/nope.png", None,
     "logo: assets/nope.png", "group.logo: no such file assets/nope.png"),
    ("per-hour measure", "  measure: gva_per_filled_job\n", "  measure: gva_per_hour\n",
     None, "measure: gva_per_hour",
     "projection.measure: expected 'gva_per_filled_job', got 'gva_per_hour'"),
    ("jobs measure", "  jobs: filled_jobs\n", "  jobs: hours\n", None, "jobs: hours",
     "projection.jobs: expected 'filled_jobs', got 'hours'"),
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
