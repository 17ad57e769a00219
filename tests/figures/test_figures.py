"""Figures computed from cities.yaml: the shipped values, checked against an independent computation from the
raw YAML, and properties that hold for any data (totals, coverage, gaps that are never zero, the uplift).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from documents import PROJECT_ROOT, invoke, pdf_lines, squeeze
from hypothesis import given, settings
from hypothesis import strategies as st

from keycities.cli import cli
from keycities.data.cities import Campaign, CampaignFile, load_campaign
from keycities.data.measures import SUMMABLE_KEYS
from keycities.data.yaml_lines import Located
from keycities.errors import FigureError
from keycities.figures.claims import reconcile
from keycities.figures.compute import RANKED, compute
from keycities.figures.model import Coverage

SHIPPED_YAML = Path(__file__).resolve().parents[2] / "cities.yaml"
RAW: dict[str, Any] = yaml.safe_load(SHIPPED_YAML.read_text(encoding="utf-8"))
MEMBERS = RAW["members"]
BY_SLUG = {member["slug"]: member for member in MEMBERS}
KEY_OF = {  # figure names (member.<slug>.<name>) and their cities.yaml keys
    "population": "population_mid2017",
    "gva": "gva_2017_gbp_m",
    "gva_per_hour": "gva_per_hour_2017_gbp",
    "gva_per_filled_job": "gva_per_filled_job_2017_gbp",
    "filled_jobs": "filled_jobs_2017",
}
SCALE = {"gva": 1e6}


# -- an independent reading of the raw YAML ----------------------------------------------------------


def raw_value(figures: dict[str, Any], key: str) -> float | None:
    figure = figures.get(key)
    return figure.get("value") if isinstance(figure, dict) else figure


def raw_member_value(member: dict[str, Any], key: str) -> float | None:
    """A member's figure; for a combined authority, the sum of its councils' counts (never of rates)."""
    own = raw_value(member["figures"], key)
    parts = member.get("constituents") or []
    if own is not None or not parts:
        return own
    if key not in SUMMABLE_KEYS:
        return None
    values = [raw_value(part["figures"], key) for part in parts]
    return None if any(value is None for value in values) else sum(values)


def raw_comparator(key: str, figure_key: str) -> float:
    comparator = next(item for item in RAW["comparators"] if item["key"] == key)
    value = raw_value(comparator["figures"], figure_key)
    assert value is not None
    return value


def raw_uplift_per_year(data: dict[str, Any]) -> tuple[float, list[str]]:
    """Benchmark minus own measure (0 when above) times jobs, per council of a combined authority."""
    projection = data["projection"]
    comparator = next(item for item in data["comparators"] if item["key"] == projection["benchmark"])
    benchmark = raw_value(comparator["figures"], projection["measure"])
    assert benchmark is not None
    total, missing = 0.0, []
    for member in data["members"]:
        units = [part["figures"] for part in member.get("constituents") or []] or [member["figures"]]
        rates = [(raw_value(f, projection["measure"]), raw_value(f, projection["jobs"])) for f in units]
        if any(rate is None or jobs is None for rate, jobs in rates):
            missing.append(member["name"])
            continue
        total += sum(max(0.0, benchmark - rate) * jobs for rate, jobs in rates)  # type: ignore[operator]
    return total, missing


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
    assert figure.value == sum(raw_member_value(member, "population_mid2017") for member in MEMBERS)
    assert figure.coverage == Coverage(24, 24, ())
    assert str(figure.coverage) == "24 of 24 members"
    assert figure.coverage.complete
    assert figure.unit == "persons"
    assert figure.sources == ("bournemouth-council-2017", "ons-mye-2017")


def test_group_gva_leaves_out_bournemouth_and_says_so(book):
    figure = book["group.gva"]
    values = [raw_member_value(member, "gva_2017_gbp_m") for member in MEMBERS]
    assert figure.value == 137_228_000_000
    assert figure.value == sum(value for value in values if value is not None) * 1e6
    assert figure.coverage == Coverage(23, 24, ("Bournemouth",))
    assert str(figure.coverage) == "23 of 24 members"
    assert not figure.coverage.complete
    assert "Bournemouth" in figure.method and "left out" in figure.method
    assert figure.sources == ("ons-gva-la-2021",)


def test_scotland_ratio_is_almost_one(book):
    figure = book["group.gva_ratio_to_scotland"]
    assert 0.9 < figure.value < 1.0
    assert figure.value == pytest.approx(137_228 / raw_comparator("scotland", "gva_2017_gbp_m"))
    assert figure.unit == "ratio"
    assert figure.coverage == book["group.gva"].coverage


def test_uplift_recomputed_from_the_raw_yaml(book):
    per_year, missing = raw_uplift_per_year(RAW)
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


def test_member_uplift_sums_tees_valley_over_its_councils(book):
    benchmark = raw_comparator("england", "gva_per_filled_job_2017_gbp")
    councils = BY_SLUG["tees-valley"]["constituents"]
    expected = sum(
        max(0.0, benchmark - part["figures"]["gva_per_filled_job_2017_gbp"])
        * part["figures"]["filled_jobs_2017"]
        for part in councils
    )
    assert len(councils) == 5
    assert book["member.tees-valley.uplift"].value == pytest.approx(expected * 10, rel=1e-12)
    # Stockton-on-Tees is above the England average: it adds nothing rather than subtracting
    stockton = next(part for part in councils if part["name"] == "Stockton-on-Tees")
    assert stockton["figures"]["gva_per_filled_job_2017_gbp"] > benchmark
    naive = sum(
        (benchmark - p["figures"]["gva_per_filled_job_2017_gbp"]) * p["figures"]["filled_jobs_2017"]
        for p in councils
    )
    assert book["member.tees-valley.uplift"].value > naive * 10


def test_a_member_above_the_benchmark_adds_nothing(book):
    southampton = BY_SLUG["southampton"]["figures"]["gva_per_filled_job_2017_gbp"]
    assert southampton > raw_comparator("england", "gva_per_filled_job_2017_gbp")
    assert book["member.southampton.uplift"].value == 0


def test_uplift_of_a_member_without_productivity_is_missing(book):
    figure = book["member.carlisle.uplift"]
    assert figure.value is None
    assert "Carlisle" in figure.why_missing


def test_tees_valley_counts_are_the_sums_of_its_councils(book):
    councils = BY_SLUG["tees-valley"]["constituents"]
    names = [part["name"] for part in councils]
    for name, key in KEY_OF.items():
        if key not in SUMMABLE_KEYS:
            continue
        figure = book[f"member.tees-valley.{name}"]
        expected = sum(part["figures"][key] for part in councils) * SCALE.get(name, 1)
        assert figure.value == pytest.approx(expected, rel=1e-12), name
        assert figure.method == f"Sum of its 5 councils: {', '.join(names)}."
    assert book["member.tees-valley.gva"].value == 13_133_000_000


@pytest.mark.parametrize("rate", ["gva_per_hour", "gva_per_filled_job", "gva_per_hour_index"])
def test_tees_valley_rates_are_missing_with_a_reason(book, rate):
    figure = book[f"member.tees-valley.{rate}"]
    assert figure.value is None
    assert figure.why_missing == (
        "Tees Valley is a combined authority; ONS publishes this rate for its 5 councils, "
        "and rates cannot be added up"
    )


def test_carlisle_gva_per_filled_job_is_missing_because_of_cumberland(book):
    figure = book["member.carlisle.gva_per_filled_job"]
    assert figure.value is None
    assert figure.missing
    assert "Cumberland" in figure.why_missing
    assert figure.why_missing == BY_SLUG["carlisle"]["figures"]["gva_per_filled_job_2017_gbp"]["why"]
    # and every figure derived from it inherits the reason
    for name in ("gva_per_filled_job_ratio_to_england", "gva_per_filled_job_rank"):
        derived = book[f"member.carlisle.{name}"]
        assert derived.value is None
        assert "Cumberland" in derived.why_missing


def test_carlisle_gva_is_present(book):
    assert book["member.carlisle.gva"].value == 2838e6


@pytest.mark.parametrize("measure", RANKED)
def test_ranks_are_one_to_n_over_members_with_data(book, measure):
    values = {
        member["slug"]: raw_member_value(member, KEY_OF[measure])
        for member in MEMBERS
        if raw_member_value(member, KEY_OF[measure]) is not None
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
    assert BY_SLUG["bradford"]["figures"]["gva_per_hour_2017_gbp"] == 27.0
    assert BY_SLUG["norwich"]["figures"]["gva_per_hour_2017_gbp"] == 27.0
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
@pytest.mark.parametrize(
    ("rate", "key"),
    [("gva_per_filled_job", "gva_per_filled_job_2017_gbp"), ("gva_per_hour", "gva_per_hour_2017_gbp")],
)
def test_ratio_and_difference_to_england(book, slug, rate, key):
    own = BY_SLUG[slug]["figures"][key]
    england = raw_comparator("england", key)
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
    assert book["comparator.scotland.gva"].value == 138_833e6
    wales = book["comparator.wales.gva_per_hour"]
    assert wales.value is None
    assert wales.why_missing == "not published in the sources of cities.yaml"


def test_member_shares_of_group_gva_add_to_one(book):
    shares = [book[f"member.{slug}.gva_share_of_group"].value for slug in BY_SLUG]
    assert sum(share for share in shares if share is not None) == pytest.approx(1.0)
    assert book["member.bournemouth.gva_share_of_group"].value is None


def test_median_productivity_ignores_the_gaps(book):
    values = [raw_member_value(member, "gva_per_filled_job_2017_gbp") for member in MEMBERS]
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
            ["GVA, 2017, Bournemouth", "member.bournemouth.gva", "Christchurch and Poole"],
        ),
        ("member.carlisle.gva_per_filled_job", ["Carlisle", "Cumberland"]),
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


def test_claims_reconciled_on_the_shipped_data(shipped, book):
    results = {result.claim.key: result for result in reconcile(shipped, book)}
    assert {key: result.status for key, result in results.items()} == {
        "collective-gva": "differs",
        "scotland": "holds",
        "uplift": "differs",
        "population": "matches",
        "members": "matches",
    }
    gva = results["collective-gva"]
    assert gva.difference == pytest.approx(137_228e6 - 130.5e9)
    assert gva.relative == pytest.approx((137_228e6 - 130.5e9) / 130.5e9)
    assert results["scotland"].difference is None


# -- editing the data ---------------------------------------------------------------------------------


def test_editing_a_member_gva_changes_the_total_and_the_check_output(project_copy):
    project_copy.edit("gva_2017_gbp_m: 2672\n", "gva_2017_gbp_m: 12672\n", after="slug: blackpool\n")
    edited = compute(project_copy.load())
    assert edited["group.gva"].value == 147_228e6
    result = CliRunner().invoke(cli, ["check", "--project", str(project_copy.folder)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("Collective GVA, 2017 "))
    assert "£147.2bn" in row and "23 of 24 members" in row
    assert "£137.2bn" not in row


def test_nulling_a_member_gva_lowers_coverage_and_total_by_its_value(project_copy, book):
    project_copy.edit("gva_2017_gbp_m: 2672\n", "gva_2017_gbp_m: null\n", after="slug: blackpool\n")
    edited = compute(project_copy.load())
    figure = edited["group.gva"]
    assert figure.value == book["group.gva"].value - 2672e6
    assert figure.coverage == Coverage(22, 24, ("Blackpool", "Bournemouth"))
    result = CliRunner().invoke(cli, ["check", "--project", str(project_copy.folder)])
    row = next(line for line in result.stdout.splitlines() if line.startswith("Collective GVA, 2017 "))
    assert "£134.6bn" in row and "22 of 24 members" in row


def test_a_missing_constituent_figure_makes_the_combined_total_missing(project_copy):
    project_copy.edit("gva_2017_gbp_m: 1416\n", "gva_2017_gbp_m: null\n")  # Hartlepool
    edited = compute(project_copy.load())
    figure = edited["member.tees-valley.gva"]
    assert figure.value is None
    assert figure.why_missing == "not published for Hartlepool, so Tees Valley's total cannot be formed"
    assert edited["group.gva"].coverage == Coverage(22, 24, ("Bournemouth", "Tees Valley"))


# -- properties on synthetic data ---------------------------------------------------------------------

ABSENT = object()  # the key is left out of the figures mapping
MISSING = st.sampled_from([ABSENT, None, {"value": None, "why": "not published"}])


def figure_strategy(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(MISSING, values, values.map(lambda v: {"value": v, "source": "ons-mye-2017"}))


COUNTS = st.integers(min_value=1, max_value=10_000_000)
RATES = st.floats(min_value=1_000, max_value=200_000, allow_nan=False)
FIGURES = st.fixed_dictionaries(
    {
        "population_mid2017": figure_strategy(COUNTS),
        "gva_2017_gbp_m": figure_strategy(st.integers(min_value=1, max_value=1_000_000)),
        "gva_per_filled_job_2017_gbp": figure_strategy(RATES),
        "filled_jobs_2017": figure_strategy(COUNTS),
    }
).map(lambda figures: {key: value for key, value in figures.items() if value is not ABSENT})


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
            "figures": draw(FIGURES),
        }
        if draw(st.booleans()) and index % 3 == 2:  # now and then a combined authority
            parts = draw(st.lists(FIGURES, min_size=1, max_size=3))
            member["figures"] = {}
            member["constituents"] = [
                {"name": f"Council {index}.{n}", "ons_code": f"E07{index:03d}{n:03d}", "figures": figures}
                for n, figures in enumerate(parts)
            ]
        members.append(member)
    return members


# Above every generated rate, so every member with productivity data adds to the uplift: the properties
# that are not about the uplift do not depend on the bug in test_the_uplift_is_zero_when_every_member_...
HIGH_BENCHMARK = 1_000_000.0


def campaign_with(members: list[dict[str, Any]], benchmark: float | None = None) -> Campaign:
    """A Campaign of the shipped settings with these members, built without a file."""
    data = copy.deepcopy(RAW)
    data["members"] = members
    if benchmark is not None:
        england = next(item for item in data["comparators"] if item["key"] == "england")
        england["figures"]["gva_per_filled_job_2017_gbp"] = {
            "value": benchmark,
            "source": "ons-productivity-itl-2024",
        }
    model = CampaignFile.model_validate(data)
    return Campaign(Path("."), Located(Path("cities.yaml"), data), model, [])


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_a_total_is_the_sum_of_its_covered_parts(members):
    book = compute(campaign_with(members, HIGH_BENCHMARK))
    for name in ("population", "gva", "filled_jobs"):
        key = KEY_OF[name]
        values = [raw_member_value(member, key) for member in members]
        present = [value for value in values if value is not None]
        figure = book[f"group.{name}"]
        missing = tuple(m["name"] for m, v in zip(members, values, strict=True) if v is None)
        assert figure.coverage == Coverage(len(present), len(members), missing)
        if present:
            assert figure.value == pytest.approx(sum(present) * SCALE.get(name, 1), rel=1e-12)
        else:
            assert figure.value is None  # nothing to add up is missing, not zero
            assert figure.why_missing


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_a_median_is_over_the_members_with_data(members):
    book = compute(campaign_with(members, HIGH_BENCHMARK))
    values = [raw_member_value(member, "gva_per_filled_job_2017_gbp") for member in members]
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
    with_gva = [i for i, m in enumerate(members) if raw_member_value(m, "gva_2017_gbp_m") is not None]
    with_rate = [
        i for i, m in enumerate(members) if raw_member_value(m, "gva_per_filled_job_2017_gbp") is not None
    ]
    before = compute(campaign_with(members, HIGH_BENCHMARK))
    if with_gva:
        index = data.draw(st.sampled_from(with_gva))
        own = raw_member_value(members[index], "gva_2017_gbp_m")
        changed = copy.deepcopy(members)
        changed[index]["figures"]["gva_2017_gbp_m"] = None
        changed[index].pop("constituents", None)
        after = compute(campaign_with(changed, HIGH_BENCHMARK))["group.gva"]
        assert after.coverage.covered == before["group.gva"].coverage.covered - 1
        assert members[index]["name"] in after.coverage.missing
        if len(with_gva) == 1:
            assert after.value is None
        else:
            assert after.value == pytest.approx(before["group.gva"].value - own * 1e6, rel=1e-9)
    if len(with_rate) >= 2:
        index = data.draw(st.sampled_from(with_rate))
        changed = copy.deepcopy(members)
        changed[index]["figures"]["gva_per_filled_job_2017_gbp"] = {"value": None, "why": "gone"}
        rest = [
            raw_member_value(member, "gva_per_filled_job_2017_gbp")
            for i, member in enumerate(members)
            if i in with_rate and i != index
        ]
        median = compute(campaign_with(changed, HIGH_BENCHMARK))["group.gva_per_filled_job_median"]
        assert median.value == statistics.median(rest)
        assert median.value >= min(rest)  # a zero in the median would drag it below every real value


@settings(max_examples=60, deadline=None)
@given(members=member_lists(), benchmark=RATES)
def test_the_uplift_is_never_negative_and_matches_the_formula(members, benchmark):
    campaign = campaign_with(members, benchmark)
    expected, missing = raw_uplift_per_year(campaign.located.data)
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


def test_the_uplift_is_zero_when_every_member_is_above_the_benchmark():
    members = copy.deepcopy(MEMBERS)
    benchmark = 1_000.0  # below every member's GVA per filled job
    book = compute(campaign_with(members, benchmark))
    assert book["group.uplift"].value == 0
    assert book["group.uplift_per_year"].value == 0
    assert book["group.uplift"].coverage == Coverage(22, 24, ("Bournemouth", "Carlisle"))
    assert all(book[f"member.{slug}.uplift"].value in (0, None) for slug in BY_SLUG)


@settings(max_examples=60, deadline=None)
@given(members=member_lists())
def test_ranks_count_the_members_strictly_above(members):
    book = compute(campaign_with(members, HIGH_BENCHMARK))
    values = {m["slug"]: raw_member_value(m, "population_mid2017") for m in members}
    present = [value for value in values.values() if value is not None]
    for slug, value in values.items():
        rank = book[f"member.{slug}.population_rank"]
        if value is None:
            assert rank.value is None
        else:
            assert rank.value == 1 + sum(other > value for other in present)
            assert 1 <= rank.value <= len(present)


def test_a_small_cities_yaml_on_disk_gives_the_same_figures(tmp_path):
    members = [{**copy.deepcopy(BY_SLUG[slug])} for slug in ("blackpool", "bournemouth", "tees-valley")]
    data = copy.deepcopy(RAW)
    data["members"] = members
    (tmp_path / "cities.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    shutil.copytree(SHIPPED_YAML.parent / "assets", tmp_path / "assets")  # the images cities.yaml names
    from_file = compute(load_campaign(tmp_path, strict=True))
    direct = compute(campaign_with(copy.deepcopy(members)))
    assert from_file.figures == direct.figures
    assert from_file["group.population"].value == 139_870 + 194_800 + sum(
        part["figures"]["population_mid2017"] for part in BY_SLUG["tees-valley"]["constituents"]
    )
    assert from_file["group.gva"].coverage == Coverage(2, 3, ("Bournemouth",))


# -- edge cases found in review ---------------------------------------------------------------------


def _claim_campaign(scotland_gva: float, claim: dict[str, Any]) -> Campaign:
    data = copy.deepcopy(RAW)
    scotland = next(item for item in data["comparators"] if item["key"] == "scotland")
    scotland["figures"]["gva_2017_gbp_m"] = scotland_gva
    data["claims"] = [{"key": "c", "text": "a claim", "source": "cities-in-action-2019", **claim}]
    model = CampaignFile.model_validate(data)
    return Campaign(Path("."), Located(Path("cities.yaml"), data), model, [])


def test_a_claim_with_a_fractional_rounding_matches_its_rounded_value():
    campaign = _claim_campaign(
        137_228 / 0.7,
        {"figure": "group.gva_ratio_to_scotland", "published": 0.7, "rounding": 0.01},
    )
    book = compute(campaign)
    assert round(book["group.gva_ratio_to_scotland"].value, 2) == 0.7
    [result] = reconcile(campaign, book)
    assert result.status == "matches"


def test_the_uplift_is_missing_not_zero_when_no_member_has_a_productivity_figure():
    members = copy.deepcopy(MEMBERS)
    for member in members:
        for figures in [member["figures"], *(part["figures"] for part in member.get("constituents") or [])]:
            figures["gva_per_filled_job_2017_gbp"] = None
    book = compute(campaign_with(members))
    for name in ("group.uplift", "group.uplift_per_year"):
        figure = book[name]
        assert figure.value is None, f"{name} is {figure.value!r}: nobody was added up, so it is missing"
        assert figure.why_missing
        assert figure.coverage.covered == 0
        with pytest.raises(FigureError, match="missing"):
            figure.require()
    assert all(book[f"member.{slug}.uplift"].value is None for slug in BY_SLUG)


def test_a_members_share_of_the_group_carries_the_groups_coverage(book):
    group = book["group.gva"].coverage
    assert group == Coverage(23, 24, ("Bournemouth",))
    for slug in BY_SLUG:
        for name in ("gva_share_of_group", "gva_rest_of_group"):
            figure = book[f"member.{slug}.{name}"]
            if figure.value is not None:
                assert figure.coverage == group, f"{figure.name}: {figure.coverage}"
    assert str(book["member.wakefield.gva_share_of_group"].coverage) == "23 of 24 members"


def test_a_pack_records_and_cites_what_its_productivity_chart_draws(tmp_path, book):
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
    caption = "Not shown, for want of a figure: Bournemouth, Carlisle, Tees Valley. Source: "
    found = re.search(re.escape(caption) + r"((?:\[[A-Z]\](?:, )?)+)\.", text)
    assert found, "the productivity chart's caption cites no source"
    cited = set(re.findall(r"\[([A-Z])\]", found[1]))
    sources = {source for name in drawn for source in book[name].sources}
    sources |= set(book["comparator.england.gva_per_filled_job"].sources)
    expected = set()
    for source in sources:
        title = RAW["sources"][source]["title"]
        listed = re.search(r"\[([A-Z])\] [^\[]*?‘" + re.escape(squeeze(title)), text)
        assert listed, f"{source} is not in the pack's list of sources"
        expected.add(listed[1])
    assert cited == expected
