"""Figures computed from the data files: the 2019 documents' figures (2017, as of the letter's date), checked
against an independent reading of the raw YAML, and properties that hold for any data (totals, coverage,
gaps that are never zero, the uplift).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
import statistics
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import documents
import pytest
import yaml
from click.testing import CliRunner
from documents import PROJECT_ROOT, invoke, pdf_lines, squeeze
from hypothesis import given, settings
from hypothesis import strategies as st

from keycities.cli import cli
from keycities.data.cities import Campaign, CampaignFile, load_campaign
from keycities.data.measures import MEASURES
from keycities.data.releases import Held, Releases
from keycities.data.sources import Source
from keycities.data.yaml_lines import Located
from keycities.errors import FigureError
from keycities.figures.claims import reconcile
from keycities.figures.compute import RANKED, compute
from keycities.figures.model import Coverage, DataChoice, FigureBook

SHIPPED_YAML = PROJECT_ROOT / "cities.yaml"
RAW: dict[str, Any] = yaml.safe_load(SHIPPED_YAML.read_text(encoding="utf-8"))
DATA: dict[str, Any] = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted((PROJECT_ROOT / "data").glob("*.yaml"))
}
MEMBERS = RAW["members"]
BY_SLUG = {member["slug"]: member for member in MEMBERS}
COMPARATORS = {item["key"]: item for item in RAW["comparators"]}
SUMMABLE = {key for key, measure in MEASURES.items() if measure.summable}
SCALE = {key: measure.scale for key, measure in MEASURES.items()}
YEAR = 2017
# What the 2019 letter and packs use: the figures of 2017, as of the letter's date.
PINNED = DataChoice(YEAR, date(2019, 2, 4))
# The releases those figures come from, in the order the rule picks them: every ONS release came after
# 2019-02-04, so the earliest with a number; the council's own figure has no date, so it counts as the
# earliest of all; of two tables of one release, a row beats a sum of rows (the ITL file's England row).
RELEASES_2017 = {
    "population": ("bournemouth-council-2017", "ons-population-la-2021"),
    "gva": ("ons-gva-la-2021",),
}
PRODUCTIVITY_RELEASES = ("ons-productivity-itl-2024", "ons-productivity-la-2024")


@pytest.fixture(scope="module")
def book(shipped: Campaign) -> FigureBook:
    """The figures of the 2019 documents (2017, as of their date); conftest's `book` is the latest."""
    return compute(shipped, PINNED)


# -- an independent reading of the raw YAML ----------------------------------------------------------


def raw_number(measure: str, code: str, year: int = YEAR) -> float | None:
    """The value the 2019 documents use for one area, in the figure's unit, or None."""
    for release in RELEASES_2017.get(measure, PRODUCTIVITY_RELEASES):
        years = DATA[release]["values"].get(measure, {}).get(code)
        if not isinstance(years, dict):
            continue
        value = years.get(year)
        if isinstance(value, dict):
            value = value["value"]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value * SCALE[measure]
    return None


def shipped_unit(unit: dict[str, Any], measure: str) -> float | None:
    return raw_number(measure, unit["ons_code"])


def member_value(member: dict[str, Any], measure: str, lookup: Any = shipped_unit) -> float | None:
    """A member's figure; for a combined authority without a row of its own, the sum of its councils'
    counts (never of rates)."""
    own = lookup(member, measure)
    parts = member.get("constituents") or []
    if own is not None or not parts:
        return own
    if measure not in SUMMABLE:
        return None
    values = [lookup(part, measure) for part in parts]
    return None if any(value is None for value in values) else sum(values)


def raw_member_value(member: dict[str, Any], measure: str) -> float | None:
    return member_value(member, measure)


def raw_comparator(key: str, measure: str) -> float:
    value = raw_number(measure, COMPARATORS[key]["ons_code"])
    assert value is not None
    return value


def raw_uplift_per_year(
    members: list[dict[str, Any]], benchmark: float, lookup: Any = shipped_unit
) -> tuple[float, list[str]]:
    """Benchmark minus own measure (0 when above) times jobs, per council of a combined authority."""
    projection = RAW["projection"]
    total, missing = 0.0, []
    for member in members:
        units = member.get("constituents") or [member]
        rates = [(lookup(unit, projection["measure"]), lookup(unit, projection["jobs"])) for unit in units]
        if any(rate is None or jobs is None for rate, jobs in rates):
            missing.append(member["name"])
            continue
        total += sum(max(0.0, benchmark - rate) * jobs for rate, jobs in rates)  # type: ignore[operator]
    return total, missing


def release_name(source: str) -> str:
    """A release as the reasons for a gap name it."""
    meta = DATA[source]["source"]
    return f"{meta['title']} ({meta['publisher']}, {meta['released']})"


