"""Figures by year and release: each computation's latest year, a pinned year, the release a document's date
picks, a year the data lacks, a year newly imported; the reasons `check` gives for the claims and the
revisions between releases; and `--data-year` on the command line.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import documents
import pytest
from click.testing import Result
from documents import invoke, pdf_lines, squeeze

from keycities.data.cities import Campaign
from keycities.figures.claims import reconcile
from keycities.figures.compute import compute
from keycities.figures.model import DataChoice, FigureBook

LETTER_DATE = date(2019, 2, 4)
PINNED = DataChoice(2017, LETTER_DATE)  # what the 2019 letter and packs use
HOLDS = "(it holds 2017 to 2022)"


@pytest.fixture(scope="module")
def latest(shipped: Campaign) -> FigureBook:
    return compute(shipped)


@pytest.fixture(scope="module")
def pinned(shipped: Campaign) -> FigureBook:
    return compute(shipped, PINNED)


def data_file(project_copy: Any, stem: str) -> Path:
    return project_copy.folder / "data" / f"{stem}.yaml"


def measure_section(text: str, measure: str) -> tuple[int, int]:
    """Where one measure's rows stand in a data file's `values:`."""
    values = text.index("\nvalues:\n")
    start = text.index(f"\n  {measure}:\n", values)
    following = re.search(r"\n  [a-z_]+:\n", text[start + 1 :])
    return start, start + 1 + following.start() if following else len(text)


def add_year(path: Path, measure: str, last: int, new: int, value: Any) -> int:
    """Write a value for `new` after `last` on every row of `measure` in a data file (`value` makes it from
    the row's value for `last`); returns the number of rows changed."""
    text = path.read_text(encoding="utf-8")
    start, end = measure_section(text, measure)
    section, count = re.subn(
        rf", {last}: ([\d.]+)\}}",
        lambda found: f", {last}: {found[1]}, {new}: {value(float(found[1]))}}}",
        text[start:end],
    )
    assert count, f"no {measure} row ends with {last} in {path}"
    path.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return count


def inputs_years(figure: Any) -> set[str]:
    """The years of the data values a figure is computed from (not cities.yaml's settings)."""
    return {item.what.rsplit(", ", 1)[1] for item in figure.inputs if item.where.startswith("data/")}


# -- the latest year of each computation -------------------------------------------------------------


def test_without_a_choice_each_computation_uses_its_latest_year(latest):
    for name in ("group.population", "group.gva", "member.blackpool.gva", "comparator.scotland.gva"):
        assert latest[name].year == 2020, name
    for name in (
        "group.filled_jobs", "group.gva_per_filled_job_median", "member.wakefield.gva_per_hour",
        "comparator.england.gva_per_filled_job", "group.uplift", "member.wakefield.uplift",
    ):  # fmt: skip
        assert latest[name].year == 2022, name
    assert latest["member.blackpool.gva"].label == "GVA, 2020, Blackpool"
    assert latest["group.gva"].label == "Collective GVA, 2020"
    assert latest["group.population"].label == "Combined population, mid-2020"
    assert latest["group.filled_jobs"].label == "Filled jobs, 2022"
    assert latest["member.wakefield.gva_per_filled_job"].label == "GVA per filled job, 2022, Wakefield"
    # from the latest release: GVA of 2020 is only in May 2022's
    assert latest["group.gva"].sources == ("ons-gva-la-2022",)
    assert latest["group.gva"].value == 143_391e6
    assert inputs_years(latest["group.uplift"]) == {"2022"}
    assert inputs_years(latest["group.gva"]) == {"2020"}


def test_the_uplift_uses_the_latest_year_both_its_measures_have(project_copy, latest):
    # filled jobs gain a year that GVA per filled job does not have
    rows = add_year(data_file(project_copy, "ons-productivity-la-2024"), "filled_jobs", 2022, 2023, int)
    assert rows > 20
    book = compute(project_copy.load())
    assert book["member.wakefield.filled_jobs"].year == 2023
    assert book["member.wakefield.filled_jobs"].label == "Filled jobs, 2023, Wakefield"
    assert book["member.wakefield.gva_per_filled_job"].year == 2022
    for name in (
        "group.uplift",
        "group.uplift_per_year",
        "member.wakefield.uplift",
        "member.tees-valley.uplift",
    ):
        figure = book[name]
        assert figure.year == 2022, name
        assert inputs_years(figure) == {"2022"}, name  # never a 2022 rate times 2023 jobs
        assert figure.value == latest[name].value, name


def test_the_uplift_is_missing_when_its_measures_share_no_year(shipped):
    # GVA per filled job of 2017 to 2022 and filled jobs of no year at all
    held = {key: items for key, items in shipped.releases.held.items() if key[0] != "filled_jobs"}
    campaign = Campaign(
        shipped.folder,
        shipped.located,
        shipped.data,
        type(shipped.releases)(shipped.releases.sources, held, shipped.releases.notes),
        [],
    )
    book = compute(campaign)
    assert book["member.wakefield.gva_per_filled_job"].year == 2022
    assert book["member.wakefield.filled_jobs"].why_missing == (
        "the data files hold no Filled jobs figures; import them with `generate.py data import`"
    )
    for name in ("group.uplift", "member.wakefield.uplift"):
        assert book[name].value is None, name
        assert book[name].year is None, name
        assert book[name].why_missing, name


# -- a pinned year, and the release a document's date picks ------------------------------------------


def test_a_pinned_year_is_used_by_every_computation(shipped):
    book = compute(shipped, DataChoice(2018))
    for name in (
        "group.population",
        "group.gva",
        "group.filled_jobs",
        "group.uplift",
        "member.hull.gva_per_hour",
    ):
        assert book[name].year == 2018, name
    assert book["group.gva"].label == "Collective GVA, 2018"
    assert book["group.population"].label == "Combined population, mid-2018"
    assert book["group.filled_jobs"].label == "Filled jobs, 2018"
    assert book["member.hull.gva_per_hour"].label == "GVA per hour worked, 2018, Hull"
    assert inputs_years(book["group.uplift"]) == {"2018"}
    assert book["group.gva"].value == 142_374e6  # the latest release of 2018: May 2022's
    assert book["group.gva"].sources == ("ons-gva-la-2022",)


@pytest.mark.parametrize(
    ("as_of", "release", "blackpool", "group"),
    [
        (LETTER_DATE, "ons-gva-la-2021", 2672e6, 137_228e6),  # before every release: the earliest
        (date(2021, 5, 26), "ons-gva-la-2021", 2672e6, 137_228e6),  # on the day of the first
        (date(2022, 1, 1), "ons-gva-la-2021", 2672e6, 137_228e6),  # the one current then
        (date(2022, 5, 30), "ons-gva-la-2022", 2676e6, 137_905e6),
        (None, "ons-gva-la-2022", 2676e6, 137_905e6),  # no date: the latest
    ],
)
def test_the_release_of_a_year_is_the_one_current_at_the_documents_date(
    shipped, as_of, release, blackpool, group
):
    book = compute(shipped, DataChoice(2017, as_of))
    figure = book["member.blackpool.gva"]
    assert figure.value == blackpool
    assert figure.sources == (release,)
    assert figure.year == 2017
    assert figure.label == "GVA, 2017, Blackpool"
    line = documents.line_of(documents.PROJECT_ROOT / "data" / f"{release}.yaml", "E06000009:")
    assert [item.where for item in figure.inputs] == [f"data/{release}.yaml:{line}"]
    assert book["group.gva"].value == group
    assert book["group.gva"].label == "Collective GVA, 2017"


def test_the_2019_documents_figures(pinned):
    assert pinned["group.gva"].value == 137_228e6
    assert pinned["group.uplift"].value == pytest.approx(262.495e9, abs=1e6)
    assert pinned["group.population"].value == 6_400_797
    assert pinned["group.population"].label == "Combined population, mid-2017"
    assert pinned["group.population"].sources == ("bournemouth-council-2017", "ons-population-la-2021")
    assert pinned["group.population"].rounded_to == 100


def test_a_pinned_year_the_data_lacks_leaves_every_figure_missing_with_a_reason(shipped):
    book = compute(shipped, DataChoice(1999))
    for name in (
        "group.gva",
        "member.blackpool.gva",
        "comparator.england.gva_per_filled_job",
        "group.uplift",
    ):
        assert book[name].value is None, name
        assert book[name].why_missing, name
    assert book["member.blackpool.gva"].why_missing == "the data files hold no GVA figure for 1999"
    assert book["member.blackpool.gva"].label == "GVA, 1999, Blackpool"
    assert book["group.member_count"].value == 24  # from cities.yaml, of no year


def test_a_newly_imported_year_is_the_latest_and_labels_say_so(project_copy, latest):
    rows = add_year(data_file(project_copy, "ons-gva-la-2022"), "gva", 2020, 2021, lambda v: int(v * 2))
    assert rows > 20
    campaign = project_copy.load()
    book = compute(campaign)
    assert book["group.gva"].year == 2021
    assert book["group.gva"].label == "Collective GVA, 2021"
    assert book["member.blackpool.gva"].label == "GVA, 2021, Blackpool"
    assert book["group.gva"].value == 2 * latest["group.gva"].value
    assert book["group.population"].year == 2020  # population has no 2021
    assert compute(campaign, PINNED)["group.gva"].value == 137_228e6  # the 2019 figures stay
    result = invoke("check", "--project", project_copy.folder)
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if line.startswith("Collective GVA, 2021  ")]
    assert re.split(r"\s{2,}", row)[1:3] == ["£286.8bn", "2021"]


