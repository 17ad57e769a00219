"""Watching a project's input files: every save makes a new version of the project, which the preview's
pages wait for (Server-Sent Events) and its loaded project is checked against.

Two watchers (watchfiles): the project folder itself, not recursively, for the top-level files
(cities.yaml, the recipients files, mail.yaml) and for an input folder being made or removed; and the
input folders (data/, letters/, templates/...) recursively, started again when one appears or goes. The
output folder, `.git` and the like are never watched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from keycities.data.paths import INPUT_FOLDERS

INPUT_FILES = ("cities.yaml", "recipients.yaml", "recipients.csv", "mail.yaml")
# How long a change may wait to be grouped with the next (watchfiles' step); changes keep coming for at
# most DEBOUNCE_MS before they are announced together.
STEP_MS = 50
DEBOUNCE_MS = 400


class Versions:
    """The project's version: a new one after each change. Unique across runs of the server, so a page made
    by an earlier run reloads when a new run answers it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._run = f"{time.time_ns():x}"
        self._count = 0
        self._closed = False

    @property
    def current(self) -> str:
        with self._changed:
            return f"{self._run}-{self._count}"

    def bump(self) -> None:
        """A file changed: a new version, announced to everyone waiting."""
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait(self, seen: str | None, timeout: float) -> str | None:
        """The current version once it differs from `seen` or after `timeout` seconds; None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or f"{self._run}-{self._count}" != seen, timeout)
            return None if self._closed else f"{self._run}-{self._count}"

    def close(self) -> None:
        """The server is stopping: wake and end every wait."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class _EitherEvent:
    """Set when either event is (watchfiles polls `is_set`)."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()


class ProjectWatcher:
    """Watches a project's input files in two threads, bumping `versions` and calling `report` with the
    changed files (relative to the project) after each save."""

    def __init__(self, folder: Path, versions: Versions, report: Callable[[list[str]], None]) -> None:
        self.folder = folder.resolve()
        self.versions, self.report = versions, report
        self._stopping = threading.Event()
        self._folders_changed = threading.Event()
        self._threads = [
            threading.Thread(target=self._watch_top_level, name="watch-project", daemon=True),
            threading.Thread(target=self._watch_input_folders, name="watch-inputs", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _watch_top_level(self) -> None:
        def wanted(change: Change, path: str) -> bool:
            return Path(path).name in INPUT_FILES or Path(path).name in INPUT_FOLDERS

        for changes in self._watch([self.folder], recursive=False, wanted=wanted, until=self._stopping):
            if any(Path(path).name in INPUT_FOLDERS for _, path in changes):
                self._folders_changed.set()
            self._changed(changes)

    def _watch_input_folders(self) -> None:
        while not self._stopping.is_set():
            self._folders_changed.clear()
            folders = [self.folder / name for name in INPUT_FOLDERS if (self.folder / name).is_dir()]
            until = _EitherEvent(self._stopping, self._folders_changed)
            if not folders:
                while not until.is_set():
                    self._stopping.wait(STEP_MS / 1000)
                continue
            for changes in self._watch(folders, recursive=True, wanted=DefaultFilter(), until=until):
                self._changed(changes)

    def _watch(
        self,
        paths: list[Path],
        *,
        recursive: bool,
        wanted: Callable[[Change, str], bool],
        until: threading.Event | _EitherEvent,
    ) -> Iterator[set[tuple[Change, str]]]:
        return watch(
            *paths,
            watch_filter=wanted,
            recursive=recursive,
            stop_event=until,
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            raise_interrupt=False,
        )

    def _changed(self, changes: set[tuple[Change, str]]) -> None:
        self.versions.bump()
        self.report(sorted({self._shown(path) for _, path in changes}))

    def _shown(self, path: str) -> str:
        try:
            return str(Path(path).relative_to(self.folder))
        except ValueError:
            return path
