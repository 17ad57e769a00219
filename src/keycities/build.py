"""Build documents: plan the jobs, skip what has not changed, render in worker processes, write atomically.

Every job is keyed by a hash of everything it depends on (data, its recipient or member, its letter,
templates, assets, fonts and the tool's version). A document that fails is reported and its previous
output kept; the others are built. The manifest is written last.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

from keycities import __version__
from keycities.compose import Composed
from keycities.errors import BuildError, KeyCitiesError
from keycities.figures import Figure, reconcile
from keycities.formatting import Formatter
from keycities.letters import Letter, select, unmatched_variants
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
from keycities.proof import proof_page
from keycities.recipients import Addressee, stale_warning
from keycities.render.workers import Format, asset_folders, render_all, renderer
from keycities.report import claim_warnings

FORMATS: tuple[Format, ...] = ("pdf", "docx")


@dataclass(frozen=True)
class Selection:
    """Which documents to build: the kinds, and filters (None means all)."""

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
    removed: list[str] = field(default_factory=list)  # outputs of documents the data no longer defines
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[int, int, str, str], None]  # (done, total, document, status)


def plan_letters(project: Project, selection: Selection) -> list[Job]:
    """A job per letter and recipient it goes to, filtered by the selection."""
    if selection.letter and selection.letter not in project.letters:
        raise BuildError(
            f"no letter named '{selection.letter}'; letters: {', '.join(sorted(project.letters))}"
        )
    common = common_hash(project)
    jobs = []
    for name, letter in sorted(project.letters.items()):
        if selection.letter and name != selection.letter:
            continue
        sources = [str(letter.body.file), *(str(body.file) for body in letter.variant_bodies.values())]
        layout = [f"templates/{letter.front.template.css}", f"templates/{letter.front.template.docx}"]
        letter_hash = inputs_hash(project.folder, sources)
        chosen = select(letter, project.addressees)
        unused = tuple(unmatched_variants(letter, project.addressees))
        if selection.recipient:
            chosen = [addressee for addressee in chosen if addressee.record.id == selection.recipient]
        for position, addressee in enumerate(chosen):
            checks = (
                stale_warning(addressee, letter.front.date),
                _unverified(addressee),
                _welsh(addressee, letter),
            )
            warnings = (unused if position == 0 else ()) + tuple(warning for warning in checks if warning)
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
    common = common_hash(project)
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
        member_files += project.briefings.logos(slug)
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


def _welsh(addressee: Addressee, letter: Letter) -> str | None:
    """Welsh Language Standards: a recipient who prefers Welsh should get a Welsh text at the same time."""
    if addressee.record.language != "cy" or letter.front.language == "cy":
        return None
    return (
        f"{addressee.source}: {addressee.record.id} prefers Welsh, and letters/{letter.name}.md is in "
        "English; send a Welsh version at the same time (a letter with `language: cy`)"
    )


def _unverified(addressee: Addressee) -> str | None:
    if not addressee.record.verify:
        return None
    return (
        f"{addressee.source}: {addressee.record.id}: the holder ({addressee.record.name}) is not confirmed "
        "from a source; check it, then remove 'verify: true'"
    )


def inputs_hash(folder: Path, relative_files: Iterable[str]) -> str:
    """A hash of the named project files (a missing file hashes as empty)."""
    digest = hashlib.sha256()
    for relative in sorted(set(relative_files)):
        digest.update(relative.encode() + b"\0" + _read(folder / relative) + b"\0")
    return digest.hexdigest()


def common_hash(project: Project) -> str:
    """What every document depends on: cities.yaml and the images it names, every template and asset
    (the package's fonts too), and the tool's version."""
    folder, group = project.folder, project.campaign.data.group
    digest = hashlib.sha256(__version__.encode())
    digest.update(bytes.fromhex(inputs_hash(folder, ["cities.yaml", group.logo, group.signature])))
    for root in asset_folders(folder):
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


def build_selection(
    project: Project,
    selection: Selection,
    out: Path,
    formats: Sequence[Format],
    workers: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    combined: bool = False,
) -> BuildReport:
    """Plan the selected letters and briefing packs and build them (see `build`)."""
    if selection.city and (selection.letter or selection.recipient):
        raise BuildError(
            "--city picks a briefing pack and --letter or --recipient picks letters; give one or the other"
        )
    jobs: list[Job] = []
    complete: set[str] = set()
    if selection.letters and not selection.city:
        jobs += plan_letters(project, selection)
        if not selection.recipient:
            complete |= {name for name in project.letters if selection.letter in (None, name)}
    if selection.briefings and not (selection.letter or selection.recipient):
        jobs += plan_briefings(project, selection)
        if not selection.city:
            complete.add("briefings")
    workers = min(workers or len(os.sched_getaffinity(0)), max(len(jobs), 1))
    return build(project, jobs, out, formats, workers, force, progress, combined, frozenset(complete))


def build(
    project: Project,
    jobs: list[Job],
    out: Path,
    formats: Sequence[Format],
    workers: int,
    force: bool = False,
    progress: Progress | None = None,
    combined: bool = False,
    complete: frozenset[str] = frozenset(),
) -> BuildReport:
    """Build the jobs into `out`, skipping unchanged ones; then the combined files, the proof page and,
    last, the manifest.

    `complete` names the collections (letters, "briefings") whose every document is among the jobs: an
    earlier output of theirs that no job makes (a recipient since removed) is deleted, so it cannot be
    mailed or printed by mistake."""
    started = time.perf_counter()
    report = BuildReport()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(
            f"cannot make the output folder {out} ({error.strerror}); choose another --out"
        ) from None
    with Lock(out):
        previous = read_manifest(out)
        entries: dict[str, ManifestEntry] = {}
        pending: list[tuple[Job, Composed]] = []
        done = 0

        def finished(job: Job, status: str, reason: str | None = None) -> None:
            nonlocal done
            done += 1
            getattr(report, status).append((job.label, reason) if reason is not None else job.label)
            if status == "failed":  # the previous output stays, and so does its record, if still true
                entries.update(_unchanged_entries(_paths(job, formats), previous, out))
            if progress:
                progress(done, len(jobs), job.label, status)

        for job in jobs:
            report.warnings += job.warnings
            kept = None if force else _unchanged(job.key, _paths(job, formats), previous, out)
            if kept is not None:
                entries.update(kept)
                finished(job, "skipped")
                continue
            try:
                pending.append((job, job.compose()))
            except KeyCitiesError as error:
                finished(job, "failed", str(error))
        work = [(composed.document, job.css, job.reference) for job, composed in pending]
        for index, result in render_all(work, formats, workers, asset_folders(project.folder)):
            job, composed = pending[index]
            if isinstance(result, str):
                finished(job, "failed", result)
                continue
            built_at = datetime.now(UTC).isoformat(timespec="seconds")
            for file_format, (data, pages) in result.items():
                relative = job.relative_path(file_format)
                write_atomic(out / relative, data)
                entries[relative] = _entry(job, composed, file_format, data, pages, built_at, project)
            finished(job, "built")
        if combined:
            _combine(project, jobs, formats, previous, entries, report, out, force)
        current = {path for job in jobs for path in _paths(job, formats)}
        others = {}
        for path, entry in previous.items():
            if path in entries or path in current or not (out / path).exists():
                continue
            if (
                entry.get("collection") in complete
                and entry.get("format") in formats
                and entry["kind"] != "combined"
            ):
                (out / path).unlink()
                report.removed.append(path)
            else:
                others[path] = entry
        entries = others | entries
        formatter = Formatter(project.campaign.data.group.money_style)
        claims = claim_warnings(project.campaign, reconcile(project.campaign, project.book), formatter)
        title = f"{project.campaign.data.group.name}: documents to check"
        failures = [
            f"Not rebuilt in this run, so the file listed is from an earlier build: {document}: {reason}"
            for document, reason in report.failed
        ]
        page = proof_page(entries.values(), failures + sorted(set(report.warnings)) + claims, title)
        write_atomic(out / "index.html", page.encode())
        report.seconds = time.perf_counter() - started
        write_manifest(out, entries, {"version": __version__, "seconds": round(report.seconds, 2)})
    return report


def _combine(
    project: Project,
    jobs: list[Job],
    formats: Sequence[Format],
    previous: dict[str, ManifestEntry],
    entries: dict[str, ManifestEntry],
    report: BuildReport,
    out: Path,
    force: bool,
) -> None:
    """For each letter, one file per format with every recipient's letter, each from a new page."""
    by_letter: dict[str, list[Job]] = {}
    for job in jobs:
        if job.kind == "letter":
            by_letter.setdefault(job.collection, []).append(job)
    for name, letter_jobs in by_letter.items():
        key = _digest(*(job.key for job in letter_jobs))
        paths = [f"letters/{name}.{file_format}" for file_format in formats]
        kept = None if force else _unchanged(key, paths, previous, out)
        if kept is not None:
            entries.update(kept)
            report.skipped.append(f"{name} (combined)")
            continue
        try:
            documents = [job.compose().document for job in letter_jobs]
            built_at = datetime.now(UTC).isoformat(timespec="seconds")
            for file_format, path in zip(formats, paths, strict=True):
                made = renderer(
                    file_format, letter_jobs[0].css, letter_jobs[0].reference, asset_folders(project.folder)
                )
                data, pages = made.render_combined_with_pages(documents)
                write_atomic(out / path, data)
                entries[path] = {
                    "path": path,
                    "kind": "combined",
                    "collection": name,
                    "target": "all recipients",
                    "format": file_format,
                    "title": f"{name}: {len(documents)} letters",
                    "sha256": sha256(data),
                    "bytes": len(data),
                    "pages": pages,
                    "inputs": key,
                    "built": built_at,
                    "figures": [],
                    "warnings": [],
                }
            report.built.append(f"{name} (combined)")
        except KeyCitiesError as error:
            report.failed.append((f"{name} (combined)", str(error)))


def _paths(job: Job, formats: Iterable[Format]) -> list[str]:
    return [job.relative_path(file_format) for file_format in formats]


def _unchanged_entries(
    paths: list[str], previous: dict[str, ManifestEntry], out: Path
) -> dict[str, ManifestEntry]:
    """The previous records of those outputs still on disk as recorded."""
    return {
        path: previous[path]
        for path in paths
        if path in previous and file_sha256(out / path) == previous[path].get("sha256")
    }


def _unchanged(
    key: str, paths: list[str], previous: dict[str, ManifestEntry], out: Path
) -> dict[str, ManifestEntry] | None:
    """The previous entries when every output exists, is as recorded, and was built from the same inputs."""
    kept = {}
    for path in paths:
        entry = previous.get(path)
        if entry is None or entry.get("inputs") != key or file_sha256(out / path) != entry.get("sha256"):
            return None
        kept[path] = entry
    return kept


def _entry(
    job: Job,
    composed: Composed,
    file_format: Format,
    data: bytes,
    pages: int | None,
    built_at: str,
    project: Project,
) -> ManifestEntry:
    formatter = Formatter(project.campaign.data.group.money_style)
    missing = [
        f"{figure.label}: not available ({figure.why_missing})"
        for figure in composed.figures
        if figure.value is None
    ]
    return {
        "path": job.relative_path(file_format),
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
        "warnings": [*job.warnings, *missing],
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
