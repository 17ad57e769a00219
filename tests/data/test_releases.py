"""The data files of `data/`, read directly: values in the figure's unit with the release and line they come
from, ONS's markers and `absent` as gaps with their reasons, `rounded_to` and `sum_of`; the rule that picks
which release of a year a document uses; and every problem a data file can have, located on its line.

Each test writes small data files into a folder of its own and finds expected lines in the written text.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from documents import copy_project, line_of

from keycities.data.cities import load_campaign
from keycities.data.releases import Held, Releases, load_releases
from keycities.errors import DataError

PUBLISHER = "Office for National Statistics"
BLACKPOOL, BRADFORD = "E06000009", "E08000032"
KNOWN_MARKERS = "'[x]', '[c]', '[z]', '[low]', '[u]', ':', '..'"
KNOWN_MEASURES = "population, gva, gva_per_hour, gva_per_hour_index, gva_per_filled_job, filled_jobs, hours"


def title_of(name: str) -> str:
    return f"Test release {name}"


def release_name(name: str, released: str) -> str:
    """How a reason names a release: its title, publisher and release date."""
    return f"{title_of(name)} ({PUBLISHER}, {released})"


def write(folder: Path, name: str, values: str, released: str = "2021-05-26") -> Path:
    """Write `data/<name>.yaml` with a source released on `released` and `values` (YAML under `values:`,
    indented by two spaces); returns the file."""
    path = folder / "data" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "source:\n"
        f'  title: "{title_of(name)}"\n'
        f'  publisher: "{PUBLISHER}"\n'
        f"  released: {released}\n"
        f'  url: "https://example.org/{name}"\n'
        "values:\n" + values,
        encoding="utf-8",
    )
    return path


def load(folder: Path) -> Releases:
    """The releases of a folder that has no problems and no warnings."""
    releases, problems, warnings = load_releases(folder)
    assert problems == []
    assert warnings == []
    return releases


def only_problem(folder: Path) -> str:
    _, problems, _ = load_releases(folder)
    assert len(problems) == 1, problems
    return problems[0]


def held(releases: Releases, measure: str, code: str, year: int) -> list[Held]:
    return releases.held.get((measure, code, year), [])


# ---- values, gaps and their reasons -------------------------------------------------------------------


def test_a_number_is_held_in_the_figures_unit_with_its_release_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 2672, 2018: 2714.5}}\n")
    releases = load(tmp_path)
    line = line_of(path, f"{BLACKPOOL}:")
    [value] = held(releases, "gva", BLACKPOOL, 2017)
    assert value == Held(
        "gva", BLACKPOOL, 2017, 2_672_000_000.0, "gva-a", date(2021, 5, 26), f"data/gva-a.yaml:{line}"
    )
    assert held(releases, "gva", BLACKPOOL, 2018)[0].value == 2_714_500_000.0  # £ million, held in pounds
    assert releases.sources["gva-a"].title == title_of("gva-a")


def test_a_measure_held_in_its_own_unit_is_not_scaled(tmp_path: Path) -> None:
    write(tmp_path, "pop", f"  population:\n    {BLACKPOOL}: {{2017: 139870}}\n")
    assert held(load(tmp_path), "population", BLACKPOOL, 2017)[0].value == 139_870.0


MARKERS = [
    ("[x]", "not available"),
    ("[c]", "confidential"),
    ("[z]", "not applicable"),
    ("[low]", "too low to publish"),
    ("[u]", "too unreliable to publish"),
    (":", "not available"),
    ("..", "not available"),
    ("", "left blank"),
    (" [c] ", "confidential"),
]


@pytest.mark.parametrize(("marker", "meaning"), MARKERS, ids=[repr(marker) for marker, _ in MARKERS])
def test_a_marker_is_a_gap_whose_reason_names_its_meaning_and_the_release(
    tmp_path: Path, marker: str, meaning: str
) -> None:
    write(tmp_path, "gva-a", f'  gva:\n    {BLACKPOOL}: {{2017: "{marker}", 2018: 2714}}\n')
    releases = load(tmp_path)
    [gap] = held(releases, "gva", BLACKPOOL, 2017)
    assert gap.value is None
    assert gap.why == f"{meaning} in {release_name('gva-a', '2021-05-26')}"
    assert releases.years("gva", {BLACKPOOL}) == [2018]  # a gap is no year of data


def test_absent_is_a_gap_in_every_year_the_release_holds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gva-a",
        f"  gva:\n    {BLACKPOOL}: {{2017: 2672, 2018: 2714}}\n    {BRADFORD}: absent\n"
        "  population:\n    E06000028: absent\n    E06000010: {2016: 5}\n",
    )
    releases = load(tmp_path)
    line = line_of(path, f"{BRADFORD}: absent")
    reason = f"not in {release_name('gva-a', '2021-05-26')}"
    for year in (2017, 2018):
        [gap] = held(releases, "gva", BRADFORD, year)
        assert (gap.value, gap.why, gap.where) == (None, reason, f"data/gva-a.yaml:{line}")
        assert releases.pick("gva", BRADFORD, year, None) == gap
    # The years are those of the measure in this release: not 2016, which only population has.
    assert held(releases, "gva", BRADFORD, 2016) == []
    assert [gap.year for gap in held(releases, "population", "E06000028", 2016)] == [2016]
    assert releases.years("gva", {BRADFORD}) == []
    assert releases.years("gva", {BLACKPOOL, BRADFORD}) == [2017, 2018]


def test_rounded_to_is_kept_in_the_figures_unit(tmp_path: Path) -> None:
    write(
        tmp_path,
        "council",
        f"  population:\n    {BLACKPOOL}: {{2017: {{value: 194800, rounded_to: 100}}}}\n"
        f"  gva:\n    {BLACKPOOL}: {{2017: {{value: 2672, rounded_to: 10}}, 2018: 2714}}\n",
    )
    releases = load(tmp_path)
    population = held(releases, "population", BLACKPOOL, 2017)[0]
    assert (population.value, population.rounded_to) == (194_800.0, 100.0)
    gva = held(releases, "gva", BLACKPOOL, 2017)[0]
    assert (gva.value, gva.rounded_to) == (2_672_000_000.0, 10_000_000.0)
    assert held(releases, "gva", BLACKPOOL, 2018)[0].rounded_to is None


def test_sum_of_is_kept_for_every_year_of_the_row(tmp_path: Path) -> None:
    write(tmp_path, "gva-a", "  gva:\n    E92000001: {sum_of: 309, 2017: 1586892, 2018: 1641964}\n")
    releases = load(tmp_path)
    assert [held(releases, "gva", "E92000001", year)[0].sum_of for year in (2017, 2018)] == [309, 309]
    assert held(releases, "gva", "E92000001", 2017)[0].value == 1_586_892_000_000.0
    assert releases.years("gva", {"E92000001"}) == [2017, 2018]  # `sum_of` is no year


def test_a_source_released_in_a_month_counts_from_its_first_day(tmp_path: Path) -> None:
    write(tmp_path, "prod", f"  filled_jobs:\n    {BLACKPOOL}: {{2017: 63340}}\n", released='"2024-06"')
    assert held(load(tmp_path), "filled_jobs", BLACKPOOL, 2017)[0].released == date(2024, 6, 1)


def test_a_folder_without_data_files_holds_nothing(tmp_path: Path) -> None:
    assert load_releases(tmp_path) == (Releases({}, {}, {}), [], [])
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("not a data file\n", encoding="utf-8")
    assert load_releases(tmp_path) == (Releases({}, {}, {}), [], [])


# ---- which release a document uses --------------------------------------------------------------------


@pytest.fixture
def three_releases(tmp_path: Path) -> Releases:
    """Blackpool's 2017 GVA in three releases: 2672 (May 2021), 2676 (May 2022), 2700 (June 2024)."""
    write(tmp_path, "gva-2021", f"  gva:\n    {BLACKPOOL}: {{2017: 2672, 2018: 2714}}\n", "2021-05-26")
    write(tmp_path, "gva-2022", f"  gva:\n    {BLACKPOOL}: {{2017: 2676, 2018: 2720}}\n", "2022-05-30")
    write(tmp_path, "gva-2024", f"  gva:\n    {BLACKPOOL}: {{2017: 2700}}\n", '"2024-06"')
    return load(tmp_path)


