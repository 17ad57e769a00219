"""The live preview in headless Chromium (the system's, driven by Playwright): from the index to a letter,
shown as A4 sheets on grey; an edit to the letter's file shows on the open page by itself, within a
second of the save; a broken template shows its file and line in place of the letter, and the letter
comes back when the file is fixed. The test never reloads the page itself. The sheets break where the
PDF's pages do: as many sheets as the built PDF has pages, each starting with the same text, the footer
and page number on every sheet after the first, and more sheets for a longer letter."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import documents
import pytest
from pypdf import PdfReader
from serve_support import running

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`make test` does)")
MM = 96 / 25.4  # CSS pixels in a millimetre
CONNECTED = "reloads when a file is saved"
PAGE_STATUS = "Failed to load resource: the server responded with a status of"


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 1600})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    # Nothing refused by the pages' security policy and no script error; a page's own status (404, or 500
    # for a problem page) is no problem here.
    assert not [problem for problem in problems if not problem.startswith(PAGE_STATUS)], problems


def reloads_by_itself(page: sync_api.Page, saved_at: float, shows: str) -> float:
    """Wait until the page shows `shows` after a save at `saved_at` (time.time()), having loaded again by
    itself; how long after the save the new page's navigation started, in seconds."""
    page.wait_for_function(
        "text => document.body !== null && document.body.innerText.includes(text)", arg=shows, timeout=20_000
    )
    assert page.evaluate("window.before_the_save") is None, "the page was not loaded again"
    started: float = page.evaluate("performance.timeOrigin") / 1000
    return started - saved_at


def mark_and_wait_for_connection(page: sync_api.Page) -> None:
    sync_api.expect(page.locator(".preview-status")).to_have_text(CONNECTED, timeout=10_000)
    page.evaluate("window.before_the_save = true")


def test_an_edit_shows_by_itself_and_a_broken_template_shows_its_line(
    tmp_path: Path, page: sync_api.Page
) -> None:
    project = documents.copy_project(tmp_path / "project")
    letter = project / "letters" / "cities-in-action.md"
    original = letter.read_text(encoding="utf-8")
    with running(project) as server:
        page.goto(server.url)
        page.get_by_role("link", name="The Rt Hon Theresa May MP").click()
        page.wait_for_url(f"{server.url}letters/cities-in-action/prime-minister")
        sync_api.expect(page.locator("article[data-sheets]")).to_have_count(1)
        sync_api.expect(page.locator(".sheet").first).to_contain_text("Dear Prime Minister,")
        address = page.url

        mark_and_wait_for_connection(page)
        saved_at = time.time()
        documents.edit(letter, "growth is struggling.", "growth is faltering.")
        delay = reloads_by_itself(page, saved_at, "UK productivity growth is faltering.")
        assert 0 < delay < 1.0, f"the page loaded again {delay:.2f} s after the save"

        mark_and_wait_for_connection(page)
        documents.edit(letter, "{{ figures.group.gva }}", "{{ figures.group.gvaa }}")
        line = documents.line_of(letter, "figures.group.gvaa")
        reloads_by_itself(page, time.time(), f"letters/cities-in-action.md:{line}: ")
        problem = page.locator(".problems").inner_text()
        assert "'figures.group.gvaa' is undefined; did you mean `figures.group.gva`?" in problem
        sync_api.expect(page.locator(".sheet")).to_have_count(0)

        mark_and_wait_for_connection(page)
        letter.write_text(original, encoding="utf-8")
        reloads_by_itself(page, time.time(), "UK productivity growth is struggling.")
        sync_api.expect(page.locator(".sheet").first).to_contain_text("Dear Prime Minister,")
        assert page.url == address


def test_documents_are_a4_sheets_on_grey_breaking_where_the_document_does(
    tmp_path: Path, page: sync_api.Page
) -> None:
    project = documents.copy_project(tmp_path / "project")
    with (project / "cities" / "wakefield.md").open("a", encoding="utf-8") as local:
        local.write("\n---\n\nOn a sheet of its own.\n")
    with running(project) as server:
        page.goto(f"{server.url}briefings/wakefield")
        sheets = page.locator(".sheet")
        sync_api.expect(sheets).to_have_count(2)
        sync_api.expect(sheets.nth(1)).to_contain_text("On a sheet of its own.")
        sync_api.expect(sheets.nth(0)).to_contain_text("Wakefield")
        first, second = (sheets.nth(index).bounding_box() for index in (0, 1))
        assert first is not None and second is not None
        for box in (first, second):
            assert abs(box["width"] - 210 * MM) < 1, box  # A4's width
            assert box["height"] >= 297 * MM - 1, box  # at least A4's height
        assert second["y"] - (first["y"] + first["height"]) == pytest.approx(10 * MM, abs=1)  # grey between
        look = page.evaluate(
            """() => {
                const sheet = getComputedStyle(document.querySelector('.sheet'));
                return {sheet: sheet.backgroundColor, shadow: sheet.boxShadow,
                        padding: [sheet.paddingTop, sheet.paddingRight,
                                  sheet.paddingBottom, sheet.paddingLeft],
                        page: getComputedStyle(document.documentElement).backgroundColor,
                        footer: getComputedStyle(document.querySelector('.page-footer')).display};
            }"""
        )
        assert look["sheet"] == "rgb(255, 255, 255)" and look["page"] == "rgb(111, 118, 124)", look
        assert look["shadow"] != "none", look
        margins = [float(value.removesuffix("px")) / MM for value in look["padding"]]
        assert margins == pytest.approx([20, 20, 22, 20], abs=0.05)  # the print margins of print.css
        assert look["footer"] == "none"
