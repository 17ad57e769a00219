"""The members' MPs: `recipients/members-mps-2019.csv` is what `scripts/members-mps.py` makes from the
parliament reference data (../shared/data/parliament), facts only, one MP per member constituency."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from documents import PROJECT_ROOT

from keycities.data.inputs import load_inputs

SCRIPT = PROJECT_ROOT / "scripts" / "members-mps.py"
SHIPPED = PROJECT_ROOT / "recipients" / "members-mps-2019.csv"
PARLIAMENT = PROJECT_ROOT.parent / "shared" / "data" / "parliament"
needs_parliament = pytest.mark.skipif(
    not (PARLIAMENT / "member-constituencies.csv").is_file(),
    reason=f"the parliament reference data is not in {PARLIAMENT}",
)
# The six addresses the parliament README says to check: five not on parliament.uk, one an office's mailbox.
TO_VERIFY = {
    "Middlesbrough": "the email address is not on parliament.uk",
    "Newport West": "the email address is not on parliament.uk",
    "Norwich North": "the email address is not on parliament.uk",
    "Plymouth, Moor View": "the email address is not on parliament.uk",
    "Rochford and Southend East": "the email address is not on parliament.uk",
    "South West Devon": "the email address is an office's mailbox, not the MP's own",
}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read(SHIPPED)


@needs_parliament
def test_the_script_reproduces_the_shipped_list_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "made" / "members-mps-2019.csv"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--parliament", str(PARLIAMENT), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"73 MPs written to {out}"
    assert out.read_bytes() == SHIPPED.read_bytes()


@needs_parliament
def test_one_row_per_member_constituency(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 73
    constituencies = [row["constituency"] for row in rows]
    assert len(set(constituencies)) == 73
    pairs = read(PARLIAMENT / "member-constituencies.csv")
    assert set(constituencies) == {pair["constituency"] for pair in pairs}
    assert len({row["id"] for row in rows}) == 73
    assert {row["role"] for row in rows} == {"mp"}
    assert {row["checked"] for row in rows} == {"2019-02-04"}
    for row in rows:
        assert row["office"] == f"Member of Parliament for {row['constituency']}"


@needs_parliament
def test_whole_or_part_as_the_lookup_says(rows: list[dict[str, str]]) -> None:
    # A constituency is whole in a member when any of its wards' rows says so (Middlesbrough South and East
    # Cleveland covers two Tees Valley councils, both of one member).
    pairs = read(PARLIAMENT / "member-constituencies.csv")
    expected: dict[str, str] = {}
    for pair in pairs:
        key = pair["constituency"]
        expected[key] = "whole" if pair["share"] == "whole" or expected.get(key) == "whole" else "part"
    assert {row["constituency"]: row["share"] for row in rows} == expected
    members = {pair["constituency"]: pair["member_slug"] for pair in pairs}
    assert {row["constituency"]: row["member"] for row in rows} == members


def test_verify_exactly_for_the_six_addresses_the_readme_names(rows: list[dict[str, str]]) -> None:
    flagged = {row["constituency"]: row["note"] for row in rows if row["verify"] == "true"}
    assert flagged == TO_VERIFY
    assert {row["verify"] for row in rows} == {"true", ""}
    assert all(row["note"] == "" for row in rows if row["verify"] != "true")


@needs_parliament
def test_the_readme_of_the_parliament_data_names_those_six() -> None:
    readme = (PARLIAMENT / "README.md").read_text(encoding="utf-8")
    for constituency in ("Middlesbrough", "Newport West", "Norwich North", "Plymouth Moor View", "Rochford"):
        assert constituency in readme
    assert "South West Devon's is an office mailbox (`deans@parliament.uk`)" in readme


@needs_parliament
def test_honorifics_come_from_the_sources_sort_names(rows: list[dict[str, str]]) -> None:
    sort_names = {mp["name"]: mp["sort_name"] for mp in read(PARLIAMENT / "mps-2017-parliament.csv")}
    by_name = {row["name"]: row["honorific"] for row in rows}
    assert by_name["David Amess"] == "Sir"
    assert by_name["Rosie Winterton"] == "Dame"
    assert by_name["Barry Sheerman"] == "Mr"
    assert by_name["Mary Creagh"] == ""  # the source's sort name gives none: none is guessed
    titles = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame"}
    for name, honorific in by_name.items():
        first = sort_names[name].partition(", ")[2].split(" ")[0]  # "Sheerman, Mr Barry" -> "Mr"
        assert honorific == (first if first in titles else ""), (name, sort_names[name])


def test_the_shipped_list_loads_with_its_letter_and_every_form_of_address() -> None:
    inputs = load_inputs(PROJECT_ROOT)
    letter = inputs.letter("cities-in-action-mps")
    assert letter.front.recipients == "recipients/members-mps-2019.csv"
    addressees = {a.record.id: a for a in inputs.addressees_of(letter)}
    assert len(addressees) == 73
    assert {a.record.id for a in inputs.addressees}.isdisjoint(addressees)  # the project's list is apart
    forms = {
        recipient: (addressees[recipient].address_lines[0], addressees[recipient].salutation)
        for recipient in ("mary-creagh", "david-amess", "rosie-winterton", "simon-clarke", "barry-sheerman")
    }
    assert forms == {
        "mary-creagh": ("Mary Creagh MP", "Dear Mary Creagh"),
        "david-amess": ("Sir David Amess MP", "Dear Sir David"),
        "rosie-winterton": ("Dame Rosie Winterton MP", "Dear Dame Rosie"),
        "simon-clarke": ("Simon Clarke MP", "Dear Mr Clarke"),
        "barry-sheerman": ("Barry Sheerman MP", "Dear Mr Sheerman"),
    }
    creagh = addressees["mary-creagh"].record
    assert (creagh.member, creagh.fields["constituency"], creagh.fields["share"]) == (
        "wakefield",
        "Wakefield",
        "whole",
    )
    assert addressees["mary-creagh"].source == f"recipients/members-mps-2019.csv:{_line('mary-creagh')}"


def _line(recipient: str) -> int:
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, start=1) if text.startswith(f"{recipient},"))