def picked(releases: Releases, as_of: date | None, year: int = 2017) -> str | None:
    found = releases.pick("gva", BLACKPOOL, year, as_of)
    return None if found is None else found.source


@pytest.mark.parametrize(
    ("as_of", "source"),
    [
        (None, "gva-2024"),  # no date: the latest
        (date(2030, 1, 1), "gva-2024"),
        (date(2024, 6, 1), "gva-2024"),  # a month's release counts from its first day
        (date(2024, 5, 31), "gva-2022"),
        (date(2022, 5, 30), "gva-2022"),  # published that day: current that day
        (date(2022, 5, 29), "gva-2021"),
        (date(2021, 5, 26), "gva-2021"),
        (date(2019, 2, 4), "gva-2021"),  # every release came later: the earliest
    ],
)
def test_pick_takes_the_latest_release_published_by_the_date_else_the_earliest(
    three_releases: Releases, as_of: date | None, source: str
) -> None:
    assert picked(three_releases, as_of) == source


def test_pick_uses_only_the_releases_that_hold_the_year(three_releases: Releases) -> None:
    assert picked(three_releases, None, 2018) == "gva-2022"  # the 2024 release has no 2018
    assert three_releases.pick("gva", BLACKPOOL, 2018, None).value == 2_720_000_000.0  # type: ignore[union-attr]
    assert picked(three_releases, None, 2016) is None  # no release mentions 2016
    assert three_releases.pick("gva", BRADFORD, 2017, None) is None
    assert three_releases.pick("population", BLACKPOOL, 2017, None) is None


