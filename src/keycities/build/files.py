"""The output folder: atomic file writes, the build lock, and the folders an output may not go in.

A file is written to a temporary name in the same folder and renamed over the old one, so a reader
(or a crash) never sees half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from keycities.data.paths import INPUT_FOLDERS
from keycities.errors import BuildError

LOCK = ".build.lock"


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
