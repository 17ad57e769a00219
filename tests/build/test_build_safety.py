"""The build against hostile and unlucky output folders: a tampered manifest deletes nothing outside the
layout the build writes, an output folder inside the inputs is refused, a read-only or full folder is a
clean message with the previous outputs intact and no lock left behind, and the preview refuses what a
build would refuse.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from build_support import LETTER, SMALL_IDS, Small, assert_consistent, documents, snapshot
from documents import GENERATE, assert_clean_failure
from documents import invoke as invoke_result
from pypdf import PdfReader


def tamper(out: Path, change: Any) -> None:
    """Rewrite the manifest's list of documents with `change(documents) -> documents`."""
    manifest = out / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["documents"] = change(data["documents"])
    manifest.write_text(json.dumps(data), encoding="utf-8")


def a_letter_entry(out: Path) -> dict[str, Any]:
    entry = dict(documents(out)[f"letters/{LETTER}/test-one.pdf"])
    entry["target"] = "gone"  # a recipient no longer in the list: its output is to be removed
    return entry


# ---- The manifest is not a list of paths to delete ------------------------------------------------


def test_a_tampered_manifest_never_deletes_files_outside_the_layout(small: Small, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    inside_but_not_an_output = small.out / "notes.txt"
    inside_but_not_an_output.write_text("keep me too")
    cities = small.project / "cities.yaml"
    cities_before = cities.read_bytes()
    paths = [
        "../project/cities.yaml",
        str(victim),
        f"letters/{LETTER}/../../notes.txt",
        "notes.txt",
    ]
    entry = a_letter_entry(small.out)
    tamper(small.out, lambda found: found + [entry | {"path": path} for path in paths])

    run = small.build_letters()

    assert run.exit_code == 0, run.describe()
    assert cities.read_bytes() == cities_before
    assert victim.read_text() == "keep me"
    assert inside_but_not_an_output.read_text() == "keep me too"
    for path in paths:
        assert f"({path!r}): the path is not where the build writes this document" in run.stderr, path
    assert "Traceback" not in run.stderr


def test_a_manifest_entry_that_is_a_link_out_of_the_folder_is_ignored(small: Small, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "gone.pdf").write_bytes(b"keep me")
    folder = small.out / "letters" / "linked"
    folder.symlink_to(outside, target_is_directory=True)
    entry = a_letter_entry(small.out) | {"collection": "linked", "path": "letters/linked/gone.pdf"}
    tamper(small.out, lambda found: [*found, entry])

    run = small.build_letters()

    assert run.exit_code == 0, run.describe()
    assert (outside / "gone.pdf").read_bytes() == b"keep me"
    assert "leads out of the output folder through a link" in run.stderr


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda entry: {k: v for k, v in entry.items() if k != "kind"}, id="no kind"),
        pytest.param(lambda entry: {k: v for k, v in entry.items() if k != "path"}, id="no path"),
        pytest.param(lambda entry: entry | {"kind": 7}, id="kind not text"),
        pytest.param(lambda entry: entry | {"figures": "many"}, id="figures not a list"),
        pytest.param(lambda entry: entry | {"sha256": None}, id="no hash"),
        pytest.param(lambda entry: "a string", id="not a mapping"),
    ],
)
def test_malformed_manifest_entries_are_warnings_never_tracebacks(small: Small, change: Any) -> None:
    stale = small.out / "letters" / LETTER / "gone.pdf"
    stale.write_bytes(b"an earlier output")
    entry = a_letter_entry(small.out) | {"path": f"letters/{LETTER}/gone.pdf"}
    tamper(small.out, lambda found: [*found, change(entry)])

    run = small.build_letters()

    assert run.exit_code == 0, run.describe()
    assert "Traceback" not in run.stderr
    assert "manifest.json: documents[" in run.stderr and "the entry is ignored" in run.stderr
    assert stale.read_bytes() == b"an earlier output"  # not a record the build can trust: left alone
    assert run.counts == (0, 3, 0)  # the good entries still count


@pytest.mark.parametrize("text", ["[]", '{"documents": 5}', "not json", '{"documents": [null]}'])
def test_a_manifest_that_is_not_one_rebuilds_everything_with_a_warning(small: Small, text: str) -> None:
    (small.out / "manifest.json").write_text(text, encoding="utf-8")
    run = small.build_letters()
    assert run.exit_code == 0, run.describe()
    assert run.counts == (3, 0, 0)
    assert "manifest.json" in run.stderr and "warning:" in run.stderr
    assert set(documents(small.out)) == {f"letters/{LETTER}/{name}.pdf" for name in SMALL_IDS}


# ---- Output folders that must not be used ---------------------------------------------------------


@pytest.mark.parametrize("inside", ["templates/out", "letters/out", "cities", "assets/x", ".", ".."])
def test_an_output_folder_in_the_inputs_or_holding_them_is_refused(small: Small, inside: str) -> None:
    out = (small.project / inside).resolve()
    before = snapshot(small.project)
    result = invoke_result(*small.arguments()[:-2], "--out", out)
    assert_clean_failure(result, str(out))
    assert "choose" in result.stderr
    assert snapshot(small.project) == before


# ---- Read-only and full output folders --------------------------------------------------------------


def in_mount_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell script as root in a mount namespace of its own (its mounts vanish with it)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", f"mount -t tmpfs none {tmp_path}"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a file system here: {probe.stderr.decode().strip()}")
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def build_command(small: Small, out: Path, *extra: str) -> str:
    arguments = [str(part) for part in small.arguments()[:-2]] + [*extra, "--out", str(out)]
    return " ".join([sys.executable, str(GENERATE), *(f"'{part}'" for part in arguments)])


