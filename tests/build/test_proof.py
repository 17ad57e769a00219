"""The proof page as the mail-out's checklist, opened in headless Chromium: one row per document with its
recipient, salutation, email, mail status, warnings, files and first-page thumbnail; the summary; the data's
notices apart from the run's warnings; sorting and filtering by its inline script (driven by clicks and by
the query string it honours); and the mail status after a real send to an SMTP server on loopback.

Each test works on a copy of the small build (`small`: three test letters and Wakefield's pack, PDF).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any, cast

import pytest
from build_support import (
    DOCUMENT,
    EMAIL,
    LETTER,
    MAILED,
    RECIPIENT,
    SALUTATION,
    WARNINGS,
    ProofPage,
    Small,
    documents,
    invoke,
)
from PIL import Image
from smtp_support import Handler, LoopbackController

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`make test` does)")
SENT = re.compile(r"^sent \d{4}-\d\d-\d\d \d\d:\d\d UTC$")
HOLDERS = {"test-one": "Alex Example", "test-two": "Test Office Two", "test-three": "Councillor Sam Sample"}
SALUTATIONS = {
    "test-one": "Dear Mx Example",
    "test-two": "Dear Sir or Madam",
    "test-three": "Dear Councillor Sample",
}


def open_page(small: Small, query: str = "", page: str = "index.html") -> ProofPage:
    """The proof page's DOM once Chromium has loaded it from disk and run its script."""
    return ProofPage(dump_dom(small, query, page))


def dump_dom(small: Small, query: str = "", page: str = "index.html") -> str:
    """The DOM of a page in the output folder once Chromium has loaded it and run its scripts."""
    assert CHROMIUM is not None
    uri = (small.out / page).as_uri() + (f"?{query}" if query else "")
    completed = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={small.root / 'chromium-profile'}", "--dump-dom", uri,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "<html" in completed.stdout, completed.stderr[-2000:]
    return completed.stdout


def with_script(small: Small, script: str) -> str:
    """A copy of the proof page beside it (so its relative links still work) that runs `script` once the
    page's own script has run; its name."""
    html = (small.out / "index.html").read_text(encoding="utf-8")
    (small.out / "driven.html").write_text(
        html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8"
    )
    return "driven.html"


def row_of(page: ProofPage, target: str) -> list[str]:
    return next(row for row in page.rows if target_of(row) == target)


def target_of(row: list[str]) -> str:
    return row[DOCUMENT].split()[2]  # "letter cities-in-action test-one 5 figures ..."


# ---- Rows, summary, warnings and notices -----------------------------------------------------------


@needs_chromium
def test_one_row_per_document_with_its_recipient_salutation_email_and_files(small: Small) -> None:
    page = open_page(small)
    records = documents(small.out)
    assert page.lang == "en-GB"
    assert len(page.rows) == 4, page.rows
    for recipient, holder in HOLDERS.items():
        row = row_of(page, recipient)
        assert row[RECIPIENT] == holder
        assert row[SALUTATION] == SALUTATIONS[recipient]
        assert row[EMAIL] == records[f"letters/{LETTER}/{recipient}.pdf"]["email"]
        assert row[MAILED] == "not mailed"  # the ledger was read (there is none)
        assert row[DOCUMENT].startswith(f"letter {LETTER} {recipient}")
    pack = row_of(page, "wakefield")
    assert pack[RECIPIENT] == "Wakefield" and pack[EMAIL] == "-" and pack[MAILED] == "-"
    assert pack[DOCUMENT].startswith("pack briefings wakefield")
    for (row, links), attributes in zip(page.document_rows, page.row_attributes, strict=True):
        (pdf,) = links
        assert records[pdf]["target"] == target_of(row)
        said = records[pdf]["warnings"]
        assert attributes["data-warnings"] == str(len(said))
        assert all(" ".join(warning.split()) in row[WARNINGS] for warning in said), pdf
    assert sorted(page.links) == sorted(records)


@needs_chromium
def test_summary_counts_and_the_data_notices_apart_from_the_warnings(small: Small) -> None:
    page = open_page(small)
    records = documents(small.out)
    warned = sum(bool(record["warnings"]) for record in records.values())
    assert page.summary == {
        "documents": 4,
        "letters": 3,
        "packs": 1,
        "approved": 0,
        "not-approved": 4,
        "mailed": 0,
        "warnings": warned,
    }
    manifest = json.loads((small.out / "manifest.json").read_text(encoding="utf-8"))
    notices = manifest["proof"]["notices"]
    assert any("Our collective annual GVA is £130.5bn” differs from the data" in n for n in notices)
    assert page.notices == [" ".join(notice.split()) for notice in notices]
    assert page.warnings == []  # this run had none: the notices are not warnings
    assert not set(page.notices) & set(page.warnings)


