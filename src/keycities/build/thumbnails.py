"""Thumbnails of each built PDF's first page for the proof page: out/thumbnails/<path>.png, 150 px wide.

A thumbnail records the SHA-256 of the PDF it was drawn from (a PNG text chunk), so it is drawn again only
when the PDF changes; thumbnails of documents no longer in the manifest are removed by the build.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, PngImagePlugin

from keycities.build.files import file_sha256, write_atomic
from keycities.build.manifest import ManifestRecord

FOLDER = "thumbnails"
WIDTH = 150  # pixels
SOURCE_KEY = "Source-SHA256"  # the PNG text chunk naming the PDF drawn


@dataclass(frozen=True)
class Thumbnail:
    """A document's first page as the proof page shows it: the image's path, or why there is none."""

    href: str | None
    why: str = ""


def thumbnail_path(record: ManifestRecord) -> str:
    """Where a PDF's thumbnail goes, relative to the output folder."""
    return f"{FOLDER}/{record.path}.png"


def thumbnails(out: Path, records: Iterable[ManifestRecord]) -> dict[str, Thumbnail]:
    """The thumbnail of each PDF among the records, by the PDF's path, drawn when missing or out of date;
    many are drawn in parallel, one process per core."""
    pdfs = [record for record in records if record.format == "pdf"]
    stale = [record for record in pdfs if _source_of(out / thumbnail_path(record)) != record.sha256]
    drawn: dict[str, bytes | str] = {}
    if len(stale) >= PARALLEL_FROM:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            drawn = dict(
                zip(
                    [r.path for r in stale],
                    pool.map(_draw, [(out, r) for r in stale], chunksize=8),
                    strict=True,
                )
            )
    return {record.path: _thumbnail(out, record, drawn.get(record.path)) for record in pdfs}


PARALLEL_FROM = 16  # fewer new thumbnails are drawn in this process: starting workers would take longer


def _draw(job: tuple[Path, ManifestRecord]) -> bytes | str:
    """One PDF's thumbnail as PNG bytes, or why it cannot be drawn (in a worker process)."""
    out, record = job
    pdf = out / record.path
    if file_sha256(pdf) != record.sha256:
        return "no thumbnail: the PDF is missing or not the file built"
    try:
        return render_first_page(pdf.read_bytes(), record.sha256)
    except Exception as error:  # pdfium's errors have no common base; a bad PDF only loses its thumbnail
        return f"no thumbnail: the PDF could not be drawn ({error})"


def remove_stale_thumbnails(out: Path, records: Iterable[ManifestRecord]) -> None:
    """Remove the thumbnails of documents that are not among the records (only files this module names)."""
    folder = out / FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return
    wanted = {thumbnail_path(record) for record in records if record.format == "pdf"}
    for file in folder.rglob("*.png"):
        relative = file.relative_to(out).as_posix()
        if relative not in wanted and file.is_file() and not file.is_symlink():
            file.unlink(missing_ok=True)


def _thumbnail(out: Path, record: ManifestRecord, drawn: bytes | str | None) -> Thumbnail:
    target = out / thumbnail_path(record)
    href = thumbnail_path(record)
    if drawn is None:
        if _source_of(target) == record.sha256:
            return Thumbnail(href)
        drawn = _draw((out, record))
    if isinstance(drawn, str):
        return Thumbnail(None, drawn)
    write_atomic(target, drawn)
    return Thumbnail(href)


def render_first_page(pdf: bytes, source: str) -> bytes:
    """The PNG of a PDF's first page, WIDTH pixels wide, naming its source's SHA-256."""
    import pypdfium2  # only when a thumbnail is drawn

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        try:
            bitmap = page.render(scale=WIDTH / page.get_width(), may_draw_forms=False)
            image = bitmap.to_pil().convert("RGB")
        finally:
            page.close()
    finally:
        document.close()
    if image.width != WIDTH:  # rounding of the scale
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)))
    info = PngImagePlugin.PngInfo()
    info.add_text(SOURCE_KEY, source)
    data = io.BytesIO()
    image.save(data, format="PNG", pnginfo=info)
    return data.getvalue()


def _source_of(png: Path) -> str | None:
    """The SHA-256 of the PDF a thumbnail was drawn from, or None when there is no readable thumbnail."""
    if png.is_symlink() or not png.is_file():
        return None
    try:
        with Image.open(png) as image:
            source = image.info.get(SOURCE_KEY)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return source if isinstance(source, str) else None
