"""The output folder: atomic file writes, the build lock and the manifest.

A file is written to a temporary name in the same folder and renamed over the old one, so a reader
(or a crash) never sees half a file. The manifest records every output and is written last.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from keycities.errors import BuildError

MANIFEST = "manifest.json"
LOCK = ".build.lock"

ManifestEntry = dict[str, Any]


def sha256(data: bytes) -> str:
    """The SHA-256 of bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file, or None when it does not exist."""
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
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


def read_manifest(out: Path) -> dict[str, ManifestEntry]:
    """The entries of the previous build's manifest, by output path; empty when there is none."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {entry["path"]: entry for entry in data["documents"]}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return {}  # no usable record of earlier outputs: everything is rebuilt


def write_manifest(out: Path, entries: dict[str, ManifestEntry], summary: dict[str, Any]) -> None:
    """Write manifest.json atomically, entries in path order."""
    document = {"tool": "keycities", **summary, "documents": [entries[path] for path in sorted(entries)]}
    write_atomic(out / MANIFEST, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())


class Lock:
    """Stops two builds writing the same folder: the second is told who holds the lock."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK

    def __enter__(self) -> Lock:
        since = datetime.now(UTC).isoformat(timespec="seconds")
        holder = f"{socket.gethostname()} process {os.getpid()} since {since}"
        for _attempt in range(2):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                raise BuildError(
                    f"{self.path.parent} is being built by {self._holder()}; wait for it to finish, or "
                    f"delete {self.path} if that build is no longer running"
                ) from None
            with os.fdopen(descriptor, "w") as handle:
                handle.write(holder)
            return self
        raise BuildError(f"cannot take the lock {self.path}; delete it if no build is running")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.path.unlink(missing_ok=True)

    def _holder(self) -> str:
        try:
            return self.path.read_text().strip() or "another build"
        except FileNotFoundError:
            return "another build"

    def _stale(self) -> bool:
        """A lock left by a process of this machine that no longer runs."""
        words = self._holder().split()
        if len(words) < 3 or words[0] != socket.gethostname() or not words[2].isdigit():
            return False
        try:
            os.kill(int(words[2]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
