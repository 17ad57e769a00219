"""Helpers for the letter tests: one shared build of the shipped letters, and the letters' PDF and Word text.

The shipped Cities in Action letter is built once per test session (`shipped_build`; the MP letter has
tests of its own) and shared by the test modules; each module asks for it through its own fixture. PDF
text is read with pypdf (`documents.pdf_lines`), keeping each piece's position and size, so that
superscript note references and list markers can be told apart from the text. Project copies, the CLI and
comparing text are in `documents`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import Result
from documents import (
    PROJECT_ROOT,
    Footnotes,
    body_paragraphs,
    copy_project,
    edit,
    footnotes,
    header_texts,
    invoke,
    letters,
    picture_alts,
    without_notes,
)
from docx.oxml.ns import qn

SEED_LETTER = Path("/work/shared/seed/letter-to-the-prime-minister.txt")
SHIPPED_LETTER = "cities-in-action"
SHIPPED_RECIPIENTS = (
    "prime-minister",
    "chancellor",
    "mhclg-secretary-of-state",
    "beis-secretary-of-state",
    "wales-secretary-of-state",
    "first-minister-wales",
    "local-government-minister",
    "northern-powerhouse-minister",
    "leader-of-the-opposition",
)
FORMATS = ("pdf", "docx")


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# ---- The shipped letters, built once per session --------------------------------------------------


@dataclass
class ShippedBuild:
    """The shipped letters built into `out` by the CLI, with what the CLI said."""

    out: Path
    result: Result
    factory: pytest.TempPathFactory
    project: Path = PROJECT_ROOT  # the project built
    _forced: tuple[Path, Result] | None = field(default=None, repr=False)

    def path(self, recipient: str, file_format: str, letter: str = SHIPPED_LETTER) -> Path:
        """The output file for one letter, recipient and format."""
        return self.out / "letters" / letter / f"{recipient}.{file_format}"

    def forced_rebuild(self) -> tuple[Path, Result]:
        """A copy of the build rebuilt with --force (two workers), once per session: (out, result)."""
        if self._forced is None:
            out = self.factory.mktemp("forced") / "out"
            shutil.copytree(self.out, out)
            result = invoke(
                "letters", "--project", self.project, "--letter", SHIPPED_LETTER, "--out", out, "--jobs", "2",
                "--force",
            )  # fmt: skip
            self._forced = (out, result)
        return self._forced


_SHIPPED: dict[int, ShippedBuild] = {}


def shipped_build(factory: pytest.TempPathFactory) -> ShippedBuild:
    """The shipped Cities in Action letter for every recipient in both formats, built by the CLI once per
    session, with its notes at its end (as shipped they are its enclosure: build/test_notes_modes.py), so
    that each file holds the text, markers and notes compared."""
    key = id(factory)
    if key not in _SHIPPED:
        root = factory.mktemp("shipped")
        project = copy_project(root / "project")
        edit(project / f"letters/{SHIPPED_LETTER}.md", "\nnotes: enclosure", "\nnotes: end")
        out = root / "out"
        result = letters(project, out, "--letter", SHIPPED_LETTER)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        _SHIPPED[key] = ShippedBuild(out, result, factory, project)
    return _SHIPPED[key]


# ---- PDF text ------------------------------------------------------------------------------------


def page_footer(footer: str) -> re.Pattern[str]:
    """A continuation page's footer line: the footer text, then `Page N of M`."""
    return re.compile(rf"^{re.escape(footer)}\s*Page (\d+) of (\d+)$")


# ---- Word text ------------------------------------------------------------------------------------

# Word draws a bulleted paragraph's bullet from its list style; the text shows it as this.
WORD_BULLET = "• "


@dataclass(frozen=True)
class WordParagraph:
    style: str
    text: str  # footnote references as the numbers Word shows
    text_without_notes: str  # without note references
    notes: tuple[int, ...]  # the numbers of its footnote references, or of its superscript runs


@dataclass
class WordText:
    """The text of a .docx, part by part."""

    first_page_header: list[str]
    body: list[WordParagraph]  # paragraphs, and table cells (style "table cell"), in document order
    first_page_footer: list[str]
    footer: list[str]  # continuation pages
    header: list[str]  # continuation pages
    footer_fields: list[str]  # field instructions in the continuation footer
    pictures: dict[str, list[str]]  # alt text of pictures, by part: "header", "body"
    title: str
    language: str
    footnotes: list[str]  # the text of each footnote, in the order Word numbers them

    @property
    def body_text(self) -> list[str]:
        """The non-empty paragraphs and cells of the body; a bulleted paragraph starts with its bullet."""
        return [
            (WORD_BULLET if paragraph.style.startswith("List Bullet") else "") + paragraph.text
            for paragraph in self.body
            if paragraph.text.strip()
        ]

    def styled(self, style: str) -> list[WordParagraph]:
        """The body paragraphs of one style."""
        return [paragraph for paragraph in self.body if paragraph.style == style]


def _word_paragraph(paragraph: Any, notes: Footnotes, style: str | None = None) -> WordParagraph:
    numbers = notes.of(paragraph) + tuple(int(run.text) for run in paragraph.runs if run.font.superscript)
    name = style or paragraph.style.name
    return WordParagraph(name, notes.text_of(paragraph), without_notes(paragraph), numbers)


def word_text(path: Path) -> WordText:
    """Read a .docx: first-page header, body paragraphs and tables, footers, pictures, properties."""
    document = docx.Document(str(path))
    section = document.sections[0]
    notes = footnotes(document)
    body = [
        _word_paragraph(paragraph, notes, "table cell" if in_table else None)
        for paragraph, in_table in body_paragraphs(document)
    ]

    def texts(part: Any) -> list[str]:
        return [p.text for p in part.paragraphs if p.text.strip()]

    return WordText(
        first_page_header=header_texts(section.first_page_header),
        body=body,
        first_page_footer=texts(section.first_page_footer),
        footer=texts(section.footer),
        header=texts(section.header),
        footer_fields=[
            instruction.text.strip() for instruction in section.footer._element.iter(qn("w:instrText"))
        ],
        pictures={
            "header": picture_alts(section.first_page_header._element),
            "body": picture_alts(document.element.body),
        },
        title=document.core_properties.title,
        language=document.core_properties.language,
        footnotes=notes.texts,
    )
