"""The batch build: the README's command, incremental skips, the failure path, the lock, the manifest, the
proof page (in Chromium), combined files and parallel workers.

The full default set (every letter and every pack, both formats) is built once, by the README's bare
`python generate.py`, into a copy of the project (`full`). Everything else uses a small copy: the
Cities in Action letter to three test recipients (PDF), plus Wakefield's pack, built once (`small_base`)
and copied for each test (the manifest's hashes do not depend on where the project lives).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import docx
import pytest
import yaml
from build_support import (
    FILES,
    LETTER,
    SMALL_CSV,
    SMALL_IDS,
    WARNINGS,
    ProofPage,
    Small,
    assert_consistent,
    documents,
    invoke,
    label,
    output_files,
    sha256_file,
    snapshot,
)
from documents import (
    PROJECT_ROOT,
    Run,
    assert_clean_failure,
    copy_project,
    edit,
    generate,
    line_of,
)
from documents import invoke as invoke_result
from pypdf import PdfReader

from keycities.build.jobs import Selection, plan_briefings, plan_letters
from keycities.build.pipeline import build
from keycities.check import claim_warnings
from keycities.compose.composition import Composition, prepare
from keycities.data.inputs import load_inputs
from keycities.figures.claims import reconcile
from keycities.formatting import Formatter

# End-to-end: builds real documents (run by default; `pytest -m 'not slow'` leaves them out).
pytestmark = pytest.mark.slow

FORMATS = ("pdf", "docx")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def letter_label(recipient: str) -> str:
    return f"{LETTER}/{recipient}"


def built_at(entry: dict[str, Any]) -> datetime:
    when = datetime.fromisoformat(entry["built"])
    assert when.tzinfo is not None, f"{entry['path']}: built time has no time zone: {entry['built']}"
    return when


# ---- The full default set, built once by the README's command ------------------------------------


@dataclass
class FullBuild:
    project: Path
    out: Path
    first: Run
    second: Run
    expected: set[str]  # the documents the data calls for, as `letter/recipient` and `briefings/slug`
    after_first: dict[str, tuple[str, int]]
    after_second: dict[str, tuple[str, int]]
    records_after_first: dict[str, dict[str, Any]]
    started: datetime
    finished: datetime


def expected_documents(project: Path) -> set[str]:
    """What the data calls for, read from the YAML, the CSV lists and the folders, not through the library:
    each letter for everyone on its own list (`recipients:` in its front matter) or on recipients.yaml."""
    project_recipients = yaml.safe_load((project / "recipients.yaml").read_text(encoding="utf-8"))[
        "recipients"
    ]
    expected: set[str] = set()
    for path in sorted((project / "letters").glob("*.md")):
        if "." in path.stem:  # a variant body, not a letter
            continue
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        assert front["to"] == ["all"], f"{path.name} no longer goes to everyone: update this test"
        if front.get("recipients"):
            with (project / front["recipients"]).open(encoding="utf-8", newline="") as file:
                ids = [row["id"] for row in csv.DictReader(file)]
        else:
            ids = [record["id"] for record in project_recipients]
        expected |= {f"{path.stem}/{recipient}" for recipient in ids}
        if front.get("notes") == "enclosure":  # its notes and sources, one document for every copy
            expected.add(f"{path.stem}/{path.stem}-sources")
    members = yaml.safe_load((project / "cities.yaml").read_text(encoding="utf-8"))["members"]
    welsh = [path.name.split(".")[0] for path in (project / "cities").glob("*.cy.md")]
    return (
        expected
        | {f"briefings/{member['slug']}" for member in members}
        | {f"briefings/{slug}.cy" for slug in welsh}
    )


def output_path(document: str, file_format: str) -> str:
    return (
        f"{document}.{file_format}"
        if document.startswith("briefings/")
        else f"letters/{document}.{file_format}"
    )


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> FullBuild:
    """Bare `python generate.py` on a fresh copy (KEYCITIES_PROJECT names it), then the same again."""
    project = copy_project(tmp_path_factory.mktemp("full") / "project")
    out = project / "out"
    started = datetime.now(UTC).replace(microsecond=0)
    first = generate(project=project)
    finished = datetime.now(UTC)
    assert first.exit_code == 0, first.describe()
    after_first = snapshot(out)
    records_after_first = documents(out)
    second = generate(project=project)
    return FullBuild(
        project,
        out,
        first,
        second,
        expected_documents(project),
        after_first,
        snapshot(out),
        records_after_first,
        started,
        finished,
    )


def test_readme_command_builds_every_document_and_the_proof_page(full: FullBuild) -> None:
    assert {letter_label("prime-minister"), "briefings/bournemouth", "briefings/swansea.cy"} <= full.expected
    assert full.first.counts == (len(full.expected), 0, 0), full.first.describe()
    assert full.first.with_status("built") == full.expected
    assert full.first.stdout.strip().endswith(f"outputs in {full.out}")
    assert output_files(full.out) == {
        output_path(document, file_format) for document in full.expected for file_format in FORMATS
    }
    assert (full.out / "index.html").is_file()
    assert (full.out / "manifest.json").is_file()
    assert_consistent(full.out)


def test_second_run_of_readme_command_skips_every_document_and_changes_none(full: FullBuild) -> None:
    assert full.second.exit_code == 0, full.second.describe()
    assert full.second.counts == (0, len(full.expected), 0)
    assert full.second.with_status("skipped") == full.expected
    outputs = output_files(full.out)
    assert {path: full.after_second[path] for path in outputs} == {
        path: full.after_first[path] for path in outputs
    }, "a skipped document's file was rewritten (bytes or modification time changed)"
    assert documents(full.out) == full.records_after_first
    assert_consistent(full.out)


# ---- The manifest ----------------------------------------------------------------------------------


def test_manifest_records_every_output_with_its_hashes_pages_and_figures(full: FullBuild) -> None:
    records = documents(full.out)
    assert set(records) == output_files(full.out)
    project = load_project(full.project)
    planned = plan_letters(project, Selection()) + plan_briefings(project, Selection())
    keys = {job.relative_path(file_format): job.key for job in planned for file_format in FORMATS}
    assert set(keys) == set(records)
    data = yaml.safe_load((full.project / "cities.yaml").read_text(encoding="utf-8"))
    # cities.yaml's sources and the releases of data/, each named by its file
    known_sources = set(data["sources"]) | {path.stem for path in (full.project / "data").glob("*.yaml")}
    for path, entry in records.items():
        file = full.out / path
        assert entry["sha256"] == sha256_file(file), path
        assert entry["bytes"] == file.stat().st_size, path
        assert entry["format"] == file.suffix.lstrip("."), path
        assert entry["inputs"] == keys[path], f"{path}: inputs hash is not the planned job's"
        kind = "briefing" if path.startswith("briefings/") else "letter"
        kind = "enclosure" if path.startswith(f"letters/{LETTER}/{LETTER}-sources.") else kind
        assert entry["kind"] == kind, path
        assert f"{entry['collection']}/{entry['target']}" == label(path)
        if entry["format"] == "pdf":
            assert entry["pages"] == len(PdfReader(file).pages) > 0, path
        else:
            assert entry["pages"] is None, path
        assert full.started <= built_at(entry) <= full.finished, f"{path}: built {entry['built']}"
        assert entry["figures"], f"{path}: no figures recorded"
        for figure in entry["figures"]:
            assert figure["name"] and figure["label"], path
            assert set(figure["sources"]) <= known_sources, f"{path}: {figure['name']}: {figure['sources']}"
            assert (figure["shown"] is None) == (figure["value"] is None), f"{path}: {figure['name']}"
    letter = records[f"letters/{LETTER}/prime-minister.pdf"]
    figures = {figure["name"]: figure for figure in letter["figures"]}
    assert figures["group.gva"]["sources"] == ["ons-gva-la-2021"]
    assert letter["recipient"] == "prime-minister"
    assert letter["salutation"] == "Dear Prime Minister"
    assert records["briefings/swansea.cy.pdf"]["language"] == "cy"
    assert records["briefings/wakefield.pdf"]["member"] == "wakefield"


# ---- The proof page, in Chromium -------------------------------------------------------------------


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after Chromium has loaded it from disk."""
    assert CHROMIUM is not None
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "<html" in completed.stdout, completed.stderr[-2000:]
    return completed.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`make test` installs it)")
