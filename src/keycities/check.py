"""`check`: every input validated, and what a person should look at before anything is built or sent: the
headline figures with their provenance and the claims the group has published beside the data. A library
function that returns its findings; the command line only prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from keycities.compose.composition import Composition, prepare
from keycities.data.cities import Campaign
from keycities.data.inputs import load_inputs
from keycities.figures.claims import Reconciliation, reconcile
from keycities.figures.model import Figure, FigureBook
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
    data (claims it does not bear out), and a one-line summary."""

    warnings: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    summary: str = ""


def check(folder: Path, strict: bool = False, sources: bool = False, figures: bool = False) -> Findings:
    """Validate every input of the project in `folder` (a DataError lists every problem) and report the
    headline figures and the published claims; with `sources` the sources too, with `figures` every
    figure's name for templates."""
    inputs = load_inputs(folder, strict)
    composition = prepare(inputs)
    campaign, book = inputs.campaign, composition.book
    formatter = Formatter(campaign.data.group.money_style)
    results = reconcile(campaign, book)
    findings = Findings(warnings=list(inputs.warnings))
    findings.sections.append(
        (f"Headline figures, from {folder / 'cities.yaml'}", headline_table(book, formatter))
    )
    findings.sections.append(("Published claims against the data", claims_table(results, formatter)))
    if sources:
        findings.sections.append(("Sources", sources_table(campaign)))
    if figures:
        findings.sections.append(
            ("Figures (in templates: {{ figures.<name> }})", figure_list(book, formatter))
        )
    findings.notices = claim_warnings(campaign, results, formatter)
    findings.summary = (
        f"{_count(len(campaign.members), 'member')}, {_count(len(inputs.addressees), 'recipient')} and "
        f"{_count(len(inputs.letters), 'letter')} valid; {len(book.figures)} figures computed."
    )
    return findings


def data_notices(composition: Composition) -> list[str]:
    """The notices about the data itself, for the proof page: each published claim it does not bear out."""
    campaign = composition.inputs.campaign
    formatter = Formatter(campaign.data.group.money_style)
    return claim_warnings(campaign, reconcile(campaign, composition.book), formatter)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def headline_table(book: FigureBook, formatter: Formatter) -> str:
    """Each headline figure with its value, coverage and sources."""
    rows = [("Figure", "Value", "Coverage", "Sources")]
    for name in (name for name in HEADLINES if name in book):
        figure = book[name]
        value = "missing" if figure.value is None else _value(figure, formatter)
        rows.append(
            (figure.label, value, str(figure.coverage or "-"), ", ".join(figure.sources) or "cities.yaml")
        )
    return _table(rows)


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
    """Every figure's name, label and value, for people writing templates."""
    rows = [("Name", "Label", "Value")]
    for name, figure in book.figures.items():
        rows.append((name, figure.label, "missing" if figure.value is None else formatter.figure(figure)))
    return _table(rows)


def sources_table(campaign: Campaign) -> str:
    """The sources registry: id, title, publisher, release date, address."""
    rows = [("Source", "Title", "Publisher", "Released", "URL")]
    for key, source in campaign.data.sources.items():
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
