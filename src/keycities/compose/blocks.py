"""The content model both renderers walk: a document is metadata plus a list of blocks.

Everything here is plain, already-formatted text: figures are placed as strings by the composer, and the
renderers never compute or format. Text has been cleaned of characters that either renderer cannot carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class Image:
    """An image carried as bytes, so renderers never open files: PNG or SVG, with its alt text."""

    data: bytes
    media_type: Literal["image/png", "image/svg+xml"]
    alt: str
    width_mm: float


@dataclass(frozen=True)
class Run:
    """A stretch of inline text; `note` is the number of a source note it refers to; `language` is set
    when the text is in another language than its document (English in a Welsh pack)."""

    text: str
    bold: bool = False
    italic: bool = False
    note: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class Heading:
    level: int  # 1 to 3
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    # The part of a letter this paragraph plays; renderers style by it.
    role: Literal["body", "subject", "salutation", "close", "lead", "quote", "small"] = "body"


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Run, ...], ...]


# A table cell's text as runs, so a figure in a cell keeps its note reference.
Cell = tuple[Run, ...]


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric_columns: tuple[int, ...] = ()  # right-aligned


@dataclass(frozen=True)
class Chart:
    """A chart in two encodings: SVG for the PDF, PNG for Word; the alt text says what it shows."""

    svg: Image
    png: Image
    caption: str


@dataclass(frozen=True)
class AddressBlock:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DateLine:
    text: str


SIGNATURE_SPACE_MM = 18  # the space left to sign by hand when the signatory has no signature image


@dataclass(frozen=True)
class Signature:
    image: Image | None  # None: a blank space of SIGNATURE_SPACE_MM to sign by hand
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Notes:
    """Numbered source notes (the targets of `Run.note`) under a heading."""

    title: str
    items: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class PageBreak:
    pass


Block = (
    Heading | Paragraph | ListBlock | Table | Chart | AddressBlock | DateLine | Signature | Notes | PageBreak
)


@dataclass(frozen=True)
class Letterhead:
    """Shown at the top of the first page only."""

    name: str
    logo: Image | None
    lines: tuple[str, ...]  # address, telephone, email, web
    partner_logo: Image | None = None  # a member's own logo on its briefing pack


@dataclass(frozen=True)
class Document:
    """One letter for one recipient, or one briefing pack for one member."""

    kind: Literal["letter", "briefing"]
    title: str
    author: str
    subject: str
    language: str  # BCP 47: en-GB or cy
    created: date  # fixed, so the same input gives the same bytes
    letterhead: Letterhead
    blocks: tuple[Block, ...]
    footer: str = ""  # continuation-page footer text beside the page number
    keywords: tuple[str, ...] = field(default_factory=tuple)
