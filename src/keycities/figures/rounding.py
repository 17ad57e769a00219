"""The one rounding rule: half away from zero, as ONS and GOV.UK round (never half to even)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def rounded(value: float, decimals: int) -> Decimal:
    """`value` rounded to `decimals` places, half away from zero (7,684.5 is 7,685). The float's exact value
    is rounded, so 2.675, stored as 2.67499..., is 2.67. Negative `decimals` round to tens, hundreds..."""
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