def data_file(project_copy: Any, stem: str) -> Path:
    return project_copy.folder / "data" / f"{stem}.yaml"


def gap_2017(path: Path, code: str) -> None:
    """Make an area's 2017 value in a data file ONS's marker for a gap."""
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(rf"(\n    {code}: \{{2017: )[^,}}]+", r'\1"[x]"', text, count=1)
    assert count == 1, f"no 2017 value for {code} in {path}"
    path.write_text(edited, encoding="utf-8")


# -- the shipped figures -----------------------------------------------------------------------------


def test_member_count(book):
    figure = book["group.member_count"]
    assert figure.value == 24 == len(MEMBERS)
    assert figure.coverage == Coverage(24, 24)
    assert figure.sources == tuple(sorted(RAW["group"].get("membership_sources") or []))
    for member in MEMBERS:  # the members not confirmed by a member list are named as such
        assert (member["name"] in figure.method) == (member["membership"] == "probable")


def test_group_population_covers_every_member(book):
    figure = book["group.population"]
    assert figure.value == 6_400_797
    assert figure.value == sum(raw_member_value(member, "population") for member in MEMBERS)
    assert figure.coverage == Coverage(24, 24, ())
    assert str(figure.coverage) == "24 of 24 members"
    assert figure.coverage.complete
    assert figure.unit == "persons"
    assert figure.sources == ("bournemouth-council-2017", "ons-population-la-2021")
    assert figure.year == 2017
    assert figure.rounded_to == 100  # Bournemouth's figure, rounded by the council


def test_group_gva_leaves_out_bournemouth_and_says_so(book):
    figure = book["group.gva"]
    values = [raw_member_value(member, "gva") for member in MEMBERS]
    assert figure.value == 137_228_000_000
    assert figure.value == sum(value for value in values if value is not None)
    assert figure.coverage == Coverage(23, 24, ("Bournemouth",))
    assert str(figure.coverage) == "23 of 24 members"
    assert not figure.coverage.complete
    assert "Bournemouth" in figure.method and "left out" in figure.method
    assert figure.sources == ("ons-gva-la-2021",)


def test_scotland_ratio_is_almost_one(book):
    figure = book["group.gva_ratio_to_scotland"]
    assert 0.9 < figure.value < 1.0
    assert figure.value == pytest.approx(137_228e6 / raw_comparator("scotland", "gva"))
    assert figure.unit == "ratio"
    assert figure.coverage == book["group.gva"].coverage


def test_uplift_recomputed_from_the_raw_yaml(book):
    per_year, missing = raw_uplift_per_year(MEMBERS, raw_comparator("england", "gva_per_filled_job"))
    years = RAW["projection"]["target_year"] - RAW["projection"]["base_year"]
    assert years == 10
    assert missing == ["Bournemouth", "Carlisle"]
    assert per_year == pytest.approx(26.25e9, abs=0.01e9)
    assert per_year * years == pytest.approx(262.5e9, abs=0.1e9)
    assert book["group.uplift_per_year"].value == pytest.approx(per_year, rel=1e-12)
    assert book["group.uplift"].value == pytest.approx(per_year * years, rel=1e-12)
    for name in ("group.uplift_per_year", "group.uplift"):
        assert book[name].coverage == Coverage(22, 24, ("Bournemouth", "Carlisle"))
        assert book[name].sources == ("ons-productivity-itl-2024", "ons-productivity-la-2024")
        assert book[name].year == 2017


def test_member_uplift_sums_tees_valley_over_its_councils(book):
    benchmark = raw_comparator("england", "gva_per_filled_job")
    councils = BY_SLUG["tees-valley"]["constituents"]
    rates = {part["name"]: raw_number("gva_per_filled_job", part["ons_code"]) for part in councils}
    jobs = {part["name"]: raw_number("filled_jobs", part["ons_code"]) for part in councils}
    expected = sum(max(0.0, benchmark - rates[name]) * jobs[name] for name in rates)
    assert len(councils) == 5
    assert book["member.tees-valley.uplift"].value == pytest.approx(expected * 10, rel=1e-12)
    # Stockton-on-Tees is above the England average: it adds nothing rather than subtracting
    assert rates["Stockton-on-Tees"] > benchmark
    naive = sum((benchmark - rates[name]) * jobs[name] for name in rates)
    assert book["member.tees-valley.uplift"].value > naive * 10


def test_a_member_above_the_benchmark_adds_nothing(book):
    southampton = raw_member_value(BY_SLUG["southampton"], "gva_per_filled_job")
    assert southampton > raw_comparator("england", "gva_per_filled_job")
    assert book["member.southampton.uplift"].value == 0


