"""One letter, or one member's briefing pack, as a self-contained HTML page, to check before building the PDF
and Word files."""

from __future__ import annotations

from collections.abc import Callable
from difflib import get_close_matches
from pathlib import Path

from keycities.build.files import write_atomic
from keycities.build.jobs import Selection, plan_briefings
from keycities.compose.composition import Composition, prepare
from keycities.compose.letter import Composed
from keycities.data.inputs import load_inputs
from keycities.data.letters import select
from keycities.data.schema import Language
from keycities.errors import BuildError
from keycities.render.html import load_stylesheet, render_html
from keycities.render.pool import asset_folders

LANGUAGE_NAMES = {"en-GB": "English", "cy": "Welsh"}


def write_preview(composition: Composition, letter_name: str, recipient: str | None, out: Path) -> Path:
    """Compose one letter for one of the recipients it goes to (by default its first) and write it as
    `out/preview/<letter>/<recipient>.html`. A recipient the letter does not go to, in its list or not,
    is an error listing those it goes to."""
    letter = composition.inputs.letter(letter_name)
    everyone = composition.inputs.addressees_of(letter)
    addressed = select(letter, everyone)
    if not addressed:
        raise BuildError(f"letter '{letter_name}' goes to no one; check its 'to:' and its recipients")
    ids = [addressee.record.id for addressee in addressed]
    chosen = (
        addressed[0] if recipient is None else next((a for a in addressed if a.record.id == recipient), None)
    )
    if chosen is None:
        listed = any(addressee.record.id == recipient for addressee in everyone)
        problem = (
            f"letter '{letter_name}' does not go to '{recipient}': its 'to:' leaves them out"
            if listed
            else f"no recipient '{recipient}' in the list of letter '{letter_name}'"
        )
        raise BuildError(f"{problem}{_nearest(str(recipient), ids)}; it goes to: {_listed(ids)}")
    composed = composition.composer.letter(letter, chosen)
    css = composition.inputs.folder / "templates" / letter.front.template.css
    return _write(composition, composed, css, out / "preview" / letter_name / f"{chosen.record.id}.html")


def write_pack_preview(composition: Composition, slug: str, language: Language, out: Path) -> Path:
    """Compose one member's briefing pack in one language and write it as `out/preview/briefings/<slug>.html`
    (`<slug>.cy.html` in Welsh). An unknown slug lists the members; a language the member has no pack in
    names the file that would give it one."""
    members = list(composition.inputs.campaign.members)
    if slug not in members:
        raise BuildError(f"no member '{slug}'{_nearest(slug, members)}; the members: {', '.join(members)}")
    target = slug if language == "en-GB" else f"{slug}.{language}"
    job = next(
        (job for job in plan_briefings(composition, Selection(city=slug)) if job.target == target), None
    )
    if job is None:
        raise BuildError(
            f"{slug} has no {LANGUAGE_NAMES[language]} pack: cities/{target}.md would give it one; write "
            f"that file (front matter and text in {LANGUAGE_NAMES[language]}, as for cities/{slug}.md), or "
            "preview another language"
        )
    return _write(composition, job.compose(), job.css, out / "preview" / "briefings" / f"{target}.html")


def _write(composition: Composition, composed: Composed, css: Path, path: Path) -> Path:
    """The document as a page that loads nothing from outside itself, written to `path`."""
    stylesheet = load_stylesheet(css, inline_from=asset_folders(composition.inputs.folder))
    write_atomic(path, render_html(composed.document, stylesheet=stylesheet, self_contained=True).encode())
    return path


def _listed(names: list[str], most: int = 12) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _nearest(name: str, names: list[str]) -> str:
    """` (did you mean 'wakefield'?)` when one of `names` is close to `name`."""
    close = get_close_matches(name, names, n=1, cutoff=0.8)
    return f" (did you mean '{close[0]}'?)" if close else ""


def preview(
    folder: Path,
    letter_name: str | None,
    recipient: str | None,
    out: Path,
    warn: Callable[[list[str]], None],
    strict: bool,
    recipients: Path | None = None,
    city: str | None = None,
    language: Language = "en-GB",
) -> Path:
    """Load the project in `folder` (`recipients` in place of its lists), pass its warnings to `warn`, and
    write the preview page of one letter (`letter_name`) or of one member's pack (`city`, in `language`)."""
    if letter_name is None and city is None:
        raise BuildError("give --letter NAME to preview a letter, or --city SLUG to preview a member's pack")
    if letter_name is not None and city is not None:
        raise BuildError("--letter and --city each pick a document to preview; give one of them")
    if city is not None and (recipient or recipients):
        raise BuildError("--recipient and --recipients pick a letter's recipient; --city previews a pack")
    if letter_name is not None and language != "en-GB":
        raise BuildError(
            "--language picks a pack's language; a letter is in the language its front matter gives"
        )
    composition = prepare(load_inputs(folder, strict, recipients))
    warn(composition.inputs.warnings)
    if letter_name is not None:
        return write_preview(composition, letter_name, recipient, out)
    return write_pack_preview(composition, str(city), language, out)
