"""What the live preview watches: the input files and folders of a project (a folder made after it started
too), and not its other files (an output folder, notes)."""

from __future__ import annotations

import time
from pathlib import Path

from keycities.serve.watch import ProjectWatcher, Versions


def next_change(versions: Versions, seen: str, reported: list[list[str]], seconds: float = 5) -> list[str]:
    """The files of the next change the watcher reports, once the version has moved on from `seen`."""
    assert versions.wait(seen, seconds) != seen, "no change was seen"
    deadline = time.monotonic() + seconds
    while not reported and time.monotonic() < deadline:
        time.sleep(0.02)
    return reported.pop(0)


def test_inputs_are_watched_and_other_files_are_not(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "out").mkdir()
    versions, reported = Versions(), []
    watcher = ProjectWatcher(tmp_path, versions, reported.append)
    watcher.start()
    try:
        time.sleep(0.3)  # the watchers are set up
        seen = versions.current
        (tmp_path / "out" / "letter.pdf").write_bytes(b"%PDF")
        (tmp_path / "notes.txt").write_text("not an input", encoding="utf-8")
        assert versions.wait(seen, 1.0) == seen and not reported, reported

        (tmp_path / "templates" / "print.css").write_text("p {}", encoding="utf-8")
        assert next_change(versions, seen, reported) == ["templates/print.css"]
        seen = versions.current

        (tmp_path / "cities.yaml").write_text("members: []", encoding="utf-8")
        assert next_change(versions, seen, reported) == ["cities.yaml"]
        seen = versions.current

        (tmp_path / "letters").mkdir()  # a folder made after the start is watched from then on
        assert next_change(versions, seen, reported) == ["letters"]
        seen = versions.current
        time.sleep(0.3)  # the folders' watcher starts again with it
        (tmp_path / "letters" / "new.md").write_text("---\n", encoding="utf-8")
        assert next_change(versions, seen, reported) == ["letters/new.md"]
    finally:
        watcher.stop()
        versions.close()
    assert versions.wait(None, 0.1) is None
