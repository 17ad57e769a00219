"""The claims the group has published, each beside the figure computed from the data: a published value
matches when the figure, rounded as the claim was, equals it, a range holds when the figure falls inside it,
and a claim whose figure is missing cannot be checked. Like `compute.py`, this module does arithmetic on
figures: the difference and relative difference between a claim and the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from keycities.data.cities import Campaign, Claim
from keycities.data.sources import released_on
from keycities.figures.model import DataChoice, Figure, FigureBook
from keycities.figures.rounding import rounded


@dataclass(frozen=True)
class Reconciliation:
    """A claim the group published beside what the data computes, and the reasons they may differ."""

    claim: Claim
    figure: Figure
    status: Literal["matches", "differs", "holds", "does not hold", "cannot be checked"]
    difference: float | None = None  # computed minus published, in the figure's unit
    relative: float | None = None  # difference as a share of the published value
    reasons: tuple[str, ...] = ()
    # The same figure from the latest release of the same year, when that is another release.
    revised: Figure | None = None


def claim_choice(campaign: Campaign, claim: Claim) -> DataChoice:
    """The figures a claim is compared with: those of its year, from the release current when it was
    published (or the nearest later one)."""
    released = campaign.sources[claim.source].released
    return DataChoice(claim.data_year, released_on(released) if released else None)


def reconcile(campaign: Campaign, book_for: Callable[[DataChoice], FigureBook]) -> list[Reconciliation]:
    """Compare every published claim with the figure computed from the data for the claim's year."""
    results = []
    for claim in campaign.data.claims:
        choice = claim_choice(campaign, claim)
        figure = book_for(choice)[claim.figure]
        latest = book_for(DataChoice(claim.data_year))[claim.figure]
        revised = latest if latest.sources != figure.sources and latest.value is not None else None
        reasons = _reasons(campaign, claim, figure, revised)
        if figure.value is None:
            results.append(Reconciliation(claim, figure, "cannot be checked", reasons=reasons))
        elif claim.holds_between is not None:
            low, high = claim.holds_between
            status: Literal["holds", "does not hold"] = (
                "holds" if low <= figure.value <= high else "does not hold"
            )
            results.append(Reconciliation(claim, figure, status, reasons=reasons, revised=revised))
        else:
            assert claim.published is not None  # load_campaign refuses a claim with neither
            rounding = claim.rounding or 1.0
            shown = float(rounded(figure.value / rounding, 0)) * rounding
            difference = figure.value - claim.published
            results.append(
                Reconciliation(
                    claim,
                    figure,
                    "matches" if math.isclose(shown, claim.published, rel_tol=1e-9) else "differs",
                    difference,
                    difference / claim.published,
                    reasons,
                    revised,
                )
            )
    return results


def _reasons(campaign: Campaign, claim: Claim, figure: Figure, revised: Figure | None) -> tuple[str, ...]:
    """What the data can establish about why a claim and its figure may differ."""
    dated = campaign.sources[claim.source].released
    published = released_on(dated)
    reasons = [f"The group computed it from {claim.computed_from}."] if claim.computed_from else []
    releases = [key for key in figure.sources if key in campaign.releases.sources]
    if releases:
        cited = []
        for key in releases:
            source = campaign.sources[key]
            later = dated is not None and released_on(source.released) > published
            cited.append(
                f"{source.title} ({source.released}{', published after the claim' if later else ''})"
            )
        reasons.append(f"Ours uses {'; '.join(cited)}.")
    if figure.coverage is not None and figure.coverage.missing:
        names = ", ".join(figure.coverage.missing)
        reasons.append(f"Left out for want of data: {names} ({figure.coverage}).")
    return tuple(reasons)