# -- the claims: their year, the release current when they were published, and the reasons ------------


@pytest.fixture(scope="module")
def reconciled(shipped: Campaign) -> dict[str, Any]:
    book_for = cache(lambda choice: compute(shipped, choice))
    return {result.claim.key: result for result in reconcile(shipped, book_for)}


def test_the_collective_gva_claim_reasons(reconciled, shipped):
    result = reconciled["collective-gva"]
    assert result.status == "differs"
    assert result.figure.year == 2017
    assert result.figure.value == 137_228e6
    title = shipped.sources["ons-gva-la-2021"].title
    assert result.reasons == (
        "The group computed it from ONS regional GVA (balanced) by local authority, December 2018 release, "
        "which the data does not hold.",
        f"Ours uses {title} (2021-05-26, published after the claim).",
        "Left out for want of data: Bournemouth (23 of 24 members).",
    )
    assert result.revised is not None
    assert result.revised.sources == ("ons-gva-la-2022",)
    assert result.revised.value == 137_905e6
    assert result.revised.value - result.figure.value == 677e6


def test_the_uplift_claim_reasons(reconciled, shipped):
    result = reconciled["uplift"]
    assert result.status == "differs"
    assert result.figure.year == 2017
    ours = next(reason for reason in result.reasons if reason.startswith("Ours uses "))
    for key in ("ons-productivity-itl-2024", "ons-productivity-la-2024"):
        assert f"{shipped.sources[key].title} (2024-06, published after the claim)" in ours
    assert "Left out for want of data: Bournemouth, Carlisle (22 of 24 members)." in result.reasons
    assert result.revised is None  # one release of 2017 productivity: nothing revised


