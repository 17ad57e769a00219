"""Build documents: plan the jobs, skip what has not changed, render in worker processes, write atomically.

Every job is keyed by a hash of everything it depends on (data, its recipient or member, its letter,
templates, assets, fonts and the tool's version). A document that fails is reported and its previous
output kept; the others are built. The manifest is written last.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

from keycities import __version__
from keycities.compose import Composed
from keycities.document import Document
from keycities.errors import BuildError, KeyCitiesError
from keycities.figures import Figure
from keycities.formatting import Formatter
from keycities.letters import select
from keycities.output import (
    Lock,
    ManifestEntry,
    file_sha256,
    read_manifest,
    sha256,
    write_atomic,
    write_manifest,
)
from keycities.project import Project
from keycities.recipients import Addressee, stale_warning

Format = Literal["pdf", "docx"]
FORMATS: tuple[Format, ...] = ("pdf", "docx")
PACKAGE_ASSETS = Path(__file__).parent / "assets"


@dataclass(frozen=True)
class Selection:
    """Which documents to build; None means all."""

    letters: bool = True
    briefings: bool = True
    letter: str | None = None
    recipient: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class Job:
    """One document to build: a letter for a recipient, or a member's briefing pack."""

    kind: Literal["letter", "briefing"]
    collection: str  # the letter's name, or "briefings"
    target: str  # the recipient id, or the member slug (with `.cy` for a Welsh pack)
    css: Path
    reference: Path
    key: str  # hash of every input
    compose: Callable[[], Composed]
    warnings: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()  # recorded in the manifest: recipient, email, member...

    @property
    def label(self) -> str:
        """`cities-in-action/prime-minister` or `briefings/wakefield`."""
        return f"{self.collection}/{self.target}"

    def relative_path(self, file_format: Format) -> str:
        """Where the output goes, relative to the output folder."""
        folder = "briefings" if self.kind == "briefing" else f"letters/{self.collection}"
        return f"{folder}/{self.target}.{file_format}"


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (document, reason)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[int, int, str, str], None]  # (done, total, document, status)


def plan_letters(project: Project, selection: Selection) -> list[Job]:
    """A job per letter and recipient it goes to, filtered by the selection."""
    if selection.letter and selection.letter not in project.letters:
        raise BuildError(
            f"no letter named '{selection.letter}'; letters: {', '.join(sorted(project.letters))}"
        )
    common = inputs_hash(project.folder, ["cities.yaml"])
    jobs = []
    for name, letter in sorted(project.letters.items()):
        if selection.letter and name != selection.letter:
            continue
        sources = [str(letter.body.file), *(str(body.file) for body in letter.variant_bodies.values())]
        layout = [f"templates/{letter.front.template.css}", f"templates/{letter.front.template.docx}"]
        letter_hash = inputs_hash(project.folder, sources + layout)
        chosen = select(letter, project.addressees)
        if selection.recipient:
            chosen = [addressee for addressee in chosen if addressee.record.id == selection.recipient]
        for addressee in chosen:
            warnings = tuple(
                w for w in (stale_warning(addressee, letter.front.date), _unverified(addressee)) if w
            )
            jobs.append(
                Job(
                    kind="letter",
                    collection=name,
                    target=addressee.record.id,
                    css=project.folder / layout[0],
                    reference=project.folder / layout[1],
                    key=_digest(common, letter_hash, addressee.record.model_dump_json()),
                    compose=partial(project.composer.letter, letter, addressee),
                    warnings=warnings,
                    details=(
                        ("recipient", addressee.record.id),
                        ("email", addressee.record.email or ""),
                        ("holder", addressee.address_lines[0]),
                        ("salutation", addressee.salutation),
                        ("language", letter.front.language),
                    ),
                )
            )
    if selection.recipient and not jobs:
        raise BuildError(
            f"no letter goes to recipient '{selection.recipient}'; check the id in the recipients "
            "file and the letter's 'to:'"
        )
    return jobs


