"""The `letters` and `preview` commands: what they build, skip and rebuild, their errors, and the manifest."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from documents import (
    PROJECT_ROOT,
    assert_clean_failure,
    copy_project,
    edit,
    generate,
    invoke,
    letters,
    summary,
)
from letters_support import (
    SHIPPED_LETTER,
    SHIPPED_RECIPIENTS,
    ShippedBuild,
    files_under,
    shipped_build,
)
from pypdf import PdfReader

EXPECTED_OUTPUTS = {
    f"letters/{SHIPPED_LETTER}/{recipient}.{file_format}"
    for recipient in SHIPPED_RECIPIENTS
    for file_format in ("pdf", "docx")
}


def outputs(out: Path) -> dict[str, bytes]:
    """The documents a build wrote (under letters/), by path relative to the output folder."""
    return {name: data for name, data in files_under(out).items() if name.startswith("letters/")}


def documents(out: Path) -> list[dict[str, object]]:
    """The manifest's record of each document."""
    entries: list[dict[str, object]] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))[
        "documents"
    ]
    return entries


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> ShippedBuild:
    return shipped_build(tmp_path_factory)


def test_letters_builds_every_letter_in_both_formats(built: ShippedBuild) -> None:
    assert built.result.exit_code == 0, built.result.stderr
    assert summary(built.result) == (9, 0, 0)
    assert f"outputs in {built.out}" in built.result.stdout
    files = outputs(built.out)
    assert set(files) == EXPECTED_OUTPUTS
    assert (built.out / "manifest.json").is_file()
    for name, data in files.items():
        if name.endswith(".pdf"):
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), name
        elif name.endswith(".docx"):
            assert data.startswith(b"PK\x03\x04"), name
    assert "[9/9] built" in built.result.stderr  # progress goes to stderr, the summary to stdout
    assert not (built.out / ".build.lock").exists()


def test_second_run_skips_everything_and_changes_nothing(built: ShippedBuild) -> None:
    before, recorded = outputs(built.out), documents(built.out)
    result = letters(built.project, built.out, "--letter", SHIPPED_LETTER)
    assert result.exit_code == 0, result.stderr
    assert "0 built, 9 skipped, 0 failed" in result.stdout
    assert outputs(built.out) == before
    assert documents(built.out) == recorded  # the same records, build times included


def test_force_rebuilds_everything(built: ShippedBuild) -> None:
    out, result = built.forced_rebuild()
    assert result.exit_code == 0, result.stderr
    assert "9 built, 0 skipped, 0 failed" in result.stdout
    assert set(outputs(out)) == EXPECTED_OUTPUTS


def test_a_changed_recipient_rebuilds_only_its_letter(built: ShippedBuild, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / f"letters/{SHIPPED_LETTER}.md", "\nnotes: enclosure", "\nnotes: end")  # as built
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    result = letters(project, out, "--letter", SHIPPED_LETTER)
    assert summary(result) == (0, 9, 0)  # the same inputs in another folder: nothing to do
    before = outputs(out)
    edit(project / "recipients.yaml", "1 Horse Guards Road", "2 Horse Guards Road")
    result = letters(project, out, "--letter", SHIPPED_LETTER)
    assert result.exit_code == 0, result.stderr
    assert summary(result) == (1, 8, 0)
    after = outputs(out)
    assert sorted(after) == sorted(before)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == [
        f"letters/{SHIPPED_LETTER}/chancellor.docx",
        f"letters/{SHIPPED_LETTER}/chancellor.pdf",
    ]


