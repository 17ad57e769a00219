"""Plan the documents to build, one job per letter and recipient or per member and language, each keyed by
a hash of everything it depends on (cities.yaml and the images it names, its letter or local files, its
recipient record, every template and asset, the bundled fonts and the tool's version), so that `build.py`
can skip a document whose inputs have not changed without composing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from keycities import __version__
from keycities.build.manifest import enclosure_target, expected_path
from keycities.compose.composition import Composition
from keycities.compose.letter import Composed
from keycities.data.letters import Letter, select, unmatched_variants
from keycities.data.paths import member_layout, resolve_inside
from keycities.data.recipients import Addressee, stale_warning
from keycities.data.releases import data_file_paths
from keycities.errors import BuildError, DataError
from keycities.figures.model import DataYear
from keycities.render.pool import Format, asset_folders

LAYOUTS = ("print.css", "reference.docx")  # in templates/<slug>/ for a member's own, else in templates/

TOOL_PART = "the tool (its version and fonts, and the data year chosen for the run)"

PART_HASH_LENGTH = 16  # hex digits of each input's hash: enough to tell that it changed


@dataclass(frozen=True)
class Selection:
    """Which documents to build: the kinds, and filters (None means all)."""

    letters: bool = True
    briefings: bool = True
    letter: str | None = None
    recipient: str | None = None
    city: str | None = None
    data_year: DataYear = None  # overrides each document's pinned year for the run


@dataclass(frozen=True)
class Job:
    """One document to build: a letter for a recipient, or a member's briefing pack."""

    kind: Literal["letter", "briefing", "enclosure"]
    collection: str  # the letter's name, or "briefings"
    # the recipient id, the member slug (with `.cy` for a Welsh pack), or `<letter>-sources` (an enclosure)
    target: str
    css: Path
    reference: Path
    key: str  # hash of every input
    compose: Callable[[], Composed]
    warnings: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()  # recorded in the manifest: recipient, email, member...
    parts: tuple[tuple[str, str], ...] = ()  # each input by name with its hash, to say which changed

    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records of the job besides its document: its details and its inputs' hashes."""
        return {**dict(self.details), "input_parts": dict(self.parts)}

    @property
    def label(self) -> str:
        """`cities-in-action/prime-minister` or `briefings/wakefield`."""
        return f"{self.collection}/{self.target}"

    def relative_path(self, file_format: Format) -> str:
        """Where the output goes, relative to the output folder."""
        return expected_path(self.kind, self.collection, self.target, file_format)


def plan_letters(composition: Composition, selection: Selection) -> list[Job]:
    """A job per letter and recipient it goes to, filtered by the selection."""
    if selection.letter:
        composition.inputs.letter(selection.letter)  # an unknown name is an error, not an empty build
    common, shared = common_hash(composition), common_parts(composition)
    jobs = []
    for name, letter in sorted(composition.inputs.letters.items()):
        if selection.letter and name != selection.letter:
            continue
        sources = [str(letter.body.file), *(str(body.file) for body in letter.variant_bodies.values())]
        layout = [f"templates/{letter.front.template.css}", f"templates/{letter.front.template.docx}"]
        letter_hash = inputs_hash(composition.inputs.folder, sources)
        letter_parts = shared | file_parts(composition.inputs.folder, sources)
        everyone = select(letter, composition.inputs.addressees_of(letter))
        unused = tuple(unmatched_variants(letter, composition.inputs.addressees_of(letter)))
        chosen = [a for a in everyone if selection.recipient in (None, a.record.id)]
        if chosen and letter.front.notes == "enclosure":
            key = hash_of(common, letter_hash)
            jobs.append(_enclosure_job(composition, letter, everyone, key, letter_parts))
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
                    css=composition.inputs.folder / layout[0],
                    reference=composition.inputs.folder / layout[1],
                    key=hash_of(common, letter_hash, record := addressee.record.model_dump_json()),
                    compose=partial(composition.letter, letter, addressee),
                    warnings=warnings,
                    details=(
                        ("recipient", addressee.record.id),
                        ("email", addressee.record.email or ""),
                        ("holder", addressee.address_lines[0]),
                        ("salutation", addressee.salutation),
                        ("language", letter.front.language),
                    ),
                    parts=_sorted(letter_parts | {f"recipient {addressee.record.id}": short_hash(record)}),
                )
            )
    if selection.recipient and not jobs:
        raise BuildError(
            f"no letter goes to recipient '{selection.recipient}'; check the id in the recipients "
            "file and the letter's 'to:'"
        )
    return jobs


def _enclosure_job(
    composition: Composition, letter: Letter, everyone: list[Addressee], key: str, parts: dict[str, str]
) -> Job:
    """The job of a letter's notes and sources, made once for all its copies (`notes: enclosure`): keyed
    by every recipient, since each copy's notes must be the same."""
    target = enclosure_target(letter.name)
    if any(addressee.record.id == target for addressee in everyone):
        raise BuildError(
            f"{letter.located.where(('notes',))}: the enclosure is written as {target}, which is also "
            "a recipient's id; give the recipient another id"
        )
    folder = composition.inputs.folder
    records = short_hash("".join(addressee.record.model_dump_json() for addressee in everyone))
    return Job(
        kind="enclosure",
        collection=letter.name,
        target=target,
        css=folder / "templates" / letter.front.template.css,
        reference=folder / "templates" / letter.front.template.docx,
        key=hash_of(key, *(addressee.record.model_dump_json() for addressee in everyone)),
        compose=partial(composition.enclosure, letter),
        details=(("language", letter.front.language),),
        parts=_sorted(parts | {"recipients": records}),
    )


