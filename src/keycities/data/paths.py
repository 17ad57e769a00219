"""Reading a project's files: every file is resolved, links followed, and must stay inside its folder; a
message names a file as the project does (`letters/x.md`).
"""

from __future__ import annotations

import os
from pathlib import Path

from keycities.errors import DataError

# The project's input folders: a file read from one must stay inside it, links followed.
INPUT_FOLDERS = ("letters", "templates", "cities", "assets", "recipients", "data")


def label(file: Path) -> str:
    """A file as messages name it: its path when given relative to the project, else its name."""
    return file.name if file.is_absolute() else str(file)


def member_layout(templates: Path, slug: str, name: str) -> Path:
    """A member's own layout file (`templates/<slug>/print.css`, `reference.docx`) when it has one, else
    the group's; not yet checked to stay inside templates/ (`resolve_inside` does that)."""
    own = templates / slug / name
    return own if own.is_file() else templates / name


def resolve_inside(root: Path, path: Path) -> Path:
    """`path` with its links followed, when it stays inside `root`; else a DataError naming the link and
    where it points. Every file the tool reads from a project's input folders goes through here."""
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError):  # links that lead round in a circle (Python 3.11 raises RuntimeError)
        raise DataError(
            [f"{label_in(root, path)}: a link that leads back to itself; replace it with the file"]
        ) from None
    if resolved.is_relative_to(root.resolve()):
        return resolved
    link, target = _first_link(path)
    shown = label_in(root, path)
    where = f"{root.name}/" if root.name in INPUT_FOLDERS else "the project folder"
    if link is None:
        raise DataError([f"{shown}: leads out of {where} (to {resolved}); keep the file inside {where}"])
    raise DataError(
        [
            f"{label_in(root, link)}: a link to {target}, which is outside {where}; replace the link with a "
            "copy of the file, inside the folder"
        ]
    )


def _first_link(path: Path) -> tuple[Path | None, str]:
    """The first part of `path` that is a symbolic link, and what it points to."""
    current = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        current = current / part
        if current.is_symlink():
            return current, os.readlink(current)
    return None, ""


def label_in(root: Path, path: Path) -> str:
    """`path` as messages name it: relative to the project (`letters/x.md`) when it is under `root`."""
    project = root.parent if root.name in INPUT_FOLDERS else root
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def read_text(file: Path, root: Path | None = None) -> str:
    """A UTF-8 text file, or a DataError saying what to do; with `root`, the file (links followed) must be
    inside that folder."""
    if root is not None:
        file_read = resolve_inside(root, file)
        shown = Path(label_in(root, file))
    else:
        file_read, shown = file, file
    try:
        text = file_read.read_text(encoding="utf-8")
    except FileNotFoundError:  # named in full: the likely mistake is the project folder itself
        raise DataError([f"{file}: file not found; create it or pass the right project folder"]) from None
    except IsADirectoryError:
        raise DataError([f"{shown}: a folder where a file belongs; put the file there instead"]) from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise DataError(
            [f"{label(shown)}:{line}: not UTF-8 text ({error.reason}); save it as UTF-8"]
        ) from None
    except OSError as error:
        raise DataError([f"{shown}: cannot be read ({error.strerror}); check the file"]) from None
    return text
