"""Build documents: plan the jobs, skip what has not changed, render in worker processes, write atomically.

Every job is keyed by a hash of everything it depends on (data, its recipient or member, its letter,
templates, assets, fonts and the tool's version). A document that fails is reported and its previous
output kept; the others are built. The manifest is written last.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keycities import __version__
from keycities.claims import reconcile
from keycities.compose import Composed
from keycities.errors import BuildError, KeyCitiesError
from keycities.figure_book import Figure
from keycities.formatting import Formatter
from keycities.output import (
    Lock,
    ManifestEntry,
    check_output_folder,
    file_sha256,
    read_manifest,
    sha256,
    write_atomic,
    write_manifest,
)
from keycities.plan import Job, Selection, hash_of, plan_briefings, plan_letters
from keycities.project import Project
from keycities.proof import proof_page
from keycities.render.workers import Format, asset_folders, render_all, renderer
from keycities.report import claim_warnings

FORMATS: tuple[Format, ...] = ("pdf", "docx")


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (document, reason)
    removed: list[str] = field(default_factory=list)  # outputs of documents the data no longer defines
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[int, int, str, str], None]  # (done, total, document, status)


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
    check_output_folder(project.folder, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(
            f"cannot make the output folder {out} ({error.strerror}); choose another --out"
        ) from None
    with Lock(out):
        previous, report.warnings = read_manifest(out)
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
                _remove(out, path, report)
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
        key = hash_of(*(job.key for job in letter_jobs))
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


def _remove(out: Path, path: str, report: BuildReport) -> None:
    """Delete the output of a document the data no longer defines: only a file the build wrote, inside
    the output folder (read_manifest has refused any other entry)."""
    file = out / path
    if file.is_symlink() or not file.is_file() or not file.resolve().is_relative_to(out.resolve()):
        report.warnings.append(f"{file}: not a file this build wrote; left as it is")
        return
    try:
        file.unlink()
    except OSError as error:
        report.warnings.append(f"{file}: cannot be removed ({error.strerror}); delete it by hand")
        return
    report.removed.append(path)


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