@needs_chromium
def test_a_failed_document_is_a_warning_not_a_notice(small: Small) -> None:
    body = small.project / "letters" / f"{LETTER}.md"
    body.write_text(body.read_text(encoding="utf-8") + "\n{{ no_such_name }}\n", encoding="utf-8")
    assert small.build_letters().exit_code == 1
    page = open_page(small)
    # once for the three letters it stopped, not once for each
    assert len(page.warnings) == 1, page.warnings
    assert page.warnings[0].startswith(
        "Not rebuilt in this run, so the file listed is from an earlier build: cities-in-action (all 3 "
        f"recipients' letters): letters/{LETTER}.md:"
    )
    assert page.notices and not any("Not rebuilt" in notice for notice in page.notices)
    assert len(page.rows) == 4  # the earlier files are still listed


def test_without_javascript_the_table_shows_everything(small: Small) -> None:
    html = (small.out / "index.html").read_text(encoding="utf-8")
    page = ProofPage(html)  # as served, no script run
    assert len(page.visible_rows()) == len(page.rows) == 4
    assert page.filters is not None and "hidden" in page.filters  # controls that need the script
    assert page.buttons == [] and page.shown == "4 documents listed"
    assert "<table" in html and "<caption>" in html
    assert [header.get("scope") for header in page.headers] == ["col"] * 9
    # self-contained: no external file and no network
    assert not re.search(r"<link|<script [^>]*src=|src=\"(https?:)?//|@import|url\(", html)


# ---- Thumbnails ------------------------------------------------------------------------------------


@needs_chromium
def test_each_pdf_has_a_thumbnail_of_its_first_page(small: Small) -> None:
    page = open_page(small)
    records = documents(small.out)
    for (_row, links), image in zip(page.document_rows, page.images, strict=True):
        (pdf,) = links
        assert image["src"] == f"thumbnails/{pdf}.png"
        assert image["alt"] == f"First page of {records[pdf]['title']}"
        with Image.open(small.out / str(image["src"])) as png:
            assert png.format == "PNG"
            assert png.width == 150 and 200 <= png.height <= 220, png.size  # A4, portrait
            assert png.info["Source-SHA256"] == records[pdf]["sha256"]
            grey = png.convert("L")
            darkest, lightest = cast(tuple[int, int], grey.getextrema())
            assert lightest > 240 and darkest < 100, (pdf, darkest, lightest)  # a page with print on it
            inked = sum(count for shade, count in enumerate(grey.histogram()) if shade < 200)
            assert inked > 0.01 * png.width * png.height, pdf


