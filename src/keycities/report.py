"""The text `generate.py check` prints: headline figures with provenance, then the published claims."""

from __future__ import annotations

from collections.abc import Sequence

from keycities.campaign import Campaign
from keycities.claims import Reconciliation
from keycities.figure_book import Figure, FigureBook
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