def test_a_claim_published_after_its_release_is_not_said_to_come_before_it(project_copy):
    project_copy.edit("released: 2019-02-04", "released: 2023-01-01", after="cities-in-action-2019:")
    campaign = project_copy.load()
    [result] = [
        r for r in reconcile(campaign, lambda c: compute(campaign, c)) if r.claim.key == "collective-gva"
    ]
    # current on 2023-01-01: May 2022's release, which revised nothing later
    assert result.figure.sources == ("ons-gva-la-2022",)
    assert result.figure.value == 137_905e6
    assert result.revised is None
    title = campaign.sources["ons-gva-la-2022"].title
    assert f"Ours uses {title} (2022-05-30)." in result.reasons


@pytest.fixture(scope="module")
def check_output(tmp_path_factory: pytest.TempPathFactory) -> Result:
    result = invoke("check", "--project", documents.PROJECT_ROOT)
    assert result.exit_code == 0, result.output
    return result


SECTIONS = ("Why the claims differ", "Revisions between releases of the same year")


def section(text: str, title: str) -> str:
    """One section of `check`'s output, up to the next (or the summary line)."""
    start = text.index(f"\n{title}\n") + len(title) + 2
    ends = [text.find(f"\n{other}\n", start) for other in SECTIONS] + [text.rindex("\n24 members, ")]
    return text[start : min(end for end in ends if end >= 0)]


