"""The same problem in many documents, said once: a slip in a letter's template stops the letter of every
recipient it is filled in for, and is reported as one line naming them, not one line per recipient."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

BRIEFINGS = "briefings"  # the collection of the briefing packs; every other collection is a letter's
SHOWN = 3  # documents named before "and N more"


def said_once(failed: Sequence[tuple[str, str]], succeeded: Iterable[str] = ()) -> list[str]:
    """Each distinct problem once, in the order first met, after the documents it stopped.

    `failed` holds (document, problem), a document named `collection/target` (`cities-in-action/
    prime-minister`); `succeeded` names the other documents of the run, so that a problem in every one of
    a collection is said to be in all. One document keeps its name (`cities-in-action/prime-minister:
    ...`); several are named together: `cities-in-action-mps (all 73 recipients' letters): ...`,
    `briefings (the packs of hull, wakefield and swansea.cy): ...`."""
    planned = Counter(document.partition("/")[0] for document in [*succeeded, *(doc for doc, _ in failed)])
    targets: dict[tuple[str, str], list[str]] = {}
    for document, problem in failed:
        collection, slash, target = document.partition("/")
        targets.setdefault((collection if slash else document, problem), []).append(target)
    lines = []
    for (collection, problem), stopped in targets.items():
        if len(stopped) == 1:
            where = f"{collection}/{stopped[0]}" if stopped[0] else collection
        else:
            where = f"{collection} ({_which(collection, stopped, planned[collection])})"
        lines.append(f"{where}: {problem}")
    return lines


def _which(collection: str, targets: list[str], planned: int) -> str:
    """`all 73 recipients' letters`, or `the letters to a, b, c and 4 more`."""
    packs = collection == BRIEFINGS
    if len(targets) == planned:
        return f"all {planned} packs" if packs else f"all {planned} recipients' letters"
    named = ", ".join(targets[:SHOWN])
    if len(targets) > SHOWN:
        named += f" and {len(targets) - SHOWN} more"
    else:
        named = f"{', '.join(targets[:-1])} and {targets[-1]}"
    return f"the packs of {named}" if packs else f"the letters to {named}"
