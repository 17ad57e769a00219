"""Document blocks to HTML: the page WeasyPrint lays out, and a preview a browser can open.

Every piece of text is escaped here, so data can never become markup. Images are inlined as data:
URLs in <img> elements (never inline <svg>, whose alt text WeasyPrint drops from the PDF).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Sequence
from pathlib import Path
from typing import assert_never
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from markupsafe import escape

from keycities.compose.blocks import (
    SIGNATURE_SPACE_MM,
    AddressBlock,
    Block,
    Chart,
    DateLine,
    Document,
    Heading,
    Image,
    Letterhead,
    ListBlock,
    Notes,
    PageBreak,
    Paragraph,
    Run,
    Signature,
    Table,
)
from keycities.errors import RenderError

# The package's own assets folder (the bundled fonts); stylesheets name its files `keycities:<path>`.
PACKAGE_ASSETS = Path(__file__).resolve().parent.parent / "assets"
ASSET_SCHEME = "keycities:"

# A CSS comment (left as it is), a url() token, quoted or not, or an @import of a quoted URL: good enough
# for stylesheets people write by hand.
_CSS_URL = re.compile(
    r"""/\*.*?\*/|url\(\s*(?P<quote>["']?)(?P<url>[^"')]*?)(?P=quote)\s*\)"""
    r"""|@import\s+(?P<iquote>["'])(?P<import>[^"']*)(?P=iquote)""",
    re.IGNORECASE | re.DOTALL,
)
# Data may hold a long run without spaces (a web address, a mistyped name): break it anywhere rather than
# let it run off the page. Before the layout's stylesheet, which may still say otherwise.
UNBREAKABLE_TEXT_WRAPS = "html { overflow-wrap: anywhere; }"
# A preview page loads nothing from outside itself: its images, fonts and styles are all inlined.
SEALED_PAGE_POLICY = "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'"
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9.+-]*:")


def render_html(
    document: Document,
    *,
    stylesheet: str,
    anchor_prefix: str = "",
    self_contained: bool = False,
    wraps: bool = True,
) -> str:
    """Render one document as a complete HTML5 page, with `stylesheet` inlined (may be empty).

    `anchor_prefix` starts every in-page link target (source notes), so pages of several documents
    joined into one PDF keep their links to their own notes. A `self_contained` page (a preview to open
    in a browser) tells the browser to load nothing but what it holds. Without `wraps`, the page leaves
    out UNBREAKABLE_TEXT_WRAPS, for a renderer that applies it as a stylesheet parsed once.
    """
    if re.search(r"</style", stylesheet, re.IGNORECASE):
        raise RenderError("the stylesheet contains '</style', which would end the <style> element early")
    head = [
        '<meta charset="utf-8">',
        f"<title>{escape(document.title)}</title>",
        f'<meta name="author" content="{escape(document.author)}">',
        f'<meta name="description" content="{escape(document.subject)}">',
        f'<meta name="keywords" content="{escape(", ".join(document.keywords))}">',
        # A fixed creation date keeps the PDF bytes identical from run to run.
        f'<meta name="dcterms.created" content="{document.created.isoformat()}">',
    ]
    if self_contained:
        head.append(f'<meta http-equiv="Content-Security-Policy" content="{SEALED_PAGE_POLICY}">')
    if wraps:
        head.append(f"<style>{UNBREAKABLE_TEXT_WRAPS}</style>")
    if stylesheet:
        head.append(f"<style>\n{stylesheet}\n</style>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{escape(document.language)}">',
            "<head>",
            *head,
            "</head>",
            "<body>",
            _article(document, anchor_prefix=anchor_prefix),
            "</body>",
            "</html>",
            "",
        ]
    )