def test_check_explains_why_the_claims_differ(check_output):
    why = section(check_output.stdout, "Why the claims differ")
    gva = why[why.index("“Our collective annual GVA is £130.5bn” (differs):") :].split("\n“")[0]
    assert "  - Left out for want of data: Bournemouth (23 of 24 members)." in gva
    assert "(2021-05-26, published after the claim)" in gva
    assert (
        "  - The later release of the same year (ons-gva-la-2022) gives £137.9bn: the revision alone moves "
        "it by +£677.0m (+0.5%)."
    ) in gva
    uplift = why[why.index("“we will contribute an additional £258bn") :]
    assert uplift.count("(2024-06, published after the claim)") == 2
    assert "Left out for want of data: Bournemouth, Carlisle (22 of 24 members)." in uplift
    assert "6.4 million" not in why  # claims that match are not explained


def test_check_shows_the_revisions_of_the_claims_year_member_by_member(check_output):
    revisions = section(check_output.stdout, "Revisions between releases of the same year")
    title = "GVA, 2017 (£ million, current basic prices): ons-gva-la-2021 against ons-gva-la-2022\n"
    table = revisions[revisions.index(title) + len(title) :].split("\n\n")[0].splitlines()
    assert re.split(r"\s{2,}", table[0]) == ["Member", "ons-gva-la-2021", "ons-gva-la-2022", "Difference"]
    rows = {line.split("  ")[0]: re.split(r"\s{2,}", line) for line in table[2:-1]}
    assert rows["Blackpool"] == ["Blackpool", "2,672", "2,676", "+4"]
    assert rows["Coventry"] == ["Coventry", "9,926", "9,803", "-123"]
    assert rows["Bournemouth"] == ["Bournemouth", "missing", "missing", "-"]
    assert rows["Tees Valley"] == ["Tees Valley", "13,133", "13,244", "+111"]
    assert len(rows) == 24
    assert table[-1] == "Total of the 23 members in both: 137,228 against 137,905, +677 (+0.5%)"
    # other years in one line each; a year revised nowhere says so
    assert (
        "GVA, 2018 (£ million, current basic prices): ons-gva-la-2021 against ons-gva-la-2022: total of the "
        "23 members in both: 141,620 against 142,374, +754 (+0.5%)"
    ) in revisions.splitlines()
    assert (
        "Population, mid-2017 (persons): ons-population-la-2021 against ons-population-la-2022: the same for "
        "every member"
    ) in revisions.splitlines()


# -- rounding in claims --------------------------------------------------------------------------------


@pytest.mark.parametrize(("published", "status"), [(6_500_000, "matches"), (6_400_000, "differs")])
def test_a_claim_rounds_a_tie_away_from_zero(project_copy, published, status):
    # Blackpool's mid-2017 population raised so that the group's is 6,450,000: 64.5 hundred thousands
    documents.edit(data_file(project_copy, "ons-population-la-2021"), "{2017: 139870,", "{2017: 189073,")
    project_copy.edit("published: 6400000", f"published: {published}")
    campaign = project_copy.load()
    assert compute(campaign, PINNED)["group.population"].value == 6_450_000
    [result] = [r for r in reconcile(campaign, lambda c: compute(campaign, c)) if r.claim.key == "population"]
    assert result.claim.rounding == 100_000
    assert result.status == status  # half to even would make 6.4 million match instead


# -- --data-year on the command line -------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return documents.copy_project(tmp_path_factory.mktemp("years") / "project")


def pdf_text(path: Path) -> str:
    return squeeze(" ".join(line.text for line in pdf_lines(path)))


def build(project: Path, out: Path, *args: str) -> Result:
    return invoke(*args[:1], "--project", project, "--out", out, "--jobs", "1", "--format", "pdf", *args[1:])


LETTER = ("--letter", "cities-in-action", "--recipient", "prime-minister")


