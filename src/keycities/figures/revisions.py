"""How one release revised another's figures of the same year: member by member, and the effect on the
members' total, for every measure and year that two releases of the data hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from keycities.data.cities import Campaign, Member
from keycities.data.measures import MEASURES


@dataclass(frozen=True)
class RevisedValue:
    """One member's value in the earlier and the later release (None where a release has none)."""

    member: str
    earlier: float | None
    later: float | None


@dataclass(frozen=True)
class Revision:
    """The figures of one measure and year in two releases."""

    measure: str
    year: int
    earlier: str  # source ids
    later: str
    rows: tuple[RevisedValue, ...]

    @property
    def totals(self) -> tuple[float, float, int]:
        """The two releases' totals over the members that both have, and how many those are."""
        both = [row for row in self.rows if row.earlier is not None and row.later is not None]
        return sum(row.earlier or 0.0 for row in both), sum(row.later or 0.0 for row in both), len(both)


def revisions(campaign: Campaign) -> list[Revision]:
    """Every pair of consecutive releases holding the same measure and year, member by member."""
    releases, codes = campaign.releases, campaign.area_codes()
    found = []
    for measure in MEASURES:
        for year in releases.years(measure, codes):
            held = releases.releases_of(measure, year, codes)
            for earlier, later in pairwise(held):
                if releases.sources[earlier].released == releases.sources[later].released:
                    continue  # two tables of one release (local authorities, regions), not a revision
                rows = tuple(
                    RevisedValue(
                        member.name,
                        _value(campaign, member, measure, year, earlier),
                        _value(campaign, member, measure, year, later),
                    )
                    for member in campaign.data.members
                )
                revision = Revision(measure, year, earlier, later, rows)
                if revision.totals[2]:  # a release of the same series: members in both
                    found.append(revision)
    return found


def _value(campaign: Campaign, member: Member, measure: str, year: int, source: str) -> float | None:
    """A member's value in one release: its own row, or the sum of its councils' rows (for a measure that
    adds up), or None when the release lacks any of them."""
    codes = [part.ons_code for part in member.constituents] or [member.ons_code]
    if len(codes) > 1 and not MEASURES[measure].summable:
        return None
    total = 0.0
    for code in codes:
        values = [
            held.value
            for held in campaign.releases.held.get((measure, code, year), [])
            if held.source == source and held.value is not None
        ]
        if not values:
            return None
        total += values[0]
    return total