class RefusedURL(ValueError):
    """A URL a document may not load: not data:, or not a file inside the asset folders."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"refused to fetch {url}: {reason}")


def allowed_file(url: str, asset_dirs: Sequence[Path]) -> Path | None:
    """The file a URL may be read from (None for a data: URL), or raise RefusedURL."""
    scheme = url.partition(":")[0].lower()
    if scheme == "data":
        return None
    if scheme != "file":
        raise RefusedURL(url, "only data: URLs and files in the asset folders may be used")
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise RefusedURL(url, "file URLs on another host are not allowed")
    # resolve() follows symlinks and removes "..", so neither can lead out of an asset folder.
    path = Path(url2pathname(parts.path)).resolve()
    if not any(path.is_relative_to(folder.resolve()) for folder in asset_dirs):
        folders = ", ".join(str(folder) for folder in asset_dirs)
        raise RefusedURL(url, f"it is not inside an asset folder ({folders})")
    return path


def load_stylesheet(path: Path, *, inline_from: Sequence[Path] | None = None) -> str:
    """Read a stylesheet and make its URLs absolute, so the CSS works wherever the HTML is written.

    `url("keycities:fonts/X.ttf")` becomes the file:// URL of that file in the package's assets folder,
    and a relative URL the file:// URL it names relative to the stylesheet; other URLs are left for the
    PDF fetcher to allow or refuse. With `inline_from` (the asset folders), for a self-contained preview,
    the same rule is applied here: every file a URL names must be in those folders and is inlined as a
    data: URL, and any other URL is a RenderError, so a browser never loads what a build would refuse.
    """
    try:
        css = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RenderError(f"{path}: cannot read the stylesheet: {error}") from error
    base_url = path.resolve().parent.as_uri() + "/"

    def absolute(match: re.Match[str]) -> str:
        url = match["url"] if match["url"] is not None else match["import"]
        if url is None:
            return match[0]
        url = url.strip()
        if url.startswith(ASSET_SCHEME):
            new_url = _package_asset(url.removeprefix(ASSET_SCHEME), stylesheet=path).as_uri()
        elif url.startswith("#") or (inline_from is None and (not url or _URL_SCHEME.match(url))):
            return match[0]
        else:
            new_url = urljoin(base_url, url)
        if inline_from is not None:
            try:
                file = allowed_file(new_url, inline_from)
            except RefusedURL as refusal:
                raise RenderError(f"{path}: {refusal}; builds refuse it too") from None
            if file is not None and not file.is_file():
                raise RenderError(f"{path}: {url} names no file; fix the URL")
            new_url = new_url if file is None else _data_url(file)
        return f'@import url("{new_url}")' if match["import"] is not None else f'url("{new_url}")'

    return _CSS_URL.sub(absolute, css)


def _package_asset(relative: str, *, stylesheet: Path) -> Path:
    """The file a `keycities:` URL names, refused if it would leave the package's assets folder."""
    root = PACKAGE_ASSETS.resolve()
    asset = (root / unquote(urlsplit(relative).path).lstrip("/")).resolve()
    if not asset.is_relative_to(root) or not asset.is_file():
        raise RenderError(f"{stylesheet}: {ASSET_SCHEME}{relative} is not a file in {root}")
    return asset


def _data_url(path: Path) -> str:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _article(document: Document, *, anchor_prefix: str) -> str:
    parts = [
        f'<article class="document {escape(document.kind)}" lang="{escape(document.language)}">',
        _letterhead(document.letterhead),
        # Always present, even with no footer text, as it holds the page number. It is placed on the
        # first page so that every continuation page finds it (a running element).
        '<div class="page-footer">'
        f'<span class="footer-text">{escape(document.footer)}</span><span class="page-number"></span>'
        "</div>",
    ]
    # A letter whose notes are in its enclosure has markers and no notes here: the markers link nowhere.
    has_notes = any(isinstance(block, Notes) for block in document.blocks)
    prefix = str(escape(anchor_prefix)) if has_notes else None
    parts.extend(_block(block, prefix) for block in document.blocks)
    parts.append("</article>")
    return "\n".join(parts)


def _letterhead(letterhead: Letterhead) -> str:
    parts = ['<header class="letterhead">']
    logos = [
        _img(image, css_class)
        for image, css_class in ((letterhead.logo, "logo"), (letterhead.partner_logo, "partner-logo"))
        if image is not None
    ]
    if logos:
        parts.append(f'<div class="letterhead-logos">{"".join(logos)}</div>')
    parts.append(f'<p class="letterhead-name">{escape(letterhead.name)}</p>')
    if letterhead.lines:
        parts.append(f'<p class="letterhead-lines">{_lines(letterhead.lines)}</p>')
    parts.append("</header>")
    return "\n".join(parts)


