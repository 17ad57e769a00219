"""One letter as a self-contained HTML page, to check before building the PDF and Word files."""

from __future__ import annotations

from pathlib import Path

from keycities.errors import BuildError
from keycities.letters import select
from keycities.output import write_atomic
from keycities.project import Project
from keycities.render.html import load_stylesheet, render_html
from keycities.render.workers import asset_folders


def write_preview(project: Project, letter_name: str, recipient: str, out: Path) -> Path:
    """Compose one letter for one recipient and write it as `out/preview/<letter>/<recipient>.html`."""
    letter = project.letter(letter_name)
    chosen = [a for a in select(letter, project.addressees) if a.record.id == recipient]
    if not chosen:
        raise BuildError(
            f"letter '{letter_name}' does not go to '{recipient}'; check the id and the letter's 'to:'"
        )
    composed = project.composer.letter(letter, chosen[0])
    stylesheet = load_stylesheet(
        project.folder / "templates" / letter.front.template.css, inline_from=asset_folders(project.folder)
    )
    path = out / "preview" / letter_name / f"{recipient}.html"
    write_atomic(path, render_html(composed.document, stylesheet=stylesheet, self_contained=True).encode())
    return path