def test_a_number_beats_a_later_releases_gap_and_a_gap_is_picked_only_when_no_release_has_a_number(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a", f"  gva:\n    {BLACKPOOL}: {{2017: 2672}}\n    {BRADFORD}: {{2017: '[x]'}}\n")
    write(
        tmp_path,
        "b",
        f"  gva:\n    {BLACKPOOL}: {{2017: '[c]'}}\n    {BRADFORD}: {{2017: '[c]'}}\n",
        "2022-05-30",
    )
    releases = load(tmp_path)
    for as_of in (None, date(2023, 1, 1), date(2019, 1, 1)):
        number = releases.pick("gva", BLACKPOOL, 2017, as_of)
        assert number is not None
        assert (number.source, number.value) == ("a", 2_672_000_000.0)
    # No number anywhere: the gap of the release the same rule picks, with its reason.
    latest = releases.pick("gva", BRADFORD, 2017, None)
    assert latest is not None
    assert (latest.source, latest.why) == ("b", f"confidential in {release_name('b', '2022-05-30')}")
    current = releases.pick("gva", BRADFORD, 2017, date(2021, 6, 1))
    assert current is not None
    assert (current.source, current.why) == ("a", f"not available in {release_name('a', '2021-05-26')}")
    assert releases.years("gva", {BRADFORD}) == []


@pytest.mark.parametrize(("direct", "summed"), [("a", "b"), ("b", "a")])
@pytest.mark.parametrize("as_of", [None, date(2021, 5, 26), date(2019, 1, 1)])
def test_at_the_same_release_date_a_direct_value_beats_a_sum_of_rows(
    tmp_path: Path, direct: str, summed: str, as_of: date | None
) -> None:
    write(tmp_path, direct, "  gva:\n    E92000001: {2017: 1600000}\n")
    write(tmp_path, summed, "  gva:\n    E92000001: {sum_of: 309, 2017: 1586892}\n")
    found = load(tmp_path).pick("gva", "E92000001", 2017, as_of)
    assert found is not None
    assert (found.source, found.value, found.sum_of) == (direct, 1_600_000_000_000.0, None)


def test_a_later_sum_of_rows_beats_an_earlier_direct_value(tmp_path: Path) -> None:
    write(tmp_path, "direct", "  gva:\n    E92000001: {2017: 1600000}\n", "2021-05-26")
    write(tmp_path, "summed", "  gva:\n    E92000001: {sum_of: 309, 2017: 1612496}\n", "2022-05-30")
    found = load(tmp_path).pick("gva", "E92000001", 2017, None)
    assert found is not None
    assert (found.source, found.sum_of) == ("summed", 309)


def test_years_are_those_with_a_number_for_one_of_the_codes(tmp_path: Path) -> None:
    write(tmp_path, "a", f"  gva:\n    {BLACKPOOL}: {{2017: 1, 2018: 2}}\n    {BRADFORD}: {{2015: 1}}\n")
    write(
        tmp_path,
        "b",
        f"  gva:\n    {BLACKPOOL}: {{2019: 3, 2020: '[x]'}}\n  population:\n    {BLACKPOOL}: {{2021: 5}}\n",
        "2022-05-30",
    )
    releases = load(tmp_path)
    assert releases.years("gva", {BLACKPOOL}) == [2017, 2018, 2019]
    assert releases.years("gva", {BLACKPOOL, BRADFORD}) == [2015, 2017, 2018, 2019]
    assert releases.years("population", {BLACKPOOL}) == [2021]
    assert releases.years("hours", {BLACKPOOL}) == []
    assert releases.years("gva", set()) == []
    assert releases.releases_of("gva", 2017, {BLACKPOOL}) == ["a"]
    assert releases.releases_of("gva", 2020, {BLACKPOOL}) == []


def test_releases_of_lists_the_releases_holding_a_year_oldest_first(three_releases: Releases) -> None:
    assert three_releases.releases_of("gva", 2017, {BLACKPOOL}) == ["gva-2021", "gva-2022", "gva-2024"]
    assert three_releases.releases_of("gva", 2018, {BLACKPOOL}) == ["gva-2021", "gva-2022"]


# ---- problems, each on its line -----------------------------------------------------------------------

# Written one year a line, so that a problem named on its area's line instead of its year's is caught.
BLOCK = f"  gva:\n    {BLACKPOOL}:\n      2016: 2600\n      2017: {{written}}\n      2018: 2714\n"


@pytest.mark.parametrize(
    ("written", "what"),
    [
        ("n/a", f"expected a number or one of ONS's markers ({KNOWN_MARKERS}), got 'n/a'"),
        ('"[q]"', f"expected a number or one of ONS's markers ({KNOWN_MARKERS}), got '[q]'"),
        ("absent", f"expected a number or one of ONS's markers ({KNOWN_MARKERS}), got 'absent'"),
        ("true", "expected a number, got True"),
        ("null", "expected a number, got None"),
        ("[1, 2]", "expected a number, got [1, 2]"),
        (".nan", "expected a number, got nan"),
        (".inf", "expected a number, got inf"),
        ("0", "must be more than 0, got 0; use ONS's marker ('[x]') for a gap"),
        ("-5", "must be more than 0, got -5; use ONS's marker ('[x]') for a gap"),
        ("-0.5", "must be more than 0, got -0.5; use ONS's marker ('[x]') for a gap"),
        ("{value: -3, rounded_to: 100}", "must be more than 0, got -3; use ONS's marker ('[x]') for a gap"),
        ("{value: 2672, rounded_to: ten}", "rounded_to: expected a number such as 100, got 'ten'"),
    ],
)
def test_a_bad_value_is_named_on_its_years_line(tmp_path: Path, written: str, what: str) -> None:
    path = write(tmp_path, "gva-a", BLOCK.format(written=written))
    line = line_of(path, f"2017: {written}")
    assert only_problem(tmp_path) == f"data/gva-a.yaml:{line}: values.gva.{BLACKPOOL}.2017: {what}"


def test_a_whole_number_too_long_for_any_figure_is_named_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", BLOCK.format(written=10**400))
    line = line_of(path, "2017: 1000")
    problem = only_problem(tmp_path)  # not an OverflowError
    assert problem.startswith(f"data/gva-a.yaml:{line}: values.gva.{BLACKPOOL}.2017: "), problem


@pytest.mark.parametrize(
    ("key", "shown"),
    [("17", "17"), ("1899", "1899"), ("2201", "2201"), ("twenty", "'twenty'"), ("2017.5", "2017.5")],
)
def test_a_year_key_that_is_not_a_year_is_named_on_its_line(tmp_path: Path, key: str, shown: str) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}:\n      2017: 2672\n      {key}: 2714\n")
    line = line_of(path, f"{key}: 2714")
    assert only_problem(tmp_path) == (
        f"data/gva-a.yaml:{line}: values.gva.{BLACKPOOL}.{key}: expected a year such as 2018, got {shown}"
    )