def plan_briefings(project: Project, selection: Selection) -> list[Job]:
    """A job per member and language (Welsh too where the member supplies Welsh text)."""
    if selection.city and selection.city not in project.campaign.members:
        raise BuildError(f"no member '{selection.city}'; members: {', '.join(project.campaign.members)}")
    common = inputs_hash(
        project.folder,
        [
            "cities.yaml",
            "templates/briefing.md",
            "templates/briefing.cy.md",
            "templates/print.css",
            "templates/reference.docx",
        ],
    )
    jobs = []
    for slug in project.campaign.members:
        if selection.city and slug != selection.city:
            continue
        own = project.folder / "templates" / slug
        css = own / "print.css" if (own / "print.css").is_file() else project.folder / "templates/print.css"
        reference = (
            own / "reference.docx"
            if (own / "reference.docx").is_file()
            else (project.folder / "templates/reference.docx")
        )
        member_files = [
            str(path.relative_to(project.folder))
            for folder in (own, project.folder / "cities")
            if folder.is_dir()
            for path in folder.rglob("*")
            if path.is_file() and (folder == own or path.name.split(".")[0] == slug)
        ]
        key = _digest(common, inputs_hash(project.folder, member_files))
        for language in project.briefings.languages(slug):
            jobs.append(
                Job(
                    kind="briefing",
                    collection="briefings",
                    target=slug if language == "en-GB" else f"{slug}.cy",
                    css=css,
                    reference=reference,
                    key=_digest(key, language),
                    compose=partial(project.briefings.briefing, slug, language),
                    details=(("member", slug), ("language", language)),
                )
            )
    return jobs


def _unverified(addressee: Addressee) -> str | None:
    if not addressee.record.verify:
        return None
    return (
        f"{addressee.source}: {addressee.record.id}: the holder ({addressee.record.name}) is not confirmed "
        "from a source; check it, then remove 'verify: true'"
    )


