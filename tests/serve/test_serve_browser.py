"""The live preview in headless Chromium (the system's, driven by Playwright): from the index to a letter,
shown as A4 sheets on grey; an edit to the letter's file shows on the open page by itself, within a
second of the save; a broken template shows its file and line in place of the letter, and the letter
comes back when the file is fixed. The test never reloads the page itself. The sheets break where the
PDF's pages do: as many sheets as the built PDF has pages, each starting with the same text, the footer
and page number on every sheet after the first, and more sheets for a longer letter."""

from __future__ import annotations

import itertools
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


def laid_out(page: sync_api.Page, address: str) -> list[str]:
    """Open `address` and wait for its sheets; the text of each sheet."""
    page.goto(address)
    sync_api.expect(page.locator("article[data-sheets]")).to_have_count(1, timeout=20_000)
    texts: list[str] = page.locator(".sheet").all_inner_texts()
    assert page.locator("article").get_attribute("data-sheets") == str(len(texts))
    return texts


def first_words(text: str) -> str:
    return " ".join(text.split()[:6])


def test_sheets_break_where_the_pdf_pages_do(tmp_path: Path, page: sync_api.Page) -> None:
    project = documents.copy_project(tmp_path / "project")
    out = tmp_path / "out"
    with running(project) as server:
        page.goto(server.url)
        first = page.locator("#letter-cities-in-action .recipients a").first.get_attribute("href")
        assert first is not None
        recipient = first.rsplit("/", 1)[1]
        built = documents.letters(project, out, "--letter", "cities-in-action", "--recipient", recipient)
        assert built.exit_code == 0, built.output
        assert documents.briefings(project, out, "--city", "swansea").exit_code == 0
        for address, pdf in [
            (first, out / "letters" / "cities-in-action" / f"{recipient}.pdf"),
            ("/briefings/swansea", out / "briefings" / "swansea.pdf"),
            ("/briefings/swansea.cy", out / "briefings" / "swansea.cy.pdf"),
        ]:
            pages = [each.extract_text() for each in PdfReader(pdf).pages]
            sheets = laid_out(page, server.url + address.lstrip("/"))
            assert len(sheets) == len(pages) > 1, (address, len(sheets), len(pages))
            # Each sheet after the first starts with the text the PDF's page does.
            for number, (sheet, pdf_page) in enumerate(zip(sheets, pages, strict=True)):
                if number > 0 and not sheet.lstrip().startswith("•"):
                    assert first_words(sheet)[:30] in " ".join(pdf_page.split()), (address, number + 1)
            footers = page.locator(".sheet .page-footer")
            sync_api.expect(footers).to_have_count(len(pages) - 1)  # none on the first, as in the PDF
            of = "o" if address.endswith(".cy") else "of"
            word = "Tudalen" if address.endswith(".cy") else "Page"
            sync_api.expect(footers.last).to_contain_text(f"{word} {len(pages)} {of} {len(pages)}")
            assert f"{word} {len(pages)} {of} {len(pages)}" in " ".join(pages[-1].split())


def test_a_longer_letter_fills_more_sheets_each_within_the_page(tmp_path: Path, page: sync_api.Page) -> None:
    project = documents.copy_project(tmp_path / "project")
    address = "letters/cities-in-action/prime-minister"
    with running(project) as server:
        before = laid_out(page, server.url + address)
        paragraph = "Added paragraph. " + "It makes the letter longer than it was, line after line. " * 6
        documents.edit(
            project / "letters" / "cities-in-action.md",
            "growth is struggling.",
            "growth is struggling.\n\n" + "\n\n".join([paragraph] * 12),
        )
        after = laid_out(page, server.url + address)
        assert len(after) > len(before) >= 2, (len(before), len(after))
        # No block passes the content box: 297 mm less the margins of 20 mm and 22 mm.
        overflow = page.evaluate(
            """mm => [...document.querySelectorAll('.sheet')].flatMap((sheet, index) => {
                const end = sheet.getBoundingClientRect().top + (297 - 22) * mm;
                return [...sheet.children].filter(block => !block.classList.contains('page-footer')
                    && getComputedStyle(block).display !== 'none'
                    && block.getBoundingClientRect().bottom > end + 0.5)
                  .map(block => `sheet ${index + 1}: ${block.tagName} ${block.innerText.slice(0, 40)}`);
            })""",
            MM,
        )
        assert overflow == []
        assert sum(text.count("Added paragraph.") for text in after) == 12  # kept whole, none lost


def test_documents_are_a4_sheets_on_grey_breaking_where_the_document_does(
    tmp_path: Path, page: sync_api.Page
) -> None:
    project = documents.copy_project(tmp_path / "project")
    with (project / "cities" / "wakefield.md").open("a", encoding="utf-8") as local:
        local.write("\n---\n\nOn a sheet of its own.\n")
    with running(project) as server:
        texts = laid_out(page, f"{server.url}briefings/wakefield")
        own = next(index for index, text in enumerate(texts) if "On a sheet of its own." in text)
        assert texts[own].split("\n")[0] == "On a sheet of its own."  # the page break starts a sheet
        assert own > 1 and "Wakefield" in texts[0]
        sheets = page.locator(".sheet")
        boxes = [sheets.nth(index).bounding_box() for index in range(len(texts))]
        for box in boxes:
            assert box is not None and abs(box["width"] - 210 * MM) < 1, box  # A4
            assert abs(box["height"] - 297 * MM) < 1, box
        for box, after in itertools.pairwise(boxes):
            assert box is not None and after is not None
            assert after["y"] - (box["y"] + box["height"]) == pytest.approx(10 * MM, abs=1)  # grey between
        look = page.evaluate(
            """() => {
                const sheet = getComputedStyle(document.querySelector('.sheet'));
                const footer = document.querySelectorAll('.sheet')[1].querySelector('.page-footer');
                return {sheet: sheet.backgroundColor, shadow: sheet.boxShadow,
                        padding: [sheet.paddingTop, sheet.paddingRight,
                                  sheet.paddingBottom, sheet.paddingLeft],
                        page: getComputedStyle(document.documentElement).backgroundColor,
                        first: document.querySelector('.sheet').querySelector('.page-footer'),
                        footer: getComputedStyle(footer).display,
                        footerTop: footer.getBoundingClientRect().top
                            - footer.parentElement.getBoundingClientRect().top};
            }"""
        )
        assert look["sheet"] == "rgb(255, 255, 255)" and look["page"] == "rgb(111, 118, 124)", look
        assert look["shadow"] != "none", look
        margins = [float(value.removesuffix("px")) / MM for value in look["padding"]]
        assert margins == pytest.approx([20, 20, 22, 20], abs=0.05)  # the print margins of print.css
        assert look["first"] is None and look["footer"] == "flex"  # on later sheets only
        assert look["footerTop"] / MM == pytest.approx(297 - 22, abs=0.1)  # in the bottom margin
        sync_api.expect(sheets.nth(1).locator(".page-footer")).to_have_text(
            f"Key Cities Group: Wakefield: briefing packPage 2 of {len(texts)}"
        )