def test_a_read_only_output_folder_is_a_clean_error_and_outputs_stay(small: Small, tmp_path: Path) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    out = mount / "out"
    report = tmp_path / "report.json"
    script = textwrap.dedent(
        f"""
        mount -t tmpfs -o size=20m none '{mount}'
        cp -a '{small.out}' '{out}'
        before=$(cd '{out}' && find . -type f | sort | xargs sha256sum)
        mount -o remount,ro '{mount}'
        set +e
        {build_command(small, out, "--force")} > '{tmp_path}/stdout' 2> '{tmp_path}/stderr'
        echo $? > '{tmp_path}/code'
        set -e
        after=$(cd '{out}' && find . -type f | sort | xargs sha256sum)
        [ "$before" = "$after" ] && echo same > '{report}' || echo changed > '{report}'
        ls -a '{out}' > '{tmp_path}/listing'
        """
    )
    done = in_mount_namespace(script, mount)
    assert done.returncode == 0, done.stderr
    stderr = (tmp_path / "stderr").read_text()
    assert (tmp_path / "code").read_text().strip() == "1", stderr
    assert "Traceback" not in stderr
    assert f"cannot write to the output folder {out} (Read-only file system)" in stderr
    assert report.read_text().strip() == "same"
    assert ".build.lock" not in (tmp_path / "listing").read_text()


def test_a_full_disk_is_a_clean_error_and_leaves_no_lock(small: Small, tmp_path: Path) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    out = mount / "out"
    script = textwrap.dedent(
        f"""
        mount -t tmpfs -o size=4m none '{mount}'
        cp -a '{small.out}' '{out}'
        (cd '{out}' && find . -type f | sort | xargs sha256sum) > '{tmp_path}/before'
        dd if=/dev/zero of='{mount}/filler' bs=4k 2>/dev/null || true
        set +e
        {build_command(small, out, "--force")} > '{tmp_path}/stdout' 2> '{tmp_path}/stderr'
        echo $? > '{tmp_path}/code'
        rm '{mount}/filler'
        {build_command(small, out, "--force")} > '{tmp_path}/stdout2' 2> '{tmp_path}/stderr2'
        echo $? > '{tmp_path}/code2'
        set -e
        (cd '{out}' && find . -type f | sort | xargs sha256sum) > '{tmp_path}/after'
        """
    )
    done = in_mount_namespace(script, mount)
    assert done.returncode == 0, done.stderr
    stderr = (tmp_path / "stderr").read_text()
    assert (tmp_path / "code").read_text().strip() == "1", stderr
    assert "Traceback" not in stderr
    assert "No space left on device" in stderr and str(out) in stderr
    # with space again, the next build runs: the failed one left no lock and no half-written files
    assert (tmp_path / "code2").read_text().strip() == "0", (tmp_path / "stderr2").read_text()
    after = (tmp_path / "after").read_text()
    assert ".tmp" not in after and ".build.lock" not in after


@pytest.mark.parametrize("kind", ["empty", "a folder", "not text"])
def test_an_empty_or_unreadable_lock_is_stale_and_taken_over(small: Small, kind: str) -> None:
    lock = small.out / ".build.lock"
    if kind == "empty":
        lock.write_text("")
    elif kind == "a folder":
        lock.mkdir()
    else:
        lock.write_bytes(b"\xff\xfe\x00")
    run = small.build_letters()
    assert run.exit_code == 0, run.describe()
    assert run.counts == (0, 3, 0)
    assert_consistent(small.out)


# ---- The preview refuses what the build refuses --------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/hostname", "http://127.0.0.1:9/logo.png", "../../cities.yaml"])
def test_the_preview_refuses_stylesheet_urls_a_build_refuses(small: Small, url: str) -> None:
    css = small.project / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + f'\nbody {{ background: url("{url}"); }}\n')
    out = small.root / "preview-out"
    result = invoke_result(
        "preview", "--project", small.project, "--letter", LETTER, "--recipient", "prime-minister",
        "--out", out,
    )  # fmt: skip
    assert_clean_failure(result, "refused to fetch", "print.css")
    assert not (out / "preview").exists()


def test_the_preview_page_loads_nothing_from_outside_itself(small: Small) -> None:
    out = small.root / "preview-out"
    result = invoke_result(
        "preview", "--project", small.project, "--letter", LETTER, "--recipient", "prime-minister",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    page = (out / "preview" / LETTER / "prime-minister.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert 'url("file:' not in page and "url(file:" not in page


# ---- Long unbroken text wraps -------------------------------------------------------------------------


def test_long_unbroken_text_wraps_inside_the_page(small: Small) -> None:
    token = "Unbroken" + "x" * 300
    letter = small.project / "letters" / f"{LETTER}.md"
    text = letter.read_text(encoding="utf-8")
    body_start = text.index("\n---\n", 4) + len("\n---\n")
    letter.write_text(text[:body_start] + f"\nA long run: {token} ends here.\n" + text[body_start:])
    run = small.build_letters("--recipient", "test-one")
    assert run.exit_code == 0, run.describe()
    page = PdfReader(small.letter("test-one")).pages[0]
    lines = page.extract_text().splitlines()
    pieces = [line for line in lines if "xxxx" in line]
    assert sum(line.count("x") for line in pieces) == 300, pieces  # nothing lost
    assert len(pieces) >= 3, "the run was not broken over several lines"
    assert all(len(line) < 120 for line in pieces), pieces
