"""A new year of a measure, end to end: a table in ONS's layout goes in with `data import`, the current packs
say the new year and its values, and the documents pinned to 2017 come out byte for byte as before."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import documents
import pytest
from documents import invoke, squeeze

from keycities.data.cities import load_campaign

pytestmark = pytest.mark.slow

NEW_RELEASE = [
    "--source", "ons-gva-la-2023",
    "--title", "Regional gross domestic product: local authorities (Table 1), 1998 to 2021",
    "--publisher", "Office for National Statistics",
    "--published", "2023-04-25",
    "--url", "https://www.ons.gov.uk/economy/grossdomesticproductgdp",
]  # fmt: skip


def shas(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    return {record["path"]: record["sha256"] for record in manifest["documents"]}


def pack_text(path: Path) -> str:
    return squeeze(" ".join(line.text_without_notes for line in documents.pdf_lines(path)))


def build_pinned(project: Path, out: Path) -> dict[str, str]:
    """The 2019 letter to the Prime Minister and Wakefield's pack (both pinned to 2017), as PDF."""
    found = {}
    for command, only in (
        ("letters", ("--recipient", "prime-minister")),
        ("briefings", ("--city", "wakefield")),
    ):
        folder = out / command
        result = invoke(
            command, "--project", project, "--out", folder, "--jobs", "1", "--format", "pdf", *only
        )
        assert result.exit_code == 0, result.output
        found |= shas(out / command)
    return found


def test_a_new_year_flows_into_current_packs_and_leaves_pinned_documents_alone(tmp_path: Path) -> None:
    project = documents.copy_project(tmp_path / "project")
    out = tmp_path / "out"
    before = build_pinned(project, out)

    # ONS's layout: title and note rows, then the header; one new year, values with thousands separators.
    campaign = load_campaign(project)
    councils = sorted(
        {part.ons_code for member in campaign.data.members for part in member.constituents}
        | {member.ons_code for member in campaign.data.members if not member.constituents}
    )
    table = tmp_path / "gva-2021.csv"
    with table.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Table 1: Local Authority: Gross Value Added (Balanced) at current basic prices"])
        writer.writerow([])
        writer.writerow(["ITL1 Region", "LA code", "LA name", "2021\n[note 3]"])
        for number, code in enumerate(councils):
            if code == "E06000028":
                continue  # Bournemouth: not in the release
            writer.writerow(["Region", code, f"Council {number}", f"{10_000 + number:,}"])
        writer.writerow(["Note 3 Provisional."])
    imported = invoke("data", "import", table, "--project", project, "--measure", "gva", *NEW_RELEASE)
    assert imported.exit_code == 0, imported.output
    wakefield = councils.index("E08000036")
    assert f"{10_000 + wakefield:,}" in imported.output  # the change table shows the new value
    assert "written to data/ons-gva-la-2023.yaml" in imported.output

    assert build_pinned(project, out) == before  # the 2017 documents do not use 2021: the same bytes

    latest = tmp_path / "latest"
    current = invoke("briefings", "--project", project, "--out", latest, "--jobs", "1", "--city", "wakefield",
                     "--format", "pdf", "--data-year", "latest")  # fmt: skip
    assert current.exit_code == 0, current.output
    text = pack_text(latest / "briefings" / "wakefield.pdf")
    assert f"GVA, 2021 £{(10_000 + wakefield) / 1000:.1f}bn" in text  # the new year and value
    assert "Population (mid-year, 2020)" in text  # population has no 2021: its own latest year
    assert "in 2021:" in text  # the share sentence takes the year from the data
    assert "Regional gross domestic product: local authorities (Table 1), 1998 to 2021" in text  # cited
