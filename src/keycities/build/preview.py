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


def write_preview(composition: Composition, letter_name: str, recipient: str, out: Path) -> Path:
    """Compose one letter for one recipient and write it as `out/preview/<letter>/<recipient>.html`."""
    letter = composition.inputs.letter(letter_name)
    chosen = [a for a in select(letter, composition.inputs.addressees_of(letter)) if a.record.id == recipient]
    if not chosen:
        raise BuildError(
            f"letter '{letter_name}' does not go to '{recipient}'; check the id and the letter's 'to:'"
        )
    composed = composition.composer.letter(letter, chosen[0])
    stylesheet = load_stylesheet(
        composition.inputs.folder / "templates" / letter.front.template.css,
        inline_from=asset_folders(composition.inputs.folder),
    )
    path = out / "preview" / letter_name / f"{recipient}.html"
    write_atomic(path, render_html(composed.document, stylesheet=stylesheet, self_contained=True).encode())
    return path


def preview(
    folder: Path, letter_name: str, recipient: str, out: Path, warn: Callable[[list[str]], None], strict: bool
) -> Path:
    """Load the project in `folder`, pass its warnings to `warn`, and write one letter's preview page."""
    composition = prepare(load_inputs(folder, strict))
    warn(composition.inputs.warnings)
    return write_preview(composition, letter_name, recipient, out)