def test_one_recipient_in_one_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = letters(PROJECT_ROOT, out, "--recipient", "prime-minister", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert summary(result) == (2, 0, 0)  # the letter and its notes and sources, enclosed with it
    assert set(outputs(out)) == {
        f"letters/{SHIPPED_LETTER}/prime-minister.pdf",
        f"letters/{SHIPPED_LETTER}/{SHIPPED_LETTER}-sources.pdf",
    }
    (entry,) = [entry for entry in documents(out) if entry["kind"] == "letter"]
    assert (entry["target"], entry["format"], entry["collection"]) == (
        "prime-minister",
        "pdf",
        SHIPPED_LETTER,
    )


def test_letter_option_selects_a_letter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = letters(
        PROJECT_ROOT, out, "--letter", SHIPPED_LETTER, "--recipient", "chancellor", "--format", "docx"
    )
    assert result.exit_code == 0, result.stderr
    enclosure = f"letters/{SHIPPED_LETTER}/{SHIPPED_LETTER}-sources.docx"  # enclosed with every copy
    assert set(outputs(out)) == {f"letters/{SHIPPED_LETTER}/chancellor.docx", enclosure}
    assert [entry["path"] for entry in documents(out)] == [
        f"letters/{SHIPPED_LETTER}/chancellor.docx",
        enclosure,
    ]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--letter",
            "no-such-letter",
            f"no letter named 'no-such-letter'; letters: {SHIPPED_LETTER}, cities-in-action-mps\n",
        ),
        ("--recipient", "no-such-person", "no letter goes to recipient 'no-such-person'"),
    ],
)
def test_unknown_letter_or_recipient_is_a_clean_error(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "out"
    result = letters(PROJECT_ROOT, out, option, value)
    assert_clean_failure(result, message)
    assert not out.exists()


def test_errors_from_generate_py_have_no_traceback(tmp_path: Path) -> None:
    result = generate("letters", "--letter", "nope", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "error: no letter named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


def test_a_changed_stylesheet_is_used_by_a_later_build_in_the_same_process(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    pdf = out / "letters" / SHIPPED_LETTER / "prime-minister.pdf"
    first = letters(project, out, "--recipient", "prime-minister", "--format", "pdf")
    assert summary(first) == (2, 0, 0)  # the letter and its enclosure
    pages_before = len(PdfReader(pdf).pages)
    css = project / "templates" / "print.css"
    css.write_text(
        css.read_text(encoding="utf-8") + "\np { font-size: 30pt !important; }\n", encoding="utf-8"
    )
    second = letters(project, out, "--recipient", "prime-minister", "--format", "pdf")
    assert summary(second) == (2, 0, 0)  # the change is seen: the letter (and its enclosure) is rebuilt
    assert len(PdfReader(pdf).pages) > pages_before  # with the new, much larger text


# ---- preview --------------------------------------------------------------------------------------


def test_preview_writes_html_and_prints_its_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "preview", "--project", PROJECT_ROOT, "--letter", SHIPPED_LETTER, "--recipient", "prime-minister",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    printed = Path(result.stdout.strip())
    assert printed == out / "preview" / SHIPPED_LETTER / "prime-minister.html"
    html = printed.read_text(encoding="utf-8")
    assert "The Rt Hon Theresa May MP" in html
    assert "Dear Prime Minister," in html
    assert '<html lang="en-GB">' in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)  # self-contained
    assert not re.search(r"url\(\s*[\"']?(https?:|file:)", html, re.IGNORECASE)
    assert list(out.rglob("*")) == [out / "preview", out / "preview" / SHIPPED_LETTER, printed]


def test_preview_escapes_markup_in_data(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "recipients.yaml", "name: Theresa May", "name: '<script>alert(1)</script> <b>May</b>'")
    result = invoke(
        "preview", "--project", project, "--letter", SHIPPED_LETTER, "--recipient", "prime-minister",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<b>May</b>" not in html
    assert "The Rt Hon &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;May&lt;/b&gt; MP" in html


@pytest.mark.parametrize(
    ("letter", "recipient", "message"),
    [
        ("nope", "prime-minister", "no letter named 'nope'"),
        (
            SHIPPED_LETTER,
            "nobody",
            f"no recipient 'nobody' in the list of letter '{SHIPPED_LETTER}'; it goes to: prime-minister, "
            "chancellor,",
        ),
    ],
)
def test_preview_errors_are_clean(tmp_path: Path, letter: str, recipient: str, message: str) -> None:
    result = invoke(
        "preview", "--project", PROJECT_ROOT, "--letter", letter, "--recipient", recipient,
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert_clean_failure(result, message)
    assert not (tmp_path / "out").exists()


# ---- manifest.json --------------------------------------------------------------------------------


def test_manifest_lists_every_output_with_its_sha256(built: ShippedBuild) -> None:
    entries: list[dict[str, Any]] = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))[
        "documents"
    ]
    assert [entry["path"] for entry in entries] == sorted(EXPECTED_OUTPUTS)
    for entry in entries:
        data = (built.out / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["path"]
        assert entry["bytes"] == len(data)
        recipient = Path(entry["path"]).stem
        assert (entry["collection"], entry["target"], entry["recipient"]) == (
            SHIPPED_LETTER,
            recipient,
            recipient,
        )
        assert entry["format"] == Path(entry["path"]).suffix[1:]
        assert entry["kind"] == "letter"
        assert entry["title"].startswith("Key Cities: Cities in Action: letter to ")
        names = [figure["name"] for figure in entry["figures"]]
        assert "group.gva" in names and "group.population" in names
        if entry["format"] == "pdf":
            assert entry["pages"] >= 2


def test_preview_refuses_a_recipient_the_letter_does_not_go_to(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "letters" / f"{SHIPPED_LETTER}.md", "to: [all]", "to: [prime-minister, chancellor]")
    result = invoke(
        "preview", "--project", project, "--letter", SHIPPED_LETTER,
        "--recipient", "leader-of-the-opposition", "--out", tmp_path / "out",
    )  # fmt: skip
    assert_clean_failure(
        result,
        f"error: letter '{SHIPPED_LETTER}' does not go to 'leader-of-the-opposition': its 'to:' leaves them "
        "out; it goes to: prime-minister, chancellor\n",
    )
    assert not (tmp_path / "out").exists()


def test_preview_suggests_the_nearest_recipient(tmp_path: Path) -> None:
    result = invoke(
        "preview", "--project", PROJECT_ROOT, "--letter", SHIPPED_LETTER, "--recipient", "prime-ministr",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert_clean_failure(
        result,
        "no recipient 'prime-ministr' in the list of letter 'cities-in-action' (did "
        "you mean 'prime-minister'?); it goes to: prime-minister, chancellor,",
    )


# ---- preview of a briefing pack ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "language", "file", "title", "text"),
    [
        (
            "wakefield",
            "en-GB",
            "wakefield.html",
            "Wakefield: briefing pack",
            "Case study: Wakefield in figures",
        ),
        ("swansea", "cy", "swansea.cy.html", "Abertawe: pecyn briffio", "Ffigurau allweddol"),
    ],
)
def test_preview_writes_a_members_pack(
    tmp_path: Path, city: str, language: str, file: str, title: str, text: str
) -> None:
    out = tmp_path / "out"
    result = invoke(
        "preview", "--project", PROJECT_ROOT, "--city", city, "--language", language, "--out", out
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    printed = Path(result.stdout.strip())
    assert printed == out / "preview" / "briefings" / file
    page = printed.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    assert f"<title>{title}</title>" in page
    assert text in html.unescape(page)
    assert '<img class="chart" src="data:image/svg+xml;base64,' in page  # its charts are drawn
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|file:)?//""", page, re.IGNORECASE)
    assert list(out.rglob("*.html")) == [printed]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--city", "wakfield"],
            "error: no member 'wakfield' (did you mean 'wakefield'?); the members: blackpool, bournemouth,",
        ),
        (
            ["--city", "wakefield", "--language", "cy"],
            "error: wakefield has no Welsh pack: cities/wakefield.cy.md would give it one; write that file",
        ),
        (
            ["--city", "wakefield", "--letter", SHIPPED_LETTER],
            "error: --letter and --city each pick a document",
        ),
        ([], "error: give --letter NAME to preview a letter, or --city SLUG to preview a member's pack"),
        (["--city", "wakefield", "--recipient", "prime-minister"], "--city previews a pack"),
        (["--letter", SHIPPED_LETTER, "--language", "cy"], "--language picks a pack's language"),
    ],
)
def test_preview_errors_name_the_fix(tmp_path: Path, arguments: list[str], message: str) -> None:
    result = invoke("preview", "--project", PROJECT_ROOT, *arguments, "--out", tmp_path / "out")
    assert_clean_failure(result, message)
    assert not (tmp_path / "out").exists()
