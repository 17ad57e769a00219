"""`check`: every input validated, and what a person should look at before anything is built or sent: the
headline figures with their provenance and the claims the group has published beside the data. A library
function that returns its findings; the command line only prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from keycities.compose.composition import Composition, prepare
from keycities.compose.trial import try_every_document
from keycities.data.cities import Campaign
from keycities.data.inputs import load_inputs
from keycities.data.measures import MEASURES
from keycities.figures.claims import Reconciliation, reconcile
from keycities.figures.model import Figure, FigureBook
from keycities.figures.revisions import revisions
from keycities.formatting import Formatter

HEADLINES = (
    "group.member_count",
    "group.population",
    "group.gva",
    "comparator.scotland.gva",
    "group.gva_ratio_to_scotland",
    "group.filled_jobs",
    "group.gva_per_filled_job_median",
    "comparator.england.gva_per_filled_job",
    "group.uplift_per_year",
    "group.uplift",
)


@dataclass
class Findings:
    """What `check` found: the inputs' warnings, sections of text to show (heading, body), notices about the
    data (claims it does not bear out), the problems met compiling the templates and composing every
    document (each once), and a one-line summary."""

    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    summary: str = ""


def check(
    folder: Path,
    strict: bool = False,
    sources: bool = False,
    figures: bool = False,
    recipients: Path | None = None,
) -> Findings:
    """Validate every input of the project in `folder` (a DataError lists every problem), compile every
    template and compose every document without rendering it (the problems are the findings'), and report
    the headline figures, the published claims with the reasons they differ, and the revisions between
    releases; with `sources` the sources too, with `figures` every figure's name for templates. With
    `recipients`, that list is checked in place of the project's and the letters' own."""
    inputs = load_inputs(folder, strict, recipients)
    composition = prepare(inputs)
    campaign, book = inputs.campaign, composition.book
    formatter = Formatter(campaign.data.group.money_style)
    results = reconcile(campaign, composition.composer.book)
    findings = Findings(warnings=list(inputs.warnings))
    findings.sections.append(("Headline figures, from the latest data", headline_table(book, formatter)))
    findings.sections.append(("Published claims against the data", claims_table(results, formatter)))
    findings.sections.append(("Why the claims differ", claim_reasons(results, formatter)))
    claim_years = {claim.data_year for claim in campaign.data.claims if claim.data_year}
    findings.sections.append(
        ("Revisions between releases of the same year", revision_tables(campaign, formatter, claim_years))
    )
    if sources:
        findings.sections.append(("Sources", sources_table(campaign)))
    if figures:
        findings.sections.append(
            (
                "Figures (in templates: {{ figures.<name> }}), from the latest data",
                figure_list(book, formatter),
            )
        )
    trial = try_every_document(composition)
    findings.notices = claim_warnings(campaign, results, formatter) + trial.notices
    findings.problems = trial.problems
    people = len(inputs.addressees) + sum(map(len, inputs.lists.values()))
    composed = f"{_count(trial.composed + trial.failed, 'document')} composed"
    if trial.failed:
        composed += f", {trial.failed} of them failed (the problems below)"
    findings.summary = (
        f"{_count(len(campaign.members), 'member')}, {_count(people, 'recipient')} and "
        f"{_count(len(inputs.letters), 'letter')} valid; {len(book.figures)} figures computed; {composed}."
    )
    return findings


def data_notices(composition: Composition) -> list[str]:
    """The notices about the data itself, for the proof page: each published claim it does not bear out."""
    campaign = composition.inputs.campaign
    formatter = Formatter(campaign.data.group.money_style)
    return claim_warnings(campaign, reconcile(campaign, composition.composer.book), formatter)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def headline_table(book: FigureBook, formatter: Formatter) -> str:
    """Each headline figure with its value, year, coverage and sources."""
    rows = [("Figure", "Value", "Year", "Coverage", "Sources")]
    for name in (name for name in HEADLINES if name in book):
        figure = book[name]
        value = "missing" if figure.value is None else _value(figure, formatter)
        year = str(figure.year or "-")
        rows.append(
            (
                figure.label,
                value,
                year,
                str(figure.coverage or "-"),
                ", ".join(figure.sources) or "cities.yaml",
            )
        )
    return _table(rows)


def claim_reasons(results: list[Reconciliation], formatter: Formatter) -> str:
    """For each claim that differs: what it was computed from, what ours is, and what the data can say
    about the gap (a later release's revision, members left out)."""
    lines = []
    for result in results:
        if result.status in {"matches", "holds"}:
            continue
        lines.append(f"“{result.claim.text}” ({result.status}):")
        reasons = list(result.reasons)
        if (
            result.revised is not None
            and result.revised.value is not None
            and result.figure.value is not None
        ):
            change = result.revised.value - result.figure.value
            sign = "+" if change >= 0 else "-"
            amount = _scaled(result.figure, abs(change), None, formatter)
            reasons.append(
                f"The later release of the same year ({', '.join(result.revised.sources)}) gives "
                f"{_scaled(result.figure, result.revised.value, None, formatter)}: the revision alone moves "
                f"it by {sign}{amount} ({sign}{formatter.percent(abs(change / result.figure.value))})."
            )
        lines += [f"  - {reason}" for reason in reasons] or ["  - the data establishes no reason"]
    return "\n".join(lines) or "Every claim matches the data."


def revision_tables(campaign: Campaign, formatter: Formatter, years: set[int]) -> str:
    """For the claims' years, member by member, each revision of a figure between two releases the data
    holds; for other years, its effect on the members' total in one line."""
    parts = []
    for revision in revisions(campaign):
        measure = MEASURES[revision.measure]
        earlier, later, count = revision.totals
        change = later - earlier
        show = partial(_as_held, measure.scale, formatter)
        title = f"{measure.labelled(revision.year)} ({measure.held_as}): {revision.earlier} against "
        title += revision.later
        effect = (
            f"total of the {count} members in both: {show(earlier)} against {show(later)}, "
            f"{'+' if change >= 0 else '-'}{show(abs(change))}"
            + (
                f" ({'+' if change >= 0 else '-'}{formatter.percent(abs(change) / earlier)})"
                if earlier
                else ""
            )
        )
        if all(row.earlier == row.later for row in revision.rows):
            parts.append(f"{title}: the same for every member")
            continue
        if revision.year not in years:
            parts.append(f"{title}: {effect}")
            continue
        rows = [("Member", revision.earlier, revision.later, "Difference")]
        for row in revision.rows:
            difference = (
                "-" if row.earlier is None or row.later is None else _signed(show, row.later - row.earlier)
            )
            rows.append(
                (
                    row.member,
                    "missing" if row.earlier is None else show(row.earlier),
                    "missing" if row.later is None else show(row.later),
                    difference,
                )
            )
        parts.append(f"{title}\n{_table(rows)}\n{effect[0].upper()}{effect[1:]}")
    return "\n\n".join(parts) or "The data holds no two releases of the same measure and year."


def _as_held(scale: float, formatter: Formatter, value: float) -> str:
    """A value in the unit the data files hold it in (GVA in £ million), as precise as they are."""
    return formatter.number(round(value / scale, 6))


def _signed(show: Callable[[float], str], value: float) -> str:
    return ("+" if value >= 0 else "-") + show(abs(value))


def claims_table(results: list[Reconciliation], formatter: Formatter) -> str:
    """Each published claim beside the value computed from the data and how far apart they are."""
    rows = [("Claim (as published)", "Published", "From the data", "Difference", "Status")]
    for result in results:
        claim, figure = result.claim, result.figure
        published = (
            "-" if claim.published is None else _scaled(figure, claim.published, claim.rounding, formatter)
        )
        computed = (
            "missing" if figure.value is None else _scaled(figure, figure.value, claim.rounding, formatter)
        )
        difference = "-"
        if result.difference is not None and result.relative is not None and result.status != "matches":
            sign = "+" if result.difference >= 0 else ""
            amount = _scaled(figure, result.difference, None, formatter)
            difference = f"{sign}{amount} ({sign}{formatter.percent(result.relative)})"
        rows.append((f"“{claim.text}”", published, computed, difference, result.status))
    return _table(rows)


def claim_warnings(campaign: Campaign, results: list[Reconciliation], formatter: Formatter) -> list[str]:
    """A warning for each claim the data does not bear out, naming the claim and both values."""
    warnings = []
    for index, result in enumerate(results):
        if result.status in {"differs", "does not hold", "cannot be checked"}:
            computed = "missing" if result.figure.value is None else _value(result.figure, formatter)
            where = campaign.located.where(("claims", index))
            warnings.append(
                f"{where}: “{result.claim.text}” {result.status} "
                f"from the data ({result.figure.label}: {computed}; source "
                f"{result.claim.source}); update the claim or note the vintage it used"
            )
    return warnings


def figure_list(book: FigureBook, formatter: Formatter) -> str:
    """Every figure's name, label, value, year and sources, for people writing templates."""
    rows = [("Name", "Label", "Value", "Year", "Release")]
    for name, figure in book.figures.items():
        value = "missing" if figure.value is None else formatter.figure(figure)
        rows.append((name, figure.label, value, str(figure.year or "-"), ", ".join(figure.sources) or "-"))
    return _table(rows)


def sources_table(campaign: Campaign) -> str:
    """The sources registry: id, title, publisher, release date, address."""
    rows = [("Source", "Title", "Publisher", "Released", "URL")]
    for key, source in campaign.sources.items():
        rows.append((key, source.title, source.publisher, str(source.released or "-"), source.url))
    return _table(rows)


def _value(figure: Figure, formatter: Formatter) -> str:
    text = formatter.figure(figure)
    if figure.unit == "persons" and figure.value is not None and figure.value >= 1e6:
        text += f" ({formatter.count(figure.value, 'million')})"
    return text


def _scaled(figure: Figure, value: float, rounding: float | None, formatter: Formatter) -> str:
    """A value in the figure's unit, shown as precisely as the claim was rounded."""
    if figure.unit == "gbp":
        return formatter.money(value, 0 if rounding and rounding >= 1e9 else None)
    if figure.unit == "persons" and rounding and rounding >= 1e5:
        return formatter.count(value, "million")
    if figure.unit == "ratio":
        return formatter.percent(value)
    return formatter.number(value)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
