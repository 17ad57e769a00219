"""Which value of the data a document's figures start from: the year of each computation (the pinned one,
or the latest for which all its inputs exist, so a ratio never mixes years) and, of that year, the
release current at the document's date. A figure taken straight from a release says which and where.
"""

from __future__ import annotations

from keycities.data.cities import Campaign
from keycities.data.measures import MEASURES
from keycities.data.releases import Held
from keycities.figures.model import PUBLISHED, DataChoice, Figure, Input


class Picker:
    """The values of one campaign's data for one choice of year and date."""

    def __init__(self, campaign: Campaign, choice: DataChoice) -> None:
        self.releases, self.choice = campaign.releases, choice
        self.codes = campaign.area_codes()

    def year(self, *measures: str) -> int | None:
        """The year a computation from `measures` uses: the pinned one, or the latest that all of them
        have (None when they share none)."""
        if self.choice.year is not None:
            return self.choice.year
        common = set.intersection(*(set(self.releases.years(key, self.codes)) for key in measures))
        return max(common) if common else None

    def held(self, measure: str, code: str, year: int | None) -> Held | None:
        """The value a document uses, or None when there is no number."""
        if year is None:
            return None
        held = self.releases.pick(measure, code, year, self.choice.as_of)
        return held if held is not None and held.value is not None else None

    def why(self, measure: str, code: str, year: int | None) -> str:
        """Why there is no number for the area and year."""
        label = MEASURES[measure].label
        if year is None:
            return f"the data files hold no {label} figures; import them with `generate.py data import`"
        held = self.releases.pick(measure, code, year, self.choice.as_of)
        return (held.why if held is not None else None) or f"the data files hold no {label} figure for {year}"

    def published(
        self, name: str, label: str, measure: str, code: str, area: str, year: int | None
    ) -> Figure:
        """A figure as a release publishes it (or the sum of its councils' rows, when that is all the
        release has), or a missing figure that says why."""
        unit, decimals = MEASURES[measure].unit, MEASURES[measure].decimals
        held = self.held(measure, code, year)
        if held is None or held.value is None:
            why = self.why(measure, code, year)
            return Figure(
                name, label, None, unit, (), "Not available.", why_missing=why, year=year, decimals=decimals
            )
        method = PUBLISHED
        if held.sum_of is not None:
            method = (
                f"Sum of the {held.sum_of} local authorities of {area} in the release, which has no row "
                f"for {area} itself."
            )
        return Figure(
            name, label, held.value, unit, (held.source,), method,
            inputs=(source_input(held, area),), year=year, rounded_to=held.rounded_to, decimals=decimals,
        )  # fmt: skip


def source_input(held: Held, area: str) -> Input:
    """A held value as a figure's input."""
    return Input(held.where, f"{held.measure} of {area} ({held.code}), {held.year}", held.value or 0.0)
