"""A Welsh pack's local content: the member's Welsh overlay (`cities/<slug>.cy.md`) laid over its English
content (`cities/<slug>.md`) and the group's asks.

Everything the pack shows in words must be in Welsh: each ask's title, summary and text, and the points,
quote, contact and case study the English pack has. What the overlay lacks stops the pack, naming the file
and every missing part, unless the overlay says `english_fallback: true`: then the English is shown,
marked as English (`InEnglish`, placed with lang en-GB and "(Saesneg / English)").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keycities.compose.markdown import InEnglish
from keycities.data.cities import Ask
from keycities.data.local_content import LocalAsk, LocalContent, LocalFront, missing_translations
from keycities.errors import ComposeError


@dataclass(frozen=True)
class WelshLocal:
    local: dict[str, Any]  # what the template calls `local`
    asks: list[dict[str, Any]]  # `pack_asks`
    template_name: str | None  # the case study to include
    logo: str | None


def welsh_local(overlay: LocalContent, english: LocalContent | None, asks: list[Ask]) -> WelshLocal:
    """The Welsh pack's local content, or a ComposeError listing every part the overlay lacks."""
    missing = missing_translations(overlay, english, [ask.key for ask in asks])
    front, source = overlay.front, english.front if english else LocalFront()
    if missing and not front.english_fallback:
        raise ComposeError(
            f"{overlay.template_name}:1: no Welsh text for {', '.join(missing)}; add the Welsh to "
            f"{overlay.template_name}, or set `english_fallback: true` there to show the English, marked "
            "as English"
        )
    local = {
        "sample": front.sample,
        "english_fallback": front.english_fallback,
        "in_english": missing,  # empty unless english_fallback shows some English
        "quote": _quote(front, source),
        "contact": _contact(front, source),
        "case_study_in_english": False,
    }
    template_name = overlay.template_name if overlay.has_body else None
    if english and english.has_body and not overlay.has_body:
        template_name, local["case_study_in_english"] = english.template_name, True
    pack_asks = [_ask(ask, front.asks.get(ask.key), source.asks.get(ask.key)) for ask in asks]
    return WelshLocal(local, pack_asks, template_name, front.logo or source.logo)


def _ask(ask: Ask, own: LocalAsk | None, english: LocalAsk | None) -> dict[str, Any]:
    own = own or LocalAsk()
    entry: dict[str, Any] = {"key": ask.key}
    for part in ("title", "summary", "text"):
        entry[part] = getattr(own, part) or InEnglish(getattr(ask, part))
    entry["points"] = own.points or [InEnglish(point) for point in (english.points if english else [])]
    return entry


def _quote(front: LocalFront, source: LocalFront) -> dict[str, str] | None:
    if front.quote:
        return front.quote.model_dump()
    if source.quote:
        return {"text": InEnglish(source.quote.text), "by": InEnglish(source.quote.by)}
    return None


def _contact(front: LocalFront, source: LocalFront) -> dict[str, Any] | None:
    if not front.contact and not source.contact:
        return None
    own = front.contact.model_dump() if front.contact else {}
    english = source.contact.model_dump() if source.contact else {}
    contact: dict[str, Any] = {}
    for part in ("name", "role"):
        contact[part] = own.get(part) or (InEnglish(english[part]) if english.get(part) else None)
    contact["address"] = own.get("address") or [InEnglish(line) for line in english.get("address", [])]
    for part in ("telephone", "email", "web"):  # the same in either language
        contact[part] = own.get(part) or english.get(part)
    return contact
