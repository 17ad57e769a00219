"""The claims the group has published, each beside the figure computed from the data: a published value
matches when the figure, rounded as the claim was, equals it, a range holds when the figure falls inside it,
and a claim whose figure is missing cannot be checked. Like `compute.py`, this module does arithmetic on
figures: the difference and relative difference between a claim and the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from keycities.data.cities import Campaign, Claim
from keycities.figures.model import Figure, FigureBook


@dataclass(frozen=True)
class Reconciliation:
    """A claim the group published beside what the data computes."""

    claim: Claim
    figure: Figure
    status: Literal["matches", "differs", "holds", "does not hold", "cannot be checked"]
    difference: float | None = None  # computed minus published, in the figure's unit
    relative: float | None = None  # difference as a share of the published value


def reconcile(campaign: Campaign, book: FigureBook) -> list[Reconciliation]:
    """Compare every published claim with the figure computed from the data."""
    results = []
    for claim in campaign.data.claims:
        figure = book[claim.figure]
        if figure.value is None:
            results.append(Reconciliation(claim, figure, "cannot be checked"))
        elif claim.holds_between is not None:
            low, high = claim.holds_between
            results.append(
                Reconciliation(claim, figure, "holds" if low <= figure.value <= high else "does not hold")
            )
        else:
            assert claim.published is not None  # load_campaign refuses a claim with neither
            rounding = claim.rounding or 1.0
            matches = math.isclose(round(figure.value / rounding) * rounding, claim.published, rel_tol=1e-9)
            difference = figure.value - claim.published
            results.append(
                Reconciliation(
                    claim,
                    figure,
                    "matches" if matches else "differs",
                    difference,
                    difference / claim.published,
                )
            )
    return results