def test_an_unknown_measure_is_named_with_the_known_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 2672}}\n  gdp:\n    {BLACKPOOL}: {{}}\n"
    )
    line = line_of(path, "  gdp:")
    assert only_problem(tmp_path) == (
        f"data/gva-a.yaml:{line}: values.gdp: unknown measure 'gdp'; known measures: {KNOWN_MEASURES}"
    )


def test_an_area_that_is_neither_years_nor_absent_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 2672}}\n    {BRADFORD}: abset\n")
    line = line_of(path, f"{BRADFORD}: abset")
    assert only_problem(tmp_path) == (
        f"data/gva-a.yaml:{line}: values.gva.{BRADFORD}: expected {{year: value, ...}} or 'absent', "
        "got 'abset'"
    )


def test_a_measure_that_is_not_a_mapping_of_areas_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", "  gva: [2672]\n")
    line = line_of(path, "gva: [2672]")
    assert (
        only_problem(tmp_path)
        == f"data/gva-a.yaml:{line}: values.gva: expected a mapping of keys, got a list"
    )


def test_every_problem_of_every_file_is_reported_and_the_good_values_are_kept(tmp_path: Path) -> None:
    first = write(
        tmp_path, "a", f"  gva:\n    {BLACKPOOL}: {{2017: -1, 2018: 2714}}\n    {BRADFORD}: {{2017: x}}\n"
    )
    second = write(tmp_path, "b", f"  hours:\n    {BLACKPOOL}: {{2017: 0}}\n")
    releases, problems, _ = load_releases(tmp_path)
    assert [problem.split(": values.")[0] for problem in problems] == [
        f"data/a.yaml:{line_of(first, BLACKPOOL)}",
        f"data/a.yaml:{line_of(first, BRADFORD)}",
        f"data/b.yaml:{line_of(second, BLACKPOOL)}",
    ]
    assert releases.pick("gva", BLACKPOOL, 2018, None) is not None