def test_proof_page_in_chromium_links_every_document_and_shows_the_warnings(
    full: FullBuild, tmp_path: Path
) -> None:
    page = ProofPage(dump_dom(full.out / "index.html", tmp_path / "profile"))
    records = documents(full.out)
    assert page.lang == "en-GB"

    for href in page.links:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, f"not a relative link: {href}"
        target = (full.out / unquote(parts.path)).resolve()
        assert target.is_file(), f"the link {href} leads to no file"
        assert target.is_relative_to(full.out.resolve()), href
    assert sorted(page.links) == sorted(records), "the links are not exactly the manifest's documents"

    rows = page.document_rows
    assert len(rows) == len(full.expected)
    for row, links in rows:
        assert links, f"a row without links: {row}"
        assert len({label(link) for link in links}) == 1, f"one row links several documents: {links}"
        pdf = next(records[link] for link in links if link.endswith(".pdf"))
        assert f"PDF , {pdf['pages']} pages" in row[FILES], f"{pdf['path']}: pages shown {row[FILES]}"

    recipients = yaml.safe_load((full.project / "recipients.yaml").read_text(encoding="utf-8"))
    unverified = [record for record in recipients["recipients"] if record.get("verify")]
    assert unverified
    for record in unverified:
        expected = f"{record['id']}: the holder ({record['name']}) is not confirmed from a source"
        assert any(expected in warning for warning in page.warnings), expected
    project = load_project(full.project)
    campaign = project.inputs.campaign
    formatter = Formatter(campaign.data.group.money_style)
    claims = claim_warnings(campaign, reconcile(campaign, project.composer.book), formatter)
    assert any("Our collective annual GVA is £130.5bn” differs from the data" in claim for claim in claims)
    for claim in claims:  # the data's notices, apart from the run's warnings
        assert " ".join(claim.split()) in page.notices, claim
        assert " ".join(claim.split()) not in page.warnings, claim

    # Every shipped document is dated 4 February 2019 and cites later releases: said once, in its own row.
    for row, links in rows:
        said = row[WARNINGS].count("dated 2019-02-04, it cites releases published after that date")
        assert said == 1, (links, row[WARNINGS])
        assert "Subregional productivity" in row[WARNINGS], links

    bournemouth = records["briefings/bournemouth.pdf"]
    missing = [figure["label"] for figure in bournemouth["figures"] if figure["value"] is None]
    assert "GVA, 2017, Bournemouth" in missing
    row = next(row for row, links in rows if "briefings/bournemouth.pdf" in links)
    for figure_label in missing:
        assert f"{figure_label}: not available" in row[WARNINGS], (
            f"{figure_label} not missing: {row[WARNINGS]}"
        )


