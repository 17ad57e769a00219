"""The proof page, out/index.html: every document with its formats, pages, figures and warnings, to check
before anything goes out. Plain HTML with relative links, so it works when opened from disk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from markupsafe import Markup

from keycities.build.manifest import ManifestRecord

STYLE = """
body { font-family: Carlito, Calibri, Arial, sans-serif; margin: 2rem; color: #1a1a1a; max-width: 80rem; }
h1 { color: #005e6e; } table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #ccc; padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8f0f1; } .warn { color: #8a4b00; } .figures { font-size: .9rem; }
ul { margin: 0; padding-left: 1.1rem; } details summary { cursor: pointer; }
"""


def proof_page(records: Iterable[ManifestRecord], warnings: list[str], title: str) -> str:
    """The HTML of the proof page, one row per document (its formats side by side)."""
    documents: dict[tuple[str, str], list[ManifestRecord]] = defaultdict(list)
    for record in records:
        documents[(record.collection, record.target)].append(record)
    rows = []
    for (collection, target), formats in sorted(documents.items()):
        first = min(formats, key=lambda record: record.format)
        who = first.holder or first.member_name or target
        links = Markup(" ").join(
            Markup('<a href="{}">{}</a>').format(record.path, record.format.upper())
            for record in sorted(formats, key=lambda record: record.format)
        )
        pages = next((record.pages for record in formats if record.pages), None)
        rows.append(
            Markup(
                "<tr><td>{kind}</td><td>{collection}</td><td>{who}<br><small>{target}</small></td><td>{links}</td>"
                "<td>{pages}</td><td class=figures>{figures}</td><td class=warn>{warnings}</td></tr>"
            ).format(
                kind=first.kind,
                collection=collection,
                who=who,
                target=target,
                links=links,
                pages=pages if pages is not None else "-",
                figures=_figures(first),
                warnings=_list(first.warnings),
            )
        )
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>'
            "<style>{style}</style></head><body><h1>{title}</h1><p>{count} documents, listed {built}. Open "
            "each document before it is sent; figures and warnings are as recorded in manifest.json.</p>"
            "<h2>Warnings</h2>{warnings}<h2>Documents</h2><table><thead><tr><th scope=col>Kind</th>"
            "<th scope=col>Letter or pack</th><th scope=col>Recipient or member</th><th scope=col>Files</th>"
            "<th scope=col>Pages</th><th scope=col>Figures used</th><th scope=col>Warnings</th></tr></thead>"
            "<tbody>{rows}</tbody></table></body></html>\n"
        ).format(
            title=title,
            style=Markup(STYLE),
            count=len(rows),
            built=built,
            warnings=_list(warnings) if warnings else Markup("<p>None.</p>"),
            rows=Markup("").join(rows),
        )
    )


def _figures(record: ManifestRecord) -> Markup:
    figures = record.figures
    if not figures:
        return Markup("-")
    items = Markup("").join(
        Markup("<li>{}: {} <small>({})</small></li>").format(
            figure.label, figure.shown or "not available", ", ".join(figure.sources) or "cities.yaml"
        )
        for figure in figures
    )
    return Markup("<details><summary>{} figures</summary><ul>{}</ul></details>").format(len(figures), items)


def _list(items: list[str]) -> Markup:
    if not items:
        return Markup("")
    return Markup("<ul>{}</ul>").format(Markup("").join(Markup("<li>{}</li>").format(item) for item in items))
