"""Letter sources: `letters/<name>.md`, YAML front matter then a Markdown body with Jinja placeholders.

Front matter says who a letter goes to (`to:` a list of recipient ids, `role:<role>`, `tag:<tag>` or
`all`), its subject, date, signatory, layout, where its source notes go, optional variants for groups of
recipients, and optionally the email it is mailed with (`email: {subject, body}`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field

from keycities.data.paths import read_text, resolve_inside
from keycities.data.recipients import Addressee
from keycities.data.schema import HeaderText, Language, Model, raise_if_any, validate
from keycities.data.yaml_lines import Located, parse_yaml
from keycities.errors import DataError

FENCE = "---"


class Layout(Model):
    css: str = "print.css"  # in templates/
    docx: str = "reference.docx"  # in templates/


class Variant(Model):
    """Different wording for some recipients: the first variant whose `to` matches applies."""

    to: list[str] = Field(min_length=1)
    subject: HeaderText | None = None
    body: str | None = None  # another Markdown file in letters/, used instead of this letter's body


class Email(Model):
    """The email a letter goes with: its subject and a short Markdown body, both with placeholders, filled
    in for each recipient when the letter is built; without it, templates/mail.txt and mail.html."""

    subject: HeaderText
    body: str = Field(min_length=1, max_length=10_000)


class FrontMatter(Model):
    subject: HeaderText
    date: date
    to: list[str] = Field(min_length=1)
    signatory: str  # the id of one of cities.yaml's `group.signatories`
    language: Language = "en-GB"
    data_year: int | None = Field(default=None, gt=1900, lt=10_000)  # its figures' year; else the latest
    # Its own recipient list (`recipients/<file>.csv` or `.yaml`); else recipients.yaml and recipients.csv.
    recipients: str | None = Field(default=None, pattern=r"^recipients/[^/]+\.(csv|yaml|yml)$")
    reference: HeaderText | None = None  # "Our ref"
    postscript: str | None = None  # a line under the signature, Jinja placeholders allowed
    # Where the source notes go: at the end of the letter, in an enclosure sent with it, or nowhere in print
    # (the manifest still records every figure's sources).
    notes: Literal["end", "enclosure", "none"] = "end"
    template: Layout = Field(default_factory=Layout)
    variants: list[Variant] = Field(default_factory=list)
    email: Email | None = None


@dataclass(frozen=True)
class Body:
    """Markdown with Jinja placeholders, and where it starts in its file (for error lines)."""

    file: Path  # as shown in messages: letters/<name>.md
    text: str  # the whole file with the front matter blanked, so template lines are file lines


@dataclass(frozen=True)
class Letter:
    name: str
    front: FrontMatter
    body: Body
    variant_bodies: dict[str, Body]
    located: Located


def load_letters(folder: Path, strict: bool = False) -> tuple[dict[str, Letter], list[str]]:
    """Every `letters/*.md`, parsed and validated; DataError lists every problem in every letter."""
    errors: list[str] = []
    warnings: list[str] = []
    letters: dict[str, Letter] = {}
    letters_folder = folder / "letters"
    texts: dict[Path, str] = {}
    for path in sorted(letters_folder.glob("*.md")):
        try:
            texts[path] = read_text(path, letters_folder)
        except DataError as error:
            errors += error.problems
    # A file without front matter is a variant's body, read through the letter that names it.
    sources = [path for path, text in texts.items() if text.startswith(FENCE)]
    for path in sources:
        try:
            letter, letter_warnings = _load_letter(folder, path, texts[path])
        except DataError as error:
            errors += error.problems
            continue
        letters[letter.name] = letter
        warnings += letter_warnings
    named = {str(body.file) for letter in letters.values() for body in letter.variant_bodies.values()}
    for path in texts:
        if path not in sources and str(Path("letters") / path.name) not in named and not errors:
            errors.append(
                f"letters/{path.name}:1: a letter starts with front matter between '---' lines (subject, "
                "date, to); a variant's body must be named by a letter's variants"
            )
    if not letters and not errors:
        errors.append(f"{letters_folder}: no letters found; add letters/<name>.md")
    raise_if_any(errors, warnings, strict)
    return letters, warnings


def _load_letter(folder: Path, path: Path, text: str) -> tuple[Letter, list[str]]:
    shown = Path("letters") / path.name
    front_text, body = split_front_matter(text, shown)
    located = parse_yaml(front_text, shown, first_line=2)
    model, errors, warnings = validate(FrontMatter, located)
    variant_bodies: dict[str, Body] = {}
    if model is not None:
        for index, variant in enumerate(model.variants):
            if variant.body is None:
                continue
            where = located.where(("variants", index, "body"))
            try:
                if named_file(folder / "letters", variant.body) is None:
                    errors.append(f"{where}: no such file letters/{variant.body}; create it or fix the name")
                    continue
                variant_text = read_text(folder / "letters" / variant.body, folder / "letters")
            except DataError as error:
                errors += [f"{where}: {problem}" for problem in error.problems]
                continue
            variant_bodies[variant.body] = Body(Path("letters") / variant.body, variant_text)
        for key in ("css", "docx"):
            name = getattr(model.template, key)
            where = located.where(("template", key))
            try:
                layout = named_file(folder / "templates", name)
            except DataError as error:
                errors += [f"{where}: {problem}" for problem in error.problems]
                continue
            if layout is None or not layout.is_file():
                errors.append(f"{where}: no such file templates/{name}; create it or fix the name")
        if model.recipients and not (folder / model.recipients).is_file():
            where = located.where(("recipients",))
            errors.append(f"{where}: no such file {model.recipients}; create it or fix the name")
    raise_if_any(errors, [], strict=False)
    assert model is not None
    return Letter(path.stem, model, Body(shown, body), variant_bodies, located), warnings


def named_file(folder: Path, relative: str) -> Path | None:
    """`folder/relative` with its links followed, or None when there is nothing there or the name leads
    out of the folder (`..`, an absolute path); a DataError naming the link when a link leads out."""
    path = folder / relative
    if not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder)) or not path.exists():
        return None
    return resolve_inside(folder, path)


def split_front_matter(text: str, shown: Path) -> tuple[str, str]:
    """(front matter YAML, the file with the front matter blanked out so line numbers still match)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise DataError(
            [f"{shown}:1: a letter starts with front matter between '---' lines (subject, date, to)"]
        )
    try:
        end = next(index for index in range(1, len(lines)) if lines[index].strip() == FENCE)
    except StopIteration:
        raise DataError([f"{shown}:1: front matter is not closed; add a '---' line after it"]) from None
    return "\n".join(lines[1:end]), "\n" * (end + 1) + "\n".join(lines[end + 1 :])


