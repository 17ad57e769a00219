"""The HTML and PDF renderers: text, order, metadata, tagging, page numbers, reproducibility, safety."""

from __future__ import annotations

import base64
import io
import re
import socket
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from keycities.compose.blocks import (
    AddressBlock,
    Block,
    Chart,
    DateLine,
    Document,
    Heading,
    Image,
    Letterhead,
    ListBlock,
    Notes,
    PageBreak,
    Paragraph,
    Run,
    Signature,
    Table,
)
from keycities.errors import RenderError
from keycities.render.html import (
    PACKAGE_ASSETS,
    RefusedURL,
    allowed_file,
    load_stylesheet,
    render_html,
)
from keycities.render.pdf import PdfRenderer, harfbuzz_subset_missing

ROOT = Path(__file__).resolve().parents[2]
PRINT_CSS = ROOT / "templates" / "print.css"
TRICKY_NAME = "<b>May</b> & {{ 7*7 }}"


def png(width: int, height: int, rgb: tuple[int, int, int] = (0, 70, 90)) -> bytes:
    """A small solid-colour PNG, built by hand so the tests need no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def svg_chart(inner: str = '<rect x="10" y="10" width="50" height="80" fill="#00465a"/>') -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
        f"{inner}</svg>"
    ).encode()


def chart(svg: bytes, alt: str = "Bar chart: GVA of Wakefield and Bradford") -> Chart:
    return Chart(
        svg=Image(svg, "image/svg+xml", alt, 80),
        png=Image(png(4, 2), "image/png", alt, 80),
        caption="GVA by city, 2022",
    )


def letter(*, body: tuple[Block, ...] | None = None, language: str = "en-GB", **changes: Any) -> Document:
    """A one-page letter with every kind of block a letter uses."""
    blocks: tuple[Block, ...] = (
        AddressBlock(
            (
                "The Rt Hon Rachel Reeves MP",
                "Chancellor of the Exchequer",
                "HM Treasury",
                "1 Horse Guards Road",
                "London",
                "SW1A 2HQ",
            )
        ),
        DateLine("4 March 2025"),
        Paragraph((Run("Investment in Key Cities"),), role="subject"),
        Paragraph((Run("Dear Chancellor"),), role="salutation"),
        *(
            body
            if body is not None
            else (
                Paragraph(
                    (
                        Run("Our 24 cities are home to "),
                        Run("6.4 million", bold=True),
                        Run(" people.", note=1),
                    )
                ),
                Table(
                    "GVA by city",
                    ("City", "GVA (£bn)"),
                    (((Run("Wakefield"),), (Run("9.1"),)), ((Run("Bradford"),), (Run("11.2"),))),
                    (1,),
                ),
            )
        ),
        Paragraph((Run("Yours sincerely"),), role="close"),
        Signature(
            Image(png(30, 10, (20, 20, 20)), "image/png", "Signature of Jane May", 40),
            TRICKY_NAME,
            ("Chair, Key Cities Group", "Leader, Wakefield Council"),
        ),
        Notes("Sources", ((1, "ONS, mid-year population estimates 2022"),)),
    )
    document = Document(
        kind="letter",
        title="Letter to the Chancellor",
        author="Key Cities Group",
        subject="Investment in Key Cities",
        language=language,
        created=date(2025, 3, 4),
        letterhead=Letterhead(
            "Key Cities Group",
            Image(png(40, 20), "image/png", "Key Cities Group logo", 35),
            ("1 High Street, Wakefield, WF1 1AA", "Telephone 01234 567890", "info@keycities.example"),
        ),
        blocks=blocks,
        footer="Key Cities Group, letter to the Chancellor",
        keywords=("Key Cities", "investment"),
    )
    return replace(document, **changes)


def long_letter(language: str = "en-GB") -> Document:
    paragraph = Paragraph(
        (Run("The Key Cities are mid-sized places with a large part to play in growth. " * 9),)
    )
    return letter(body=(paragraph,) * 6, language=language)


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer([PACKAGE_ASSETS, ROOT / "templates", ROOT / "assets"], PRINT_CSS)


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def catalog(pdf: bytes) -> Any:
    """The document catalog, as a dictionary of PDF objects."""
    return read(pdf).trailer["/Root"]


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in read(pdf).pages]


def figure_alts(pdf: bytes) -> list[str]:
    """The /Alt of every Figure element in the structure tree, in tree order."""
    alts: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not hasattr(node, "keys"):
            return
        if node.get("/S") == "/Figure":
            alts.append(str(node.get("/Alt")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(catalog(pdf)["/StructTreeRoot"])
    return alts


# ---- PDF content ------------------------------------------------------------------------------


def test_letter_text_appears_in_reading_order(renderer: PdfRenderer) -> None:
    (text,) = page_texts(renderer.render(letter())[0])
    expected = [
        "Key Cities Group",
        "1 High Street, Wakefield, WF1 1AA",
        "The Rt Hon Rachel Reeves MP",
        "1 Horse Guards Road\nLondon\nSW1A 2HQ",
        "4 March 2025",
        "Investment in Key Cities",
        "Dear Chancellor",
        "Our 24 cities are home to 6.4 million people.",
        "Wakefield 9.1",
        "Yours sincerely",
        TRICKY_NAME,
        "Chair, Key Cities Group\nLeader, Wakefield Council",
        "ONS, mid-year population estimates 2022",
    ]
    positions = [text.find(snippet) for snippet in expected]
    assert -1 not in positions, [snippet for snippet, at in zip(expected, positions, strict=True) if at < 0]
    assert positions == sorted(positions)


def test_metadata_comes_from_the_document(renderer: PdfRenderer) -> None:
    metadata = read(renderer.render(letter())[0]).metadata
    assert metadata is not None
    assert metadata.title == "Letter to the Chancellor"
    assert metadata.author == "Key Cities Group"
    assert metadata.subject == "Investment in Key Cities"
    assert str(metadata["/Keywords"]) == "Key Cities, investment"
    assert str(metadata["/CreationDate"]) == "D:20250304"
    assert "/ModDate" not in metadata


@pytest.mark.parametrize("language", ["en-GB", "cy"])
def test_pdf_is_tagged_with_the_document_language(renderer: PdfRenderer, language: str) -> None:
    root = catalog(renderer.render(letter(language=language))[0])
    assert root["/Lang"] == language
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True


def test_every_image_has_its_alt_text_in_the_structure_tree(renderer: PdfRenderer) -> None:
    document = letter(body=(chart(svg_chart()),))
    assert figure_alts(renderer.render(document)[0]) == [
        "Key Cities Group logo",
        "Bar chart: GVA of Wakefield and Bradford",
        "Signature of Jane May",
    ]


def test_briefing_cover_puts_the_members_logo_beside_the_groups(renderer: PdfRenderer) -> None:
    member_logo = Image(png(20, 20, (120, 0, 40)), "image/png", "Wakefield Council logo", 30)
    document = letter(kind="briefing", letterhead=replace(letter().letterhead, partner_logo=member_logo))
    html = render_html(document, stylesheet="")
    assert '<article class="document briefing" lang="en-GB">' in html
    assert re.search(
        r'<div class="letterhead-logos"><img class="logo" [^>]*><img class="partner-logo" ', html
    )
    data, _ = renderer.render(document)
    assert figure_alts(data)[:2] == ["Key Cities Group logo", "Wakefield Council logo"]


def test_continuation_pages_are_numbered_and_the_first_is_not(renderer: PdfRenderer) -> None:
    data, pages = renderer.render(long_letter())
    assert pages == 2
    first, second = page_texts(data)
    assert "Page" not in first
    assert "letter to the Chancellor" not in first  # the footer
    assert "Key Cities Group, letter to the Chancellor" in second
    assert "Page 2 of 2" in second


def test_welsh_continuation_pages_are_numbered_in_welsh(renderer: PdfRenderer) -> None:
    _, second = page_texts(renderer.render(long_letter(language="cy"))[0])
    assert "Tudalen 2 o 2" in second
    assert "Page" not in second


def test_page_break_block_starts_a_new_page(renderer: PdfRenderer) -> None:
    document = letter(body=(Paragraph((Run("Before the break"),)), PageBreak(), Heading(2, (Run("After"),))))
    first, second = page_texts(renderer.render(document)[0])
    assert "Before the break" in first
    assert second.lstrip().startswith("After")


def test_markup_in_data_is_printed_literally(renderer: PdfRenderer) -> None:
    body = (Paragraph((Run(TRICKY_NAME, bold=True),)), Table(TRICKY_NAME, ("A",), (((Run(TRICKY_NAME),),),)))
    (text,) = page_texts(renderer.render(letter(body=body))[0])
    assert text.count(TRICKY_NAME) == 4  # paragraph, table caption, table cell, signature
    assert "49" not in text


def test_same_input_gives_the_same_bytes(renderer: PdfRenderer) -> None:
    document = letter(body=(chart(svg_chart()),))
    first = renderer.render(document)
    assert renderer.render(document) == first
    assert PdfRenderer([PACKAGE_ASSETS], PRINT_CSS).render(document) == first
    assert renderer.render(replace(document, title="Another title"))[0] != first[0]


def test_fonts_are_the_bundled_ones(renderer: PdfRenderer) -> None:
    pages: Sequence[Any] = read(renderer.render(letter())[0]).pages
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts == {"Carlito", "Carlito-Bold"}


def test_combined_pdf_keeps_each_documents_pages_and_numbers(renderer: PdfRenderer) -> None:
    english, welsh = long_letter(), long_letter(language="cy")
    data, pages = renderer.render_combined([english, welsh])
    texts = page_texts(data)
    assert pages == len(texts) == 4
    assert "Page" not in texts[0] and "Tudalen" not in texts[2]
    assert "Page 2 of 2" in texts[1]
    assert "Tudalen 2 o 2" in texts[3]
    assert texts[2].startswith("Key Cities Group")


def test_combining_no_documents_is_an_error(renderer: PdfRenderer) -> None:
    with pytest.raises(RenderError, match="empty"):
        renderer.render_combined([])


# ---- Failures ---------------------------------------------------------------------------------

BAD_URLS = ["file:///etc/passwd", "http://example.invalid/x.png"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records any attempt to reach the network or open a file outside Python's own reads."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise OSError("network use in a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts
    assert attempts == []


@pytest.mark.parametrize("url", BAD_URLS)
def test_stylesheet_url_outside_the_assets_is_refused(
    url: str, tmp_path: Path, no_network: list[str]
) -> None:
    stylesheet = tmp_path / "print.css"
    stylesheet.write_text(PRINT_CSS.read_text() + f'\nbody {{ background: url("{url}"); }}\n')
    renderer = PdfRenderer([PACKAGE_ASSETS, tmp_path], stylesheet)
    with pytest.raises(RenderError, match=f"refused to fetch {url}"):
        renderer.render(letter())


@pytest.mark.parametrize("url", BAD_URLS)
def test_font_url_outside_the_assets_is_refused_when_the_stylesheet_loads(
    url: str, tmp_path: Path, no_network: list[str]
) -> None:
    stylesheet = tmp_path / "print.css"
    stylesheet.write_text(f'@font-face {{ font-family: "Bad"; src: url("{url}"); }}')
    with pytest.raises(RenderError, match=f"print.css: refused to fetch {url}"):
        PdfRenderer([PACKAGE_ASSETS, tmp_path], stylesheet)


@pytest.mark.parametrize("url", BAD_URLS)
def test_image_url_inside_a_document_svg_is_refused(
    url: str, renderer: PdfRenderer, no_network: list[str]
) -> None:
    svg = svg_chart(f'<image href="{url}" width="10" height="10"/>')
    with pytest.raises(RenderError, match=f"Letter to the Chancellor: refused to fetch {url}"):
        renderer.render(letter(body=(chart(svg),)))


def test_escapes_from_the_asset_folders_are_refused(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "logo.png").write_bytes(png(1, 1))
    (tmp_path / "secret.txt").write_text("secret")
    (assets / "link.txt").symlink_to(tmp_path / "secret.txt")

    assert allowed_file((assets / "logo.png").as_uri(), [assets]) == (assets / "logo.png").resolve()
    assert allowed_file("data:text/plain,hello", [assets]) is None
    for url in [
        f"{assets.as_uri()}/../secret.txt",
        (assets / "link.txt").as_uri(),
        f"file://otherhost{assets}/logo.png",
        "ftp://example.invalid/logo.png",
        "logo.png",
    ]:
        with pytest.raises(RefusedURL, match="refused to fetch"):
            allowed_file(url, [assets])


def test_symlink_out_of_the_assets_fails_the_render(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(png(2, 2))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "bg.png").symlink_to(tmp_path / "secret.png")
    stylesheet = templates / "print.css"
    stylesheet.write_text(PRINT_CSS.read_text() + '\nbody { background: url("bg.png"); }\n')
    with pytest.raises(RenderError, match=r"refused to fetch file://.*/templates/bg\.png"):
        PdfRenderer([PACKAGE_ASSETS, templates], stylesheet).render(letter())


def test_an_image_weasyprint_cannot_read_fails_the_render(renderer: PdfRenderer) -> None:
    broken = replace(
        letter(), letterhead=replace(letter().letterhead, logo=Image(b"not a png", "image/png", "Logo", 30))
    )
    with pytest.raises(RenderError, match="Failed to load image"):
        renderer.render(broken)


def test_a_note_reference_without_its_note_fails_the_render(renderer: PdfRenderer) -> None:
    document = letter(body=(Paragraph((Run("A figure", note=7),)),))
    with pytest.raises(RenderError, match="note-7"):
        renderer.render(document)


def test_harfbuzz_subset_is_available() -> None:
    # Without it, fonts are subset by fontTools and PDFs differ from run to run.
    assert harfbuzz_subset_missing() is False, "install libharfbuzz-subset0"


def test_importing_the_pdf_renderer_does_not_import_weasyprint() -> None:
    code = "import sys, keycities.render.pdf; print('weasyprint' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---- HTML -------------------------------------------------------------------------------------


def test_html_escapes_all_text() -> None:
    body = (
        Heading(2, (Run("<script>"),)),
        Paragraph((Run(TRICKY_NAME, italic=True),)),
        ListBlock(False, ((Run("<li>"),),)),
    )
    document = letter(body=body, title="A <title> & more", subject='"Quoted" subject', keywords=("<k>",))
    html = render_html(document, stylesheet="")
    assert '<p class="body"><em>&lt;b&gt;May&lt;/b&gt; &amp; {{ 7*7 }}</em></p>' in html
    assert '<p class="signature-name">&lt;b&gt;May&lt;/b&gt; &amp; {{ 7*7 }}</p>' in html
    assert "<h2>&lt;script&gt;</h2>" in html
    assert "<ul><li>&lt;li&gt;</li></ul>" in html
    assert "<b>May</b>" not in html
    assert "<title>A &lt;title&gt; &amp; more</title>" in html
    assert '<meta name="description" content="&#34;Quoted&#34; subject">' in html
    assert '<meta name="keywords" content="&lt;k&gt;">' in html


def test_html_is_a_semantic_page() -> None:
    html = render_html(
        letter(body=(chart(svg_chart()), ListBlock(True, ((Run("one"),),)))), stylesheet="p {}"
    )
    assert html.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert '<meta name="author" content="Key Cities Group">' in html
    assert '<meta name="dcterms.created" content="2025-03-04">' in html
    assert "<style>\np {}\n</style>" in html
    assert '<img class="chart" src="data:image/svg+xml;base64,' in html
    assert 'alt="Bar chart: GVA of Wakefield and Bradford"' in html
    assert "<figcaption>GVA by city, 2022</figcaption>" in html
    assert "<svg" not in html
    assert "<ol><li>one</li></ol>" in html
    assert '<p class="address">The Rt Hon Rachel Reeves MP<br>' in html
    assert "London<br>SW1A 2HQ</p>" in html


def test_html_tables_and_notes() -> None:
    notes = Notes("Sources", ((3, "ONS"), (4, "DLUHC")))
    table = Table("GVA", ("City", "£bn"), (((Run("Hull", bold=True),), (Run("8.0", note=4),)),), (1,))
    html = render_html(letter(body=(Paragraph((Run("Hull", note=3),)), table, notes)), stylesheet="")
    assert '<sup class="note-ref"><a href="#note-3">3</a></sup>' in html
    assert '<li id="note-3" value="3">ONS</li><li id="note-4" value="4">DLUHC</li>' in html
    assert "<caption>GVA</caption>" in html
    assert '<th scope="col">City</th><th scope="col" class="numeric">£bn</th>' in html
    # A cell's runs as the body's: its emphasis, and its note as the same raised link to the note.
    note = '<sup class="note-ref"><a href="#note-4">4</a></sup>'
    assert f'<td><strong>Hull</strong></td><td class="numeric">8.0{note}</td>' in html


def test_html_refuses_a_stylesheet_that_would_close_its_element() -> None:
    with pytest.raises(RenderError, match="</style"):
        render_html(letter(), stylesheet="p {} </STYLE><script>alert(1)</script>")


def test_anchor_prefix_starts_every_note_link_and_target() -> None:
    """What keeps each document's note links to its own notes when documents are joined into one PDF."""
    html = render_html(letter(), stylesheet="", anchor_prefix="d2-")
    assert '<a href="#d2-note-1">1</a>' in html
    assert '<li id="d2-note-1" value="1">' in html
    assert 'id="note-1"' not in html