def inputs_hash(folder: Path, relative_files: Iterable[str]) -> str:
    """A hash of the named project files, the project's assets, the package's assets and the version."""
    digest = hashlib.sha256(__version__.encode())
    files = sorted(set(relative_files))
    for relative in files:
        digest.update(relative.encode() + b"\0" + (_read(folder / relative)) + b"\0")
    for root in (folder / "assets", PACKAGE_ASSETS):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + _read(path) + b"\0")
    return digest.hexdigest()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def build(
    project: Project,
    jobs: list[Job],
    out: Path,
    formats: Sequence[Format],
    workers: int,
    force: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the jobs into `out`, skipping unchanged ones; the manifest is written last."""
    started = time.perf_counter()
    report = BuildReport()
    out.mkdir(parents=True, exist_ok=True)
    with Lock(out):
        previous = read_manifest(out)
        entries: dict[str, ManifestEntry] = {}
        pending: list[tuple[Job, Composed]] = []
        done = 0

        def finished(job: Job, status: str, reason: str | None = None) -> None:
            nonlocal done
            done += 1
            getattr(report, status).append((job.label, reason) if reason is not None else job.label)
            if status == "failed":  # the previous output stays, and so does its record
                entries.update({path: previous[path] for path in _paths(job, formats) if path in previous})
            if progress:
                progress(done, len(jobs), job.label, status)

        for job in jobs:
            report.warnings += job.warnings
            kept = None if force else _unchanged(job, formats, previous, out)
            if kept is not None:
                entries.update(kept)
                finished(job, "skipped")
                continue
            try:
                pending.append((job, job.compose()))
            except KeyCitiesError as error:
                finished(job, "failed", str(error))
        for job, composed, result in _render_all(pending, formats, workers, project.folder):
            if isinstance(result, str):
                finished(job, "failed", result)
                continue
            built_at = datetime.now(UTC).isoformat(timespec="seconds")
            for file_format, (data, pages) in result.items():
                relative = job.relative_path(file_format)
                write_atomic(out / relative, data)
                entries[relative] = _entry(
                    job, composed, file_format, relative, data, pages, built_at, project
                )
            finished(job, "built")
        kept_elsewhere = {
            path: entry
            for path, entry in previous.items()
            if path not in entries
            and path not in {p for job in jobs for p in _paths(job, FORMATS)}
            and (out / path).exists()
        }
        report.seconds = time.perf_counter() - started
        write_manifest(out, kept_elsewhere | entries, {"version": __version__})
    return report


def _paths(job: Job, formats: Iterable[Format]) -> list[str]:
    return [job.relative_path(file_format) for file_format in formats]


def _unchanged(
    job: Job, formats: Sequence[Format], previous: dict[str, ManifestEntry], out: Path
) -> dict[str, ManifestEntry] | None:
    """The previous entries when every output exists, is as recorded, and was built from the same inputs."""
    kept = {}
    for path in _paths(job, formats):
        entry = previous.get(path)
        if entry is None or entry.get("inputs") != job.key or file_sha256(out / path) != entry.get("sha256"):
            return None
        kept[path] = entry
    return kept


def _entry(
    job: Job,
    composed: Composed,
    file_format: Format,
    relative: str,
    data: bytes,
    pages: int | None,
    built_at: str,
    project: Project,
) -> ManifestEntry:
    formatter = Formatter(project.campaign.data.group.money_style)
    return {
        "path": relative,
        "kind": job.kind,
        "collection": job.collection,
        "target": job.target,
        "format": file_format,
        "title": composed.document.title,
        "subject": composed.document.subject,
        "sha256": sha256(data),
        "bytes": len(data),
        "pages": pages,
        "inputs": job.key,
        "built": built_at,
        **dict(job.details),
        "figures": [_figure_record(figure, formatter) for figure in composed.figures],
        "warnings": list(job.warnings),
    }


def _figure_record(figure: Figure, formatter: Formatter) -> dict[str, Any]:
    return {
        "name": figure.name,
        "label": figure.label,
        "value": figure.value,
        "shown": formatter.figure(figure) if figure.value is not None else None,
        "sources": list(figure.sources),
        "coverage": str(figure.coverage) if figure.coverage else None,
    }


RenderResult = dict[Format, tuple[bytes, int | None]] | str
_renderers: dict[tuple[str, Path], Any] = {}  # per process: fonts and stylesheets parsed once


def render_document(
    document: Document, css: Path, reference: Path, formats: Sequence[Format], asset_dirs: tuple[Path, ...]
) -> RenderResult:
    """Render one document to each format, reusing this process's renderers; an error comes back as text."""
    from keycities.render.docx import DocxRenderer
    from keycities.render.pdf import PdfRenderer

    result: dict[Format, tuple[bytes, int | None]] = {}
    try:
        for file_format in formats:
            if file_format == "pdf":
                pdf = _renderers.get(("pdf", css))
                if pdf is None:
                    pdf = _renderers[("pdf", css)] = PdfRenderer(asset_dirs, css)
                result["pdf"] = pdf.render_with_pages(document)
            else:
                word = _renderers.get(("docx", reference))
                if word is None:
                    word = _renderers[("docx", reference)] = DocxRenderer(reference)
                result["docx"] = (word.render(document), None)
    except KeyCitiesError as error:
        return str(error)
    return result


def asset_folders(project_folder: Path) -> tuple[Path, ...]:
    """The folders a renderer may read: the package's assets, the project's templates and assets."""
    return (PACKAGE_ASSETS, project_folder / "templates", project_folder / "assets")


def _render_all(
    pending: list[tuple[Job, Composed]], formats: Sequence[Format], workers: int, project_folder: Path
) -> Iterator[tuple[Job, Composed, RenderResult]]:
    """Render every pending document, in worker processes when there is more than one worker."""
    assets = asset_folders(project_folder)
    if workers <= 1 or len(pending) <= 1:
        for job, composed in pending:
            yield job, composed, render_document(composed.document, job.css, job.reference, formats, assets)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(render_document, composed.document, job.css, job.reference, tuple(formats), assets): (
                job,
                composed,
            )
            for job, composed in pending
        }
        for future in as_completed(futures):
            job, composed = futures[future]
            yield job, composed, future.result()