# ---- The small project: three letters and Wakefield's pack ------------------------------------------


ALL_LETTERS = {letter_label(recipient) for recipient in SMALL_IDS}


def test_second_run_skips_all_and_touches_no_file(small: Small) -> None:
    before, records = snapshot(small.out), documents(small.out)
    run = small.build_letters()
    assert run.exit_code == 0, run.describe()
    assert run.counts == (0, 3, 0)
    assert run.with_status("skipped") == ALL_LETTERS
    after = snapshot(small.out)
    assert {path: after[path] for path in output_files(small.out)} == {
        path: before[path] for path in output_files(small.out)
    }
    assert documents(small.out) == records
    assert_consistent(small.out)


def test_editing_one_recipient_rebuilds_only_its_letter(small: Small) -> None:
    before, records = small.letters_snapshot(), documents(small.out)
    edit(small.csv, "Test Office Two,", "Test Office Two and Beyond,")
    run = small.build_letters()
    assert run.counts == (1, 2, 0), run.describe()
    assert run.with_status("built") == {letter_label("test-two")}
    after = small.letters_snapshot()
    changed = {path for path in before if after[path] != before[path]}
    assert changed == {f"letters/{LETTER}/test-two.pdf"}
    assert after[f"letters/{LETTER}/test-two.pdf"][0] != before[f"letters/{LETTER}/test-two.pdf"][0]
    now = documents(small.out)
    rebuilt = now.pop(f"letters/{LETTER}/test-two.pdf")
    old = records.pop(f"letters/{LETTER}/test-two.pdf")
    assert rebuilt["inputs"] != old["inputs"]
    assert "Test Office Two and Beyond" in rebuilt["title"]
    assert now == records, "the records of skipped documents changed"
    assert_consistent(small.out)


