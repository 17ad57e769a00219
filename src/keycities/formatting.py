"""The one formatter for numbers, money, percentages and dates, in English or Welsh (GOV.UK style).

Money follows a house style (`£137.2bn`, as the group writes it) or GOV.UK's (`£137.2 billion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from keycities.data.schema import Language
from keycities.figures.model import Figure
from keycities.figures.rounding import rounded

MoneyStyle = Literal["house", "govuk"]

BABEL_LOCALES = {"en-GB": "en_GB", "cy": "cy"}  # the documents' language tags, as Babel names them
LARGE = {  # (divisor, house suffix, GOV.UK word) by language
    "en-GB": ((1e9, "bn", "billion"), (1e6, "m", "million")),
    "cy": ((1e9, "bn", "biliwn"), (1e6, "m", "miliwn")),
}
MINUS = "\u2212"  # read as "minus" by screen readers, unlike a hyphen
RANK_WORDS = {"en-GB": "{ordinal} of {total}", "cy": "safle {number} o {total}"}
# English ordinal suffixes by the plural category CLDR gives a number (1st, 2nd, 3rd, 4th, 11th, 21st).
ORDINAL_SUFFIXES = {"one": "st", "two": "nd", "few": "rd", "other": "th"}


@dataclass(frozen=True)
class Formatter:
    """Formats values for one document: its money style and its language."""

    money_style: MoneyStyle = "house"
    language: Language = "en-GB"

    def number(self, value: float, decimals: int = 0) -> str:
        """`6,400,797`; `93.3` with decimals=1. Negative numbers take a minus sign; -0 is 0."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        text = format_decimal(rounded(value, decimals), pattern, locale=self.locale)
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]
        return text.replace("-", MINUS)

    @property
    def locale(self) -> Locale:
        """The document's language as Babel knows it."""
        return _locale(self.language)

    def count(self, value: float, scale: Literal["million"] | None = None, decimals: int = 1) -> str:
        """A count of people or things: `6,400,797`, or `6.4 million` with scale="million"."""
        if scale == "million":
            return f"{self.number(value / 1e6, decimals)} {LARGE[self.language][1][2]}"
        return self.number(value)

    def money(self, value: float, decimals: int | None = None) -> str:
        """`£137.2bn` (or `£137.2 billion`), `£56,196`, `£34.80`: pence only for small amounts with pence."""
        negative, value = value < 0, abs(value)
        places = 1 if decimals is None else decimals
        units = LARGE[self.language]
        # The largest unit the amount reaches, moved up when rounding would show 1,000 of it:
        # 999.96 million is £1.0bn, not £1,000.0m; 999,999.60 is £1.0m, not £1,000,000.
        index = next((i for i, unit in enumerate(units) if value >= unit[0]), len(units))
        whole_pounds_reach_a_unit = index == len(units) and rounded(value, 0) >= units[-1][0]
        rounds_to_next_unit = 0 < index < len(units) and rounded(value / units[index][0], places) >= 1000
        if whole_pounds_reach_a_unit or rounds_to_next_unit:
            index -= 1
        if index < len(units):
            divisor, suffix, word = units[index]
            scaled = self.number(value / divisor, places)
            text = f"£{scaled}{suffix}" if self.money_style == "house" else f"£{scaled} {word}"
            return _signed(text, negative)
        if decimals is None:
            decimals = 2 if value < 1000 and rounded(value, 2) != rounded(value, 0) else 0
        return _signed(f"£{self.number(value, decimals)}", negative)

    def percent(self, ratio: float, decimals: int = 1) -> str:
        """`98.8%` from the ratio 0.988."""
        return f"{self.number(ratio * 100, decimals)}%"

    def date(self, day: date) -> str:
        """`4 February 2019` (`4 Chwefror 2019` in Welsh): no ordinal, no comma."""
        return format_date(day, "d MMMM y", locale=self.locale)

    def month(self, year: int, month: int) -> str:
        """`June 2024` (`Mehefin 2024` in Welsh)."""
        return format_date(date(year, month, 1), "MMMM y", locale=self.locale)

    def rank(self, position: float, total: int) -> str:
        """`13th of 21` (`safle 13 o 21` in Welsh)."""
        number = int(position)
        suffix = ORDINAL_SUFFIXES[self.locale.ordinal_form(number)]
        return RANK_WORDS[self.language].format(ordinal=f"{number}{suffix}", number=number, total=total)

    def figure(self, figure: Figure, decimals: int | None = None) -> str:
        """A figure in the form its unit calls for; a missing figure is never formatted."""
        if figure.value is None:
            raise ValueError(f"{figure.name} is missing and cannot be formatted")
        value = figure.value
        if figure.unit == "gbp":
            return self.money(value, figure.decimals if decimals is None else decimals)
        if figure.unit == "ratio":
            return self.percent(value, 1 if decimals is None else decimals)
        if figure.unit == "index":
            return self.number(value, 1 if decimals is None else decimals)
        if figure.unit == "rank":
            return self.rank(value, figure.coverage.covered if figure.coverage else 0)
        return self.number(value, decimals or 0)


def _signed(text: str, negative: bool) -> str:
    """A minus sign before a negative amount, unless it rounds to nothing."""
    return f"{MINUS}{text}" if negative and any(digit in "123456789" for digit in text) else text


@cache
def _locale(language: Language) -> Locale:
    return Locale.parse(BABEL_LOCALES[language])
