"""Rendering in worker processes: each process keeps its renderers (fonts, parsed stylesheets, the Word
reference) and reuses them for every document it is given.
"""

from __future__ import annotations

import atexit
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from pathlib import Path
from queue import SimpleQueue
from typing import Literal, Protocol

from keycities.compose.blocks import Document
from keycities.errors import KeyCitiesError
from keycities.render.html import PACKAGE_ASSETS

Format = Literal["pdf", "docx"]


RenderResult = dict[Format, tuple[bytes, int | None]] | str  # bytes and pages per format, or the error


class Renderer(Protocol):
    """What every format's renderer does (PdfRenderer, DocxRenderer): bytes and, if it knows it, the page
    count; the same document always gives the same bytes."""

    def render(self, document: Document) -> tuple[bytes, int | None]:
        """One document's file, with its number of pages (None when the format cannot count them)."""
        ...

    def render_combined(self, documents: Sequence[Document]) -> tuple[bytes, int | None]:
        """One file holding every document, each from a new page and numbered from 1, for printing a batch."""
        ...


_renderers: dict[tuple[str, Path, bytes], Renderer] = {}  # per process, by layout file and its content


# Let go of WeasyPrint's font configuration before interpreter shutdown tears its library bindings down.
atexit.register(_renderers.clear)


def asset_folders(project_folder: Path) -> tuple[Path, ...]:
    """The folders a renderer may read: the package's assets, the project's templates and assets."""
    return (PACKAGE_ASSETS, project_folder / "templates", project_folder / "assets")


def renderer(file_format: Format, css: Path, reference: Path, asset_dirs: tuple[Path, ...]) -> Renderer:
    """This process's renderer for a format and layout, made on first use."""
    from keycities.render.docx import DocxRenderer
    from keycities.render.pdf import PdfRenderer

    layout = css if file_format == "pdf" else reference
    key = (file_format, layout, hashlib.sha256(layout.read_bytes()).digest())
    if key not in _renderers:
        _renderers[key] = PdfRenderer(asset_dirs, css) if file_format == "pdf" else DocxRenderer(reference)
    return _renderers[key]


def render_document(
    document: Document, css: Path, reference: Path, formats: Sequence[Format], asset_dirs: tuple[Path, ...]
) -> RenderResult:
    """One document in each format, with the PDF's page count; a user-facing error comes back as text."""
    result: dict[Format, tuple[bytes, int | None]] = {}
    try:
        for file_format in formats:
            result[file_format] = renderer(file_format, css, reference, asset_dirs).render(document)
    except KeyCitiesError as error:
        return str(error)
    return result


def render_all(
    work: Iterable[tuple[Document, Path, Path]],
    formats: Sequence[Format],
    workers: int,
    asset_dirs: tuple[Path, ...],
) -> Iterator[tuple[int, RenderResult]]:
    """Render every (document, stylesheet, reference); yields (index in `work`, result) as each finishes.

    Each document goes to the workers as soon as `work` yields it, so that making the next document
    overlaps with rendering those before; results are yielded while `work` is still being read."""
    items = iter(work)
    first = list(islice(items, 2))
    if workers <= 1 or len(first) <= 1:
        for index, (document, css, reference) in enumerate(chain(first, items)):
            yield index, render_document(document, css, reference, formats, asset_dirs)
        return
    finished: SimpleQueue[Future[RenderResult]] = SimpleQueue()
    indices: dict[Future[RenderResult], int] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for index, (document, css, reference) in enumerate(chain(first, items)):
            future = pool.submit(render_document, document, css, reference, tuple(formats), asset_dirs)
            indices[future] = index
            future.add_done_callback(finished.put)
            while not finished.empty():
                done = finished.get()
                yield indices.pop(done), done.result()
        while indices:
            done = finished.get()
            yield indices.pop(done), done.result()
