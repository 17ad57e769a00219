"""Figures that cannot be trusted because they are not numbers: a figure that came out infinite or not a
number, found after computing and before any document is written, named with the values it came from.
"""

from __future__ import annotations

import math
from typing import Any

from keycities.data.cities import Campaign
from keycities.data.yaml_lines import PathKey, dotted
from keycities.figures.model import FigureBook


def not_finite(campaign: Campaign, book: FigureBook) -> list[str]:
    """A problem for each figure that came out infinite (or not a number): the values it was computed from
    add or multiply past what a number can hold. A figure computed from one already reported is not
    reported again. And a claim is compared by dividing its figure by its rounding, which must stay finite."""
    located = campaign.located
    problems: list[str] = []
    reported: list[set[PathKey]] = []
    for figure in book.figures.values():
        if figure.value is None or math.isfinite(figure.value):
            continue
        inputs = set(figure.inputs)
        if any(earlier <= inputs for earlier in reported):
            continue
        reported.append(inputs)
        values = sorted(
            ((path, _raw_value(located.data, path)) for path in figure.inputs),
            key=lambda item: -abs(item[1]),
        )
        shown = [f"{dotted(path)} = {value:g} (line {located.line(path)})" for path, value in values[:3]]
        more = f" and {len(values) - 3} more" if len(values) > 3 else ""
        line = located.line(values[0][0]) if values else 1
        what = "is too large to compute" if math.isinf(figure.value) else "cannot be computed"
        problems.append(
            f"{located.label}:{line}: {figure.name} ({figure.label}) {what}, from "
            f"{', '.join(shown) or 'its figures'}{more}; check these values and their units"
        )
    for index, claim in enumerate(campaign.data.claims):
        value, rounding = book[claim.figure].value, claim.rounding
        if claim.holds_between is not None or not rounding or value is None or not math.isfinite(value):
            continue
        if not math.isfinite(value / rounding):
            problems.append(
                f"{located.where(('claims', index, 'rounding'))}: {rounding:g} is too fine to round "
                f"{claim.figure} ({value:g}) to; give what the published value was rounded to"
            )
    return problems


def _raw_value(data: Any, path: PathKey) -> float:
    """The number written at `path` in cities.yaml (bare, or as a figure's `value`)."""
    for part in path:
        data = data[part]
    number: Any = data.get("value") if isinstance(data, dict) else data
    return float(number)