def test_uplift_of_a_member_without_productivity_is_missing(book):
    figure = book["member.carlisle.uplift"]
    assert figure.value is None
    assert "Carlisle" in figure.why_missing
    assert figure.why_missing.endswith("for 2017")


def test_tees_valley_counts_are_the_sums_of_its_councils(book):
    councils = BY_SLUG["tees-valley"]["constituents"]
    names = [part["name"] for part in councils]
    checked = []
    for name in sorted(SUMMABLE):
        figure = book[f"member.tees-valley.{name}"]
        expected = sum(raw_number(name, part["ons_code"]) for part in councils)
        assert figure.value == pytest.approx(expected, rel=1e-12), name
        assert figure.method == f"Sum of its 5 councils: {', '.join(names)}."
        checked.append(name)
    assert checked == ["filled_jobs", "gva", "hours", "population"]
    assert book["member.tees-valley.gva"].value == 13_133_000_000


@pytest.mark.parametrize("rate", ["gva_per_hour", "gva_per_filled_job", "gva_per_hour_index"])
def test_tees_valley_rates_are_missing_with_a_reason(book, rate):
    figure = book[f"member.tees-valley.{rate}"]
    assert figure.value is None
    assert figure.why_missing == (
        "Tees Valley is a combined authority; ONS publishes this rate for its 5 councils, "
        "and rates cannot be added up"
    )


def test_carlisle_gva_per_filled_job_is_missing_because_the_release_has_no_row(book):
    figure = book["member.carlisle.gva_per_filled_job"]
    assert figure.value is None
    assert figure.missing
    assert DATA["ons-productivity-la-2024"]["values"]["gva_per_filled_job"]["E07000028"] == "absent"
    assert figure.why_missing == f"not in {release_name('ons-productivity-la-2024')}"
    assert "Cumberland" in BY_SLUG["carlisle"]["note"]  # why the release has no row, for people
    # and every figure derived from it inherits the reason
    for name in ("gva_per_filled_job_ratio_to_england", "gva_per_filled_job_rank"):
        derived = book[f"member.carlisle.{name}"]
        assert derived.value is None
        assert figure.why_missing in derived.why_missing


def test_carlisle_gva_is_present(book):
    assert book["member.carlisle.gva"].value == 2838e6


@pytest.mark.parametrize("measure", RANKED)
def test_ranks_are_one_to_n_over_members_with_data(book, measure):
    values = {
        member["slug"]: raw_member_value(member, measure)
        for member in MEMBERS
        if raw_member_value(member, measure) is not None
    }
    ranks = {slug: book[f"member.{slug}.{measure}_rank"].value for slug in values}
    for slug, value in values.items():  # 1 + the number of members strictly above: ties share a rank
        assert ranks[slug] == 1 + sum(other > value for other in values.values()), slug
    if len(set(values.values())) == len(values):
        assert sorted(ranks.values()) == list(range(1, len(values) + 1))
    by_value = sorted(values, key=lambda slug: -values[slug])
    assert ranks[by_value[0]] == 1
    assert ranks[by_value[-1]] == len(values) - sum(v == values[by_value[-1]] for v in values.values()) + 1
    for member in MEMBERS:
        figure = book[f"member.{member['slug']}.{measure}_rank"]
        assert figure.coverage.covered == len(values)
        if member["slug"] not in values:
            assert figure.value is None
            assert figure.why_missing


@pytest.mark.parametrize("measure", ["population", "gva", "gva_per_filled_job"])
def test_ranks_without_ties_are_exactly_one_to_n(book, measure):
    ranks = [book[f"member.{slug}.{measure}_rank"].value for slug in BY_SLUG]
    present = sorted(rank for rank in ranks if rank is not None)
    assert present == list(range(1, len(present) + 1))
    assert len(present) == {"population": 24, "gva": 23, "gva_per_filled_job": 21}[measure]


def test_tied_members_share_a_rank_and_the_next_rank_is_skipped(book):
    assert raw_member_value(BY_SLUG["bradford"], "gva_per_hour") == 27.0
    assert raw_member_value(BY_SLUG["norwich"], "gva_per_hour") == 27.0
    tied = book["member.bradford.gva_per_hour_rank"].value
    assert tied == book["member.norwich.gva_per_hour_rank"].value
    ranks = [book[f"member.{slug}.gva_per_hour_rank"].value for slug in BY_SLUG]
    assert ranks.count(tied) == 2
    assert tied + 1 not in ranks
    assert min(rank for rank in ranks if rank is not None and rank > tied) == tied + 2


def test_productivity_ranks_cover_21_members(book):
    coverage = book["member.wakefield.gva_per_filled_job_rank"].coverage
    assert coverage == Coverage(21, 24, ("Bournemouth", "Carlisle", "Tees Valley"))
    assert book["member.southampton.gva_per_filled_job_rank"].value == 1


