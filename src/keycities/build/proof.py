"""The proof page, out/index.html: the mail-out's checklist. One row per document (a letter for one recipient,
a letter's enclosure, a pack, a letter's combined file) with its recipient or member, salutation, email
address, whether it was mailed, its warnings, links to its files and a thumbnail of its first page; the
build's warnings above, the data's notices below. Plain HTML with relative links and an inline script
(proof_script.py) to sort and filter, so it works when opened from disk, and without the script.

The build writes it (pipeline.py) and the mail stage writes it again when the ledger changes
(`rewrite_proof_page`), from the manifest and the notes the build kept there: build never reads the
ledger itself, it is given each document's mail status (`mailed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from keycities.build.approvals import APPROVALS, approval_statuses
from keycities.build.files import write_atomic
from keycities.build.manifest import MANIFEST, ManifestRecord, ProofNotes, read_manifest, read_proof_notes
from keycities.build.proof_script import SCRIPT, STYLE
from keycities.build.thumbnails import Thumbnail, thumbnails
from keycities.errors import KeyCitiesError

PAGE = "index.html"

# The mail ledger's file in the output folder (mail/ledger.py), named here so the page can say whether one
# exists: the build never opens it.
MAIL_LEDGER = "mail-ledger.sqlite"

# A document's path -> what the ledger says of it ("sent 2026-12-01 14:03 UTC", "awaiting confirmation"...)
Mailed = Mapping[str, str]

# Given the output folder and the manifest's records, each letter's mail status (the mail stage's answer).
MailedLookup = Callable[[Path, list[ManifestRecord]], Mailed]

KINDS = {"letter": "letter", "briefing": "pack", "combined": "all letters", "enclosure": "enclosure"}
KIND_VALUES = {"letter": "letter", "briefing": "pack", "combined": "combined", "enclosure": "enclosure"}
STATUSES = {  # the filter's values, by the first word of a status
    "sent": "sent",
    "awaiting": "awaiting",
    "queued": "queued",
    "failed": "failed",
    "refused": "failed",
}
STATUS_CHOICES = (
    ("sent", "sent"),
    ("awaiting", "awaiting confirmation"),
    ("queued", "queued"),
    ("failed", "failed or refused"),
    ("not-mailed", "not mailed"),
)
SORTS = {  # sortable columns: (key, heading, numeric)
    "document": ("Document", False),
    "recipient": ("Recipient or member", False),
    "salutation": ("Salutation", False),
    "email": ("Email", False),
    "approved": ("Approved", False),
    "mailed": ("Mailed", False),
    "warnings": ("Warnings", True),
}


UNCOUNTED = ("approved", "not approved", "mailed", "with warnings")  # summary words without a plural


@dataclass(frozen=True)
class Row:
    """One document on the page: its records (one per format) and what is shown of it."""

    formats: list[ManifestRecord]
    mailed: str
    thumbnail: Thumbnail | None  # None: no PDF was built
    approved: str = "not known"  # by whom and when, or why not (approvals.yaml)

    @property
    def first(self) -> ManifestRecord:
        return min(self.formats, key=lambda record: record.format)

    @property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys(warning for record in self.formats for warning in record.warnings))

    @property
    def status(self) -> str:
        """The mail status's filter value: sent, awaiting, queued, failed, not-mailed, unknown or none."""
        if self.first.kind != "letter":
            return "none"
        if self.mailed.startswith("not known"):
            return "unknown"
        return STATUSES.get(self.mailed.split(" ", 1)[0].rstrip(":,"), "not-mailed")


def write_proof_page(
    out: Path,
    records: Iterable[ManifestRecord],
    notes: ProofNotes,
    mailed: Mailed | None = None,
    project: Path | None = None,
) -> None:
    """Write out/index.html atomically, drawing the thumbnails that are missing or out of date; with the
    project's folder, each document's approval from its approvals.yaml."""
    records = list(records)
    approved: Mapping[str, str] | None = None
    if project is not None:
        try:
            approved = approval_statuses(project, records)
        except KeyCitiesError as error:  # the page still shows the documents; it says why not this
            problem = f"the proof page does not show the approvals: {APPROVALS}: {error}"
            notes = notes.model_copy(update={"warnings": [*notes.warnings, problem]})
    ledger = (out / MAIL_LEDGER).exists()
    html = proof_page(records, notes, mailed, thumbnails(out, records), ledger, approved)
    write_atomic(out / PAGE, html.encode())


def rewrite_proof_page(out: Path, mailed: Mailed, project: Path | None = None) -> bool:
    """Write the proof page again from the manifest, with each letter's mail status (and, with the
    project's folder, each document's approval); False when there is no manifest to write it from."""
    if not (out / MANIFEST).is_file():
        return False
    records, warnings = read_manifest(out)
    notes = read_proof_notes(out) or ProofNotes(title="Documents to check", warnings=[], notices=[])
    notes = notes.model_copy(update={"warnings": [*notes.warnings, *warnings]})
    write_proof_page(out, records.values(), notes, mailed, project)
    return True