def test_briefings_with_the_latest_data(project, tmp_path):
    result = build(project, tmp_path / "out", "briefings", "--city", "wakefield", "--data-year", "latest")
    assert result.exit_code == 0, result.output
    lines = pdf_lines(tmp_path / "out" / "briefings" / "wakefield.pdf")
    # The key figures' rows: each figure in them raised with its note.
    rows = [line.text_without_notes for line in lines if len(line.notes) == 3]
    [gva] = [row for row in rows if row.startswith("GVA, ")]
    assert gva.startswith("GVA, 2020 £8.1bn")
    [jobs] = [row for row in rows if row.startswith("Filled jobs, ")]
    assert jobs.startswith("Filled jobs, 2022 167,454")
    [per_hour] = [row for row in rows if row.startswith("GVA per hour worked, ")]
    assert re.match(r"GVA per hour worked, 2022 £34\.10 £33\.00 \(median\) £40\.30", per_hour)
    text = squeeze(" ".join(line.text for line in lines))
    assert "GVA, 2017" not in text
    assert "£310bn" in text


def test_briefings_keep_their_pinned_year_without_the_option(project, tmp_path):
    result = build(project, tmp_path / "out", "briefings", "--city", "wakefield")
    assert result.exit_code == 0, result.output
    lines = pdf_lines(tmp_path / "out" / "briefings" / "wakefield.pdf")
    text = squeeze(" ".join(line.text for line in lines))
    # one year for the whole table, in its heading
    assert "Key figures 2017 Wakefield Key Cities England" in text
    rows = {line.text_without_notes: line.notes for line in lines}
    assert rows["GVA £7.3bn £137.2bn (total) £1,586.9bn"] == [4, 5, 6]
    assert "Filled jobs 159,876" in text
    assert rows["GVA per hour worked £27.60 £29.60 (median) £34.80"] == [7, 8, 9]
    assert "GVA, 2020" not in text and "Filled jobs, 2022" not in text


def test_letters_with_the_latest_data(project, tmp_path):
    result = build(project, tmp_path / "out", "letters", *LETTER, "--data-year", "latest")
    assert result.exit_code == 0, result.output
    letter = tmp_path / "out" / "letters" / "cities-in-action"
    text = pdf_text(letter / "prime-minister.pdf") + pdf_text(
        letter / "cities-in-action-sources.pdf"
    )  # notes
    assert "Our collective annual GVA is £143.4bn" in text
    assert "Collective GVA, 2020: £143.4bn" in text
    assert "Combined population, mid-2020" in text
    assert "£137.2bn" not in text


def test_build_with_a_pinned_year(project, tmp_path):
    result = build(project, tmp_path / "out", "build", *LETTER, "--data-year", "2018")
    assert result.exit_code == 0, result.output
    letter = tmp_path / "out" / "letters" / "cities-in-action"
    text = pdf_text(letter / "prime-minister.pdf") + pdf_text(
        letter / "cities-in-action-sources.pdf"
    )  # notes
    # 2018, from the release current at the letter's date (before every release: the earliest)
    assert "Collective GVA, 2018: £141.6bn" in text
    assert "Combined population, mid-2018" in text
    assert "Collective GVA, 2017" not in text


@pytest.mark.parametrize(
    "args",
    [("build", *LETTER), ("letters", *LETTER), ("briefings", "--city", "wakefield")],
    ids=["build", "letters", "briefings"],
)
def test_a_year_the_data_does_not_hold_is_refused_and_nothing_is_written(project, tmp_path, args):
    out = tmp_path / "out"
    result = build(project, out, *args, "--data-year", "1999")
    stderr = documents.assert_clean_failure(result, f"the data holds no figures for 1999 {HOLDS}")
    assert "error: --data-year: the data holds no figures for 1999" in stderr
    assert stderr.splitlines()[-1] == "1 problem found; nothing was written"
    assert not out.exists()


@pytest.mark.parametrize("command", ["build", "letters", "briefings"])
def test_a_data_year_that_is_not_a_year_is_a_usage_error(project, tmp_path, command):
    result = build(project, tmp_path / "out", command, "--data-year", "nope")
    assert result.exit_code == 2
    assert "Invalid value for '--data-year'" in result.stderr
    assert "expected a year such as 2018, or 'latest'; got 'nope'" in result.stderr
    assert not (tmp_path / "out").exists()
