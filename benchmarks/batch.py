#!/usr/bin/env python3
"""Time a batch of N letters: `generate.py`'s build against a plain WeasyPrint and python-docx loop.

    python benchmarks/batch.py --n 1000

Makes N invented recipients (example.org addresses; the member data is the real cities.yaml), builds the
Cities in Action letter for all of them in both formats into an empty folder, then, in one process,
renders the same HTML with a fresh `weasyprint.HTML(...).write_pdf()` each time and builds the same Word
file with a fresh python-docx document each time. Prints letters per second for both, `ratio: X`, peak
memory, the time of a rebuild with nothing changed, the time of `generate.py --help`, and the time of the
shipped campaign: `generate.py build --force` of the project's own default documents (every letter and
briefing pack, both formats) into an empty folder.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from keycities.build.jobs import Selection, plan_letters  # noqa: E402
from keycities.build.pipeline import FORMATS, build  # noqa: E402
from keycities.compose.composition import prepare  # noqa: E402
from keycities.data.inputs import load_inputs  # noqa: E402
from keycities.render.html import load_stylesheet, render_html  # noqa: E402
from keycities.render.pool import asset_folders  # noqa: E402

LETTER = "cities-in-action"


def make_project(folder: Path, count: int) -> Path:
    """A copy of the project with the one letter and N invented recipients."""
    for name in ("cities.yaml", "data", "templates", "assets", "cities"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    (folder / "letters").mkdir()
    shutil.copy(ROOT / "letters" / f"{LETTER}.md", folder / "letters")
    recipients = folder / "recipients.csv"
    with open(recipients, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "office", "role", "name", "honorific", "address", "email", "checked"])
        for number in range(1, count + 1):
            writer.writerow(
                [
                    f"recipient-{number:05d}",
                    f"Test Office {number}",
                    "mp",
                    f"Alex Example{number}",
                    "Mx",
                    f"{number} Example Street;Exampletown;EX{number % 90 + 1} 1EX",
                    f"recipient{number}@example.org",
                    "2019-02-01",
                ]
            )
    (folder / "recipients.yaml").write_text("recipients: []\n")
    return recipients


def timed_build(project_folder: Path, recipients: Path, out: Path, workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    project = prepare(load_inputs(project_folder, recipients_file=recipients))
    jobs = plan_letters(project, Selection(letter=LETTER))
    report = build(project, jobs, out, FORMATS, workers)
    if report.failed:
        raise SystemExit(f"the build failed: {report.failed[:3]}")
    return time.perf_counter() - started, len(report.built)


def baseline(project_folder: Path, recipients: Path, count: int) -> float:
    """One process; a fresh WeasyPrint HTML and a fresh python-docx document for every letter."""
    import weasyprint

    from keycities.render.docx import DocxRenderer

    project = prepare(load_inputs(project_folder, recipients_file=recipients))
    jobs = plan_letters(project, Selection(letter=LETTER))[:count]
    stylesheet = load_stylesheet(project_folder / "templates" / "print.css")
    started = time.perf_counter()
    for job in jobs:
        document = job.compose().document
        html = render_html(document, stylesheet=stylesheet)
        weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
        DocxRenderer(project_folder / "templates" / "reference.docx").render(document)
    return time.perf_counter() - started


def help_seconds() -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "generate.py"), "--help"], check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return min(runs)


def campaign_seconds(out: Path) -> tuple[float, int]:
    """The time of `generate.py build --force` of the project's default documents into an empty folder."""
    started = time.perf_counter()
    command = [sys.executable, str(ROOT / "generate.py"), "build", "--force", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    return seconds, len(list(out.glob("*/**/*.pdf"))) + len(list(out.glob("*/**/*.docx")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of letters (default 1000)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for the build"
    )
    parser.add_argument("--baseline", type=int, default=None, help="letters for the baseline (default: N)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "project").mkdir()
        recipients = make_project(folder / "project", arguments.n)
        out = folder / "out"
        build_seconds, built = timed_build(folder / "project", recipients, out, arguments.jobs)
        peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rebuild_seconds, rebuilt = timed_build(folder / "project", recipients, out, arguments.jobs)
        baseline_count = arguments.baseline or arguments.n
        baseline_seconds = baseline(folder / "project", recipients, baseline_count)
        shipped_seconds, shipped_files = campaign_seconds(folder / "campaign")
    build_rate = arguments.n / build_seconds
    baseline_rate = baseline_count / baseline_seconds
    print(f"letters: {arguments.n} ({built} built, both formats, {arguments.jobs} workers)")
    print(f"build: {build_seconds:.1f} s, {build_rate:.1f} letters/s")
    print(f"baseline: {baseline_seconds:.1f} s for {baseline_count}, {baseline_rate:.1f} letters/s")
    print(f"ratio: {build_rate / baseline_rate:.2f}")
    print(
        f"peak memory: main process {peak_main:.0f} MB, largest worker {peak_worker:.0f} MB, "
        f"at most {peak_main + arguments.jobs * peak_worker:.0f} MB in all"
    )
    print(f"no-change rebuild: {rebuild_seconds:.2f} s ({rebuilt} rebuilt)")
    print(f"generate.py --help: {help_seconds():.2f} s")
    print(f"campaign: {shipped_seconds:.1f} s ({shipped_files} files, every default document, both formats)")
    print(f"asset folders: {', '.join(str(path) for path in asset_folders(ROOT))}")


if __name__ == "__main__":
    main()