def test_malformed_yaml_in_a_data_file_is_named_with_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 2672: 3}}\n")
    line = line_of(path, "2672: 3")
    problem = only_problem(tmp_path)
    assert problem.startswith(f"data/gva-a.yaml:{line}:"), problem
    assert ": invalid YAML: " in problem


def test_a_key_written_twice_in_a_data_file_is_named_on_its_second_line(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}:\n      2017: 2672\n      2017: 9999\n")
    first, second = line_of(path, "2017: 2672"), line_of(path, "2017: 9999")
    assert only_problem(tmp_path) == (
        f"data/gva-a.yaml:{second}: values.gva.{BLACKPOOL}.2017: duplicate key '2017' "
        f"(first on line {first}); keep one"
    )


@pytest.mark.parametrize(("text", "shown"), [("- a\n", "a list"), ("", "nothing (null)")])
def test_a_data_file_that_is_not_a_mapping(tmp_path: Path, text: str, shown: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "odd.yaml").write_text(text, encoding="utf-8")
    assert only_problem(tmp_path) == f"data/odd.yaml:1: (top level): expected a mapping of keys, got {shown}"


def test_a_data_file_without_its_source_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "odd.yaml").write_text(f"values:\n  gva:\n    {BLACKPOOL}: {{2017: 1}}\n")
    assert only_problem(tmp_path) == "data/odd.yaml:1: (top level): missing required key 'source'"


def test_a_bad_release_date_is_named_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 1}}\n", released="26/05/2021")
    line = line_of(path, "released: 26/05/2021")
    assert only_problem(tmp_path) == (
        f"data/gva-a.yaml:{line}: source.released: expected a date like 2019-02-04 or a month like 2024-06, "
        "got '26/05/2021'"
    )


def test_an_unknown_key_in_a_data_file_is_a_warning_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "gva-a", f"  gva:\n    {BLACKPOOL}: {{2017: 1}}\n")
    path.write_text(path.read_text(encoding="utf-8").replace("  released:", "  relased:"), encoding="utf-8")
    line = line_of(path, "relased:")
    _, problems, warnings = load_releases(tmp_path)
    assert problems == []
    assert warnings == [
        f"data/gva-a.yaml:{line}: source.relased: unknown key 'relased' (ignored); did you mean 'released'?"
    ]


# ---- values far beyond any UK area's -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "highest", "words"),
    [
        ("population", 100_000_000, "100 million people"),
        ("gva", 5_000_000, "£5 trillion (5,000,000 in £ million)"),
        ("hours", 5_000_000_000, "5 billion hours a week"),
    ],
)
def test_a_value_beyond_the_plausible_maximum_is_a_warning_on_its_line(
    tmp_path: Path, measure: str, highest: int, words: str
) -> None:
    path = write(tmp_path, "a", f"  {measure}:\n    {BLACKPOOL}:\n      2016: 1\n      2017: {highest}\n")
    assert load_releases(tmp_path)[1:] == ([], [])
    path.write_text(path.read_text(encoding="utf-8").replace(f"2017: {highest}", f"2017: {highest + 1}"))
    line = line_of(path, f"2017: {highest + 1}")
    releases, problems, warnings = load_releases(tmp_path)
    assert problems == []
    assert warnings == [
        f"data/a.yaml:{line}: values.{measure}.{BLACKPOOL}.2017: {highest + 1:,} is more than {words}, far "
        "beyond any UK area; check the value and its unit"
    ]
    assert releases.pick(measure, BLACKPOOL, 2017, None) is not None  # kept: it may be right


def test_a_plausibility_warning_in_a_projects_data_is_an_error_under_strict(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    write(project, "extra", f"  population:\n    {BLACKPOOL}: {{2010: 100000001}}\n", "2011-01-01")
    line = line_of(project / "data" / "extra.yaml", BLACKPOOL)
    warning = f"data/extra.yaml:{line}: values.population.{BLACKPOOL}.2010: "
    assert [text[: len(warning)] for text in load_campaign(project).warnings] == [warning]
    with pytest.raises(DataError) as caught:
        load_campaign(project, strict=True)
    [problem] = caught.value.problems
    assert problem.startswith(warning)
    assert problem.endswith("[an error under --strict]")
