"""What the schema of cities.yaml alone cannot see: unique keys, known sources, claims and the projection,
and a projection further ahead than any figures can reach. Works on the raw data, so these problems are
reported beside the schema's own, in one run.
"""

from __future__ import annotations

from typing import Any

from keycities.data.schema import check_unique
from keycities.data.yaml_lines import Located

# The group figures a published claim may be compared with (computed in figures.py).
CLAIMABLE_FIGURES = (
    "group.member_count",
    "group.population",
    "group.gva",
    "group.filled_jobs",
    "group.gva_ratio_to_scotland",
    "group.uplift",
    "group.uplift_per_year",
)


CLAIM_COMPARATORS = {"group.gva_ratio_to_scotland": "scotland"}  # figures that need a comparator


LATEST_TARGET_YEAR = 2100  # a projection further ahead is a slip of the year


def cross_check(located: Located, release_ids: set[str]) -> list[str]:
    """What the schema alone cannot see: unique keys, known sources and figures. Works on the raw data,
    so these problems are reported beside the schema's own, in one run. `release_ids` are the sources
    the data files register."""
    data = located.data
    own_sources = _mapping(data, "sources")
    sources = {**own_sources, **dict.fromkeys(release_ids)}
    members, asks, claims = _items(data, "members"), _items(data, "asks"), _items(data, "claims")
    problems = check_unique(located, members, "slug", ("members",))
    problems += check_unique(located, members, "ons_code", ("members",))
    problems += check_unique(located, asks, "key", ("asks",))
    problems += check_unique(located, claims, "key", ("claims",))
    problems += check_unique(located, _items(data, "comparators"), "key", ("comparators",))
    problems += check_unique(located, _items(data, "comparators"), "ons_code", ("comparators",))
    for source in sorted(set(own_sources) & release_ids):
        problems.append(
            f"{located.where(('sources', source))}: the data file data/{source}.yaml registers this source "
            "too; remove it here (the data file's `source:` is the one used)"
        )
    listed = _mapping(data, "group").get("membership_sources")
    for index, source in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(source, str) and source not in sources:
            problems.append(_unknown_source(located, ("group", "membership_sources", index), source, sources))
    for index, claim in claims:
        if "figure" in claim and claim["figure"] not in CLAIMABLE_FIGURES:
            problems.append(
                f"{located.where(('claims', index, 'figure'))}: unknown figure '{claim['figure']}'; "
                f"claims can be checked against: {', '.join(CLAIMABLE_FIGURES)}"
            )
        needed = CLAIM_COMPARATORS.get(str(claim.get("figure")))
        if needed and needed not in [item.get("key") for _, item in _items(data, "comparators")]:
            problems.append(
                f"{located.where(('claims', index, 'figure'))}: {claim['figure']} needs a comparator with "
                f"key '{needed}'; add it under comparators"
            )
        if claim.get("published") is None and claim.get("holds_between") is None:
            problems.append(
                f"{located.where(('claims', index))}: give 'published' (with 'rounding') or "
                "'holds_between' so the claim can be checked"
            )
        if isinstance(claim.get("source"), str) and claim["source"] not in sources:
            problems.append(_unknown_source(located, ("claims", index, "source"), claim["source"], sources))
    projection = _mapping(data, "projection")
    comparator_keys = sorted(str(item.get("key")) for _, item in _items(data, "comparators"))
    if "benchmark" in projection and projection["benchmark"] not in comparator_keys:
        problems.append(
            f"{located.where(('projection', 'benchmark'))}: unknown comparator "
            f"'{projection['benchmark']}'; known: {', '.join(comparator_keys)}"
        )
    base, target = projection.get("base_year"), projection.get("target_year")
    if isinstance(base, int) and isinstance(target, int) and target <= base:
        problems.append(f"{located.where(('projection', 'target_year'))}: must be after base_year ({base})")
    return problems


def implausible_values(located: Located) -> list[str]:
    """A warning for a projection beyond LATEST_TARGET_YEAR (values far beyond any UK area's are warned
    about where the data files are read)."""
    warnings = []
    target = _mapping(located.data, "projection").get("target_year")
    if isinstance(target, int) and LATEST_TARGET_YEAR < target < 10_000:  # a later one is an error
        warnings.append(
            f"{located.where(('projection', 'target_year'))}: {target} is after {LATEST_TARGET_YEAR}, "
            "further ahead than any projection of these figures can reach; check the year"
        )
    return warnings


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a list, with their positions (anything malformed is the schema's to report)."""
    value = data.get(key) if isinstance(data, dict) else None
    return (
        [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]
        if isinstance(value, list)
        else []
    )


def _unknown_source(
    located: Located, path: tuple[str | int, ...], source: object, sources: dict[str, Any]
) -> str:
    return (
        f"{located.where(path)}: unknown source '{source}'; add it under sources or use one of: "
        f"{', '.join(sorted(sources))}"
    )