def test_editing_a_figure_in_a_data_file_rebuilds_everything(small: Small) -> None:
    path = f"letters/{LETTER}/test-one.pdf"
    population = next(f for f in documents(small.out)[path]["figures"] if f["name"] == "group.population")
    before_project = load_project(small.project, recipients_file=small.csv)
    before_keys = [job.key for job in plan_letters(before_project, Selection(letter=LETTER))]
    before_keys += [job.key for job in plan_briefings(before_project, Selection())]
    data = small.project / "data" / "ons-population-la-2021.yaml"  # the release the 2019 letter uses
    first = re.search(r"\n    E06000009: \{2017: (\d+),", data.read_text(encoding="utf-8"))
    assert first, "no 2017 population for Blackpool in the May 2021 release"
    edit(data, first[0], first[0].replace(first[1], str(int(first[1]) + 1)))
    after_project = load_project(small.project, recipients_file=small.csv)
    after_keys = [job.key for job in plan_letters(after_project, Selection(letter=LETTER))]
    after_keys += [job.key for job in plan_briefings(after_project, Selection())]
    packs = {document for document in expected_documents(small.project) if document.startswith("briefings/")}
    assert len(after_keys) == len(before_keys) == len(SMALL_IDS) + len(packs)
    assert all(new != old for new, old in zip(after_keys, before_keys, strict=True)), (
        "some key did not change"
    )

    run = small.build_letters()
    assert run.counts == (3, 0, 0), run.describe()
    figures = {f["name"]: f for f in documents(small.out)[path]["figures"]}
    assert figures["group.population"]["value"] == population["value"] + 1
    assert_consistent(small.out)


def test_editing_print_css_rebuilds_with_the_new_stylesheet(small: Small) -> None:
    before = small.letters_snapshot()
    css = small.project / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\np { letter-spacing: 0.4pt; }\n", encoding="utf-8")
    run = small.build_letters()
    assert run.counts == (3, 0, 0), run.describe()
    after = small.letters_snapshot()
    assert all(after[path][0] != before[path][0] for path in before), "a PDF did not change with the CSS"
    assert_consistent(small.out)


def test_deleting_an_output_rebuilds_only_that_document(small: Small) -> None:
    gone = small.letter("test-one")
    original = gone.read_bytes()
    gone.unlink()
    run = small.build_letters()
    assert run.counts == (1, 2, 0), run.describe()
    assert run.with_status("built") == {letter_label("test-one")}
    assert gone.read_bytes() == original  # the same inputs give the same bytes
    assert_consistent(small.out)


