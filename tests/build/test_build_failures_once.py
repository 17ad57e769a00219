"""A template's problem that stops many documents is reported once by `build`, naming them, on the command
line and on the proof page; the exit code is 1 and the other documents are built."""

from __future__ import annotations

import html
from pathlib import Path

from build_support import invoke
from documents import copy_project, edit, line_of
from docx import Document as WordDocument

MP_LETTER = "letters/cities-in-action-mps.md"
MP_COUNT = 73


def test_a_problem_in_every_mps_letter_is_one_error_and_the_other_letter_is_built(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "letters" / "cities-in-action.md", "to: [all]", "to: [prime-minister]")
    edit(project / MP_LETTER, "{{ figures.group.gva }}", "{{ figures.group.gvaa }}")
    line = line_of(project / MP_LETTER, "figures.group.gvaa")
    out = tmp_path / "out"
    run = invoke("letters", "--project", project, "--out", out, "--format", "docx", "--jobs", "1")
    assert run.exit_code == 1, run.describe()
    assert run.counts == (1, 0, MP_COUNT)
    problem = (
        f"cities-in-action-mps (all {MP_COUNT} recipients' letters): {MP_LETTER}:{line}: "
        "'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?"
    )
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {problem}",
        f"error: {MP_COUNT} document(s) failed; their previous outputs were kept. Fix the problems above and "
        "run again: unchanged documents will be skipped",
    ]
    assert "Traceback" not in run.stderr
    built = WordDocument(str(out / "letters" / "cities-in-action" / "prime-minister.docx"))
    assert any(p.text.startswith("Dear Prime Minister") for p in built.paragraphs)
    assert not (out / "letters" / "cities-in-action-mps").exists()
    page = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    assert page.count("'figures.group.gvaa' is undefined") == 1
    assert f"from an earlier build: {problem}" in page


def test_a_problem_in_some_letters_names_them(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    letter = project / "letters" / "cities-in-action.md"
    edit(
        letter,
        "to: [all]",
        "to: [prime-minister, chancellor, wales-secretary-of-state, first-minister-wales]",
    )
    edit(
        letter,
        "signatory: chair\n",
        "signatory: chair\nvariants:\n  - to: [wales-secretary-of-state, first-minister-wales]\n"
        "    body: cities-in-action.wales.md\n",
    )
    (project / "letters" / "cities-in-action.wales.md").write_text(
        "Croeso, {{ group.nme }}.\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    run = invoke(
        "letters", "--project", project, "--out", out, "--letter", "cities-in-action", "--format", "docx",
        "--jobs", "1",
    )  # fmt: skip
    assert run.exit_code == 1, run.describe()
    assert run.counts == (2, 0, 2)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0] == (
        "error: cities-in-action (the letters to wales-secretary-of-state and first-minister-wales): "
        "letters/cities-in-action.wales.md:1: 'group.nme' is undefined; did you mean `group.name`?"
    )
    assert len(errors) == 2  # and the count of failed documents
