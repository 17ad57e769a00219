"""HTML to PDF with WeasyPrint: bundled fonts, a fetcher that only reads asset folders, PDF/UA.

WeasyPrint is imported inside functions: it takes about half a second to import, and commands that
never render a PDF should not pay for it.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from keycities.compose.blocks import Document
from keycities.compose.charts import CHART_FONT_FAMILY
from keycities.errors import RenderError
from keycities.render.html import (
    PACKAGE_ASSETS,
    UNBREAKABLE_TEXT_WRAPS,
    RefusedURL,
    allowed_file,
    load_stylesheet,
    render_html,
)

PDF_VARIANT = "pdf/ua-1"
_LONG_DATA_URL = re.compile(r"(data:[^,\s]{0,40},?[^\s'\"]{0,20})[^\s'\"]+")
# The bundled DejaVu Sans under the family the charts' SVG text names: a name no system font has, so the
# charts' text is always drawn with the font matplotlib measured it with, whatever the machine has or the
# layout's stylesheet says.
_CHART_FACES = (
    ("normal", "normal", "DejaVuSans.ttf"),
    ("bold", "normal", "DejaVuSans-Bold.ttf"),
    ("normal", "italic", "DejaVuSans-Oblique.ttf"),
    ("bold", "italic", "DejaVuSans-BoldOblique.ttf"),
)
CHART_FONT_FACES = "\n".join(
    f'@font-face {{ font-family: "{CHART_FONT_FAMILY}"; font-weight: {weight}; font-style: {style}; '
    f'src: url("{(PACKAGE_ASSETS / "fonts" / file).as_uri()}") format("truetype"); }}'
    for weight, style, file in _CHART_FACES
)


def harfbuzz_subset_missing() -> bool:
    """Whether WeasyPrint lacks HarfBuzz-Subset and falls back to fontTools (slower, not byte-identical)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    # The same test WeasyPrint makes before subsetting each font (weasyprint/pdf/fonts.py).
    return harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0)


class PdfRenderer:
    """Renders documents to PDF, reusing one font configuration, URL fetcher and parsed stylesheet."""

    def __init__(self, asset_dirs: Sequence[Path], stylesheet: Path) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self._fetcher = _restricted_fetcher_class()(tuple(asset_dirs))
        self._fonts = FontConfiguration()
        self._images = _image_cache_class()()
        css_text = load_stylesheet(stylesheet)
        with self._failures("the charts' fonts: "):
            self._chart_fonts = CSS(
                string=CHART_FONT_FACES, url_fetcher=self._fetcher, font_config=self._fonts
            )
        with self._failures(f"{stylesheet}: "):
            self._css = CSS(string=css_text, url_fetcher=self._fetcher, font_config=self._fonts)
        # Applied before the layout's stylesheet, as render_html's own <style> would be.
        self._wraps = CSS(string=UNBREAKABLE_TEXT_WRAPS, font_config=self._fonts)

    def render(self, document: Document) -> tuple[bytes, int]:
        """One document's PDF and its number of pages; the same document always gives the same bytes."""
        with self._failures(f"{document.title}: "):
            layout = self._layout(document, anchor_prefix="")
            return self._write(layout), len(layout.pages)

    def render_combined(self, documents: Sequence[Document]) -> tuple[bytes, int]:
        """Several documents in one PDF, for printing a batch, with its number of pages.

        Each document is laid out on its own and the pages are joined, so each keeps its letterhead,
        its "Page N of M" and its pages exactly as in its own PDF. The file's title, metadata and
        language are the first document's.
        """
        if not documents:
            raise RenderError("cannot combine an empty list of documents")
        with self._failures("batch: "):
            laid_out = [
                self._layout(document, anchor_prefix=f"d{index}-")
                for index, document in enumerate(documents, start=1)
            ]
            pages = [page for layout in laid_out for page in layout.pages]
            return self._write(laid_out[0].copy(pages)), len(pages)

    def _layout(self, document: Document, *, anchor_prefix: str) -> Any:
        from weasyprint import HTML

        html = render_html(document, stylesheet="", anchor_prefix=anchor_prefix, wraps=False)
        return HTML(string=html, url_fetcher=self._fetcher).render(
            stylesheets=[self._wraps, self._chart_fonts, self._css],
            font_config=self._fonts,
            pdf_variant=PDF_VARIANT,
            cache=self._images,
        )

    def _write(self, layout: Any) -> bytes:
        # An identifier derived from the content, not a random one, keeps the bytes reproducible.
        pdf: bytes = layout.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=True)
        return pdf

    @contextmanager
    def _failures(self, context: str) -> Iterator[None]:
        """Turn a refused URL, or a resource WeasyPrint could not use, into a RenderError."""
        from weasyprint.urls import FatalURLFetchingError

        self._fetcher.refused.clear()
        self._images.end_document()
        # WeasyPrint logs an unusable resource (image, stylesheet, link target, missing alt text) as an
        # error and carries on; a document with a gap in it must not be written.
        errors = _ErrorRecorder()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(errors)
        try:
            yield
        except FatalURLFetchingError as error:
            cause = error.__cause__
            if isinstance(cause, RefusedURL):
                raise RenderError(f"{context}{cause}") from error
            raise RenderError(f"{context}{error}: {cause}") from error
        finally:
            logger.removeHandler(errors)
            self._images.end_document()
        # A refusal while drawing an SVG image is swallowed by WeasyPrint, so it is only found here.
        if self._fetcher.refused:
            raise RenderError(f"{context}{self._fetcher.refused[0]}")
        if errors.messages:
            raise RenderError(f"{context}{'; '.join(errors.messages)}")


