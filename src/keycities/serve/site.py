"""The project as the live preview shows it: loaded on the first request after a change (load_inputs,
then prepare), and each page made once per version of the project.

Only known ids are served: a path names a letter and one of its recipients, or a member and a language,
and each part must be one of the project's own; nothing in a path is ever used as a file name.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from urllib.parse import unquote

from keycities.compose.composition import Composition, prepare
from keycities.compose.letter import Composed
from keycities.data.inputs import load_inputs
from keycities.data.letters import select
from keycities.data.paths import member_layout, resolve_inside
from keycities.errors import DataError, KeyCitiesError
from keycities.formatting import Formatter
from keycities.render.html import load_stylesheet
from keycities.render.pool import asset_folders
from keycities.serve.pages import (
    STYLESHEETS_PATH,
    LetterEntry,
    PackEntry,
    Page,
    document_page,
    document_stylesheet,
    index_page,
    not_found_page,
    problem_page,
)
from keycities.serve.watch import Versions

WELSH_SUFFIX = ".cy"
KEPT_STYLESHEETS = 8  # layouts in use at once: the group's, members' own, a letter's


class Site:
    """Answers a path with a page, from the project as it is now."""

    def __init__(self, folder: Path, strict: bool, versions: Versions) -> None:
        self.folder, self.strict, self.versions = folder, strict, versions
        self._lock = threading.Lock()  # one page at a time: composing shares the project's state
        self._loaded: tuple[str, Composition | KeyCitiesError] | None = None
        self._pages: dict[str, Page] = {}
        # Each document page's stylesheet, named by its SHA-256: the same name is always the same text,
        # so the browser may keep it.
        self._stylesheets: dict[str, str] = {}

    def page(self, path: str) -> Page:
        """The page for a path of the preview (`/`, `/letters/<letter>/<recipient>`, `/briefings/<slug>`
        or `/briefings/<slug>.cy`)."""
        with self._lock:
            version = self.versions.current
            if self._loaded is None or self._loaded[0] != version:
                self._loaded, self._pages = (version, self._load()), {}
            if path not in self._pages:
                page = self._make(path, *self._loaded)
                if page.status == 404:  # not kept: any path may be asked for
                    return page
                self._pages[path] = page
            return self._pages[path]

    def _load(self) -> Composition | KeyCitiesError:
        try:
            return prepare(load_inputs(self.folder, self.strict))
        except KeyCitiesError as error:
            return error

    def _make(self, path: str, version: str, loaded: Composition | KeyCitiesError) -> Page:
        parts = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
        if parts not in ([], ["index.html"]) and not (
            (len(parts) == 3 and parts[0] == "letters") or (len(parts) == 2 and parts[0] == "briefings")
        ):
            return not_found_page(f"No page at {path}", version)
        if isinstance(loaded, KeyCitiesError):
            return problem_page("The project cannot be loaded", _problems(loaded), _warnings(loaded), version)
        if parts in ([], ["index.html"]):
            return self._index(loaded, version)
        if parts[0] == "letters":
            return self._letter(loaded, parts[1], parts[2], version)
        return self._pack(loaded, parts[1], version)

    def _index(self, composition: Composition, version: str) -> Page:
        inputs = composition.inputs
        group = inputs.campaign.data.group
        formatter = Formatter(group.money_style, "en-GB")
        letters = []
        for name, letter in sorted(inputs.letters.items()):
            problem: str | None = None
            recipients: tuple[tuple[str, str], ...] = ()
            try:
                addressed = select(letter, inputs.addressees_of(letter))
                recipients = tuple((each.record.id, each.address_lines[0]) for each in addressed)
            except DataError as error:
                problem = "; ".join(error.problems)
            letters.append(
                LetterEntry(
                    name,
                    str(letter.body.file),
                    letter.front.subject,
                    formatter.date(letter.front.date),
                    recipients,
                    problem,
                )
            )
        packs = [
            PackEntry(slug, member.name, member.council, "cy" in composition.briefings.languages(slug))
            for slug, member in inputs.campaign.members.items()
        ]
        return index_page(group.name, self.folder.resolve(), letters, packs, inputs.warnings, version)

    def _letter(self, composition: Composition, name: str, recipient: str, version: str) -> Page:
        letter = composition.inputs.letters.get(name)
        if letter is None:
            return not_found_page(f"No letter named '{name}' in letters/", version)
        chosen = next((a for a in composition.inputs.addressees_of(letter) if a.record.id == recipient), None)
        if chosen is None:
            return not_found_page(f"No recipient '{recipient}' in the list of letter '{name}'", version)
        label = f"{letter.front.subject}: {chosen.address_lines[0]}"
        try:
            composed = composition.composer.letter(letter, chosen)
            css = self._layout(self.folder / "templates" / letter.front.template.css)
            return self._document(composed, css, label, version)
        except KeyCitiesError as error:
            return problem_page(f"Cannot show letter {name} to {recipient}", _problems(error), [], version)

    def _pack(self, composition: Composition, target: str, version: str) -> Page:
        slug = target.removesuffix(WELSH_SUFFIX)
        language = "cy" if target.endswith(WELSH_SUFFIX) else "en-GB"
        member = composition.inputs.campaign.members.get(slug)
        if member is None or language not in composition.briefings.languages(slug):
            return not_found_page(
                f"No briefing pack '{target}' (a member's slug, with .cy for Welsh)", version
            )
        try:
            composed = composition.briefings.briefing(slug, language)
            css = self._layout(member_layout(self.folder / "templates", slug, "print.css"))
            label = f"Briefing pack: {member.name}{' (Welsh)' if language == 'cy' else ''}"
            return self._document(composed, css, label, version)
        except KeyCitiesError as error:
            return problem_page(f"Cannot show the briefing pack {target}", _problems(error), [], version)

    def stylesheet(self, name: str) -> str | None:
        """A stylesheet a document page links to, by the name it was given (None for any other name)."""
        with self._lock:
            return self._stylesheets.get(name)

    def _document(self, composed: Composed, layout_css: str, label: str, version: str) -> Page:
        stylesheet = document_stylesheet(layout_css)
        name = f"{hashlib.sha256(stylesheet.encode()).hexdigest()}.css"
        self._stylesheets.pop(name, None)
        self._stylesheets[name] = stylesheet  # the newest last; the oldest go beyond a few layouts
        for oldest in list(self._stylesheets)[:-KEPT_STYLESHEETS]:
            del self._stylesheets[oldest]
        return document_page(
            composed.document,
            STYLESHEETS_PATH + name,
            label=label,
            notices=composed.notices,
            version=version,
        )

    def _layout(self, css: Path) -> str:
        """A layout's stylesheet with every file it names inlined, as the preview command makes it."""
        resolve_inside(self.folder / "templates", css)
        return load_stylesheet(css, inline_from=asset_folders(self.folder))


def _problems(error: KeyCitiesError) -> list[str]:
    return error.problems if isinstance(error, DataError) else [str(error)]


def _warnings(error: KeyCitiesError) -> list[str]:
    return error.warnings if isinstance(error, DataError) else []
