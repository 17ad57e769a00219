"""Figures that cannot be trusted because they are not numbers: a figure that came out infinite or not a
number, found after computing and before any document is written, named with the values it came from.
"""

from __future__ import annotations

import math

from keycities.data.cities import Campaign
from keycities.figures.model import FigureBook, Input


def not_finite(campaign: Campaign, book: FigureBook) -> list[str]:
    """A problem for each figure that came out infinite (or not a number): the values it was computed from
    add or multiply past what a number can hold. A figure computed from one already reported is not
    reported again. And a claim is compared by dividing its figure by its rounding, which must stay finite."""
    located = campaign.located
    problems: list[str] = []
    reported: list[set[Input]] = []
    for figure in book.figures.values():
        if figure.value is None or math.isfinite(figure.value):
            continue
        inputs = set(figure.inputs)
        if any(earlier <= inputs for earlier in reported):
            continue
        reported.append(inputs)
        values = sorted(figure.inputs, key=lambda item: -abs(item.value))
        shown = [f"{item.what} = {item.value:g} ({item.where})" for item in values[:3]]
        more = f" and {len(values) - 3} more" if len(values) > 3 else ""
        where = values[0].where if values else located.label
        what = "is too large to compute" if math.isinf(figure.value) else "cannot be computed"
        problems.append(
            f"{where}: {figure.name} ({figure.label}) {what}, from "
            f"{', '.join(shown) or 'its figures'}{more}; check these values and their units"
        )
    for index, claim in enumerate(campaign.data.claims):
        value, rounding = book[claim.figure].value if claim.figure in book else None, claim.rounding
        if claim.holds_between is not None or not rounding or value is None or not math.isfinite(value):
            continue
        if not math.isfinite(value / rounding) or abs(value / rounding) >= 1e25:  # past exact rounding
            problems.append(
                f"{located.where(('claims', index, 'rounding'))}: {rounding:g} is too fine to round "
                f"{claim.figure} ({value:g}) to; give what the published value was rounded to"
            )
    return problems
