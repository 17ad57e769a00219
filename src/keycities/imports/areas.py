"""The areas an import takes, from cities.yaml: the member councils (a combined authority's constituent
councils in its place) and the comparators (nations and the UK)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from keycities.data.yaml_lines import read_yaml

Role = Literal["council", "comparator"]


@dataclass(frozen=True)
class Area:
    """An area whose figures are imported, stored under its ONS code."""

    code: str  # ONS code: E06000009, E92000001
    name: str
    itl_code: str | None  # a comparator's ITL code (TLB for England), matched in ITL tables
    role: Role


def read_areas(project: Path) -> tuple[list[Area], list[str]]:
    """The areas of the project's cities.yaml, in its order, and a warning for each comparator that
    cannot be imported because it has no ONS code."""
    located = read_yaml(project / "cities.yaml", project)
    return areas_from_cities(located.data)


def areas_from_cities(data: Any) -> tuple[list[Area], list[str]]:
    """The areas in parsed cities.yaml: each member's council, or its constituents' councils, then each
    comparator. Malformed entries are skipped: `generate.py check` reports them."""
    data = data if isinstance(data, dict) else {}
    areas: list[Area] = []
    for member in _mappings(data.get("members")):
        constituents = _mappings(member.get("constituents"))
        for council in constituents or [member]:
            if _text(council, "ons_code") and _text(council, "name"):
                areas.append(Area(_text(council, "ons_code"), _text(council, "name"), None, "council"))
    warnings = []
    for comparator in _mappings(data.get("comparators")):
        code, name = _text(comparator, "ons_code"), _text(comparator, "name")
        if not name:
            continue
        if not code:
            warnings.append(
                f"cities.yaml: comparator {name} has no ons_code, so nothing is imported for it; add its "
                "ons_code (E92000001 England, W92000004 Wales, S92000003 Scotland, K02000001 UK) and "
                "itl_code (TLB, TLL, TLM, UKX)"
            )
            continue
        areas.append(Area(code, name, _text(comparator, "itl_code") or None, "comparator"))
    return areas, warnings


def _mappings(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""