def test_tampering_with_an_output_rebuilds_only_that_document(small: Small) -> None:
    tampered = small.letter("test-three")
    original = tampered.read_bytes()
    stat = tampered.stat()
    middle = len(original) // 2
    changed = original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :]
    tampered.write_bytes(changed)  # same size, same modification time: only the content differs
    os.utime(tampered, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    others = {path: state for path, state in small.letters_snapshot().items() if "test-three" not in path}
    run = small.build_letters()
    assert run.counts == (1, 2, 0), run.describe()
    assert run.with_status("built") == {letter_label("test-three")}
    assert tampered.read_bytes() == original
    assert {
        path: state for path, state in small.letters_snapshot().items() if "test-three" not in path
    } == others
    assert_consistent(small.out)


def test_force_rebuilds_everything(small: Small) -> None:
    before, records = small.letters_snapshot(), documents(small.out)
    run = small.build_letters("--force")
    assert run.counts == (3, 0, 0), run.describe()
    assert run.with_status("built") == ALL_LETTERS
    after = small.letters_snapshot()
    for path, (digest, mtime) in before.items():
        assert after[path][0] == digest, f"{path}: a forced rebuild of unchanged inputs changed the bytes"
        assert after[path][1] != mtime, f"{path}: not rewritten"
    for path, entry in documents(small.out).items():
        if path.startswith("letters/"):
            assert built_at(entry) >= built_at(records[path])
    assert_consistent(small.out)


def test_editing_a_members_local_content_rebuilds_only_its_pack(small: Small) -> None:
    """Through the library: the three letters and Wakefield's pack in one build."""
    pack = small.out / "briefings" / "wakefield.pdf"
    old_pack = pack.read_bytes()
    edit(small.project / "cities" / "wakefield.md", "*Sample case study", "*A sample case study")
    project = load_project(small.project, recipients_file=small.csv)
    jobs = plan_letters(project, Selection(letter=LETTER)) + plan_briefings(
        project, Selection(city="wakefield")
    )
    report = build(project, jobs, small.out, ("pdf",), 1)
    assert report.failed == []
    assert report.built == ["briefings/wakefield"]
    assert sorted(report.skipped) == sorted(ALL_LETTERS)
    assert pack.read_bytes() != old_pack
    assert_consistent(small.out)


# ---- The failure path ------------------------------------------------------------------------------


def test_a_bad_recipient_refuses_the_whole_run_and_writes_nothing(small: Small) -> None:
    before = snapshot(small.out)
    with small.csv.open("a", encoding="utf-8") as handle:
        handle.write(
            "test-four,Test Office Four,mp,Pat Person,,House of Commons;London;SW1A 0AA,pat.example.org,test,"
            "2019-02-01\n"
        )
    run = small.build_letters("--force")
    assert run.exit_code == 1, run.describe()
    assert (
        "recipients.csv:5: recipients[3].email: expected an email address like name@example.org, got "
        "'pat.example.org'"
    ) in run.stderr, run.stderr
    assert "nothing was written" in run.stderr
    assert "Traceback" not in run.stderr
    assert "built," not in run.stdout
    assert snapshot(small.out) == before, "the refused run changed the output folder"

    fresh = small.root / "fresh-out"
    again = invoke(*small.arguments()[:-2], "--out", fresh)
    assert again.exit_code == 1
    assert not fresh.exists()


def add_broken_variant(small: Small) -> int:
    """A variant of the letter, for recipients tagged `broken`, whose body places a figure the data
    lacks; tags test-three `broken`. Returns the body's line that places the figure."""
    edit(
        small.project / "letters" / f"{LETTER}.md",
        "signatory: peter-box\n",
        'signatory: peter-box\nvariants:\n  - to: ["tag:broken"]\n    body: cities-in-action.broken.md\n',
    )
    body = small.project / "letters" / "cities-in-action.broken.md"
    body.write_text(
        "A shorter letter.\n\nBournemouth produced {{ figures.member.bournemouth.gva }} in 2017.\n",
        encoding="utf-8",
    )
    edit(small.csv, "t3@example.org,test,", "t3@example.org,test;broken,")
    return line_of(body, "figures.member.bournemouth.gva")


def test_one_failing_letter_others_built_old_output_kept_exit_1(small: Small) -> None:
    before, records = small.letters_snapshot(), documents(small.out)
    line = add_broken_variant(small)
    run = generate(*small.arguments(), project=small.project)  # as a user runs it: a real process
    assert run.exit_code == 1, run.describe()
    assert run.counts == (2, 0, 1)
    assert run.with_status("built") == {letter_label("test-one"), letter_label("test-two")}
    assert run.with_status("failed") == {letter_label("test-three")}
    expected = f"error: {LETTER}/test-three: letters/cities-in-action.broken.md:{line}: "
    assert expected in run.stderr, run.stderr
    assert "member.bournemouth.gva" in run.stderr
    assert "Traceback" not in run.stderr

    failed = f"letters/{LETTER}/test-three.pdf"
    assert small.letters_snapshot()[failed] == before[failed], "the failed letter's old output changed"
    now = documents(small.out)
    assert now[failed] == records[failed], "the failed letter's record was not kept"
    for recipient in ("test-one", "test-two"):
        path = f"letters/{LETTER}/{recipient}.pdf"
        assert now[path]["inputs"] != records[path]["inputs"]  # rebuilt from the changed letter
        assert built_at(now[path]) >= built_at(records[path])
    assert_consistent(small.out)
    assert f'href="{failed}"' in (small.out / "index.html").read_text(encoding="utf-8")

    again = small.build_letters()  # unfixed: the failed letter is tried again, the others skipped
    assert again.counts == (0, 2, 1), again.describe()
    assert again.with_status("failed") == {letter_label("test-three")}
    assert documents(small.out)[failed] == records[failed]
    assert_consistent(small.out)

    body = small.project / "letters" / "cities-in-action.broken.md"  # fixed: the gap is handled
    edit(body, "{{ figures.member.bournemouth.gva }}", "{{ figures.member.bournemouth.gva | or_missing }}")
    fixed = small.build_letters()  # the letter changed, so every letter is built
    assert fixed.counts == (3, 0, 0), fixed.describe()
    assert small.letters_snapshot()[failed] != before[failed]
    assert documents(small.out)[failed]["inputs"] != records[failed]["inputs"]
    assert_consistent(small.out)


def test_failing_member_template_keeps_the_previous_pack(small: Small) -> None:
    before, records = snapshot(small.out), documents(small.out)
    template = small.project / "templates" / "wakefield" / "briefing.md"
    template.parent.mkdir()
    template.write_text(
        "# {{ member.name }}\n\nSome text.\n\nThis uses {{ no_such_name }}.\n", encoding="utf-8"
    )
    run = small.build_wakefield()
    assert run.exit_code == 1, run.describe()
    assert run.counts == (0, 0, 1)
    assert (
        "error: briefings/wakefield: templates/wakefield/briefing.md:5: 'no_such_name' is undefined"
        in run.stderr
    ), run.stderr
    assert "Traceback" not in run.stderr
    after = snapshot(small.out)
    kept = [path for path in before if path.startswith(("letters/", "briefings/"))]
    assert {path: after[path] for path in kept} == {path: before[path] for path in kept}
    assert documents(small.out) == records
    assert_consistent(small.out)


def test_failed_document_whose_output_was_deleted_is_not_recorded(small: Small) -> None:
    add_broken_variant(small)
    small.letter("test-three").unlink()
    run = small.build_letters()
    assert run.counts == (2, 0, 1), run.describe()
    assert not small.letter("test-three").exists()
    page = (small.out / "index.html").read_text(encoding="utf-8")
    assert f'href="letters/{LETTER}/test-three.pdf"' not in page, "the proof page links a missing file"
    assert_consistent(small.out)


# ---- The lock --------------------------------------------------------------------------------------


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("holder", ["this process", "a sleep process", "another host"])
def test_a_held_lock_refuses_the_build_and_writes_nothing(
    small: Small, holder: str, request: pytest.FixtureRequest
) -> None:
    host = socket.gethostname()
    if holder == "this process":
        owner = f"{host} process {os.getpid()}"
    elif holder == "a sleep process":
        owner = f"{host} process {request.getfixturevalue('sleeper').pid}"
    else:
        owner = f"{host}-elsewhere.example process 1"
    lock = small.out / ".build.lock"
    lock.write_text(f"{owner} since 2019-02-04T09:00:00+00:00")
    before = snapshot(small.out)
    run = small.build_letters("--force")
    assert run.exit_code == 1, run.describe()
    assert f"is being built by {owner} since 2019-02-04T09:00:00+00:00" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert snapshot(small.out) == before, "the refused build wrote or removed something"


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(small: Small) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = small.out / ".build.lock"
    lock.write_text(f"{socket.gethostname()} process {dead.pid} since 2019-02-04T09:00:00+00:00")
    run = small.build_letters("--recipient", "test-one", "--force")
    assert run.exit_code == 0, run.describe()
    assert run.counts == (1, 0, 0)
    assert_consistent(small.out)  # the lock is gone too


def test_the_lock_names_this_process_during_the_build_and_is_removed_after(small: Small) -> None:
    project = load_project(small.project, recipients_file=small.csv)
    jobs = plan_letters(project, Selection(letter=LETTER, recipient="test-two"))
    seen: list[str] = []

    def progress(done: int, total: int, document: str, status: str) -> None:
        seen.append((small.out / ".build.lock").read_text())

    report = build(project, jobs, small.out, ("pdf",), 1, force=True, progress=progress)
    assert report.built == [letter_label("test-two")]
    assert len(seen) == 1
    host, word, pid, since, when = seen[0].split()
    assert (host, word, pid, since) == (socket.gethostname(), "process", str(os.getpid()), "since")
    assert datetime.fromisoformat(when).tzinfo is not None
    assert_consistent(small.out)


# ---- Outputs the data no longer defines ------------------------------------------------------------

REMOVED_SUMMARY = re.compile(r"^0 built, 2 skipped, 0 failed, 2 removed in \d+\.\d s; ", re.MULTILINE)


def test_a_recipient_dropped_from_the_list_loses_its_letters(small: Small) -> None:
    both = ("--format", "docx")  # with the arguments' `--format pdf`: both formats
    first = small.build_letters(*both)
    assert first.exit_code == 0, first.describe()
    dropped = [small.letter("test-three", "pdf"), small.letter("test-three", "docx")]
    assert all(path.is_file() for path in dropped)
    pack = small.out / "briefings" / "wakefield.pdf"
    assert pack.is_file()
    shutil.copyfile(PROJECT_ROOT / "mail.yaml", small.project / "mail.yaml")  # placeholders: a dry run
    edit(small.csv, SMALL_CSV.splitlines()[3] + "\n", "")

    # A partial selection says nothing about the others: nothing is removed.
    partial = small.build_letters(*both, "--recipient", "test-one")
    assert partial.exit_code == 0, partial.describe()
    assert "removed" not in partial.stdout
    assert all(path.is_file() for path in dropped)
    assert {f"letters/{LETTER}/test-three.{f}" for f in FORMATS} <= set(documents(small.out))

    # The whole letter for the new list: test-three's files go, from the disk, the manifest and the proof.
    run = small.build_letters(*both)
    assert run.exit_code == 0, run.describe()
    assert REMOVED_SUMMARY.search(run.stdout), run.describe()
    assert not any(path.exists() for path in dropped)
    records = documents(small.out)
    assert {path for path in records if path.startswith("letters/")} == {
        f"letters/{LETTER}/{recipient}.{f}" for recipient in ("test-one", "test-two") for f in FORMATS
    }
    assert "briefings/wakefield.pdf" in records and pack.is_file()  # another collection: kept
    proof = (small.out / "index.html").read_text(encoding="utf-8")
    assert "test-one" in proof and "test-three" not in proof
    assert_consistent(small.out)

    mail = invoke("mail", "draft", "--project", small.project, "--out", small.out)
    assert mail.exit_code == 0, mail.describe()
    assert f"would send {LETTER}/test-one to <t1@example.org>" in mail.stdout
    assert f"would send {LETTER}/test-two to <t2@example.org>" in mail.stdout
    assert "test-three" not in mail.stdout + mail.stderr
    assert sorted(path.stem for path in (small.out / "outbox" / LETTER).glob("*.eml")) == [
        "test-one",
        "test-two",
    ]


@pytest.mark.parametrize("letters", [("--letter", LETTER), ("--recipient", "prime-minister")])
def test_letters_and_a_city_cannot_be_asked_for_together(tmp_path: Path, letters: tuple[str, str]) -> None:
    """`--city` picks a pack, `--letter` and `--recipient` pick letters: together they would build nothing."""
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    result = invoke_result(
        "build", "--project", project, *letters, "--city", "wakefield", "--format", "pdf", "--jobs", "1",
        "--out", out,
    )  # fmt: skip
    stderr = assert_clean_failure(result, "give one or the other")
    assert "--city" in stderr and letters[0] in stderr
    assert result.stdout == ""
    assert not out.exists()


def test_an_output_folder_that_cannot_be_made_is_a_clean_error(small: Small) -> None:
    folder = Path("/proc/keycities-test")
    result = invoke_result(*small.arguments("--recipient", "test-one")[:-2], "--out", folder)
    assert_clean_failure(result, f"error: cannot make the output folder {folder} (")
    assert not folder.exists()


# ---- Combined files --------------------------------------------------------------------------------


@dataclass
class Combined:
    small: Small
    first: Run
    second: Run
    before_second: dict[str, tuple[str, int]]


@pytest.fixture(scope="module")
def combined(small_base: Small, tmp_path_factory: pytest.TempPathFactory) -> Combined:
    small = Small(tmp_path_factory.mktemp("combined") / "small")
    shutil.copytree(small_base.root, small.root)
    arguments = [*small.arguments("--format", "docx", "--combined")]
    first = invoke(*arguments)
    before = snapshot(small.out)
    second = invoke(*arguments)
    return Combined(small, first, second, before)


def test_combined_files_hold_every_letter_and_a_second_run_skips_them(combined: Combined) -> None:
    small = combined.small
    assert combined.first.exit_code == 0, combined.first.describe()
    # the Word files are new, so each letter is built again, then the combined file
    assert combined.first.counts == (4, 0, 0)
    pdf, word = small.out / "letters" / f"{LETTER}.pdf", small.out / "letters" / f"{LETTER}.docx"
    pages = [len(PdfReader(small.letter(recipient)).pages) for recipient in SMALL_IDS]
    assert len(PdfReader(pdf).pages) == sum(pages)
    sections = docx.Document(str(word)).sections
    assert len(sections) == len(SMALL_IDS)
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(word)).paragraphs)
    offices = [text.find(f"Test Office {name}") for name in ("One", "Two", "Three")]
    assert -1 not in offices and offices == sorted(offices), "the letters are missing or out of order"
    records = documents(small.out)
    for path in (f"letters/{LETTER}.pdf", f"letters/{LETTER}.docx"):
        assert records[path]["kind"] == "combined"
        assert records[path]["sha256"] == sha256_file(small.out / path)
    assert_consistent(small.out)

    assert combined.second.counts == (0, 4, 0), combined.second.describe()
    after = snapshot(small.out)
    for path in (f"letters/{LETTER}.pdf", f"letters/{LETTER}.docx"):
        assert after[path] == combined.before_second[path], f"{path} was rewritten"