class _ErrorRecorder(logging.Handler):
    """Keeps the messages of the error records WeasyPrint logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Images are data: URLs, often many kilobytes long: keep a message readable.
        self.messages.append(_LONG_DATA_URL.sub(r"\1...", record.getMessage()))


@cache
def _image_cache_class() -> Any:
    """The image cache class, built on first use so that importing this module does not import WeasyPrint."""
    import pydyf
    from weasyprint.images import RasterImage

    class ImageCache(dict[str, Any]):
        """WeasyPrint's image cache, kept by a renderer for every document it makes.

        A raster image given as a data: URL (a logo, a signature) is keyed by its own bytes, so it is decoded
        and converted for the PDF once per process instead of once per document. Everything else WeasyPrint
        caches (SVG images, which hold their document's layout; images of file: URLs, whose file may change;
        images that failed to load, so that each document reports them) is dropped when the document ends.
        """

        def __init__(self) -> None:
            super().__init__()
            self._document_only: set[str] = set()

        def __setitem__(self, key: str, value: Any) -> None:
            super().__setitem__(key, value)
            if ":" not in key:  # an image's converted data, keyed by a hash of its URL: rewritten when used
                return
            if key.startswith("data:") and isinstance(value, RasterImage):
                value.get_x_object = _converted_once(value.get_x_object)
            else:
                self._document_only.add(key)

        def end_document(self) -> None:
            for key in self._document_only:
                self.pop(key, None)
            self._document_only.clear()

    def _converted_once(get_x_object: Any) -> Any:
        made: dict[tuple[Any, ...], Any] = {}

        def x_object(*arguments: Any) -> Any:
            if arguments not in made:
                made[arguments] = get_x_object(*arguments)
            return _fresh(made[arguments])

        return x_object

    def _fresh(stream: Any) -> Any:
        # Writing a PDF numbers the stream and replaces its mask by a reference: each document gets a copy.
        extra = pydyf.Dictionary(stream.extra)
        if isinstance(extra.get("SMask"), pydyf.Stream):
            extra["SMask"] = _fresh(extra["SMask"])
        return pydyf.Stream(list(stream.stream), extra, stream.compress)

    return ImageCache


@cache
def _restricted_fetcher_class() -> Any:
    """The fetcher class, built on first use so that importing this module does not import WeasyPrint."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedURLFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
        """Fetches data: URLs and files inside the asset folders; refuses everything else before any I/O."""

        def __init__(self, asset_dirs: tuple[Path, ...]) -> None:
            # fail_on_errors: a refused or broken URL stops the render instead of leaving a gap.
            # allowed_protocols: the base class itself is only ever asked to decode data: URLs.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)
            self.asset_dirs = asset_dirs
            self.refused: list[RefusedURL] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            try:
                path = allowed_file(url, self.asset_dirs)
            except RefusedURL as refusal:
                self.refused.append(refusal)
                raise
            if path is None:
                return super().fetch(url, headers)
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            # Reading the checked, resolved path (not the URL again) means what was checked is what is read.
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    return RestrictedURLFetcher