def test_thumbnails_are_kept_while_their_pdf_is_unchanged_and_removed_with_it(small: Small) -> None:
    thumbnail = small.out / "thumbnails" / "letters" / LETTER / "test-three.pdf.png"
    before = thumbnail.stat().st_mtime_ns
    assert small.build_letters().counts == (0, 3, 0)
    assert thumbnail.stat().st_mtime_ns == before, "an unchanged document's thumbnail was drawn again"

    thumbnail.write_bytes(b"not a PNG")  # damaged: drawn again
    assert small.build_letters().counts == (0, 3, 0)
    with Image.open(thumbnail) as png:
        assert png.width == 150

    small.csv.write_text("\n".join(small.csv.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    assert small.build_letters().exit_code == 0  # test-three is no longer in the data
    assert not thumbnail.exists()
    assert (small.out / "thumbnails" / "briefings" / "wakefield.pdf.png").is_file()


@needs_chromium
def test_a_document_without_a_pdf_says_it_has_no_thumbnail(small: Small) -> None:
    run = invoke(
        *small.arguments()[:-6], "--format", "docx", "--recipient", "test-one", "--jobs", "1",
        "--out", small.root / "docx-only",
    )  # fmt: skip
    assert run.exit_code == 0, run.describe()
    docx_only = Small(small.root)
    shutil.move(small.out, small.root / "pdf-out")
    shutil.move(small.root / "docx-only", small.out)
    page = open_page(docx_only)
    (row,) = page.rows
    assert page.images == [{}]
    assert "No PDF built (Word only), so no thumbnail." in row[0]
    assert not (small.out / "thumbnails").exists()


# ---- Sorting and filtering -------------------------------------------------------------------------


def sort_states(page: ProofPage) -> dict[str, str | None]:
    return {str(h["data-sort"]): h.get("aria-sort") for h in page.headers if h.get("data-sort")}


@needs_chromium
def test_column_headings_get_buttons_and_sort_from_the_query_string(small: Small) -> None:
    plain = open_page(small)
    assert plain.buttons == ["document", "recipient", "salutation", "email", "approved", "mailed", "warnings"]
    assert set(sort_states(plain).values()) == {"none"}
    assert [target_of(row) for row in plain.rows] == ["wakefield", "test-one", "test-three", "test-two"]

    page = open_page(small, "sort=email&order=descending")
    assert [row[EMAIL] for row in page.rows] == ["t3@example.org", "t2@example.org", "t1@example.org", "-"]
    assert sort_states(page)["email"] == "descending"
    assert {state for key, state in sort_states(page).items() if key != "email"} == {"none"}

    page = open_page(small, "sort=recipient")
    assert [row[RECIPIENT] for row in page.rows] == sorted(row[RECIPIENT] for row in plain.rows)
    assert sort_states(page)["recipient"] == "ascending"


@needs_chromium
def test_clicking_a_heading_sorts_and_clicking_again_reverses(small: Small) -> None:
    script = """
      var button = document.querySelector('th button[data-key="salutation"]');
      button.focus();  // a real button: Enter and Space activate it from the keyboard
      document.body.setAttribute("data-focused", document.activeElement === button ? "yes" : "no");
      button.click();
      document.body.setAttribute("data-first", Array.prototype.map.call(
        document.querySelectorAll('#documents tbody td[data-key="salutation"]'),
        function (cell) { return cell.textContent; }).join("|"));
      document.body.setAttribute("data-first-sort", button.parentNode.getAttribute("aria-sort"));
      button.click();
    """
    dom = dump_dom(small, page=with_script(small, script))
    page = ProofPage(dom)
    ascending = sorted(row[SALUTATION] for row in page.rows)
    assert [row[SALUTATION] for row in page.rows] == ascending[::-1]
    assert sort_states(page)["salutation"] == "descending"
    assert 'data-focused="yes"' in dom
    assert f'data-first="{"|".join(ascending)}"' in dom
    assert 'data-first-sort="ascending"' in dom


@needs_chromium
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("filter=wakefield", ["wakefield"]),
        ("filter=SAMPLE", ["test-three"]),  # any case, any column: the name
        ("filter=t2@example", ["test-two"]),
        ("kind=letter", ["test-one", "test-three", "test-two"]),
        ("kind=pack", ["wakefield"]),
        ("status=not-mailed", ["test-one", "test-three", "test-two"]),
        ("status=sent", []),
        ("kind=letter&filter=councillor", ["test-three"]),
        ("warnings=1&kind=pack", ["wakefield"]),
    ],
)
def test_filters_from_the_query_string_hide_rows_and_announce_the_count(
    small: Small, query: str, shown: list[str]
) -> None:
    page = open_page(small, query)
    assert page.filters is not None and "hidden" not in page.filters
    assert {"filter-text", "filter-kind", "filter-status", "filter-warnings"} <= set(page.labels)
    assert [target_of(row) for row in page.visible_rows()] == shown
    assert page.shown == f"{len(shown)} of 4 documents shown"
    assert len(page.rows) == 4  # hidden, not removed


@needs_chromium
def test_typing_in_the_filter_box_filters_the_rows(small: Small) -> None:
    script = """
      var box = document.getElementById("filter-text");
      box.value = "example office";
      box.dispatchEvent(new Event("input", { bubbles: true }));
    """
    page = open_page(small, page=with_script(small, script))
    assert [target_of(row) for row in page.visible_rows()] == ["test-two"]
    assert page.shown == "1 of 4 documents shown"


# ---- The mail status, after a real send ------------------------------------------------------------


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def smtp(handler: Handler, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackController]:
    for name in ("HOST", "PORT", "USER", "SECURITY", "PASSWORD"):
        monkeypatch.delenv(f"KEYCITIES_SMTP_{name}", raising=False)
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    yield controller
    controller.stop()


