"""The live preview's pages: the index of documents, each document as A4 sheets, and the page that shows
a problem in place of a document. Every piece of text is escaped, so data never becomes markup.

Each page carries the bar at its top and the reload script, which knows the version the page was made
from and loads the page again when the server announces another; a document's page also carries the
sheets script, which lays the document out as A4 pages in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape

from keycities.compose.blocks import Document, PageBreak
from keycities.errors import RenderError
from keycities.render.html import PACKAGE_ASSETS, render_html

PREVIEW_ASSETS = PACKAGE_ASSETS / "preview"
SCRIPT_PATH = "/_preview/reload.js"
SHEETS_SCRIPT_PATH = "/_preview/sheets.js"
SCRIPTS = {SCRIPT_PATH: "reload.js", SHEETS_SCRIPT_PATH: "sheets.js"}  # each path and its asset
EVENTS_PATH = "/_preview/events"
STYLESHEETS_PATH = "/_preview/styles/"
# What render.html writes for a PageBreak block: a new sheet starts there (sheets.js then spreads each
# part over as many sheets as it fills). Text never holds it, since every piece of text is escaped.
PAGE_BREAK_MARKUP = '<div class="page-break"'


def asset(name: str) -> str:
    """A file of the preview's own assets (its stylesheets and script)."""
    return (PREVIEW_ASSETS / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Page:
    """A response: its HTTP status and its HTML."""

    status: int
    html: str


@dataclass(frozen=True)
class LetterEntry:
    """A letter on the index: its name, file, subject, date and who it goes to (id, name)."""

    name: str
    file: str
    subject: str
    date: str
    recipients: tuple[tuple[str, str], ...]
    problem: str | None = None  # why its recipients cannot be listed


@dataclass(frozen=True)
class PackEntry:
    """A member on the index: its slug, name and council, and the languages of its packs."""

    slug: str
    name: str
    council: str
    welsh: bool


def letter_path(letter: str, recipient: str) -> str:
    return f"/letters/{quote(letter, safe='')}/{quote(recipient, safe='')}"


def pack_path(slug: str, welsh: bool) -> str:
    return f"/briefings/{quote(slug, safe='')}{'.cy' if welsh else ''}"


def document_stylesheet(layout_css: str) -> str:
    """What a document page is styled with: its layout's stylesheet (fonts and images inlined), then the
    sheets on grey and the bar."""
    return f"{layout_css}\n{asset('sheets.css')}\n{asset('site.css')}"


def document_page(
    document: Document, stylesheet_path: str, *, label: str, notices: Sequence[str], version: str
) -> Page:
    """A composed document as the browser shows it, styled by the stylesheet the server keeps at
    `stylesheet_path` (linked, not inlined: its fonts make it megabytes, which the browser then keeps
    from one reload to the next)."""
    html = render_html(document, stylesheet="")
    breaks = sum(isinstance(block, PageBreak) for block in document.blocks)
    head = html.index("</head>")  # the first: with no stylesheet, the head holds only escaped text
    article = html.index("<article", head)
    body = html.rindex("<body>", head, article) + len("<body>")
    end = html.rindex("</body>")
    link = f'<link rel="stylesheet" href="{escape(stylesheet_path)}">\n'
    sheets = _into_sheets(html[body:end], breaks)
    bar = _bar(label, notices)
    scripts = f'{_script(version)}\n<script src="{SHEETS_SCRIPT_PATH}"></script>'
    return Page(200, f"{html[:head]}{link}{html[head:body]}\n{bar}{sheets}{scripts}\n{html[end:]}")


def _into_sheets(html: str, breaks: int) -> str:
    """The article's content split into one `<div class="sheet">` per part between its page breaks."""
    start = html.index(">", html.index("<article")) + 1
    end = html.rindex("</article>")
    parts = html[start:end].split(PAGE_BREAK_MARKUP)
    if len(parts) != breaks + 1:
        raise RenderError(
            f"the document has {breaks} page breaks but its HTML {len(parts) - 1}: the preview cannot "
            "lay it out as sheets"
        )
    sheets = [parts[0], *(PAGE_BREAK_MARKUP + part for part in parts[1:])]
    inner = "".join(f'<div class="sheet">{sheet}</div>\n' for sheet in sheets)
    return f"{html[:start]}\n{inner}{html[end:]}"


def index_page(
    group: str,
    folder: Path,
    letters: Sequence[LetterEntry],
    packs: Sequence[PackEntry],
    warnings: Sequence[str],
    version: str,
) -> Page:
    """Every letter with the recipients it goes to, every member's pack (English, and Welsh where the
    member supplies it), and the project's warnings."""
    parts = [
        "<h1>Documents</h1>",
        f'<p class="about">From {escape(folder)}. Each page loads again when an input file is saved.</p>',
        "<h2>Letters</h2>",
    ]
    for letter in letters:
        count = len(letter.recipients)
        parts.append(f'<section class="letter" id="letter-{escape(letter.name)}">')
        parts.append(f'<h3>{escape(letter.subject)} <span class="id">{escape(letter.name)}</span></h3>')
        parts.append(
            f'<p class="about"><code>{escape(letter.file)}</code>, dated {escape(letter.date)}, to '
            f"{count} recipient{'' if count == 1 else 's'}</p>"
        )
        if letter.problem is not None:
            parts.append(f'<ul class="problems"><li><code>{escape(letter.problem)}</code></li></ul>')
        items = "".join(
            f'<li><a href="{letter_path(letter.name, id_)}">{escape(name)}</a> <span class="id">{escape(id_)}'
            "</span></li>"
            for id_, name in letter.recipients
        )
        parts.append(f'<ul class="recipients">{items}</ul></section>')
    parts.append("<h2>Briefing packs</h2>")
    rows = "".join(
        f"<tr><td>{escape(pack.name)}</td><td>{escape(pack.council)}</td>"
        f'<td><a href="{pack_path(pack.slug, False)}">English</a></td>'
        f"<td>{_welsh_link(pack)}</td></tr>"
        for pack in packs
    )
    parts.append(
        '<table class="packs"><thead><tr><th scope="col">Member</th><th scope="col">Council</th>'
        f'<th scope="col">Pack</th><th scope="col">Welsh</th></tr></thead><tbody>{rows}</tbody></table>'
    )
    if warnings:
        items = "".join(f"<li><code>{escape(warning)}</code></li>" for warning in warnings)
        parts.append(f'<h2>Warnings</h2><ul class="warnings">{items}</ul>')
    return Page(200, _page(f"{group}: preview", f"{group}: live preview", parts, version))


def _welsh_link(pack: PackEntry) -> str:
    return f'<a href="{pack_path(pack.slug, True)}" lang="cy">Cymraeg</a>' if pack.welsh else ""


def problem_page(title: str, problems: Sequence[str], warnings: Sequence[str], version: str) -> Page:
    """The problems that stop a page being shown, each as the tool reports it (`file:line: what is wrong`);
    the page loads again when a file is saved, so fixing the file brings the document back."""
    items = "".join(f"<li><code>{escape(problem)}</code></li>" for problem in problems)
    parts = [
        f"<h1>{escape(title)}</h1>",
        '<p class="about">Fix the file named below and save it: this page loads again by itself.</p>',
        f'<ul class="problems">{items}</ul>',
    ]
    if warnings:
        listed = "".join(f"<li><code>{escape(warning)}</code></li>" for warning in warnings)
        parts.append(f'<h2>Warnings</h2><ul class="warnings">{listed}</ul>')
    return Page(500, _page(title, title, parts, version))


def not_found_page(what: str, version: str) -> Page:
    """A path that names no document of the project."""
    parts = [
        "<h1>Not found</h1>",
        f'<p class="about">{escape(what)}. <a href="/">All documents</a>.</p>',
    ]
    return Page(404, _page("Not found", "Not found", parts, version))


def _page(title: str, label: str, parts: Sequence[str], version: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en-GB">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            f"<style>\n{asset('site.css')}\n</style>",
            "</head>",
            '<body class="preview-page">',
            _bar(label, ()),
            "<main>",
            *parts,
            "</main>",
            _script(version),
            "</body>",
            "</html>",
            "",
        ]
    )


def _bar(label: str, notices: Sequence[str]) -> str:
    bar = (
        '<nav class="preview-bar" aria-label="Preview"><a href="/">All documents</a>'
        f'<span class="preview-title">{escape(label)}</span>'
        '<span class="preview-status" role="status"></span></nav>'
    )
    if notices:
        items = "".join(f"<li>{escape(notice)}</li>" for notice in notices)
        bar += f'<ul class="preview-notices">{items}</ul>'
    return bar


def _script(version: str) -> str:
    return (
        f'<script src="{SCRIPT_PATH}" data-version="{escape(version)}" data-events="{EVENTS_PATH}"></script>'
    )
