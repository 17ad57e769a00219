"""A member's own content for its briefing pack: `cities/<slug>.md` (and `cities/<slug>.cy.md` in Welsh).

Front matter holds the member's logo, contact, a quote from its leader and its own points under each of
the group's asks; the Markdown body (Jinja placeholders allowed) is added to the pack as its case study.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from keycities.data.cities import Campaign
from keycities.data.images import png_problem
from keycities.data.letters import split_front_matter
from keycities.data.paths import read_text
from keycities.data.schema import Language, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, parse_yaml
from keycities.errors import DataError


class LocalAsk(Model):
    points: list[str] = Field(default_factory=list)  # the member's own points under this ask
    title: str | None = None  # the ask in this pack's language, when not English
    summary: str | None = None
    text: str | None = None


class Quote(Model):
    text: str
    by: str  # who said it: a name, or an office


class LocalContact(Model):
    name: str | None = None
    role: str | None = None
    address: list[str] = Field(default_factory=list)
    email: str | None = None
    telephone: str | None = None
    web: str | None = None


class LocalFront(Model):
    sample: bool = False  # the text is sample text to show the mechanism, not the council's own words
    # A Welsh overlay only: show the English of what it lacks, marked as English, instead of failing.
    english_fallback: bool = False
    logo: str | None = None  # a PNG in the project folder
    contact: LocalContact | None = None
    quote: Quote | None = None
    asks: dict[str, LocalAsk] = Field(default_factory=dict)


@dataclass(frozen=True)
class LocalContent:
    slug: str
    language: Language
    front: LocalFront
    template_name: str  # the body, loaded by the composer as a template
    text: str  # the file with its front matter blanked, so template lines are file lines

    @property
    def has_body(self) -> bool:
        """True when the file has a case study after its front matter."""
        return bool(self.text.strip())


def missing_translations(
    overlay: LocalContent, english: LocalContent | None, ask_keys: list[str]
) -> list[str]:
    """What a Welsh pack shows that its overlay gives no Welsh for: each ask's title, summary and text;
    the points, quote, contact (its name, role and address) and case study the English content has."""
    front, source = overlay.front, english.front if english else LocalFront()
    missing = []
    for key in ask_keys:
        own = front.asks.get(key) or LocalAsk()
        missing += [f"asks.{key}.{part}" for part in ("title", "summary", "text") if not getattr(own, part)]
        if key in source.asks and source.asks[key].points and not own.points:
            missing.append(f"asks.{key}.points")
    if source.quote and not front.quote:
        missing.append("quote")
    if source.contact and not front.contact:
        missing.append("contact")
    elif source.contact and front.contact:
        missing += [
            f"contact.{part}"
            for part in ("name", "role", "address")
            if getattr(source.contact, part) and not getattr(front.contact, part)
        ]
    if english and english.has_body and not overlay.has_body:
        missing.append("the case study (Markdown after the front matter)")
    return missing


def load_local(
    campaign: Campaign, strict: bool = False
) -> tuple[dict[tuple[str, str], LocalContent], list[str]]:
    """Every member's local files, by (slug, language); a file for an unknown member is an error."""
    folder = campaign.folder / "cities"
    errors: list[str] = []
    warnings: list[str] = []
    found: dict[tuple[str, str], LocalContent] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        slug, _, suffix = path.stem.partition(".")
        language: Language = "cy" if suffix == "cy" else "en-GB"
        shown = Path("cities") / path.name
        if slug not in campaign.members or suffix not in {"", "cy"}:
            errors.append(
                f"{shown}:1: no member '{slug}' (or language '{suffix}'); name the file "
                "cities/<slug>.md or cities/<slug>.cy.md with a slug from cities.yaml"
            )
            continue
        try:
            front_text, body = split_front_matter(read_text(path, folder), shown)
            located = parse_yaml(front_text, shown, first_line=2)
        except DataError as error:
            errors += error.problems
            continue
        model, problems, unknown = validate(LocalFront, located)
        errors += problems + _check(located, model, campaign)
        warnings += unknown
        if model is not None:
            found[(slug, language)] = LocalContent(slug, language, model, str(shown), body)
    raise_if_any(errors, warnings, strict)
    return found, warnings


def _check(located: Located, model: LocalFront | None, campaign: Campaign) -> list[str]:
    if model is None:
        return []
    problems = [
        f"{located.where(('asks', key))}: no ask '{key}'; the asks are {', '.join(campaign.asks)}"
        for key in model.asks
        if key not in campaign.asks
    ]
    if model.logo and (problem := png_problem(campaign.folder, model.logo)):
        problems.append(f"{located.where(('logo',))}: {problem}")
    return problems
