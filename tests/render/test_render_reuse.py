"""Charts' text in the PDF, and what a renderer keeps from one document to the next.

A worker process keeps one renderer per layout (fonts, parsed stylesheets, the Word reference, decoded
images) for every document it renders: a document must come out exactly as a fresh renderer makes it,
whatever was rendered before it.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PillowImage
from pypdf import PdfReader
from test_render_pdf import letter

from keycities.compose.blocks import Chart, Document, Image, Paragraph, Run
from keycities.compose.charts import CHART_FONT_FAMILY, Bar, ranked_bars
from keycities.errors import RenderError
from keycities.render.docx import DocxRenderer
from keycities.render.html import PACKAGE_ASSETS
from keycities.render.pdf import PdfRenderer
from keycities.render.pool import render_document

ROOT = Path(__file__).resolve().parents[2]
PRINT_CSS = ROOT / "templates" / "print.css"
REFERENCE = ROOT / "templates" / "reference.docx"
FOLDERS = (PACKAGE_ASSETS, ROOT / "templates", ROOT / "assets")
MEMBERS = ("Wakefield", "Southend-on-Sea", "Wolverhampton")
AXIS = "GVA per filled job, 2017, members of the group"


def chart_letter(highlight: str = "Wakefield") -> Document:
    images = ranked_bars(
        [Bar(name, 40_000 + 5_000 * index, f"£{40 + 5 * index},000") for index, name in enumerate(MEMBERS)],
        highlight,
        Bar("England", 45_000, "£45,000"),
        AXIS,
        lambda value: f"£{value:,.0f}",
    )
    alt = "Bar chart of GVA per filled job"
    chart = Chart(
        svg=Image(images.svg, "image/svg+xml", alt, images.width_mm),
        png=Image(images.png, "image/png", alt, images.width_mm),
        caption="GVA per filled job",
    )
    return letter(body=(chart,))


def png(colour: tuple[int, int, int], size: tuple[int, int] = (60, 20), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    PillowImage.new(mode, size, colour if mode == "RGB" else (*colour, 128)).save(out, format="PNG")
    return out.getvalue()


def with_logo(document: Document, colour: tuple[int, int, int], mode: str = "RGB") -> Document:
    logo = Image(png(colour, mode=mode), "image/png", f"Logo {colour}", 35)
    return replace(document, letterhead=replace(document.letterhead, logo=logo))


def fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
        for xobject in page["/Resources"].get("/XObject", {}).values():
            resources = xobject.get_object().get("/Resources", {})
            for font in resources.get("/Font", {}).values():
                names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def image_colours(pdf: bytes) -> list[Any]:
    """The colour of the top-left pixel of each raster image of the first page."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [image.image.convert("RGB").getpixel((0, 0)) for image in page.images]


# ---- Charts' text ----------------------------------------------------------------------------------


def test_chart_text_is_text_in_the_pdf() -> None:
    pdf, _ = PdfRenderer(FOLDERS, PRINT_CSS).render(chart_letter())
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for words in (*MEMBERS, AXIS, "England: £45,000", "£20,000"):
        assert words in text


def test_chart_svg_names_only_the_charts_family_and_dejavu() -> None:
    svg = chart_letter().blocks[4]
    assert isinstance(svg, Chart)
    source = svg.svg.data.decode()
    assert "<text" in source and '<path id="DejaVuSans' not in source
    assert source.count("font-family:") == source.count(f"font-family: '{CHART_FONT_FAMILY}', 'DejaVu Sans'")


def test_chart_text_is_in_the_bundled_font_under_the_charts_family() -> None:
    pdf, _ = PdfRenderer(FOLDERS, PRINT_CSS).render(chart_letter())
    dashed = CHART_FONT_FAMILY.replace(" ", "-")
    # Only the renderer's own @font-face rules, from the package's DejaVu Sans files, define this family.
    assert {dashed, f"{dashed}-Bold"} <= fonts(pdf)
    assert fonts(pdf) <= {"Carlito", "Carlito-Bold", dashed, f"{dashed}-Bold"}


