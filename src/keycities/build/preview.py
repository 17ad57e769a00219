"""One letter as a self-contained HTML page, to check before building the PDF and Word files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keycities.build.files import write_atomic
from keycities.compose.composition import Composition, prepare
from keycities.data.inputs import load_inputs
from keycities.data.letters import select
from keycities.errors import BuildError
from keycities.render.html import load_stylesheet, render_html
from keycities.render.pool import asset_folders


def write_preview(composition: Composition, letter_name: str, recipient: str | None, out: Path) -> Path:
    """Compose one letter for one recipient (by default its first; any row of its list may be previewed)
    and write it as `out/preview/<letter>/<recipient>.html`."""
    letter = composition.inputs.letter(letter_name)
    everyone = composition.inputs.addressees_of(letter)
    addressed = select(letter, everyone)
    if recipient is None and not addressed:
        raise BuildError(f"letter '{letter_name}' goes to no one; check its 'to:' and its recipients")
    chosen = (
        addressed[0] if recipient is None else next((a for a in everyone if a.record.id == recipient), None)
    )
    if chosen is None:
        ids = [addressee.record.id for addressee in addressed]
        shown = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
        raise BuildError(
            f"no recipient '{recipient}' in the list of letter '{letter_name}'; it goes to: {shown}"
        )
    recipient = chosen.record.id
    composed = composition.composer.letter(letter, chosen)
    stylesheet = load_stylesheet(
        composition.inputs.folder / "templates" / letter.front.template.css,
        inline_from=asset_folders(composition.inputs.folder),
    )
    path = out / "preview" / letter_name / f"{recipient}.html"
    write_atomic(path, render_html(composed.document, stylesheet=stylesheet, self_contained=True).encode())
    return path


def preview(
    folder: Path,
    letter_name: str,
    recipient: str | None,
    out: Path,
    warn: Callable[[list[str]], None],
    strict: bool,
    recipients: Path | None = None,
) -> Path:
    """Load the project in `folder` (`recipients` in place of its lists), pass its warnings to `warn`, and
    write one letter's preview page."""
    composition = prepare(load_inputs(folder, strict, recipients))
    warn(composition.inputs.warnings)
    return write_preview(composition, letter_name, recipient, out)