def test_combined_pdf_records_its_page_count(combined: Combined) -> None:
    path = f"letters/{LETTER}.pdf"
    entry = documents(combined.small.out)[path]
    assert entry["pages"] == len(PdfReader(combined.small.out / path).pages)


# ---- Worker processes ------------------------------------------------------------------------------


def test_two_workers_give_the_same_bytes_as_one(small: Small) -> None:
    outputs = {}
    for jobs in ("2", "1"):
        out = small.root / f"out-{jobs}"
        arguments = small.arguments("--format", "docx")
        arguments[arguments.index("--jobs") + 1] = jobs
        arguments[arguments.index("--out") + 1] = out
        run = generate(*arguments, project=small.project)
        assert run.counts == (3, 0, 0), run.describe()
        outputs[jobs] = out
    files = output_files(outputs["1"])
    assert len(files) == 6
    assert output_files(outputs["2"]) == files
    for path in files:
        assert (outputs["2"] / path).read_bytes() == (outputs["1"] / path).read_bytes(), path

    def without_times(out: Path) -> dict[str, dict[str, Any]]:
        return {
            path: {k: v for k, v in entry.items() if k != "built"} for path, entry in documents(out).items()
        }

    assert without_times(outputs["2"]) == without_times(outputs["1"])


# ---- Inputs the hash misses ------------------------------------------------------------------------