def test_charts_come_out_the_same_with_no_system_fonts_at_all(tmp_path: Path) -> None:
    document = chart_letter()
    expected, _ = PdfRenderer(FOLDERS, PRINT_CSS).render(document)
    (tmp_path / "document.pickle").write_bytes(pickle.dumps(document))
    (tmp_path / "fonts.conf").write_text(
        f'<?xml version="1.0"?>\n<fontconfig><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>\n'
    )
    script = (
        "import pickle, sys; from pathlib import Path\n"
        "from keycities.render.html import PACKAGE_ASSETS\n"
        "from keycities.render.pdf import PdfRenderer\n"
        "folder, root = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "document = pickle.loads((folder / 'document.pickle').read_bytes())\n"
        "renderer = PdfRenderer((PACKAGE_ASSETS, root / 'templates', root / 'assets'), "
        "root / 'templates' / 'print.css')\n"
        "(folder / 'out.pdf').write_bytes(renderer.render(document)[0])\n"
    )
    environment = os.environ | {"FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(ROOT)], check=True, env=environment, timeout=120
    )
    assert (tmp_path / "out.pdf").read_bytes() == expected


# ---- What a renderer keeps between documents ----------------------------------------------------


def test_a_pdf_renderer_gives_each_document_its_own_images() -> None:
    red = with_logo(letter(), (200, 0, 0))
    blue = with_logo(chart_letter(), (0, 0, 200), mode="RGBA")
    shared = PdfRenderer(FOLDERS, PRINT_CSS)
    outputs = [shared.render(document)[0] for document in (red, blue, red, blue)]
    assert outputs[0] == outputs[2] == PdfRenderer(FOLDERS, PRINT_CSS).render(red)[0]
    assert outputs[1] == outputs[3] == PdfRenderer(FOLDERS, PRINT_CSS).render(blue)[0]
    assert image_colours(outputs[0])[0] == (200, 0, 0)
    assert image_colours(outputs[1])[0] == (0, 0, 200)


def test_an_image_that_fails_fails_every_document_it_is_in() -> None:
    renderer = PdfRenderer(FOLDERS, PRINT_CSS)
    broken = replace(
        letter(), letterhead=replace(letter().letterhead, logo=Image(b"x", "image/png", "L", 30))
    )
    for _ in range(2):
        with pytest.raises(RenderError, match="Failed to load image"):
            renderer.render(broken)
    assert renderer.render(letter())[0] == PdfRenderer(FOLDERS, PRINT_CSS).render(letter())[0]


def test_a_worker_keeps_each_stylesheet_to_its_own_documents(tmp_path: Path) -> None:
    plain = tmp_path / "templates" / "print.css"
    plain.parent.mkdir()
    plain.write_text(PRINT_CSS.read_text())
    wide = tmp_path / "templates" / "wide.css"
    wide.write_text(PRINT_CSS.read_text() + "\n@page { margin: 5mm; }\np { font-size: 20pt; }\n")
    folders = (PACKAGE_ASSETS, tmp_path / "templates")
    first = with_logo(letter(), (0, 120, 0))
    second = with_logo(replace(letter(), title="Another letter"), (120, 0, 120))
    results = [
        render_document(document, css, REFERENCE, ("pdf", "docx"), folders)
        for document, css in ((first, plain), (second, wide), (first, plain), (second, wide))
    ]
    assert results[0] == results[2] and results[1] == results[3]
    for result, document, css in ((results[0], first, plain), (results[1], second, wide)):
        assert not isinstance(result, str)
        assert result["pdf"][0] == PdfRenderer(folders, css).render(document)[0]
        assert result["docx"][0] == DocxRenderer(REFERENCE).render(document)[0]
    assert not isinstance(results[0], str) and not isinstance(results[1], str)
    assert results[0]["pdf"][0] != results[1]["pdf"][0]


def test_a_word_renderer_starts_every_document_from_the_reference() -> None:
    shared = DocxRenderer(REFERENCE)
    first = with_logo(letter(), (200, 0, 0))
    second = replace(
        with_logo(chart_letter(), (0, 0, 200)), blocks=(Paragraph((Run("Only this."),)),), title="Short"
    )
    outputs = [shared.render(document)[0] for document in (first, second, first)]
    assert outputs[0] == outputs[2] == DocxRenderer(REFERENCE).render(first)[0]
    assert outputs[1] == DocxRenderer(REFERENCE).render(second)[0]
    import docx

    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(outputs[1])).paragraphs)
    assert "Only this." in text and "Dear Chancellor" not in text