def proof_page(
    records: Iterable[ManifestRecord],
    notes: ProofNotes,
    mailed: Mailed | None,
    thumbs: Mapping[str, Thumbnail],
    ledger: bool = False,
    approved: Mapping[str, str] | None = None,
) -> str:
    """The HTML of the proof page. `mailed` None: the ledger was not read (`ledger`: whether one exists);
    `approved` None: the approvals were not read."""
    documents: dict[tuple[str, str], list[ManifestRecord]] = {}
    for record in sorted(records, key=lambda record: record.path):
        documents.setdefault((record.collection, record.target), []).append(record)
    rows = [
        Row(
            formats,
            _mailed(formats, mailed, ledger),
            _thumbnail_of(formats, thumbs),
            _approved(formats, approved),
        )
        for formats in documents.values()
    ]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = "the mail ledger" if mailed is not None else "the build (the ledger was not read)"
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            "<style>{style}</style></head><body><h1>{title}</h1>{summary}<p>Listed {now}; mail status from "
            "{source}. Open each document before it is sent: figures and warnings are as recorded in "
            'manifest.json.</p><h2 id="warnings">Warnings</h2>{warnings}<h2 id="documents-heading">Documents'
            '</h2>{filters}{table}<h2 id="notices">Data notices</h2><p>Claims the group has published '
            "that the data does not bear out, with the reasons they differ.</p>{notices}"
            "<script>{script}</script></body></html>\n"
        ).format(
            title=notes.title,
            style=Markup(STYLE),
            summary=_summary(rows),
            now=now,
            source=source,
            warnings=_list(notes.warnings, "warning-list") if notes.warnings else Markup("<p>None.</p>"),
            filters=_filters(len(rows)),
            table=_table(rows),
            notices=_list(notes.notices, "notice-list") if notes.notices else Markup("<p>None.</p>"),
            script=Markup(SCRIPT),
        )
    )


def _mailed(formats: list[ManifestRecord], mailed: Mailed | None, ledger: bool) -> str:
    first = formats[0]
    if first.kind != "letter":
        return "-"
    if mailed is None:
        return "not known: see `generate.py mail status`" if ledger else "not mailed"
    for record in formats:
        if record.path in mailed:
            return mailed[record.path]
    return "not mailed" if first.email else "not mailed: no email address"


def _approved(formats: list[ManifestRecord], approved: Mapping[str, str] | None) -> str:
    """The document's approval: one line when its files agree, else one per format (`PDF: ...`)."""
    if approved is None:
        return "not known"
    by_format = {
        record.format.upper(): approved[record.path] for record in formats if record.path in approved
    }
    if len(set(by_format.values())) == 1:
        return next(iter(by_format.values()))
    return "; ".join(f"{name}: {status}" for name, status in sorted(by_format.items())) or "not known"


def _thumbnail_of(formats: list[ManifestRecord], thumbs: Mapping[str, Thumbnail]) -> Thumbnail | None:
    pdf = next((record for record in formats if record.format == "pdf"), None)
    if pdf is None:
        return None
    return thumbs.get(pdf.path, Thumbnail(None, "no thumbnail"))


def _summary(rows: list[Row]) -> Markup:
    kinds = Counter(row.first.kind for row in rows)
    counts = [
        ("documents", len(rows), "document"),
        ("letters", kinds["letter"], "letter"),
        ("packs", kinds["briefing"], "pack"),
        ("approved", sum(row.approved.startswith("approved") for row in rows), "approved"),
        ("not-approved", sum(not row.approved.startswith("approved") for row in rows), "not approved"),
        ("mailed", sum(row.status == "sent" for row in rows), "mailed"),
        ("warnings", sum(bool(row.warnings) for row in rows), "with warnings"),
    ]
    items = Markup("").join(
        Markup('<li data-count="{}"><strong>{}</strong> {}</li>').format(
            key, number, word if word in UNCOUNTED or number == 1 else f"{word}s"
        )
        for key, number, word in counts
    )
    return Markup('<ul id="summary" aria-label="Summary">{}</ul>').format(items)


def _filters(total: int) -> Markup:
    kinds = Markup("").join(
        Markup('<option value="{}">{}</option>').format(value, label)
        for value, label in (
            ("letter", "letters"),
            ("enclosure", "enclosures"),
            ("pack", "packs"),
            ("combined", "all letters"),
        )
    )
    statuses = Markup("").join(
        Markup('<option value="{}">{}</option>').format(value, label) for value, label in STATUS_CHOICES
    )
    return Markup(
        '<form id="filters" role="search" aria-label="Filter the documents" hidden>'
        '<label for="filter-text">Filter by any text<input id="filter-text" type="search" '
        'autocomplete="off"></label><label for="filter-kind">Kind<select id="filter-kind">'
        '<option value="">all</option>{kinds}</select></label><label for="filter-status">Mail status'
        '<select id="filter-status"><option value="">any</option>{statuses}</select></label>'
        '<label class="check" for="filter-warnings"><input id="filter-warnings" type="checkbox">'
        "only those with warnings</label></form>"
        '<p id="shown" role="status" aria-live="polite">{total} document{s} listed</p>'
    ).format(kinds=kinds, statuses=statuses, total=total, s="" if total == 1 else "s")