def test_load_stylesheet_makes_urls_absolute(tmp_path: Path) -> None:
    stylesheet = tmp_path / "print.css"
    stylesheet.write_text(
        "/* url(keycities:nothing) */\n"
        '@font-face { font-family: "Carlito"; src: url("keycities:fonts/Carlito-Regular.ttf"); }\n'
        "body { background: url(../assets/bg.png); }\n"
        'p { background: url("data:image/png;base64,AA=="); }\n'
    )
    css = load_stylesheet(stylesheet)
    assert f'url("{(PACKAGE_ASSETS / "fonts" / "Carlito-Regular.ttf").resolve().as_uri()}")' in css
    assert f'url("{(tmp_path.resolve() / ".." / "assets").resolve().as_uri()}/bg.png")' in css
    assert 'url("data:image/png;base64,AA==")' in css
    assert "/* url(keycities:nothing) */" in css
    stylesheet.write_text(stylesheet.read_text().replace("url(../assets/bg.png)", "none"))
    embedded = load_stylesheet(stylesheet, inline_from=[PACKAGE_ASSETS])
    font_start = (PACKAGE_ASSETS / "fonts" / "Carlito-Regular.ttf").read_bytes()[:30]
    assert f";base64,{base64.b64encode(font_start).decode()}" in embedded
    assert "Carlito-Regular.ttf" not in embedded


