"""A source: the publication a figure or a claim comes from, as notes cite it."""

from __future__ import annotations

import re
from datetime import date

from pydantic import field_validator

from keycities.data.schema import Model


class Source(Model):
    title: str
    publisher: str
    released: date | str | None = None  # a date, or a month such as "2024-06"
    url: str
    note: str | None = None

    @field_validator("released")
    @classmethod
    def _month_or_date(cls, value: date | str | None) -> date | str | None:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValueError(f"expected a date like 2019-02-04 or a month like 2024-06, got {value!r}")
        return value


def released_on(released: date | str | None) -> date:
    """The day a source was released, for ordering releases: a month counts from its first day, and a
    source with no date counts as the oldest."""
    if isinstance(released, date):
        return released
    if released is None:
        return date.min
    year, month = released.split("-")
    return date(int(year), int(month), 1)
