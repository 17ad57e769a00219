"""The output folder: atomic file writes, the build lock and the manifest.

A file is written to a temporary name in the same folder and renamed over the old one, so a reader
(or a crash) never sees half a file. The manifest records every output and is written last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keycities.errors import BuildError
from keycities.source import INPUT_FOLDERS

MANIFEST = "manifest.json"
LOCK = ".build.lock"

ManifestEntry = dict[str, Any]
# A letter's or a member's name as it appears in an output path: one path part, no link to another folder.
SAFE_NAME = r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]*$"


def sha256(data: bytes) -> str:
    """The SHA-256 of bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file, or None when it cannot be read."""
    try:
        return sha256(path.read_bytes())
    except OSError:  # missing, a folder in its place, unreadable: not the recorded file
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file in the same folder, then a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise BuildError(
            f"cannot write {path} ({error.strerror}); check the folder and its permissions"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)


class _Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class FigureRecord(_Record):
    """A figure a document shows, as the manifest records it."""

    name: str
    label: str
    value: float | None
    shown: str | None
    sources: list[str]
    coverage: str | None


class ManifestRecord(_Record):
    """One output as the manifest records it: checked when read, since the file may have been edited."""

    path: str
    kind: Literal["letter", "briefing", "combined"]
    collection: str = Field(pattern=SAFE_NAME)
    target: str = Field(pattern=SAFE_NAME)
    format: Literal["pdf", "docx"]
    title: str
    subject: str | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int
    pages: int | None
    inputs: str
    built: str
    figures: list[FigureRecord]
    warnings: list[str]
    # a letter's recipient, as mail needs it
    recipient: str | None = None
    email: str | None = None
    holder: str | None = None
    salutation: str | None = None
    language: str | None = None
    # a briefing pack's member
    member: str | None = None
    member_name: str | None = None


def expected_path(kind: str, collection: str, target: str, file_format: str) -> str:
    """Where the build writes an output of this kind, relative to the output folder."""
    if kind == "combined":
        return f"letters/{collection}.{file_format}"
    folder = "briefings" if kind == "briefing" else f"letters/{collection}"
    return f"{folder}/{target}.{file_format}"


def read_manifest(out: Path) -> tuple[dict[str, ManifestEntry], list[str]]:
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
    entries: dict[str, ManifestEntry] = {}
    warnings = []
    for index, entry in enumerate(documents):
        problem = _entry_problem(out, entry)
        if problem is None and entry["path"] in entries:
            problem = "a second entry for the same file"
        if problem:
            path = entry.get("path") if isinstance(entry, dict) else None
            named = f" ({path!r})" if isinstance(path, str) else ""
            warnings.append(
                f"{shown}: documents[{index}]{named}: {problem}; the entry is ignored (its file is neither "
                "removed nor mailed; a build makes a new entry)"
            )
            continue
        entries[entry["path"]] = entry
    return entries, warnings


def _entry_problem(out: Path, entry: object) -> str | None:
    """Why a manifest entry is not one the build could have written, or None."""
    try:
        record = ManifestRecord.model_validate(entry)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg'].lower()}" if where else first["msg"].lower()
    path = expected_path(record.kind, record.collection, record.target, record.format)
    if record.path != path:
        return f"the path is not where the build writes this document ({path})"
    if not (out / path).resolve().is_relative_to(out.resolve()):
        return "the file leads out of the output folder through a link"
    return None


def write_manifest(out: Path, entries: dict[str, ManifestEntry], summary: dict[str, Any]) -> None:
    """Write manifest.json atomically, entries in path order."""
    document = {"tool": "keycities", **summary, "documents": [entries[path] for path in sorted(entries)]}
    write_atomic(out / MANIFEST, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())


def check_output_folder(project: Path, out: Path) -> None:
    """Refuse an output folder that holds the project or lies inside one of its input folders: outputs
    there would be read back as inputs, and every build would rebuild everything."""
    folder, target = project.resolve(), out.resolve()
    if folder.is_relative_to(target):
        raise BuildError(
            f"the output folder {out} holds the project folder; choose a folder of its own, such as "
            f"{project / 'out'}"
        )
    for name in INPUT_FOLDERS:
        if target.is_relative_to(folder / name):
            raise BuildError(
                f"the output folder {out} is inside the project's input folder {name}/, whose files are "
                f"read to build the documents; choose another, such as {project / 'out'}"
            )


class Lock:
    """Stops two builds writing the same folder: the second is told who holds the lock.

    The lock file is made whole (written under another name, then linked into place), so an empty or
    unreadable lock can only be left over from a crash, and is taken over."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK

    def __enter__(self) -> Lock:
        since = datetime.now(UTC).isoformat(timespec="seconds")
        holder = f"{socket.gethostname()} process {os.getpid()} since {since}"
        draft = self.path.with_name(f"{LOCK}.{os.getpid()}.tmp")
        try:
            draft.write_text(holder, encoding="utf-8")
            for _attempt in range(2):
                try:
                    os.link(draft, self.path)  # fails if the lock exists: only one build takes it
                    return self
                except FileExistsError:
                    if not self._stale():
                        raise BuildError(
                            f"{self.path.parent} is being built by {self._holder()}; wait for it to "
                            f"finish, or delete {self.path} if that build is no longer running"
                        ) from None
                    self._remove()
        except OSError as error:
            raise BuildError(
                f"cannot write to the output folder {self.path.parent} ({error.strerror}); make it "
                "writable, free some space, or choose another --out"
            ) from None
        finally:
            with contextlib.suppress(OSError):  # a read-only folder refuses even to remove nothing
                draft.unlink(missing_ok=True)
        raise BuildError(f"cannot take the lock {self.path}; delete it if no build is running")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.path.unlink(missing_ok=True)

    def _holder(self) -> str:
        """Who holds the lock, as it says; empty when it cannot be read."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def _stale(self) -> bool:
        """A lock that is empty or unreadable, or left by a process of this machine that no longer runs."""
        words = self._holder().split()
        if not words:
            return True
        if len(words) < 3 or words[0] != socket.gethostname() or not words[2].isdigit():
            return False
        try:
            os.kill(int(words[2]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _remove(self) -> None:
        """Remove a stale lock (a folder in its place too)."""
        if self.path.is_dir() and not self.path.is_symlink():
            self.path.rmdir()
        else:
            self.path.unlink(missing_ok=True)