@pytest.mark.parametrize("slug", ["wakefield", "newport", "southampton"])
@pytest.mark.parametrize("rate", ["gva_per_filled_job", "gva_per_hour"])
def test_ratio_and_difference_to_england(book, slug, rate):
    own = raw_member_value(BY_SLUG[slug], rate)
    england = raw_comparator("england", rate)
    ratio = book[f"member.{slug}.{rate}_ratio_to_england"]
    difference = book[f"member.{slug}.{rate}_difference_from_england"]
    assert ratio.value == pytest.approx(own / england, rel=1e-12)
    assert difference.value == pytest.approx(own - england, rel=1e-12)
    assert ratio.unit == "ratio"
    assert difference.unit == "gbp"
    assert ratio.sources == ("ons-productivity-itl-2024", "ons-productivity-la-2024")


def test_wakefield_in_numbers(book):
    assert book["member.wakefield.gva_per_filled_job_ratio_to_england"].value == pytest.approx(
        0.79591, abs=1e-5
    )
    assert book["member.wakefield.gva_per_filled_job_difference_from_england"].value == pytest.approx(
        -11469.2
    )


def test_comparators_as_published(book):
    england = book["comparator.england.gva_per_filled_job"]
    assert england.value == 56196.2
    assert england.sources == ("ons-productivity-itl-2024",)
    assert england.method == "As published."
    scotland = book["comparator.scotland.gva"]
    assert scotland.value == 138_833e6
    assert scotland.method.startswith("Sum of the 32 local authorities of Scotland in the release")
    # the ITL file's England row beats the local-authority file's sum of rows, of the same release
    jobs = book["comparator.england.filled_jobs"]
    assert jobs.value == 28_333_042
    assert jobs.sources == ("ons-productivity-itl-2024",)


def test_member_shares_of_group_gva_add_to_one(book):
    shares = [book[f"member.{slug}.gva_share_of_group"].value for slug in BY_SLUG]
    assert sum(share for share in shares if share is not None) == pytest.approx(1.0)
    assert book["member.bournemouth.gva_share_of_group"].value is None


def test_median_productivity_ignores_the_gaps(book):
    values = [raw_member_value(member, "gva_per_filled_job") for member in MEMBERS]
    present = [value for value in values if value is not None]
    assert len(present) == 21
    figure = book["group.gva_per_filled_job_median"]
    assert figure.value == statistics.median(present)
    assert figure.value != statistics.median([value or 0.0 for value in values])
    assert figure.coverage == Coverage(21, 24, ("Bournemouth", "Carlisle", "Tees Valley"))


def test_require_returns_a_present_figures_value(book):
    assert book["group.population"].require() == book["group.population"].value


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "member.bournemouth.gva",
            ["GVA, 2017, Bournemouth", "member.bournemouth.gva", f"not in {release_name('ons-gva-la-2021')}"],
        ),
        ("member.carlisle.gva_per_filled_job", ["Carlisle", "not in Subregional productivity"]),
        ("member.tees-valley.gva_per_hour", ["Tees Valley", "combined authority"]),
    ],
)
def test_require_on_a_missing_figure_names_it_and_says_why(book, name, words):
    with pytest.raises(FigureError) as caught:
        book[name].require()
    for word in words:
        assert word in str(caught.value)
    assert str(caught.value).startswith(f"{book[name].label} ({name}) is missing: ")


def test_an_unknown_figure_name_is_a_figure_error(book):
    with pytest.raises(FigureError, match=r"unknown figure 'group\.gdp'"):
        book["group.gdp"]
    assert "group.gdp" not in book
    assert "group.gva" in book


def test_every_present_figure_has_a_source_or_a_method(book):
    for name, figure in book.figures.items():
        assert figure.name == name
        assert figure.method, name
        if figure.value is None:
            assert figure.why_missing, name
            assert figure.sources == (), name


def test_every_figure_taken_from_the_data_names_where_its_inputs_are_written(book):
    pattern = re.compile(r"^data/[a-z0-9-]+\.yaml:\d+$")
    blackpool = book["member.blackpool.gva"]
    [only] = blackpool.inputs
    line = documents.line_of(PROJECT_ROOT / "data" / "ons-gva-la-2021.yaml", "E06000009:")
    assert only.where == f"data/ons-gva-la-2021.yaml:{line}"
    assert only.value == 2672e6
    for figure in book.figures.values():
        for item in figure.inputs:
            assert pattern.match(item.where) or item.where.startswith("cities.yaml:"), (figure.name, item)


