"""Welsh initial mutations of place names, for Welsh templates: `{{ member.name_cy | yn }}` gives
"yng Nghasnewydd", `| i` "i Gasnewydd", `| o` "o Abertawe".

After "yn" (in) a name takes the nasal mutation (p->mh, t->nh, c->ngh, b->m, d->n, g->ng), and "yn" itself
becomes "ym" before m and "yng" before ng: "ym Mangor", "yng Nghaerdydd", "yn Nhreforys". After "i" (to)
and "o" (from) a name takes the soft mutation (p->b, t->d, c->g, b->f, d->dd, g dropped, m->f, ll->l,
rh->r): "i Gaerdydd", "o Fangor". A name starting with a vowel or another consonant is unchanged.
`KNOWN` holds the members' Welsh names, checked forms that the rules must agree with (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2.exceptions import FilterArgumentError

NASAL = (("p", "mh"), ("t", "nh"), ("c", "ngh"), ("b", "m"), ("d", "n"), ("g", "ng"))
# Longest first: "ll" and "rh" before any single letter.
SOFT = (
    ("ll", "l"),
    ("rh", "r"),
    ("p", "b"),
    ("t", "d"),
    ("c", "g"),
    ("b", "f"),
    ("d", "dd"),
    ("g", ""),
    ("m", "f"),
)
# The members' Welsh names after each trigger, as a Welsh speaker writes them.
KNOWN = {
    "Casnewydd": {"yn": "yng Nghasnewydd", "i": "i Gasnewydd", "o": "o Gasnewydd"},
    "Abertawe": {"yn": "yn Abertawe", "i": "i Abertawe", "o": "o Abertawe"},
}


def _mutate(name: str, table: tuple[tuple[str, str], ...]) -> str:
    """The name with its first letters changed by `table`, keeping a capital a capital."""
    for plain, mutated in table:
        if name[: len(plain)].lower() == plain:
            rest = name[len(plain) :]
            if not mutated:  # g dropped: "Gwent" -> "Went"
                return rest[:1].upper() + rest[1:] if name[:1].isupper() else rest
            return (mutated.capitalize() if name[:1].isupper() else mutated) + rest
    return name


def nasal(name: str) -> str:
    """`Casnewydd` -> `Nghasnewydd`, `Bangor` -> `Mangor`."""
    return _mutate(name, NASAL)


def soft(name: str) -> str:
    """`Casnewydd` -> `Gasnewydd`, `Bangor` -> `Fangor`, `Llanelli` -> `Lanelli`."""
    return _mutate(name, SOFT)


def in_place(name: str) -> str:
    """The name after "yn", with "yn" itself: `yng Nghasnewydd`, `ym Mangor`, `yn Abertawe`."""
    mutated = nasal(name)
    lowered = mutated.lower()
    preposition = "yng" if lowered.startswith("ng") else "ym" if lowered.startswith("m") else "yn"
    return f"{preposition} {mutated}"


def to_place(name: str) -> str:
    """`i Gasnewydd`."""
    return f"i {soft(name)}"


def from_place(name: str) -> str:
    """`o Gasnewydd`."""
    return f"o {soft(name)}"


RULES: Mapping[str, Callable[[str], str]] = {"yn": in_place, "i": to_place, "o": from_place}


def _filter(trigger: str) -> Callable[[Any], str]:
    def mutated(name: Any) -> str:
        if not isinstance(name, str) or not name:
            raise FilterArgumentError(
                f"the {trigger} filter applies to a place name (text such as member.name_cy), not to {name!r}"
            )
        return KNOWN.get(name, {}).get(trigger) or RULES[trigger](name)

    return mutated


MUTATION_FILTERS: Mapping[str, Callable[[Any], str]] = {trigger: _filter(trigger) for trigger in RULES}