def use_server(small: Small, port: int) -> None:
    (small.project / "mail.yaml").write_text(
        'from: "Key Cities Group <letters@keycities.uk>"\nopt_out: "optout@keycities.uk"\n'
        f'smtp:\n  host: "127.0.0.1"\n  port: {port}\n  security: "none"\n  timeout: 5\nrate: 100/s\n',
        encoding="utf-8",
    )


def mail(small: Small, verb: str, *args: str) -> Any:
    return invoke("mail", verb, "--project", small.project, "--out", small.out, *args)


@needs_chromium
def test_the_mailed_column_follows_the_ledger_through_send_confirm_status_and_build(
    small: Small, smtp: LoopbackController, handler: Handler
) -> None:
    use_server(small, smtp.port)
    approved = invoke("approve", "--project", small.project, "--out", small.out, "--recipients", small.csv,
                      "--by", "Jane Smith")  # fmt: skip
    assert approved.exit_code == 0, approved.describe()
    handler.drop_in_data = {"t2@example.org"}  # handed over, no reply: awaiting confirmation
    handler.reject = {"t3@example.org"}
    sent = mail(small, "send")
    assert sent.exit_code == 1, sent.describe()  # two did not go
    assert len(handler.messages) == 1

    page = open_page(small)
    assert SENT.match(row_of(page, "test-one")[MAILED]), row_of(page, "test-one")
    awaiting = row_of(page, "test-two")[MAILED]
    assert awaiting.startswith("awaiting confirmation (message "), awaiting
    assert row_of(page, "test-three")[MAILED].endswith("550 5.1.1 no such mailbox here")
    assert row_of(page, "test-three")[MAILED].startswith("failed: ")
    assert page.summary["mailed"] == 1
    statuses = {target_of(row): attributes["data-status"] for row, attributes in
                zip(page.rows, page.row_attributes, strict=True)}  # fmt: skip
    assert statuses == {
        "wakefield": "none",
        "test-one": "sent",
        "test-two": "awaiting",
        "test-three": "failed",
    }
    assert [target_of(row) for row in open_page(small, "status=sent").visible_rows()] == ["test-one"]

    message = re.search(r"message (\d+)", awaiting)
    assert message is not None
    assert mail(small, "confirm", message[1], "--arrived").exit_code == 0
    page = open_page(small)
    assert SENT.match(row_of(page, "test-two")[MAILED])
    assert page.summary["mailed"] == 2

    # the ledger changed behind the page's back: `mail status` brings the page up to date
    with sqlite3.connect(small.out / "mail-ledger.sqlite") as db:
        db.execute("UPDATE messages SET reason = 'mailbox full' WHERE recipient = 'test-three'")
    db.close()
    assert mail(small, "status").exit_code == 0
    assert row_of(open_page(small), "test-three")[MAILED] == "failed: mailbox full"

    # a build reads the ledger through the mail stage and keeps showing what was sent
    rebuilt = small.build_letters()
    assert rebuilt.counts == (0, 3, 0), rebuilt.describe()
    page = open_page(small)
    assert SENT.match(row_of(page, "test-one")[MAILED]) and SENT.match(row_of(page, "test-two")[MAILED])
    assert page.summary["mailed"] == 2

    # a letter built again after it was sent is a new document: not mailed, and the page says why
    letter = small.project / "letters" / f"{LETTER}.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert small.build_letters().counts == (3, 0, 0)
    changed = row_of(open_page(small), "test-one")[MAILED]
    assert changed.startswith("not mailed: an earlier version was sent "), changed


def test_a_damaged_ledger_leaves_the_mail_status_unknown_and_says_why(small: Small) -> None:
    (small.out / "mail-ledger.sqlite").write_bytes(b"this is not a database" * 100)
    run = small.build_letters()
    assert run.exit_code == 0, run.describe()
    assert "the proof page does not show what was mailed" in run.stderr
    page = ProofPage((small.out / "index.html").read_text(encoding="utf-8"))
    assert any("does not show what was mailed" in warning for warning in page.warnings)
    assert row_of(page, "test-one")[MAILED] == "not known: see `generate.py mail status`"
    manifest = json.loads((small.out / "manifest.json").read_text(encoding="utf-8"))
    assert not any("mailed" in warning for warning in manifest["proof"]["warnings"])