def test_claims_reconciled_on_the_shipped_data(shipped):
    results = {
        result.claim.key: result for result in reconcile(shipped, cache(lambda c: compute(shipped, c)))
    }
    assert {key: result.status for key, result in results.items()} == {
        "collective-gva": "differs",
        "scotland": "holds",
        "uplift": "differs",
        "population": "matches",
        "members": "matches",
    }
    gva = results["collective-gva"]
    assert gva.figure.value == 137_228e6
    assert gva.difference == pytest.approx(137_228e6 - 130.5e9)
    assert gva.relative == pytest.approx((137_228e6 - 130.5e9) / 130.5e9)
    assert results["scotland"].difference is None


# -- editing the data ---------------------------------------------------------------------------------


def test_editing_a_member_gva_changes_the_total_and_the_check_output(project_copy):
    documents.edit(data_file(project_copy, "ons-gva-la-2021"), "{2017: 2672,", "{2017: 12672,")
    edited = compute(project_copy.load(), PINNED)
    assert edited["group.gva"].value == 147_228e6
    result = CliRunner().invoke(cli, ["check", "--project", str(project_copy.folder)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("“Our collective annual GVA"))
    assert "£147.2bn" in row
    assert "£137.2bn" not in row
    blackpool = next(line for line in result.stdout.splitlines() if line.startswith("Blackpool  "))
    assert blackpool.split() == ["Blackpool", "12,672", "2,676", "-9,996"]


def test_a_gap_in_the_earlier_release_is_filled_from_the_later_one(project_copy, book):
    documents.edit(data_file(project_copy, "ons-gva-la-2021"), "{2017: 2672,", '{2017: "[x]",')
    edited = compute(project_copy.load(), PINNED)
    assert edited["member.blackpool.gva"].value == 2676e6
    assert edited["member.blackpool.gva"].sources == ("ons-gva-la-2022",)
    figure = edited["group.gva"]
    assert figure.value == book["group.gva"].value - 2672e6 + 2676e6
    assert figure.coverage == Coverage(23, 24, ("Bournemouth",))
    assert figure.sources == ("ons-gva-la-2021", "ons-gva-la-2022")


def test_nulling_a_member_gva_lowers_coverage_and_total_by_its_value(project_copy, book):
    for stem in ("ons-gva-la-2021", "ons-gva-la-2022"):
        gap_2017(data_file(project_copy, stem), "E06000009")  # Blackpool
    edited = compute(project_copy.load(), PINNED)
    figure = edited["group.gva"]
    assert figure.value == book["group.gva"].value - 2672e6
    assert figure.coverage == Coverage(22, 24, ("Blackpool", "Bournemouth"))
    blackpool = edited["member.blackpool.gva"]
    assert blackpool.value is None
    assert blackpool.why_missing == f"not available in {release_name('ons-gva-la-2021')}"
    result = CliRunner().invoke(cli, ["check", "--project", str(project_copy.folder)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("“Our collective annual GVA"))
    assert "£134.6bn" in row


def test_a_missing_constituent_figure_makes_the_combined_total_missing(project_copy):
    for stem in ("ons-gva-la-2021", "ons-gva-la-2022"):
        gap_2017(data_file(project_copy, stem), "E06000001")  # Hartlepool
    edited = compute(project_copy.load(), PINNED)
    figure = edited["member.tees-valley.gva"]
    assert figure.value is None
    assert figure.why_missing == "not published for Hartlepool, so Tees Valley's total cannot be formed"
    assert edited["group.gva"].coverage == Coverage(22, 24, ("Bournemouth", "Tees Valley"))


def test_a_comparator_gap_is_missing_with_its_release_and_the_comparisons_inherit_it(project_copy):
    path = data_file(project_copy, "ons-productivity-itl-2024")
    documents.edit(path, "{2017: 34.8,", '{2017: "[c]",', after="gva_per_hour:\n")
    edited = compute(project_copy.load(), PINNED)
    england = edited["comparator.england.gva_per_hour"]
    assert england.value is None
    assert england.why_missing == f"confidential in {release_name('ons-productivity-itl-2024')}"
    ratio = edited["member.wakefield.gva_per_hour_ratio_to_england"]
    assert ratio.value is None
    assert england.why_missing in ratio.why_missing
    assert compute(project_copy.load())["comparator.england.gva_per_hour"].value == 40.3  # 2022 untouched


# -- properties on synthetic data ---------------------------------------------------------------------

ABSENT = "absent"  # the release does not mention the area, as data files write it
MISSING = st.sampled_from([ABSENT, None])  # None: a marker ("[x]"), a gap with its reason
SYNTHETIC = "synthetic-2017"
SYNTHETIC_SOURCE = Source(
    title="Synthetic figures", publisher="Tests", released=date(2018, 6, 1), url="https://example.org/"
)


def figure_strategy(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(MISSING, values)


COUNTS = st.integers(min_value=1, max_value=10_000_000)
RATES = st.floats(min_value=1_000, max_value=200_000, allow_nan=False)
VALUES = st.fixed_dictionaries(
    {
        "population": figure_strategy(COUNTS),
        "gva": figure_strategy(st.integers(min_value=1, max_value=1_000_000)),  # £ million
        "gva_per_filled_job": figure_strategy(RATES),
        "filled_jobs": figure_strategy(COUNTS),
    }
)


def synthetic_unit(unit: dict[str, Any], measure: str) -> float | None:
    value = unit.get("values", {}).get(measure, ABSENT)
    return None if value is None or value == ABSENT else value * SCALE[measure]


@st.composite
def member_lists(draw: st.DrawFn, min_size: int = 1) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=min_size, max_value=7))
    members = []
    for index in range(count):
        member = {
            "slug": f"city-{index}",
            "name": f"City {index}",
            "council": f"City {index} Council",
            "ons_code": f"E06{index:06d}",
            "type": "unitary",
            "nation": "England",
            "region": "North",
            "membership": "confirmed",
            "values": draw(VALUES),
        }
        if draw(st.booleans()) and index % 3 == 2:  # now and then a combined authority
            parts = draw(st.lists(VALUES, min_size=1, max_size=3))
            member["values"] = {}
            member["constituents"] = [
                {"name": f"Council {index}.{n}", "ons_code": f"E07{index:03d}{n:03d}", "values": values}
                for n, values in enumerate(parts)
            ]
        members.append(member)
    return members


# Above every generated rate, so every member with productivity data adds to the uplift.
HIGH_BENCHMARK = 1_000_000.0


def synthetic_releases(units: list[tuple[str, dict[str, Any]]]) -> Releases:
    """One release holding these areas' values for 2017, as `data/synthetic-2017.yaml` would."""
    held: dict[tuple[str, str, int], list[Held]] = {}
    for code, values in units:
        for measure, value in values.items():
            if value == ABSENT:
                continue
            number = None if value is None else float(value) * SCALE[measure]
            why = None if number is not None else "not available in Synthetic figures"
            held.setdefault((measure, code, YEAR), []).append(
                Held(
                    measure, code, YEAR, number, SYNTHETIC, date(2018, 6, 1), f"data/{SYNTHETIC}.yaml:1", why
                )
            )
    return Releases({SYNTHETIC: SYNTHETIC_SOURCE}, held, {})


def campaign_with(members: list[dict[str, Any]], benchmark: float = HIGH_BENCHMARK) -> Campaign:
    """A Campaign of the shipped settings with these members and their values, built without a file."""
    units = [("E92000001", {"gva_per_filled_job": benchmark})]
    for member in members:
        units.append((member["ons_code"], member.get("values", {})))
        units += [(part["ons_code"], part["values"]) for part in member.get("constituents") or []]
    data = copy.deepcopy(RAW)
    data["members"] = [
        {key: value for key, value in member.items() if key != "values"}
        | (
            {"constituents": [{"name": p["name"], "ons_code": p["ons_code"]} for p in member["constituents"]]}
            if member.get("constituents")
            else {}
        )
        for member in members
    ]
    model = CampaignFile.model_validate(data)
    return Campaign(Path("."), Located(Path("cities.yaml"), data), model, synthetic_releases(units), [])


def synthetic_value(member: dict[str, Any], measure: str) -> float | None:
    return member_value(member, measure, synthetic_unit)


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_a_total_is_the_sum_of_its_covered_parts(members):
    book = compute(campaign_with(members))
    for name in ("population", "gva", "filled_jobs"):
        values = [synthetic_value(member, name) for member in members]
        present = [value for value in values if value is not None]
        figure = book[f"group.{name}"]
        missing = tuple(m["name"] for m, v in zip(members, values, strict=True) if v is None)
        assert figure.coverage == Coverage(len(present), len(members), missing)
        if present:
            assert figure.value == pytest.approx(sum(present), rel=1e-12)
            assert figure.year == YEAR
        else:
            assert figure.value is None  # nothing to add up is missing, not zero
            assert figure.why_missing


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_a_median_is_over_the_members_with_data(members):
    book = compute(campaign_with(members))
    values = [synthetic_value(member, "gva_per_filled_job") for member in members]
    present = [value for value in values if value is not None]
    figure = book["group.gva_per_filled_job_median"]
    assert figure.coverage.covered == len(present)
    if present:
        assert figure.value == statistics.median(present)
    else:
        assert figure.value is None


@settings(max_examples=60, deadline=None)
@given(members=member_lists(), data=st.data())
def test_a_missing_value_is_never_counted_as_zero(members, data):
    with_gva = [i for i, m in enumerate(members) if synthetic_value(m, "gva") is not None]
    with_rate = [i for i, m in enumerate(members) if synthetic_value(m, "gva_per_filled_job") is not None]
    before = compute(campaign_with(members))
    if with_gva:
        index = data.draw(st.sampled_from(with_gva))
        own = synthetic_value(members[index], "gva")
        changed = copy.deepcopy(members)
        changed[index]["values"] = {**changed[index]["values"], "gva": None}
        changed[index].pop("constituents", None)
        after = compute(campaign_with(changed))["group.gva"]
        assert after.coverage.covered == before["group.gva"].coverage.covered - 1
        assert members[index]["name"] in after.coverage.missing
        if len(with_gva) == 1:
            assert after.value is None
        else:
            assert after.value == pytest.approx(before["group.gva"].value - own, rel=1e-9)
    if len(with_rate) >= 2:
        index = data.draw(st.sampled_from(with_rate))
        changed = copy.deepcopy(members)
        changed[index]["values"] = {**changed[index]["values"], "gva_per_filled_job": None}
        changed[index].pop("constituents", None)
        rest = [
            synthetic_value(member, "gva_per_filled_job")
            for i, member in enumerate(members)
            if i in with_rate and i != index
        ]
        median = compute(campaign_with(changed))["group.gva_per_filled_job_median"]
        assert median.value == statistics.median(rest)
        assert median.value >= min(rest)  # a zero in the median would drag it below every real value


@settings(max_examples=60, deadline=None)
@given(members=member_lists(), benchmark=RATES)
def test_the_uplift_is_never_negative_and_matches_the_formula(members, benchmark):
    campaign = campaign_with(members, benchmark)
    expected, missing = raw_uplift_per_year(members, benchmark, synthetic_unit)
    book = compute(campaign)
    if len(missing) == len(members):  # nobody to add up: missing, never a silent £0
        assert book["group.uplift"].value is None and book["group.uplift_per_year"].value is None
        return
    assert book["group.uplift_per_year"].value >= 0
    assert book["group.uplift"].value >= 0
    assert book["group.uplift_per_year"].value == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert book["group.uplift"].value == pytest.approx(expected * 10, rel=1e-9, abs=1e-5)
    assert book["group.uplift"].coverage.missing == tuple(missing)
    for member in members:
        figure = book[f"member.{member['slug']}.uplift"]
        assert figure.value is None or figure.value >= 0


def shipped_with(shipped: Campaign, values: dict[tuple[str, str], float | None], **data: Any) -> Campaign:
    """The shipped campaign with some 2017 values replaced in every release (None: a gap), and some of
    cities.yaml's top-level entries replaced."""
    held = {
        key: [
            dataclasses.replace(item, value=values[key[:2]], why=None if values[key[:2]] else "gone")
            if key[2] == YEAR and key[:2] in values
            else item
            for item in items
        ]
        for key, items in shipped.releases.held.items()
    }
    releases = Releases(shipped.releases.sources, held, shipped.releases.notes)
    raw = copy.deepcopy(RAW) | data
    model = CampaignFile.model_validate(raw)
    return Campaign(shipped.folder, Located(Path("cities.yaml"), raw), model, releases, [])


def all_codes(member: dict[str, Any]) -> list[str]:
    return [part["ons_code"] for part in member.get("constituents") or []] or [member["ons_code"]]


def test_the_uplift_is_zero_when_every_member_is_above_the_benchmark(shipped):
    # below every member's GVA per filled job
    book = compute(shipped_with(shipped, {("gva_per_filled_job", "E92000001"): 1_000.0}), PINNED)
    assert book["comparator.england.gva_per_filled_job"].value == 1_000
    assert book["group.uplift"].value == 0
    assert book["group.uplift_per_year"].value == 0
    assert book["group.uplift"].coverage == Coverage(22, 24, ("Bournemouth", "Carlisle"))
    assert all(book[f"member.{slug}.uplift"].value in (0, None) for slug in BY_SLUG)


def test_the_uplift_is_missing_not_zero_when_no_member_has_a_productivity_figure(shipped):
    gaps = {("gva_per_filled_job", code): None for member in MEMBERS for code in all_codes(member)}
    book = compute(shipped_with(shipped, gaps), PINNED)
    for name in ("group.uplift", "group.uplift_per_year"):
        figure = book[name]
        assert figure.value is None, f"{name} is {figure.value!r}: nobody was added up, so it is missing"
        assert figure.why_missing
        assert figure.coverage.covered == 0
        with pytest.raises(FigureError, match="missing"):
            figure.require()
    assert all(book[f"member.{slug}.uplift"].value is None for slug in BY_SLUG)


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_ranks_count_the_members_strictly_above(members):
    book = compute(campaign_with(members))
    values = {m["slug"]: synthetic_value(m, "population") for m in members}
    present = [value for value in values.values() if value is not None]
    for slug, value in values.items():
        rank = book[f"member.{slug}.population_rank"]
        if value is None:
            assert rank.value is None
        else:
            assert rank.value == 1 + sum(other > value for other in present)
            assert 1 <= rank.value <= len(present)


def test_a_small_cities_yaml_on_disk_gives_the_same_figures(tmp_path, book):
    members = [copy.deepcopy(BY_SLUG[slug]) for slug in ("blackpool", "bournemouth", "tees-valley")]
    data = copy.deepcopy(RAW)
    data["members"] = members
    (tmp_path / "cities.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    shutil.copytree(PROJECT_ROOT / "assets", tmp_path / "assets")  # the images cities.yaml names
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    from_file = compute(load_campaign(tmp_path, strict=True), PINNED)
    for member in members:
        for key in MEASURES:
            name = f"member.{member['slug']}.{key}"
            assert from_file[name] == book[name], name
    assert from_file["group.population"].value == 139_870 + 194_800 + sum(
        raw_number("population", part["ons_code"]) for part in BY_SLUG["tees-valley"]["constituents"]
    )
    assert from_file["group.gva"].coverage == Coverage(2, 3, ("Bournemouth",))


# -- edge cases found in review ---------------------------------------------------------------------


def test_a_claim_with_a_fractional_rounding_matches_its_rounded_value(shipped):
    claim = {
        "key": "c", "text": "a claim", "source": "cities-in-action-2019", "data_year": 2017,
        "figure": "group.gva_ratio_to_scotland", "published": 0.7, "rounding": 0.01,
    }  # fmt: skip
    campaign = shipped_with(shipped, {("gva", "S92000003"): 137_228e6 / 0.7}, claims=[claim])
    book = compute(campaign, PINNED)
    assert round(book["group.gva_ratio_to_scotland"].value, 2) == 0.7
    [result] = reconcile(campaign, lambda choice: compute(campaign, choice))
    assert result.status == "matches"


def test_a_members_share_of_the_group_carries_the_groups_coverage(book):
    group = book["group.gva"].coverage
    assert group == Coverage(23, 24, ("Bournemouth",))
    for slug in BY_SLUG:
        for name in ("gva_share_of_group", "gva_rest_of_group"):
            figure = book[f"member.{slug}.{name}"]
            if figure.value is not None:
                assert figure.coverage == group, f"{figure.name}: {figure.coverage}"
    assert str(book["member.wakefield.gva_share_of_group"].coverage) == "23 of 24 members"


def test_a_pack_records_and_cites_what_its_productivity_chart_draws(tmp_path, shipped, book):
    assert RAW["briefing"]["data_year"] == 2017  # the packs pin the figures the book holds
    out = tmp_path / "out"
    result = invoke(
        "briefings", "--project", PROJECT_ROOT, "--city", "wakefield", "--format", "pdf", "--jobs", "1",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    [entry] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert entry["path"] == "briefings/wakefield.pdf"
    recorded = {figure["name"]: figure for figure in entry["figures"]}
    drawn = [f"member.{slug}.gva_per_filled_job" for slug in BY_SLUG]
    drawn = [name for name in drawn if book[name].value is not None]
    assert len(drawn) == 21
    for name in [*drawn, "comparator.england.gva_per_filled_job"]:
        assert name in recorded, f"the chart draws {name}, which the manifest does not record"
        assert recorded[name]["value"] == book[name].value
        assert recorded[name]["sources"] == list(book[name].sources)

    # The caption cites the sources of what it draws, by the letters of the pack's list of sources.
    text = squeeze(" ".join(line.text for line in pdf_lines(out / "briefings" / "wakefield.pdf")))
    caption = re.escape("Not shown, for want of a figure: Bournemouth, Carlisle, Tees Valley. ")
    found = re.search(caption + r"Sources?: ((?:\[[A-Z]\](?:, )?)+)\.", text)
    assert found, "the productivity chart's caption cites no source"
    cited = set(re.findall(r"\[([A-Z])\]", found[1]))
    sources = {source for name in drawn for source in book[name].sources}
    sources |= set(book["comparator.england.gva_per_filled_job"].sources)
    expected = set()
    for source in sources:
        title = shipped.sources[source].title
        listed = re.search(r"\[([A-Z])\] [^\[]*?‘" + re.escape(squeeze(title)), text)
        assert listed, f"{source} is not in the pack's list of sources"
        expected.add(listed[1])
    assert cited == expected