def plan_briefings(composition: Composition, selection: Selection) -> list[Job]:
    """A job per member and language (Welsh too where the member supplies Welsh text)."""
    if selection.city and selection.city not in composition.inputs.campaign.members:
        raise BuildError(
            f"no member '{selection.city}'; members: {', '.join(composition.inputs.campaign.members)}"
        )
    common, shared = common_hash(composition), common_parts(composition)
    jobs = []
    problems: dict[str, None] = {}  # each once: the group's layout is every member's without its own
    for slug in composition.inputs.campaign.members:
        if selection.city and slug != selection.city:
            continue
        templates = composition.inputs.folder / "templates"
        own = templates / slug
        css, reference = (member_layout(templates, slug, name) for name in LAYOUTS)
        for layout in (css, reference):
            try:
                resolve_inside(templates, layout)  # the renderers read it: a link must not lead out
            except DataError as error:
                problems |= dict.fromkeys(error.problems)
        member_files = [
            str(path.relative_to(composition.inputs.folder))
            for folder in (own, composition.inputs.folder / "cities")
            if folder.is_dir()
            for path in folder.rglob("*")
            if path.is_file() and (folder == own or path.name.split(".")[0] == slug)
        ]
        member_files += composition.briefings.logos(slug)
        key = hash_of(common, inputs_hash(composition.inputs.folder, member_files))
        parts = _sorted(shared | file_parts(composition.inputs.folder, member_files))
        for language in composition.briefings.languages(slug):
            jobs.append(
                Job(
                    kind="briefing",
                    collection="briefings",
                    target=slug if language == "en-GB" else f"{slug}.cy",
                    css=css,
                    reference=reference,
                    key=hash_of(key, language),
                    compose=partial(composition.briefings.briefing, slug, language),
                    details=(
                        ("member", slug),
                        ("member_name", composition.inputs.campaign.members[slug].name),
                        ("language", language),
                    ),
                    parts=parts,
                )
            )
    if problems:
        raise DataError(list(problems))
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
    record = addressee.record
    what = record.note or f"the holder ({record.name}) is not confirmed from a source"
    return f"{addressee.source}: {record.id}: {what}; check it, then remove 'verify: true'"


def inputs_hash(folder: Path, relative_files: Iterable[str]) -> str:
    """A hash of the named project files (a missing file hashes as empty)."""
    digest = hashlib.sha256()
    for relative in sorted(set(relative_files)):
        digest.update(relative.encode() + b"\0" + _read(folder / relative) + b"\0")
    return digest.hexdigest()


def common_hash(composition: Composition) -> str:
    """What every document depends on: cities.yaml, the data files and the images cities.yaml names, every
    template and asset (the package's fonts too), the run's choice of data year and the tool's version."""
    folder, group = composition.inputs.folder, composition.inputs.campaign.data.group
    digest = hashlib.sha256(f"{__version__}\0{composition.composer.data_year}".encode())
    signatures = [signatory.signature for signatory in group.signatories.values() if signatory.signature]
    files = ["cities.yaml", *data_file_paths(folder), group.logo, *signatures]
    digest.update(bytes.fromhex(inputs_hash(folder, files)))
    for root in asset_folders(folder):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + _read(path) + b"\0")
    return digest.hexdigest()


def common_parts(composition: Composition) -> dict[str, str]:
    """What every document depends on, each input by the name a person knows it by, with a short hash:
    `cities.yaml`, each data file and each file in templates/ and assets/, and the tool (its version, its
    fonts and the run's choice of data year) as one."""
    folder, group = composition.inputs.folder, composition.inputs.campaign.data.group
    signatures = [signatory.signature for signatory in group.signatories.values() if signatory.signature]
    files = ["cities.yaml", *data_file_paths(folder), group.logo, *signatures]
    tool = hashlib.sha256(f"{__version__}\0{composition.composer.data_year}".encode())
    for root in asset_folders(folder):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if not path.is_file():
                continue
            if path.is_relative_to(folder):
                files.append(str(path.relative_to(folder)))
            else:  # the package's own fonts
                tool.update(str(path.relative_to(root)).encode() + b"\0" + _read(path) + b"\0")
    return file_parts(folder, files) | {TOOL_PART: tool.hexdigest()[:PART_HASH_LENGTH]}


def file_parts(folder: Path, relative_files: Iterable[str]) -> dict[str, str]:
    """Each named project file with a short hash of its bytes (a missing file hashes as empty)."""
    return {relative: short_hash(_read(folder / relative)) for relative in sorted(set(relative_files))}


def short_hash(data: str | bytes) -> str:
    """A short SHA-256 of one input: enough to tell that it changed (the output's own hash is in full)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:PART_HASH_LENGTH]


def _sorted(parts: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parts.items()))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def hash_of(*parts: str) -> str:
    """One hash of the parts, in order: a key made of other keys and hashes."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
