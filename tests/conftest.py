"""Shared fixtures: the shipped data, its figures, and an editable copy of cities.yaml in a temporary folder.

Tests that edit the data find expected line numbers in the edited text (`ProjectCopy.line_of`) rather than
hard-coding them, so they keep working when cities.yaml grows.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import documents
import pytest
from build_support import LETTER, SMALL_CSV, Small

from keycities.data.cities import Campaign, load_campaign
from keycities.figures.compute import compute
from keycities.figures.model import DataChoice, FigureBook

PROJECT_ROOT = documents.PROJECT_ROOT
SHIPPED_YAML = PROJECT_ROOT / "cities.yaml"


class ProjectCopy:
    """A copy of the shipped project whose cities.yaml is edited by exact text replacement."""

    def __init__(self, folder: Path) -> None:
        self.folder = documents.copy_project(folder)
        self.path = folder / "cities.yaml"
        self.original = self.path.read_text(encoding="utf-8")

    @property
    def text(self) -> str:
        """The current text of the copy."""
        return self.path.read_text(encoding="utf-8")

    def write(self, text: str) -> None:
        """Replace the whole file."""
        self.path.write_text(text, encoding="utf-8")

    def reset(self) -> None:
        """Back to the shipped text (for property tests that reuse one folder)."""
        self.write(self.original)

    def edit(self, old: str, new: str, *, after: str | None = None) -> None:
        """Replace the first occurrence of `old` (after the text `after`, if given); `old` must occur."""
        documents.edit(self.path, old, new, after=after)

    def line_of(self, needle: str, *, after: str | None = None) -> int:
        """The 1-based line on which `needle` first occurs (after the text `after`, if given)."""
        return documents.line_of(self.path, needle, after=after)

    def column_of(self, needle: str, *, after: str | None = None) -> int:
        """The 1-based column at which `needle` first occurs (after the text `after`, if given)."""
        return documents.column_of(self.path, needle, after=after)

    def replace_line(self, number: int, new: str) -> None:
        """Replace the whole of line `number` (1-based) with `new`, which has no newline."""
        lines = self.text.split("\n")
        assert 1 <= number <= len(lines), f"no line {number}"
        lines[number - 1] = new
        self.write("\n".join(lines))

    def load(self, strict: bool = False) -> Campaign:
        """Load the copy as the CLI would."""
        return load_campaign(self.folder, strict=strict)


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The project folder (the one holding cities.yaml), found from this file."""
    assert SHIPPED_YAML.is_file()
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def shipped(project_root: Path) -> Campaign:
    """The shipped cities.yaml, loaded and validated."""
    return load_campaign(project_root)


# What the shipped 2019 letter and packs use: the figures of 2017 (their pin), as of their date.
SHIPPED_CHOICE = DataChoice(2017, date(2019, 2, 4))


@pytest.fixture(scope="session")
def book(shipped: Campaign) -> FigureBook:
    """Every figure the shipped documents show: the 2017 figures, from the releases nearest their date."""
    return compute(shipped, SHIPPED_CHOICE)


@pytest.fixture(scope="session")
def latest_book(shipped: Campaign) -> FigureBook:
    """Every figure computed from the newest data (what `check` shows)."""
    return compute(shipped, DataChoice())


@pytest.fixture
def project_copy(tmp_path: Path) -> ProjectCopy:
    """A copy of the shipped cities.yaml in a temporary folder, with helpers to edit it and find lines."""
    return ProjectCopy(tmp_path)


@pytest.fixture(scope="module")
def small_base(tmp_path_factory: pytest.TempPathFactory) -> Small:
    """The Cities in Action letter to three test recipients (PDF) and Wakefield's pack, built once."""
    small = Small(tmp_path_factory.mktemp("small-base"))
    documents.copy_project(small.project)
    # Each letter with its own notes, so that these tests count letters only (the shipped letter's
    # enclosure, one more document, is tested in build/test_notes_modes.py).
    documents.edit(small.project / f"letters/{LETTER}.md", "\nnotes: enclosure", "\nnotes: end")
    small.csv.write_text(SMALL_CSV, encoding="utf-8")
    letters = small.build_letters()
    assert letters.counts == (3, 0, 0), letters.describe()
    pack = small.build_wakefield()
    assert pack.counts == (1, 0, 0), pack.describe()
    return small


@pytest.fixture
def small(small_base: Small, tmp_path: Path) -> Small:
    """A copy of the built small project and its output folder (modification times kept)."""
    copy = Small(tmp_path / "small")
    shutil.copytree(small_base.root, copy.root)
    return copy
