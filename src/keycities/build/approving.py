"""`generate.py approve`: sign off the selected outputs as built, or withdraw their approval (`--revoke`).

An output is approved only as it stands in the manifest and on disk, built from the inputs as they are
now: one that is missing, changed since it was built, or stale (its inputs changed since, or its last build
failed and left an older file) is refused, with the reason. The project is planned as a build would plan it
(the same selection, recipients file and data year), without composing anything, to know each document's
inputs as they are now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from keycities.build.approvals import (
    Approval,
    approved_by,
    changed_inputs,
    email_sha256,
    load_approvals,
    mail_templates_hash,
)
from keycities.build.files import file_sha256
from keycities.build.jobs import Job, Selection, hash_of, plan_briefings, plan_letters
from keycities.build.manifest import MANIFEST, ManifestRecord, enclosure_target, expected_path, read_manifest
from keycities.compose.composition import Composition, prepare
from keycities.data.inputs import load_inputs
from keycities.errors import BuildError
from keycities.render.pool import Format
from keycities.text_rules import text_problem

FORMATS: tuple[Format, ...] = ("pdf", "docx")

Clock = Callable[[], datetime]

GONE = (
    "its recipient or member is no longer in the data, or the letters were built from another recipients "
    "file (give the same --recipients) or data year (the same --data-year)"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Signature:
    """Who approves (or revokes), when, and why."""

    by: str
    note: str = ""
    now: Clock = _utc_now

    def at(self) -> str:
        """The time, ISO 8601 with its offset."""
        return self.now().isoformat(timespec="seconds")


@dataclass
class ApprovalReport:
    """What `approve` did: outputs approved, already approved, refused (with why) or revoked, by path."""

    approved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already approved as they are
    refused: list[tuple[str, str]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def approve(
    project: Path,
    out: Path,
    selection: Selection,
    signature: Signature,
    *,
    strict: bool = False,
    recipients: Path | None = None,
) -> ApprovalReport:
    """Approve the selected outputs of `out` as built, in approvals.yaml; refuse those not fit to be."""
    _check_signature(signature)
    records, warnings = read_manifest(out)
    if not (out / MANIFEST).is_file():
        raise BuildError(f"{out / MANIFEST}: no manifest; build the documents first with `generate.py build`")
    composition = prepare(load_inputs(project, strict, recipients), selection.data_year)
    jobs = _planned(composition, selection)
    approvals, templates = load_approvals(project), mail_templates_hash(project)
    report = ApprovalReport(warnings=warnings)
    expected = _expected_outputs(jobs, selection)
    for output in expected:
        record = records.get(output.path)
        if record is None:
            continue
        problem = _unfit(out, record, output)
        if problem:
            report.refused.append((output.path, problem))
            continue
        email = email_sha256(record, templates)
        current = approvals.by_path.get(output.path)
        if current and current.sha256 == record.sha256 and current.email == email:
            report.unchanged.append(f"{output.path} ({approved_by(current)})")
            continue
        approval = Approval(
            path=output.path,
            sha256=record.sha256,
            email=email,
            by=signature.by,
            at=signature.at(),
            note=signature.note,
            inputs=record.input_parts,
        )
        approvals.add(approval)
        report.approved.append(output.path)
    covered = {output.path for output in expected}
    unbuilt: dict[str, list[str]] = {}  # documents the selection covers of which no file is built
    for job in jobs:
        if not any(job.relative_path(file_format) in records for file_format in FORMATS):
            unbuilt.setdefault(job.collection, []).append(job.target)
    report.warnings += [
        f"{name}: {_few(targets)} not built in {out}, so not approved; build, check, then approve them"
        for name, targets in sorted(unbuilt.items())
    ]
    for path, record in sorted(records.items()):
        if path not in covered and _selected(record.kind, record.collection, record.target, selection):
            report.refused.append((path, GONE))
    if report.approved:
        approvals.save()
    return report


def revoke(project: Path, selection: Selection, signature: Signature) -> ApprovalReport:
    """Withdraw the approvals of the selected outputs, whatever their state; the history keeps them."""
    _check_signature(signature)
    approvals = load_approvals(project)
    report = ApprovalReport()
    for path in sorted(approvals.by_path):
        kind, collection, target = _parts_of(path)
        if _selected(kind, collection, target, selection):
            approvals.revoke(path, signature.by, signature.at(), signature.note)
            report.revoked.append(path)
    if report.revoked:
        approvals.save()
    return report


def _check_signature(signature: Signature) -> None:
    problems = [
        f"{option}: {problem}"
        for option, text in (("--by", signature.by), ("--note", signature.note))
        if (problem := text_problem(text))
    ]
    if not signature.by.strip():
        problems.append("--by: give the name of the person approving, as the record should show it")
    if problems:
        raise BuildError("; ".join(problems))


def _planned(composition: Composition, selection: Selection) -> list[Job]:
    """The jobs a build of this selection would plan (letters, packs or both, as `build` picks them)."""
    if selection.city and (selection.letter or selection.recipient):
        raise BuildError(
            "--city picks a briefing pack and --letter or --recipient picks letters; give one or the other"
        )
    jobs: list[Job] = []
    if not selection.city:
        jobs += plan_letters(composition, selection)
    if not (selection.letter or selection.recipient):
        jobs += plan_briefings(composition, selection)
    return jobs


@dataclass(frozen=True)
class Expected:
    """An output the selection covers, as a build now would make it: the inputs key and inputs."""

    path: str
    key: str
    parts: dict[str, str]


def _expected_outputs(jobs: list[Job], selection: Selection) -> list[Expected]:
    """Each output the selection covers, in both formats; a letter's combined file too when every
    recipient of the letter is selected."""
    outputs = [
        Expected(job.relative_path(file_format), job.key, dict(job.parts))
        for job in jobs
        for file_format in FORMATS
    ]
    if not selection.recipient:
        by_letter: dict[str, list[str]] = {}
        for job in jobs:
            if job.kind == "letter":
                by_letter.setdefault(job.collection, []).append(job.key)
        for name, keys in sorted(by_letter.items()):
            path = (expected_path("combined", name, "", file_format) for file_format in FORMATS)
            outputs += [Expected(each, hash_of(*keys), {}) for each in path]
    return outputs


def _unfit(out: Path, record: ManifestRecord, expected: Expected) -> str | None:
    """Why this output cannot be approved as it is, or None."""
    sha = file_sha256(out / record.path)
    if sha is None:
        return f"missing: {out / record.path} cannot be read; build it again"
    if sha != record.sha256:
        return "changed since it was built (its SHA-256 differs from the manifest's); build it again"
    if record.inputs != expected.key:
        changed = "a letter's inputs changed"  # a combined file: each letter has its own inputs
        if expected.parts:
            changed = changed_inputs(record.input_parts, expected.parts)
        return (
            f"stale: built before its inputs last changed ({changed}), or its last build failed and left "
            "an older file; build it again and check it"
        )
    return None


def _few(names: list[str]) -> str:
    """`a, b and c`, or the first few and how many more."""
    shown = names[:5] + ([f"{len(names) - 5} more"] if len(names) > 5 else [])
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _parts_of(path: str) -> tuple[str, str, str]:
    """(kind, collection, target) of an output path: `letters/<letter>/<recipient>.pdf`,
    `letters/<letter>.pdf` (combined) or `briefings/<slug>.pdf`."""
    parts = path.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    if parts[0] == "briefings":
        return "briefing", "briefings", stem
    if len(parts) == 2:
        return "combined", stem, ""
    return "letter", parts[1] if len(parts) > 2 else "", stem


def _selected(kind: str, collection: str, target: str, selection: Selection) -> bool:
    """Whether an output of this kind, collection and target is among those selected."""
    if kind == "briefing":
        member = target.removesuffix(".cy")
        return not (selection.letter or selection.recipient) and selection.city in (None, member)
    if selection.city:
        return False
    if selection.letter not in (None, collection):
        return False
    # A recipient's letter goes with the letter's enclosure (`notes: enclosure`): approving one approves both.
    mailed_with = (selection.recipient, enclosure_target(collection))
    return selection.recipient is None or (kind == "letter" and target in mailed_with)
