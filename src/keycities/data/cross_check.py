"""What the schema of cities.yaml alone cannot see: unique keys, known sources, claims and the projection's
inputs, and values far outside what any UK area has. Works on the raw data, so these problems are
reported beside the schema's own, in one run.
"""

from __future__ import annotations

from typing import Any

from keycities.data.measures import FIGURE_KEYS, PLAUSIBLE_MAXIMUM
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


def cross_check(located: Located) -> list[str]:
    """What the schema alone cannot see: unique keys, known sources and figures. Works on the raw data,
    so these problems are reported beside the schema's own, in one run."""
    data = located.data
    sources = _mapping(data, "sources")
    figure_sources = _mapping(data, "figure_sources")
    members, asks, claims = _items(data, "members"), _items(data, "asks"), _items(data, "claims")
    problems = check_unique(located, members, "slug", ("members",))
    problems += check_unique(located, members, "ons_code", ("members",))
    problems += check_unique(located, asks, "key", ("asks",))
    problems += check_unique(located, claims, "key", ("claims",))
    problems += check_unique(located, _items(data, "comparators"), "key", ("comparators",))
    for key, source in figure_sources.items():
        if key not in FIGURE_KEYS:
            problems.append(
                f"{located.where(('figure_sources', key))}: unknown figure '{key}'; "
                f"known figures: {', '.join(FIGURE_KEYS)}"
            )
        elif isinstance(source, str) and source not in sources:  # anything else is the schema's to report
            problems.append(_unknown_source(located, ("figure_sources", key), source, sources))
    unsourced: dict[str, list[tuple[str | int, ...]]] = {}
    for path in _figure_holders(data):
        for key, value in _mapping_at(data, path).items():
            figure = value if isinstance(value, dict) else {"value": value}
            if figure.get("value") is None or key not in FIGURE_KEYS:
                continue
            own = figure.get("source")
            if own is None and key not in figure_sources:
                unsourced.setdefault(key, []).append((*path, key))
            elif isinstance(own, str) and own not in sources:
                problems.append(_unknown_source(located, (*path, key, "source"), own, sources))
    for key, paths in unsourced.items():
        others = f" (nor do {len(paths) - 1} more {key} figures)" if len(paths) > 1 else ""
        problems.append(
            f"{located.where(paths[0])}: this figure names no source{others}; add "
            f"'{key}: <source id>' under figure_sources, or 'source:' to the figure"
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
    benchmark = next(
        (item for _, item in _items(data, "comparators") if item.get("key") == projection.get("benchmark")),
        None,
    )
    measure = projection.get("measure")
    if benchmark is not None and isinstance(measure, str):
        value = _mapping(benchmark, "figures").get(measure)
        if (value.get("value") if isinstance(value, dict) else value) is None:
            problems.append(
                f"{located.where(('projection', 'benchmark'))}: the projection needs the {measure} of "
                f"'{projection['benchmark']}'; give it under that comparator's figures"
            )
    base, target = projection.get("base_year"), projection.get("target_year")
    if isinstance(base, int) and isinstance(target, int) and target <= base:
        problems.append(f"{located.where(('projection', 'target_year'))}: must be after base_year ({base})")
    return problems


def _figure_holders(data: Any) -> list[tuple[str | int, ...]]:
    """The path of every `figures:` mapping: each member's, each council's of a combined authority, each
    comparator's."""
    holders: list[tuple[str | int, ...]] = []
    for index, member in _items(data, "members"):
        holders.append(("members", index, "figures"))
        holders += [
            ("members", index, "constituents", number, "figures")
            for number, _ in _items(member, "constituents")
        ]
    return holders + [("comparators", index, "figures") for index, _ in _items(data, "comparators")]


def implausible_values(located: Located) -> list[str]:
    """A warning for each value far beyond any UK area's, and for a projection beyond LATEST_TARGET_YEAR."""
    warnings = []
    for path in _figure_holders(located.data):
        for key, value in _mapping_at(located.data, path).items():
            written = value.get("value") if isinstance(value, dict) else value
            limit = PLAUSIBLE_MAXIMUM.get(str(key))
            if not limit or isinstance(written, bool) or not isinstance(written, int | float):
                continue  # not a number: the schema's to report
            try:
                number = float(written)
            except OverflowError:  # a whole number longer than any figure: the schema refuses it
                continue
            if number <= limit[0]:
                continue
            shown = f"{number:,.2f}".rstrip("0").rstrip(".") if number < 1e15 else f"{number:g}"
            warnings.append(
                f"{located.where((*path, key))}: {shown} is more than {limit[1]}, far beyond any UK area; "
                "check the value and its unit"
            )
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


def _mapping_at(data: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int):
            data = data[part]
    return data if isinstance(data, dict) else {}


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
