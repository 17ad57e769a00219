"""Markdown (after Jinja has filled it) to content blocks; and the escaping that keeps data literal.

Raw HTML is off: `<b>` in a letter or in data is text, never markup. Data placed into Markdown is
backslash-escaped, so a recipient named `**May**` prints with its asterisks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from keycities.compose.blocks import Block, Cell, Chart, Heading, ListBlock, PageBreak, Paragraph, Run, Table

# A source-note reference inside text: private-use characters that data can never contain (clean removes
# them), so the marker survives Markdown untouched and cannot be forged.
NOTE_OPEN, NOTE_CLOSE = "\ue000", "\ue001"


NOTE = re.compile(f"{NOTE_OPEN}(\\d+){NOTE_CLOSE}")


# A chart placed by a template: a paragraph of its own holding only this marker.
CHART_OPEN, CHART_CLOSE = "\ue002", "\ue003"


CHART = re.compile(f"{CHART_OPEN}(\\d+){CHART_CLOSE}")


# A passage in English inside a document in another language (`InEnglish`): its runs carry lang en-GB.
ENGLISH_OPEN, ENGLISH_CLOSE = "\ue004", "\ue005"


ENGLISH = re.compile(f"([{ENGLISH_OPEN}{ENGLISH_CLOSE}])")


# Characters python-docx cannot store and WeasyPrint garbles, plus the note and language markers.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff\ue000-\ue005]")


ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


_parser = MarkdownIt("commonmark", {"html": False}).enable("table")


class InEnglish(str):
    """Text left in English in a document in another language (a Welsh pack's `english_fallback`):
    placed as a passage marked as English, for the reader and for screen readers."""


def english_passage(markdown: str) -> str:
    """Escaped Markdown marked as English: its runs carry the language en-GB."""
    return f"{ENGLISH_OPEN}{markdown}{ENGLISH_CLOSE}"


def clean(text: str) -> str:
    """Text without characters either renderer cannot carry."""
    return UNSAFE.sub("", text)


def escape(text: str) -> str:
    """Data made literal inside Markdown: cleaned, on one line, every punctuation mark backslashed."""
    return ASCII_PUNCTUATION.sub(r"\\\1", clean(text).replace("\r", " ").replace("\n", " "))


def to_html(markdown: str) -> str:
    """Markdown as HTML (an email's HTML part): raw HTML is text, and unsafe links (javascript:...) are not
    made links."""
    return str(_parser.render(markdown))


def note_marker(number: int) -> str:
    """The in-text reference to source note `number`."""
    return f"{NOTE_OPEN}{number}{NOTE_CLOSE}"


def chart_marker(index: int) -> str:
    """The placeholder for chart `index` of a document, replaced by the chart itself."""
    return f"{CHART_OPEN}{index}{CHART_CLOSE}"


def to_blocks(markdown: str, charts: Sequence[Chart] = ()) -> tuple[Block, ...]:
    """Parse filled-in Markdown into blocks: headings, paragraphs, lists, tables, quotes, charts, breaks."""
    return tuple(_blocks(_parser.parse(markdown), charts))


def _blocks(tokens: list[Token], charts: Sequence[Chart]) -> Iterator[Block]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            yield Heading(min(int(token.tag[1]), 3), runs(tokens[index + 1]))
            index += 3
        elif token.type == "paragraph_open":
            chart = CHART.fullmatch(tokens[index + 1].content.strip())
            yield charts[int(chart.group(1))] if chart else Paragraph(runs(tokens[index + 1]))
            index += 3
        elif token.type in {"bullet_list_open", "ordered_list_open"}:
            end = _closing(tokens, index)
            items = tuple(runs(item) for item in tokens[index:end] if item.type == "inline")
            yield ListBlock(token.type == "ordered_list_open", items)
            index = end + 1
        elif token.type == "blockquote_open":
            end = _closing(tokens, index)
            for inline in (item for item in tokens[index:end] if item.type == "inline"):
                yield Paragraph(runs(inline), role="quote")
            index = end + 1
        elif token.type == "table_open":
            end = _closing(tokens, index)
            yield _table(tokens[index:end])
            index = end + 1
        elif token.type == "hr":
            yield PageBreak()
            index += 1
        elif token.type in {"fence", "code_block"}:
            yield Paragraph((Run(clean(token.content.strip())),))
            index += 1
        else:
            index += 1


def _closing(tokens: list[Token], start: int) -> int:
    """The index of the token that closes the one at `start`."""
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


def _table(tokens: list[Token]) -> Table:
    """A pipe table: header cells as plain text, body cells as runs that keep their note references."""
    rows: list[list[Cell]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            rows[-1].append(runs(token))
    header, *body = rows or [[]]
    return Table("", tuple(plain(cell) for cell in header), tuple(tuple(row) for row in body))


def runs_of_text(text: str) -> tuple[Run, ...]:
    """One line of Markdown (emphasis, note references) as runs."""
    tokens = _parser.parseInline(text)
    return runs(tokens[0]) if tokens else ()


def plain(text_runs: tuple[Run, ...]) -> str:
    """The text of runs, with note references as bracketed numbers (for places without superscript)."""
    return "".join(run.text + (f" [{run.note}]" if run.note else "") for run in text_runs)


def runs(inline: Token) -> tuple[Run, ...]:
    """The runs of an inline token: text with bold and italic, and note references."""
    result: list[Run] = []
    bold = italic = False
    language: list[str | None] = [None]  # changed by the English markers met so far
    for child in inline.children or []:
        if child.type == "strong_open" or child.type == "strong_close":
            bold = child.type == "strong_open"
        elif child.type == "em_open" or child.type == "em_close":
            italic = child.type == "em_open"
        elif child.type in {"text", "code_inline"}:
            result += _with_languages(child.content, bold, italic, language)
        elif child.type in {"softbreak", "hardbreak"}:
            result.append(Run(" ", bold, italic, language=language[0]))
        elif child.type == "link_open":
            continue  # the link's text follows as text; the address is not printed
    return _merged(result)


def _with_languages(text: str, bold: bool, italic: bool, language: list[str | None]) -> Iterator[Run]:
    """The runs of a text, switching to English at ENGLISH_OPEN and back at ENGLISH_CLOSE."""
    for piece in ENGLISH.split(text):
        if piece in (ENGLISH_OPEN, ENGLISH_CLOSE):
            language[0] = "en-GB" if piece == ENGLISH_OPEN else None
        elif piece:
            yield from _with_notes(piece, bold, italic, language[0])


def _with_notes(text: str, bold: bool, italic: bool, language: str | None) -> Iterator[Run]:
    position = 0
    for match in NOTE.finditer(text):
        yield Run(text[position : match.start()], bold, italic, int(match.group(1)), language)
        position = match.end()
    if position < len(text):
        yield Run(text[position:], bold, italic, language=language)


def _merged(result: list[Run]) -> tuple[Run, ...]:
    """Adjacent runs of the same look joined, so renderers see few runs."""
    merged: list[Run] = []
    for run in result:
        previous = merged[-1] if merged else None
        same_look = (previous.bold, previous.italic, previous.language) if previous else None
        if previous and previous.note is None and same_look == (run.bold, run.italic, run.language):
            merged[-1] = Run(previous.text + run.text, run.bold, run.italic, run.note, run.language)
        else:
            merged.append(run)
    return tuple(merged)