def _block(block: Block, anchor_prefix: str | None) -> str:
    match block:
        case Heading(level=level, runs=runs):
            if level not in (1, 2, 3):
                raise RenderError(f"heading level must be 1 to 3, got {level}")
            return f"<h{level}>{_runs(runs, anchor_prefix)}</h{level}>"
        case Paragraph(runs=runs, role="quote"):
            return f'<blockquote class="quote"><p>{_runs(runs, anchor_prefix)}</p></blockquote>'
        case Paragraph(runs=runs, role=role):
            return f'<p class="{escape(role)}">{_runs(runs, anchor_prefix)}</p>'
        case ListBlock(ordered=ordered, items=items):
            tag = "ol" if ordered else "ul"
            rows = "".join(f"<li>{_runs(item, anchor_prefix)}</li>" for item in items)
            return f"<{tag}>{rows}</{tag}>"
        case Table():
            return _table(block, anchor_prefix)
        case Chart(svg=svg, caption=caption):
            figcaption = f"<figcaption>{escape(caption)}</figcaption>"
            return f'<figure class="chart">{_img(svg, "chart")}{figcaption}</figure>'
        case AddressBlock(lines=lines):
            return f'<p class="address">{_lines(lines)}</p>'
        case DateLine(text=text):
            return f'<p class="date">{escape(text)}</p>'
        case Signature():
            return _signature(block)
        case Notes(title=title, items=items):
            # value= pins each item's number to its note number, even when notes are not 1, 2, 3...
            rows = "".join(
                f'<li id="{anchor_prefix or ""}note-{number}" value="{number}">{escape(text)}</li>'
                for number, text in items
            )
            return f'<section class="notes"><h2>{escape(title)}</h2><ol>{rows}</ol></section>'
        case PageBreak():
            # Inline too, so a restyled stylesheet cannot lose a page break the content asked for.
            return '<div class="page-break" style="break-before: page"></div>'
    assert_never(block)


def _runs(runs: Sequence[Run], anchor_prefix: str | None) -> str:
    parts = []
    for run in runs:
        text = str(escape(run.text))
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        if run.language is not None:  # a passage in another language than the document's
            text = f'<span lang="{escape(run.language)}">{text}</span>'
        if run.note is not None and anchor_prefix is None:
            text += f'<sup class="note-ref">{run.note}</sup>'
        elif run.note is not None:
            text += f'<sup class="note-ref"><a href="#{anchor_prefix}note-{run.note}">{run.note}</a></sup>'
        parts.append(text)
    return "".join(parts)


def _lines(lines: Sequence[str]) -> str:
    return "<br>".join(str(escape(line)) for line in lines)


def _img(image: Image, css_class: str) -> str:
    data = base64.b64encode(image.data).decode("ascii")
    return (
        f'<img class="{css_class}" src="data:{escape(image.media_type)};base64,{data}" '
        f'alt="{escape(image.alt)}" style="width: {image.width_mm:.1f}mm">'
    )


def _table(table: Table, anchor_prefix: str | None) -> str:
    numeric = set(table.numeric_columns)

    def cell_class(column: int) -> str:
        return ' class="numeric"' if column in numeric else ""

    header = "".join(
        f'<th scope="col"{cell_class(column)}>{escape(text)}</th>' for column, text in enumerate(table.header)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{cell_class(column)}>{_runs(cell, anchor_prefix)}</td>" for column, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    return (
        f"<table><caption>{escape(table.caption)}</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _signature(signature: Signature) -> str:
    parts = ['<div class="signature">']
    if signature.image is not None:
        parts.append(_img(signature.image, "signature-image"))
    else:  # a space to sign by hand; its height inline, so a restyled stylesheet keeps it
        parts.append(f'<div class="signature-space" style="height: {SIGNATURE_SPACE_MM}mm"></div>')
    parts.append(f'<p class="signature-name">{escape(signature.name)}</p>')
    if signature.roles:
        parts.append(f'<p class="signature-roles">{_lines(signature.roles)}</p>')
    parts.append("</div>")
    return "".join(parts)