@pytest.mark.parametrize("whose", ["member", "group"])
def test_changing_a_logo_changes_the_inputs_hash(tmp_path: Path, whose: str) -> None:
    project = copy_project(tmp_path / "project")
    shipped_logo = project / "assets" / "key-cities-logo.png"
    if whose == "member":
        logo = project / "cities" / "wakefield-logo.png"
        edit(
            project / "cities" / "wakefield.md",
            "sample: true\n",
            "sample: true\nlogo: cities/wakefield-logo.png\n",
        )
    else:
        logo = project / "brand" / "logo.png"
        logo.parent.mkdir()
        edit(project / "cities.yaml", "logo: assets/key-cities-logo.png", "logo: brand/logo.png")
    shutil.copyfile(shipped_logo, logo)

    def key_and_logo() -> tuple[str, bytes]:
        loaded = load_project(project)
        if whose == "member":
            job = plan_briefings(loaded, Selection(city="wakefield"))[0]
            image = job.compose().document.letterhead.partner_logo
        else:
            job = plan_letters(loaded, Selection(letter=LETTER, recipient="prime-minister"))[0]
            image = job.compose().document.letterhead.logo
        assert image is not None
        return job.key, image.data

    key, data = key_and_logo()
    assert data == shipped_logo.read_bytes()
    shutil.copyfile(project / "assets" / "signature.png", logo)
    new_key, new_data = key_and_logo()
    assert new_data != data  # the document shows the new image...
    assert new_key != key, "...but its inputs hash is unchanged, so a build would skip it"


def load_project(folder: Path, recipients_file: Path | None = None) -> Composition:
    """A project loaded and made ready to compose, as a build does."""
    return prepare(load_inputs(folder, recipients_file=recipients_file))
