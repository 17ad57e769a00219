#!/usr/bin/env python3
"""Make the recipient list of the members' MPs: one row per MP sitting on a date for a constituency that
covers a member council, from ONS's ward-to-constituency lookup and the list of a Parliament's MPs.

    python scripts/members-mps.py                       # the shipped list, for 4 February 2019
    python scripts/members-mps.py --date 2019-02-04 --parliament ../shared/data/parliament \\
        --out recipients/members-mps-2019.csv

For a new Parliament, give its files in the same columns (see ../shared/data/parliament/README.md) and a new
date and output name. The list is facts only: an MP's honorific is taken from the source's sort name when it
gives one ("Sheerman, Mr Barry"), an address that is not a parliament.uk mailbox of the MP's own is marked
`verify: true`, and a constituency with no MP sitting on the date stops the script with its name.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame")
OFFICE_MAILBOXES = {"deans@parliament.uk"}  # a parliamentary office's mailbox, not the MP's own
COLUMNS = [
    "id", "role", "name", "honorific", "post_nominals", "office", "address", "email", "party",
    "constituency", "member", "share", "checked", "verify", "note",
]  # fmt: skip


def sitting(mps: list[dict[str, str]], constituency: str, on: date) -> dict[str, str]:
    """The one MP for `constituency` on the date: start blank or on/before it, end blank or on/after it."""
    found = [
        row
        for row in mps
        if row["constituency"] == constituency
        and (not row["start_date"] or date.fromisoformat(row["start_date"]) <= on)
        and (not row["end_date"] or date.fromisoformat(row["end_date"]) >= on)
    ]
    if len(found) != 1:
        sys.exit(f"error: {constituency}: {len(found)} MPs sitting on {on.isoformat()}; expected one")
    return found[0]


def honorific(sort_name: str) -> str:
    """`Mr` from "Sheerman, Mr Barry"; empty when the source gives none."""
    given = sort_name.split(", ", 1)[1] if ", " in sort_name else ""
    first = given.split(" ", 1)[0]
    return first if first in HONORIFICS else ""


def identifier(name: str, taken: set[str]) -> str:
    """`mary-creagh`, made unique with the constituency's words if two MPs share a name."""
    base = "-".join(re.findall(r"[a-z0-9]+", name.lower()))
    made, number = base, 2
    while made in taken:
        made, number = f"{base}-{number}", number + 1
    taken.add(made)
    return made


def rows(parliament: Path, on: date) -> list[dict[str, str]]:
    """The list's rows, by member and constituency."""
    with (parliament / "member-constituencies.csv").open(encoding="utf-8", newline="") as file:
        pairs = list(csv.DictReader(file))
    with (parliament / "mps-2017-parliament.csv").open(encoding="utf-8", newline="") as file:
        mps = list(csv.DictReader(file))
    # A constituency is whole in a member when any of its rows says so; else it is part of the member.
    shares: dict[tuple[str, str], str] = {}
    for pair in pairs:
        key = (pair["member_slug"], pair["constituency"])
        shares[key] = "whole" if pair["share"] == "whole" or shares.get(key) == "whole" else "part"
    taken: set[str] = set()
    made = []
    for (member, constituency), share in sorted(shares.items()):
        mp = sitting(mps, constituency, on)
        email = mp["email"].strip()
        checks = []
        if not email.endswith("@parliament.uk"):
            checks.append("is not on parliament.uk")
        if email in OFFICE_MAILBOXES:
            checks.append("is an office's mailbox, not the MP's own")
        made.append(
            {
                "id": identifier(mp["name"], taken),
                "role": "mp",
                "name": mp["name"],
                "honorific": honorific(mp["sort_name"]),
                "post_nominals": "MP",
                "office": f"Member of Parliament for {constituency}",
                "address": "House of Commons;London;SW1A 0AA",
                "email": email,
                "party": mp["party"],
                "constituency": constituency,
                "member": member,
                "share": share,
                "checked": on.isoformat(),
                "verify": "true" if checks else "",
                "note": f"the email address {' and '.join(checks)}" if checks else "",
            }
        )
    return made


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--parliament", type=Path, default=ROOT.parent / "shared" / "data" / "parliament")
    parser.add_argument("--date", type=date.fromisoformat, default=date(2019, 2, 4))
    parser.add_argument("--out", type=Path, default=ROOT / "recipients" / "members-mps-2019.csv")
    options = parser.parse_args()
    made = rows(options.parliament, options.date)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with options.out.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(made)
    print(f"{len(made)} MPs written to {options.out}")


if __name__ == "__main__":
    main()
