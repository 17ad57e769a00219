"""The manifest, out/manifest.json: one record per output, written last by the build and read by mail and the
proof page. Every entry is checked when read, since the file may have been edited: only an entry in the
shape the build writes, at the path the build gives it inside the output folder, is trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keycities.build.files import write_atomic
from keycities.render.pool import Format

MANIFEST = "manifest.json"


# A letter to one recipient, a pack, a letter to all (to print), or a letter's notes and sources sent with it
Kind = Literal["letter", "briefing", "combined", "enclosure"]


# A letter's or a member's name as it appears in an output path: one path part, no link to another folder.
SAFE_NAME = r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]*$"


class _Record(BaseModel):
    # Checked strictly when read back; fields added by a later version are let through unread.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class FigureRecord(_Record):
    """A figure a document shows, as the manifest records it."""

    name: str
    label: str
    value: float | None
    shown: str | None
    sources: list[str]
    coverage: str | None
    year: int | None = None  # of the data it comes from


class EmailRecord(_Record):
    """A letter's own email for its recipient, filled in when the letter was built (front matter `email:`)."""

    subject: str
    text: str  # the Markdown with values as they are: the text part
    markdown: str  # values escaped for Markdown: the HTML part, made when mailed
    signature: list[str]  # the close, the signatory's name, their roles


class ManifestRecord(_Record):
    """One output as the manifest records it: checked when read, since the file may have been edited."""

    path: str
    kind: Kind
    collection: str = Field(pattern=SAFE_NAME)
    target: str = Field(pattern=SAFE_NAME)
    format: Format
    title: str
    subject: str | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int
    pages: int | None
    inputs: str
    input_parts: dict[str, str] = Field(default_factory=dict)  # each input's short hash, by name
    built: str
    figures: list[FigureRecord]
    warnings: list[str]
    # a letter's recipient, as mail needs it
    recipient: str | None = None
    email: str | None = None
    holder: str | None = None
    salutation: str | None = None
    language: str | None = None
    email_message: EmailRecord | None = None  # the letter's own email, if its front matter gives one
    # a briefing pack's member
    member: str | None = None
    member_name: str | None = None


class ProofNotes(_Record):
    """What the proof page shows besides the documents, kept in the manifest so that the mail stage can
    write the page again: its title, the build's warnings and the data's notices."""

    title: str
    warnings: list[str]
    notices: list[str]


def read_proof_notes(out: Path) -> ProofNotes | None:
    """The proof page's notes as the last build recorded them, or None (no manifest, or none recorded)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return ProofNotes.model_validate(data.get("proof") if isinstance(data, dict) else None)
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


def expected_path(kind: str, collection: str, target: str, file_format: str) -> str:
    """Where the build writes an output of this kind, relative to the output folder."""
    if kind == "combined":
        return f"letters/{collection}.{file_format}"
    if kind == "enclosure":
        return f"letters/{collection}/{enclosure_target(collection)}.{file_format}"
    folder = "briefings" if kind == "briefing" else f"letters/{collection}"
    return f"{folder}/{target}.{file_format}"


def enclosure_target(letter: str) -> str:
    """The name of a letter's enclosure beside its copies: `cities-in-action-sources`."""
    return f"{letter}-sources"


def read_manifest(out: Path) -> tuple[dict[str, ManifestRecord], list[str]]:
    """The entries of the previous build's manifest, by output path, and a warning for each entry that is
    not one the build could have written (it is ignored: never removed, mailed or trusted).

    Empty when there is no manifest; an unreadable one is a warning, and everything is rebuilt."""
    shown = out / MANIFEST
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError) as error:
        return {}, [f"{shown}: cannot be read ({error}); none of its entries is used"]
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        return {}, [f"{shown}: not a manifest this tool wrote (no list of documents); nothing in it is used"]
    records: dict[str, ManifestRecord] = {}
    warnings = []
    for index, entry in enumerate(documents):
        record, problem = _checked(out, entry)
        if record is not None and record.path in records:
            record, problem = None, "a second entry for the same file"
        if record is None:
            path = entry.get("path") if isinstance(entry, dict) else None
            named = f" ({path!r})" if isinstance(path, str) else ""
            warnings.append(
                f"{shown}: documents[{index}]{named}: {problem}; the entry is ignored (its file is neither "
                "removed nor mailed; a build makes a new entry)"
            )
            continue
        records[record.path] = record
    return records, warnings


def _checked(out: Path, entry: object) -> tuple[ManifestRecord | None, str]:
    """The record of a manifest entry, or None and why it is not one the build could have written."""
    try:
        record = ManifestRecord.model_validate(entry)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return None, f"{where}: {first['msg'].lower()}" if where else first["msg"].lower()
    path = expected_path(record.kind, record.collection, record.target, record.format)
    if record.path != path:
        return None, f"the path is not where the build writes this document ({path})"
    if not (out / path).resolve().is_relative_to(out.resolve()):
        return None, "the file leads out of the output folder through a link"
    return record, ""


def write_manifest(out: Path, records: dict[str, ManifestRecord], summary: dict[str, Any]) -> None:
    """Write manifest.json atomically, records in path order."""
    documents = [records[path].model_dump(mode="json") for path in sorted(records)]
    document = {"tool": "keycities", **summary, "documents": documents}
    write_atomic(out / MANIFEST, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())
