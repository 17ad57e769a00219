"""Build documents: plan the jobs, skip what has not changed, render in worker processes, write atomically.

Every job is keyed by a hash of everything it depends on (data, its recipient or member, its letter,
templates, assets, fonts and the tool's version). A document that fails is reported and its previous
output kept; the others are built. The manifest is written last.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from keycities import __version__
from keycities.build.files import Lock, check_output_folder, file_sha256, sha256, write_atomic
from keycities.build.jobs import Job, Selection, hash_of, plan_briefings, plan_letters
from keycities.build.manifest import (
    EmailRecord,
    FigureRecord,
    ManifestRecord,
    ProofNotes,
    expected_path,
    read_manifest,
    write_manifest,
)
from keycities.build.proof import MailedLookup, write_proof_page
from keycities.build.thumbnails import remove_stale_thumbnails
from keycities.check import data_notices
from keycities.compose.blocks import Document
from keycities.compose.composition import Composition, prepare
from keycities.compose.email import Email
from keycities.compose.letter import Composed
from keycities.compose.problems import said_once
from keycities.data.inputs import load_inputs
from keycities.errors import BuildError, KeyCitiesError
from keycities.figures.model import Figure
from keycities.formatting import Formatter
from keycities.render.pool import Format, asset_folders, render_all, renderer

FORMATS: tuple[Format, ...] = ("pdf", "docx")
ALL_RECIPIENTS = "all recipients"  # the target of a letter's combined file


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (document, reason)
    removed: list[str] = field(default_factory=list)  # outputs of documents the data no longer defines
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[int, int, str, str], None]  # (done, total, document, status)


def build_project(
    folder: Path,
    selection: Selection,
    out: Path,
    formats: Sequence[Format],
    warn: Callable[[list[str]], None],
    *,
    strict: bool = False,
    recipients: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    combined: bool = False,
    mailed: MailedLookup | None = None,
) -> BuildReport:
    """Load the project in `folder` (`recipients` instead of its own recipients files), pass its warnings
    to `warn`, and build the selected documents (see `build_selection`; `mailed` gives the proof page
    each letter's mail status)."""
    composition = prepare(load_inputs(folder, strict, recipients), selection.data_year)
    warn(composition.inputs.warnings)
    if "pdf" in formats:
        from keycities.render.pdf import harfbuzz_subset_missing  # imports WeasyPrint: only to build PDFs

        if harfbuzz_subset_missing():
            warn(
                [
                    "libharfbuzz-subset0 is not installed: PDFs take 3 to 4 times longer and differ between "
                    "runs; install it with `make` (or apt-get install libharfbuzz-subset0)"
                ]
            )
    return build_selection(composition, selection, out, formats, workers, force, progress, combined, mailed)


def build_selection(
    composition: Composition,
    selection: Selection,
    out: Path,
    formats: Sequence[Format],
    workers: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    combined: bool = False,
    mailed: MailedLookup | None = None,
) -> BuildReport:
    """Plan the selected letters and briefing packs and build them (see `build`)."""
    if selection.city and (selection.letter or selection.recipient):
        raise BuildError(
            "--city picks a briefing pack and --letter or --recipient picks letters; give one or the other"
        )
    jobs: list[Job] = []
    complete: set[str] = set()
    if selection.letters and not selection.city:
        jobs += plan_letters(composition, selection)
        if not selection.recipient:
            complete |= {name for name in composition.inputs.letters if selection.letter in (None, name)}
    if selection.briefings and not (selection.letter or selection.recipient):
        jobs += plan_briefings(composition, selection)
        if not selection.city:
            complete.add("briefings")
    workers = min(workers or len(os.sched_getaffinity(0)), max(len(jobs), 1))
    return build(
        composition, jobs, out, formats, workers, force, progress, combined, frozenset(complete), mailed
    )


def build(
    composition: Composition,
    jobs: list[Job],
    out: Path,
    formats: Sequence[Format],
    workers: int,
    force: bool = False,
    progress: Progress | None = None,
    combined: bool = False,
    complete: frozenset[str] = frozenset(),
    mailed: MailedLookup | None = None,
) -> BuildReport:
    """Build the jobs into `out`, skipping unchanged ones; then the combined files, the proof page and,
    last, the manifest.

    `complete` names the collections (letters, "briefings") whose every document is among the jobs: an
    earlier output of theirs that no job makes (a recipient since removed) is deleted, so it cannot be
    mailed or printed by mistake. `mailed`, when given, tells the proof page what the mail ledger says of
    each letter."""
    started = time.perf_counter()
    _make_output_folder(composition, out)
    with Lock(out):
        previous, manifest_warnings = read_manifest(out)
        run = _Run(composition, out, tuple(formats), force, progress, len(jobs), previous)
        run.report.warnings += manifest_warnings
        pending = _skip_unchanged(run, jobs)
        _render(run, pending, workers)
        if combined:
            _combine(run, jobs)
        _remove_stale(run, jobs, complete)
        notes = _write_proof_page(run, mailed)
        run.report.seconds = time.perf_counter() - started
        summary = {
            "version": __version__,
            "seconds": round(run.report.seconds, 2),
            "proof": notes.model_dump(),
        }
        write_manifest(out, run.records, summary)
    return run.report


@dataclass
class _Run:
    """One build: its settings, the previous manifest's records, the records made so far, the report."""

    composition: Composition
    out: Path
    formats: tuple[Format, ...]
    force: bool
    progress: Progress | None
    total: int
    previous: dict[str, ManifestRecord]
    records: dict[str, ManifestRecord] = field(default_factory=dict)
    report: BuildReport = field(default_factory=BuildReport)
    done: int = 0

    def finished(self, job: Job, status: str, reason: str | None = None) -> None:
        """Record how a job ended, and show it."""
        self.done += 1
        getattr(self.report, status).append((job.label, reason) if reason is not None else job.label)
        if status == "failed":  # the previous output stays, and so does its record, if still true
            self.records.update(_unchanged_records(_paths(job, self.formats), self.previous, self.out))
        if self.progress:
            self.progress(self.done, self.total, job.label, status)


def _make_output_folder(composition: Composition, out: Path) -> None:
    check_output_folder(composition.inputs.folder, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(
            f"cannot make the output folder {out} ({error.strerror}); choose another --out"
        ) from None


def _skip_unchanged(run: _Run, jobs: list[Job]) -> list[Job]:
    """Keep the outputs of jobs whose inputs have not changed; return the others, to build."""
    pending = []
    for job in jobs:
        run.report.warnings += job.warnings
        kept = None if run.force else _unchanged(job.key, _paths(job, run.formats), run.previous, run.out)
        if kept is not None:
            run.records.update(kept)
            run.finished(job, "skipped")
            continue
        pending.append(job)
    return pending


def _render(run: _Run, pending: list[Job], workers: int) -> None:
    """Compose each document and render it in worker processes, writing each output as it comes.

    Documents are composed one at a time as they are handed to the workers, so composing overlaps with
    rendering; a document that fails to compose is reported and left out."""
    composed_jobs: list[tuple[Job, Composed]] = []

    def work() -> Iterator[tuple[Document, Path, Path]]:
        for job in pending:
            try:
                composed = job.compose()
            except KeyCitiesError as error:
                run.finished(job, "failed", str(error))
                continue
            composed_jobs.append((job, composed))
            yield composed.document, job.css, job.reference

    folders = asset_folders(run.composition.inputs.folder)
    formatter = Formatter(run.composition.inputs.campaign.data.group.money_style)
    for index, result in render_all(work(), run.formats, workers, folders):
        job, composed = composed_jobs[index]
        if isinstance(result, str):
            run.finished(job, "failed", result)
            continue
        built_at = datetime.now(UTC).isoformat(timespec="seconds")
        for file_format, (data, pages) in result.items():
            relative = job.relative_path(file_format)
            write_atomic(run.out / relative, data)
            record = _record(job, composed, file_format, data, pages, built_at, formatter)
            run.records[relative] = record
        run.finished(job, "built")


def _combine(run: _Run, jobs: list[Job]) -> None:
    """For each letter, one file per format with every recipient's letter, each from a new page."""
    by_letter: dict[str, list[Job]] = {}
    for job in jobs:
        if job.kind == "letter":
            by_letter.setdefault(job.collection, []).append(job)
    for name, letter_jobs in by_letter.items():
        key = hash_of(*(job.key for job in letter_jobs))
        paths = [
            expected_path("combined", name, "all recipients", file_format) for file_format in run.formats
        ]
        kept = None if run.force else _unchanged(key, paths, run.previous, run.out)
        if kept is not None:
            run.records.update(kept)
            run.report.skipped.append(f"{name} (combined)")
            continue
        try:
            documents = [job.compose().document for job in letter_jobs]
            built_at = datetime.now(UTC).isoformat(timespec="seconds")
            for file_format, path in zip(run.formats, paths, strict=True):
                made = renderer(
                    file_format,
                    letter_jobs[0].css,
                    letter_jobs[0].reference,
                    asset_folders(run.composition.inputs.folder),
                )
                data, pages = made.render_combined(documents)
                write_atomic(run.out / path, data)
                run.records[path] = ManifestRecord(
                    path=path,
                    kind="combined",
                    collection=name,
                    target=ALL_RECIPIENTS,
                    format=file_format,
                    title=f"{name}: {len(documents)} letters",
                    sha256=sha256(data),
                    bytes=len(data),
                    pages=pages,
                    inputs=key,
                    built=built_at,
                    figures=[],
                    warnings=[],
                )
            run.report.built.append(f"{name} (combined)")
        except KeyCitiesError as error:
            run.report.failed.append((f"{name} (combined)", str(error)))


def _remove_stale(run: _Run, jobs: list[Job], complete: frozenset[str]) -> None:
    """Remove the outputs of documents the data no longer defines (in a collection built whole); keep
    the records of other earlier outputs still on disk."""
    current = {path for job in jobs for path in _paths(job, run.formats)}
    others = {}
    for path, record in run.previous.items():
        if path in run.records or path in current or not (run.out / path).exists():
            continue
        if record.collection in complete and record.format in run.formats and record.kind != "combined":
            _remove(run.out, path, run.report)
        else:
            others[path] = record
    run.records = others | run.records


def _write_proof_page(run: _Run, mailed: MailedLookup | None) -> ProofNotes:
    """out/index.html: every document to check with its thumbnail and mail status, the failures and
    warnings of this run, the data's notices; the notes it shows besides the documents, for the manifest."""
    report = run.report
    failures = [
        f"Not rebuilt in this run, so the file listed is from an earlier build: {failure}"
        for failure in said_once(report.failed, [*report.built, *report.skipped])
    ]
    notes = ProofNotes(
        title=f"{run.composition.inputs.campaign.data.group.name}: documents to check",
        warnings=failures + sorted(set(report.warnings)),
        notices=data_notices(run.composition),
    )
    records = list(run.records.values())
    status, shown = None, notes
    if mailed is not None:
        try:
            status = mailed(run.out, records)
        except KeyCitiesError as error:  # a damaged ledger: this page says the mail status is not known
            problem = f"the proof page does not show what was mailed: {error}"
            report.warnings.append(problem)
            shown = notes.model_copy(update={"warnings": [*notes.warnings, problem]})
    remove_stale_thumbnails(run.out, records)
    write_proof_page(run.out, records, shown, status, run.composition.inputs.folder)
    return notes


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


def _unchanged_records(
    paths: list[str], previous: dict[str, ManifestRecord], out: Path
) -> dict[str, ManifestRecord]:
    """The previous records of those outputs still on disk as recorded."""
    return {
        path: previous[path]
        for path in paths
        if path in previous and file_sha256(out / path) == previous[path].sha256
    }


def _unchanged(
    key: str, paths: list[str], previous: dict[str, ManifestRecord], out: Path
) -> dict[str, ManifestRecord] | None:
    """The previous records when every output exists, is as recorded, and was built from the same inputs."""
    kept = {}
    for path in paths:
        record = previous.get(path)
        if record is None or record.inputs != key or file_sha256(out / path) != record.sha256:
            return None
        kept[path] = record
    return kept


def _record(
    job: Job,
    composed: Composed,
    file_format: Format,
    data: bytes,
    pages: int | None,
    built_at: str,
    formatter: Formatter,
) -> ManifestRecord:
    missing = [
        f"{figure.label}: not available ({figure.why_missing})"
        for figure in composed.figures
        if figure.value is None
    ]
    return ManifestRecord(
        path=job.relative_path(file_format),
        kind=job.kind,
        collection=job.collection,
        target=job.target,
        format=file_format,
        title=composed.document.title,
        subject=composed.document.subject,
        sha256=sha256(data),
        bytes=len(data),
        pages=pages,
        inputs=job.key,
        built=built_at,
        figures=[_figure_record(figure, formatter) for figure in composed.figures],
        warnings=[*job.warnings, *missing, *composed.notices],
        email_message=_email_record(composed.email) if composed.email else None,
        **job.manifest_fields(),
    )


def _email_record(email: Email) -> EmailRecord:
    return EmailRecord(
        subject=email.subject, text=email.text, markdown=email.markdown, signature=list(email.signature)
    )


def _figure_record(figure: Figure, formatter: Formatter) -> FigureRecord:
    return FigureRecord(
        name=figure.name,
        label=figure.label,
        value=figure.value,
        shown=formatter.figure(figure) if figure.value is not None else None,
        sources=list(figure.sources),
        coverage=str(figure.coverage) if figure.coverage else None,
        year=figure.year,
    )