def _table(rows: list[Row]) -> Markup:
    headings = Markup('<th scope="col">First page</th>') + Markup("").join(
        Markup('<th scope="col" data-sort="{}"{}>{}</th>').format(
            key, Markup(' data-type="number"') if numeric else "", heading
        )
        for key, (heading, numeric) in SORTS.items()
    )
    headings += Markup('<th scope="col">Files</th>')
    return Markup(
        '<table id="documents"><caption>One row per document: check each, then mail the letters. '
        "With scripts on, a column heading's button sorts by it.</caption><thead><tr>{}</tr></thead>"
        "<tbody>{}</tbody></table>"
    ).format(headings, Markup("").join(_row(row) for row in rows))


def _row(row: Row) -> Markup:
    first = row.first
    who = first.holder or first.member_name or first.target
    kind = KINDS[first.kind]
    email = first.email or ("none" if first.kind == "letter" else "-")
    salutation = first.salutation or "-"
    warnings = row.warnings
    searchable = " ".join(
        [kind, first.collection, first.target, who, salutation, email, row.approved, row.mailed, *warnings]
    ).lower()
    return Markup(
        '<tr data-kind="{kind_value}" data-status="{status}" data-warnings="{count}" data-text="{text}">'
        "<td>{thumbnail}</td>"
        '<td data-key="document" data-sort="{document}">{kind} <b>{collection}</b><br><small>{target}</small>'
        "{figures}</td>"
        '<th scope="row" data-key="recipient" data-sort="{who}">{who}</th>'
        '<td data-key="salutation" data-sort="{salutation}">{salutation}</td>'
        '<td data-key="email" data-sort="{email}">{email}</td>'
        '<td data-key="approved" data-sort="{approved}" class="{approval}">{approved}</td>'
        '<td data-key="mailed" data-sort="{mailed}" class="{status}">{mailed}</td>'
        '<td data-key="warnings" data-sort="{count}" class="warn">{warnings}</td>'
        "<td>{links}</td></tr>"
    ).format(
        kind_value=KIND_VALUES[first.kind],
        status=row.status,
        count=len(warnings),
        text=searchable,
        thumbnail=_image(row, first),
        document=f"{kind} {first.collection} {first.target}",
        kind=kind,
        collection=first.collection,
        target=first.target,
        figures=_figures(first),
        who=who,
        salutation=salutation,
        email=email,
        approved=row.approved,
        approval="approved" if row.approved.startswith("approved") else "unapproved",
        mailed=row.mailed,
        warnings=_list(warnings) if warnings else Markup("none"),
        links=_links(row.formats),
    )


def _image(row: Row, first: ManifestRecord) -> Markup:
    if row.thumbnail is None:
        return Markup("<small>No PDF built (Word only), so no thumbnail.</small>")
    if row.thumbnail.href is None:
        return Markup("<small>{}</small>").format(row.thumbnail.why)
    return Markup(
        '<img class="thumbnail" src="{}" width="150" alt="First page of {}" loading="lazy">'
    ).format(row.thumbnail.href, first.title)


def _links(formats: list[ManifestRecord]) -> Markup:
    links = []
    for record in sorted(formats, key=lambda record: record.format):
        pages = f", {record.pages} page{'s' if record.pages != 1 else ''}" if record.pages else ""
        links.append(
            Markup('<li><a href="{}">{}</a>{}</li>').format(record.path, record.format.upper(), pages)
        )
    return Markup('<ul class="files">{}</ul>').format(Markup("").join(links))


def _figures(record: ManifestRecord) -> Markup:
    figures = record.figures
    if not figures:
        return Markup("")
    items = Markup("").join(
        Markup("<li>{}: {} <small>({})</small></li>").format(
            figure.label, figure.shown or "not available", ", ".join(figure.sources) or "cities.yaml"
        )
        for figure in figures
    )
    return Markup('<details class="figures"><summary>{} figures</summary><ul>{}</ul></details>').format(
        len(figures), items
    )


def _list(items: list[str], identifier: str | None = None) -> Markup:
    if not items:
        return Markup("")
    named = Markup(' id="{}"').format(identifier) if identifier else Markup("")
    return Markup("<ul{}>{}</ul>").format(
        named, Markup("").join(Markup("<li>{}</li>").format(i) for i in items)
    )