def select(letter: Letter, addressees: list[Addressee]) -> list[Addressee]:
    """The recipients a letter goes to, in the order of the recipients file; unknown ids are errors."""
    chosen: set[str] = set()
    errors = []
    for index, selector in enumerate(letter.front.to):
        matched = {addressee.record.id for addressee in addressees if matches(selector, addressee)}
        if not matched:
            errors.append(
                f"{letter.located.where(('to', index))}: '{selector}' matches no recipient; use an id "
                "from the recipients file, role:<role>, tag:<tag> or all"
            )
        chosen |= matched
    raise_if_any(errors, [], strict=False)
    return [addressee for addressee in addressees if addressee.record.id in chosen]


def unmatched_variants(letter: Letter, addressees: list[Addressee]) -> list[str]:
    """A warning for each variant selector that takes nobody in this list (a typo, or another list)."""
    return [
        f"{letter.located.where(('variants', index, 'to', number))}: '{selector}' matches no recipient in "
        "this list, so the variant is not used"
        for index, variant in enumerate(letter.front.variants)
        for number, selector in enumerate(variant.to)
        if not any(matches(selector, addressee) for addressee in addressees)
    ]


def matches(selector: str, addressee: Addressee) -> bool:
    """Whether a `to:` selector (`all`, an id, `role:<role>`, `tag:<tag>`) takes this recipient."""
    record = addressee.record
    if selector == "all":
        return True
    kind, _, value = selector.partition(":")
    if kind == "role" and value:
        return record.role == value
    if kind == "tag" and value:
        return value in record.tags
    return record.id == selector


def variant_for(letter: Letter, addressee: Addressee) -> Variant | None:
    """The first variant that takes this recipient, if any."""
    return next((v for v in letter.front.variants if any(matches(s, addressee) for s in v.to)), None)