@pytest.mark.parametrize(
    "url",
    ["file:///etc/hostname", "http://127.0.0.1:9/x.png", "../outside.png", "https://example.org/font.ttf"],
)
def test_a_self_contained_stylesheet_refuses_what_a_build_would_refuse(tmp_path: Path, url: str) -> None:
    """The preview's stylesheet: a URL the PDF fetcher would refuse is refused, not left for a browser."""
    (tmp_path / "outside.png").write_bytes(b"secret")
    assets = tmp_path / "templates"
    assets.mkdir()
    stylesheet = assets / "print.css"
    stylesheet.write_text(f'body {{ background: url("{url}"); }}\n@import "{url}";\n')
    with pytest.raises(RenderError, match="refused to fetch"):
        load_stylesheet(stylesheet, inline_from=[assets])
    (assets / "inside.png").write_bytes(b"fine")
    stylesheet.write_text('body { background: url(inside.png); }\n@import "inside.png";\n')
    inlined = load_stylesheet(stylesheet, inline_from=[assets])
    assert inlined.count(f"base64,{base64.b64encode(b'fine').decode()}") == 2
    assert "file:" not in inlined


def test_load_stylesheet_refuses_package_assets_escapes(tmp_path: Path) -> None:
    stylesheet = tmp_path / "print.css"
    stylesheet.write_text('body { background: url("keycities:../../../etc/passwd"); }')
    with pytest.raises(RenderError, match="is not a file in"):
        load_stylesheet(stylesheet)
