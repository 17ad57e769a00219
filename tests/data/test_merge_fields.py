"""Recipients as a contact list: every column the tool does not know is a merge field, `member` links a
recipient to a member city (`member`, `local`), a letter may name its own list, the list is checked in one
pass and forgiving where a spreadsheet is, and forms of address follow UK convention.

Lists are real files in a copy of the project, read as the command line reads them; built letters are read
back with python-docx (and pypdf where the form of address is checked on paper).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from build_support import invoke
from documents import assert_clean_failure, copy_project, edit, letters, line_of, pdf_lines, squeeze
from letters_support import word_text

from keycities.compose.blocks import Paragraph
from keycities.compose.composition import prepare
from keycities.data import addressing
from keycities.data.inputs import load_inputs
from keycities.data.recipients import BUILT_IN, KNOWN_COLUMNS, load_recipients

MP_LETTER = "cities-in-action-mps"
HEADER = "id,office,role,name,honorific,post_nominals,address,email,checked"
ADDRESS = "House of Commons;London;SW1A 0AA"


def row(
    identifier: str,
    name: str = "Mary Creagh",
    *,
    role: str = "mp",
    honorific: str = "",
    post_nominals: str = "MP",
    **more: str,
) -> str:
    """A CSV row under HEADER, then the values of any extra columns, in the order given."""
    email = more.pop("email", f"{identifier or 'someone'}@example.org")
    checked = more.pop("checked", "2019-02-04")
    office = "Member of Parliament for Wakefield"
    cells = [identifier, office, role, name, honorific, post_nominals, ADDRESS, email, checked]
    return ",".join([*cells, *more.values()])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def check(project: Path, recipients: Path | None = None) -> tuple[int, str, str]:
    """`check` on a project (with a list of its own, if given): exit code, stdout, stderr."""
    extra = ["--recipients", recipients] if recipients else []
    result = invoke("check", "--project", project, *extra)
    return result.exit_code, result.stdout, result.stderr


def errors(stderr: str) -> list[str]:
    """The problems reported (the `error: ` lines), without their prefix."""
    return [line.removeprefix("error: ") for line in stderr.splitlines() if line.startswith("error: ")]


# ---- Forms of address ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "name", "honorific", "expected"),
    [
        ("mp", "Mary Creagh", None, "Dear Mary Creagh"),
        ("mp", "Mary Creagh", "Ms", "Dear Ms Creagh"),
        ("mp", "Barry Sheerman", "Mr", "Dear Mr Sheerman"),
        ("mp", "David Amess", "Sir", "Dear Sir David"),
        ("mp", "Sir David Amess", "Sir", "Dear Sir David"),  # the title already in the name
        ("mp", "Sir David Amess", None, "Dear Sir David"),
        ("mp", "Rosie Winterton", "Dame", "Dear Dame Rosie"),
        ("peer", "The Lord Ashworth of Thornbury", None, "Dear Lord Ashworth"),
        ("peer", "Baroness Jones of Moulsecoomb", None, "Dear Baroness Jones"),
        ("peer", "Lord Smith", None, "Dear Lord Smith"),
        ("council-leader", "Jo Bloggs", None, "Dear Councillor Bloggs"),
        ("council-leader", "Cllr Jo Bloggs", None, "Dear Councillor Bloggs"),
        ("chief-secretary", "Liz Truss", None, "Dear Chief Secretary"),
        ("prime-minister", "Theresa May", None, "Dear Prime Minister"),
        ("office", None, None, "Dear Sir or Madam"),
        ("mp", None, None, "Dear Sir or Madam"),
    ],
)
def test_salutation_by_uk_convention(
    role: str, name: str | None, honorific: str | None, expected: str
) -> None:
    assert addressing.salutation(role, name, honorific) == expected
    close = "Yours faithfully" if expected == "Dear Sir or Madam" else "Yours sincerely"
    assert addressing.close_for(expected) == close


@pytest.mark.parametrize(
    ("role", "name", "honorific", "style", "post_nominals", "expected"),
    [
        ("mp", "Mary Creagh", None, None, "MP", "Mary Creagh MP"),
        ("mp", "Mary Creagh", "Ms", None, "MP", "Mary Creagh MP"),  # Mr/Ms stay out of the address
        ("mp", "David Amess", "Sir", None, "MP", "Sir David Amess MP"),
        ("mp", "Sir David Amess", "Sir", None, "MP", "Sir David Amess MP"),  # not "Sir Sir"
        ("mp", "Rosie Winterton", "Dame", "The Rt Hon", "MP", "The Rt Hon Dame Rosie Winterton MP"),
        ("peer", "The Lord Ashworth of Thornbury", None, None, None, "The Lord Ashworth of Thornbury"),
        ("council-leader", "Jo Bloggs", None, None, None, "Councillor Jo Bloggs"),
        ("council-leader", "Councillor Jo Bloggs", None, None, None, "Councillor Jo Bloggs"),
        ("council-leader", "Cllr Jo Bloggs", None, None, None, "Cllr Jo Bloggs"),
        ("council-leader", "Jo Bloggs", None, "Dr", None, "Dr Jo Bloggs"),  # a given style wins
        ("prime-minister", "Theresa May", None, "The Rt Hon", "MP", "The Rt Hon Theresa May MP"),
    ],
)
def test_address_line_by_uk_convention(
    role: str, name: str, honorific: str | None, style: str | None, post_nominals: str | None, expected: str
) -> None:
    assert addressing.holder_line(role, name, honorific, style, post_nominals) == expected


FORMS_CSV = "\n".join(
    [
        HEADER + ",style",
        row("mary-creagh", "Mary Creagh", style=""),
        row("david-amess", "David Amess", honorific="Sir", style=""),
        row("rosie-winterton", "Rosie Winterton", honorific="Dame", style=""),
        row("lord-ashworth", "The Lord Ashworth of Thornbury", role="peer", post_nominals="", style=""),
        row("leader-bloggs", "Jo Bloggs", role="council-leader", post_nominals="", style=""),
        row("chief-secretary", "Liz Truss", role="chief-secretary", style="The Rt Hon"),
        "",
    ]
)
FORMS = {
    # recipient: (first address line, salutation)
    "mary-creagh": ("Mary Creagh MP", "Dear Mary Creagh"),
    "david-amess": ("Sir David Amess MP", "Dear Sir David"),
    "rosie-winterton": ("Dame Rosie Winterton MP", "Dear Dame Rosie"),
    "lord-ashworth": ("The Lord Ashworth of Thornbury", "Dear Lord Ashworth"),
    "leader-bloggs": ("Councillor Jo Bloggs", "Dear Councillor Bloggs"),
    "chief-secretary": ("The Rt Hon Liz Truss MP", "Dear Chief Secretary"),
}


def test_forms_of_address_from_a_csv_list(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "forms.csv", FORMS_CSV)
    addressees, warnings = load_recipients(tmp_path, only=csv_file)
    assert warnings == []  # an unknown column is a merge field, not a warning
    found = {a.record.id: (a.address_lines[0], a.salutation) for a in addressees}
    assert found == FORMS
    assert {a.close for a in addressees} == {"Yours sincerely"}


@pytest.fixture(scope="module")
def forms_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped letter built for the forms list, as PDF and Word."""
    root = tmp_path_factory.mktemp("forms")
    csv_file = write(root / "forms.csv", FORMS_CSV)
    out = root / "out"
    result = letters(
        copy_project(root / "project"), out, "--letter", "cities-in-action", "--recipients", str(csv_file),
        "--recipient", "david-amess",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for recipient in ("rosie-winterton", "lord-ashworth", "leader-bloggs"):
        result = letters(
            root / "project", out, "--letter", "cities-in-action", "--recipients", str(csv_file),
            "--recipient", recipient, "--format", "docx",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    return out / "letters" / "cities-in-action"


@pytest.mark.slow
def test_a_knight_is_addressed_by_convention_on_paper(forms_built: Path) -> None:
    lines = [squeeze(line.text_without_notes) for line in pdf_lines(forms_built / "david-amess.pdf")]
    assert "Sir David Amess MP" in lines
    assert "Dear Sir David," in lines
    assert "Yours sincerely," in lines
    text = word_text(forms_built / "david-amess.docx")
    assert [p.text for p in text.styled("Salutation")] == ["Dear Sir David,"]


@pytest.mark.parametrize("recipient", ["rosie-winterton", "lord-ashworth", "leader-bloggs"])
@pytest.mark.slow
def test_forms_of_address_in_the_word_letter(forms_built: Path, recipient: str) -> None:
    holder, greeting = FORMS[recipient]
    text = word_text(forms_built / f"{recipient}.docx")
    assert holder in [p.text for p in text.body]
    assert [p.text for p in text.styled("Salutation")] == [f"{greeting},"]
    assert [p.text for p in text.styled("Close")] == ["Yours sincerely,"]


# ---- Merge fields -----------------------------------------------------------------------------------


def test_every_unknown_column_is_a_merge_field(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "list.csv",
        "\n".join(
            [
                HEADER + ",constituency,party,Ward Name",
                row("mary-creagh", constituency="Wakefield", party="Labour", ward="Wakefield East"),
                row("no-party", "Jo Bloggs", constituency="Hull North", party="", ward=" "),
                "",
            ]
        ),
    )
    (first, second), warnings = load_recipients(tmp_path, only=csv_file)
    assert warnings == []
    assert first.record.fields == {
        "constituency": "Wakefield",
        "party": "Labour",
        "Ward Name": "Wakefield East",
    }
    assert second.record.fields == {"constituency": "Hull North", "party": None, "Ward Name": None}


def test_unknown_yaml_keys_are_merge_fields_and_a_record_without_one_lacks_it(tmp_path: Path) -> None:
    yaml_file = write(
        tmp_path / "list.yaml",
        """\
recipients:
  - id: mary-creagh
    office: Member of Parliament for Wakefield
    role: mp
    name: Mary Creagh
    address: [House of Commons, London, SW1A 0AA]
    checked: 2019-02-04
    constituency: Wakefield
    majority: 2176
  - id: jo-bloggs
    office: Member of Parliament for Hull North
    role: mp
    name: Jo Bloggs
    address: [House of Commons, London, SW1A 0AA]
    checked: 2019-02-04
""",
    )
    (first, second), warnings = load_recipients(tmp_path, only=yaml_file)
    assert warnings == []
    assert first.record.fields == {"constituency": "Wakefield", "majority": "2176"}
    assert second.record.fields == {"constituency": None, "majority": None}


def test_a_merge_field_is_one_value(tmp_path: Path) -> None:
    yaml_file = write(
        tmp_path / "list.yaml",
        "recipients:\n  - id: a\n    office: O\n    role: office\n    address: [X, Y]\n"
        "    checked: 2019-02-04\n    wards: [East, West]\n",
    )
    code, _, stderr = check(copy_project(tmp_path / "project"), yaml_file)
    assert code == 1
    line = line_of(yaml_file, "wards:")
    assert errors(stderr) == [
        f"list.yaml:{line}: recipients[0].wards: a merge field is one value, not a list"
    ]


@pytest.mark.parametrize("column", ["holder", "close", "address_lines", "fields", "source"])
def test_a_column_named_like_a_built_in_is_an_error_naming_it(project: Path, column: str) -> None:
    assert column in BUILT_IN and column not in KNOWN_COLUMNS
    csv_file = write(project / "mine.csv", f"{HEADER},{column}\n{row('a', extra='x')}\n")
    result = invoke("check", "--project", project, "--recipients", csv_file)
    assert result.exit_code == 1, result.stderr
    assert (
        f"'{column}' is a name every recipient already has in a letter (`recipient.{column}`); rename the "
        "column" in result.stderr
    )


def test_the_built_in_names_are_those_a_letter_already_has() -> None:
    # salutation is a column of its own (it wins over the role's), so never a merge field
    assert {"holder", "close", "address_lines", "fields", "source"} == BUILT_IN - KNOWN_COLUMNS
    assert {"salutation"} == BUILT_IN & KNOWN_COLUMNS


def test_salutation_is_a_known_column_not_a_merge_field(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER},salutation\n{row('a', salutation='Dear Mary')}\n")
    (addressee,), warnings = load_recipients(tmp_path, only=csv_file)
    assert (addressee.salutation, addressee.record.fields, warnings) == ("Dear Mary", {}, [])


FIELDS_LETTER = """\
---
subject: "Merge fields"
date: 2019-02-04
signatory: peter-box
recipients: recipients/fields.csv
to: [all]
---
Constituency: {{ recipient.constituency }}.

{% if recipient.party is defined %}Party: {{ recipient.party }}.{% else %}No party given.{% endif %}
"""


def fields_project(project: Path, *rows: str) -> Path:
    write(project / "letters" / "fields.md", FIELDS_LETTER)
    write(project / "recipients" / "fields.csv", "\n".join([f"{HEADER},constituency,party", *rows, ""]))
    return project


def body_of(docx: Path) -> list[str]:
    return [p.text for p in word_text(docx).body if p.text.startswith(("Constituency", "Party", "No party"))]


def test_a_letter_places_merge_fields_and_tests_for_one_a_recipient_lacks(
    project: Path, tmp_path: Path
) -> None:
    fields_project(
        project, row("a", constituency="Wakefield", party="Labour"), row("b", constituency="Hull", party="")
    )
    out = tmp_path / "out"
    result = letters(project, out, "--letter", "fields", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert body_of(out / "letters/fields/a.docx") == ["Constituency: Wakefield.", "Party: Labour."]
    assert body_of(out / "letters/fields/b.docx") == ["Constituency: Hull.", "No party given."]


def test_placing_a_merge_field_a_recipient_lacks_fails_only_that_document(
    project: Path, tmp_path: Path
) -> None:
    fields_project(
        project, row("a", constituency="Wakefield", party="Labour"), row("b", constituency="", party="Labour")
    )
    out = tmp_path / "out"
    result = letters(project, out, "--letter", "fields", "--format", "docx")
    line = line_of(project / "recipients" / "fields.csv", "b,")
    assert_clean_failure(
        result,
        f"fields/b: letters/fields.md:8: recipients/fields.csv:{line}: b has no 'constituency'; fill it in, "
        "or test `{% if recipient.constituency is defined %}`",
    )
    assert (out / "letters/fields/a.docx").is_file()
    assert not (out / "letters/fields/b.docx").exists()
    assert "1 built, 0 skipped, 1 failed" in result.stdout


# ---- member and local --------------------------------------------------------------------------------


def test_member_gives_the_letter_the_member_and_its_figures(project: Path) -> None:
    letter = FIELDS_LETTER.replace("date: 2019-02-04\n", "date: 2019-02-04\ndata_year: 2017\n").replace(
        "Constituency: {{ recipient.constituency }}.",
        "{{ member.name }} ({{ member.council }}): {{ local.gva_per_filled_job | bare }} in "
        "{{ local.gva_per_filled_job.year }}.",
    )
    write(project / "letters" / "fields.md", letter)
    write(project / "recipients" / "fields.csv", f"{HEADER},member\n{row('a', member='wakefield')}\n")
    composition = prepare(load_inputs(project))
    letter = composition.inputs.letter("fields")
    (addressee,) = composition.inputs.addressees_of(letter)
    assert addressee.record.member == "wakefield"
    document = composition.composer.letter(letter, addressee).document
    body = [
        "".join(run.text for run in b.runs)
        for b in document.blocks
        if isinstance(b, Paragraph) and b.role == "body"
    ]
    assert body[0] == "Wakefield (Wakefield Council): £44,727 in 2017."


def test_an_unknown_member_is_an_error_listing_the_slugs(project: Path) -> None:
    csv_file = write(
        project / "recipients" / "mine.csv",
        f"{HEADER},member\n{row('a', member='wakefield')}\n{row('b', member='leeds')}\n",
    )
    result = invoke("check", "--project", project, "--recipients", csv_file)
    found = assert_clean_failure(
        result, "mine.csv:3: b: member 'leeds' is not a member in cities.yaml; use a member's slug: "
    )
    slugs = found.split("use a member's slug: ")[1].splitlines()[0]
    assert slugs.startswith("blackpool, bournemouth, bradford,")
    assert "wakefield" in slugs and "tees-valley" in slugs


def test_an_unknown_member_in_a_letters_own_list_is_an_error_with_its_line(project: Path) -> None:
    path = project / "recipients" / "members-mps-2019.csv"
    edit(path, ",Wakefield,wakefield,whole,", ",Wakefield,wakefeld,whole,")
    line = line_of(path, "mary-creagh,")
    code, _, stderr = check(project)
    assert code == 1
    assert errors(stderr)[0].startswith(
        f"recipients/members-mps-2019.csv:{line}: mary-creagh: member 'wakefeld' is not a member in "
        "cities.yaml"
    )


def test_a_letter_using_member_for_a_recipient_without_one_fails_that_document(
    project: Path, tmp_path: Path
) -> None:
    csv_file = write(
        tmp_path / "mps.csv",
        "\n".join([
            f"{HEADER},constituency,member,share",
            row("mary-creagh", constituency="Wakefield", member="wakefield", share="whole"),
            row("no-member", "Jo Bloggs", constituency="Hull North", member="", share="whole"),
            "",
        ]),
    )  # fmt: skip
    out = tmp_path / "out"
    result = letters(project, out, "--letter", MP_LETTER, "--recipients", csv_file, "--format", "docx")
    assert_clean_failure(
        result,
        "cities-in-action-mps/no-member: letters/cities-in-action-mps.md:",
        "mps.csv:3: no-member has no member city: give the recipient a `member` column (a member's slug), or "
        "test `{% if member is defined %}`",
    )
    assert (out / "letters" / MP_LETTER / "mary-creagh.docx").is_file()
    assert not (out / "letters" / MP_LETTER / "no-member.docx").exists()


# ---- A letter's own list -----------------------------------------------------------------------------


def test_a_letter_goes_to_its_own_yaml_list(project: Path, tmp_path: Path) -> None:
    write(
        project / "recipients" / "leaders.yaml",
        """\
recipients:
  - id: leader-hull
    office: Leader of Hull City Council
    role: Council Leader
    name: Stephen Brady
    address: [Guildhall, Alfred Gelder Street, Hull, HU1 2AA]
    checked: 15/01/2019
    member: hull
""",
    )
    edit(
        project / "letters" / "cities-in-action.md",
        "to: [all]",
        "recipients: recipients/leaders.yaml\nto: [all]",
    )
    inputs = load_inputs(project)
    chosen = inputs.addressees_of(inputs.letter("cities-in-action"))
    assert [(a.record.id, a.record.checked, a.salutation) for a in chosen] == [
        ("leader-hull", date(2019, 1, 15), "Dear Councillor Brady")
    ]
    assert chosen[0].source == "recipients/leaders.yaml:2"
    out = tmp_path / "out"
    result = letters(project, out, "--letter", "cities-in-action", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in (out / "letters" / "cities-in-action").iterdir()) == [
        "cities-in-action-sources.docx",  # its notes and sources, sent with it (`notes: enclosure`)
        "leader-hull.docx",
    ]
    text = word_text(out / "letters" / "cities-in-action" / "leader-hull.docx")
    assert "Councillor Stephen Brady" in [p.text for p in text.body]


def test_a_letters_list_that_does_not_exist_is_an_error_with_its_line(project: Path) -> None:
    path = project / "letters" / f"{MP_LETTER}.md"
    edit(path, "recipients: recipients/members-mps-2019.csv", "recipients: recipients/members-mps-2024.csv")
    line = line_of(path, "recipients: ")
    code, _, stderr = check(project)
    assert code == 1
    assert errors(stderr)[0] == (
        f"letters/{MP_LETTER}.md:{line}: recipients: no such file recipients/members-mps-2024.csv; create it "
        "or fix the name"
    )


def test_recipients_on_the_command_line_replace_every_letters_list(project: Path, tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "one.csv",
        f"{HEADER},constituency,member,share\n"
        f"{row('only-one', constituency='Wakefield', member='wakefield', share='whole')}\n",
    )
    inputs = load_inputs(project, recipients_file=csv_file)
    for name in ("cities-in-action", MP_LETTER):
        assert [a.record.id for a in inputs.addressees_of(inputs.letter(name))] == ["only-one"]
    code, stdout, _ = check(project, csv_file)
    assert code == 0
    assert "1 recipient and 2 letters valid" in stdout.splitlines()[-1]


# ---- Checked in one pass -------------------------------------------------------------------------------


def test_every_problem_of_a_list_is_reported_at_once(project: Path) -> None:
    csv_file = write(
        project / "recipients" / "bad.csv",
        "\n".join(
            [
                f"{HEADER},party,party",
                row("good", party="Labour", again="Labour"),
                row("Bad_Id", party="Labour", again="Labour"),
                row("bad-role", role="boss", party="Labour", again="Labour"),
                row("bad-date", checked="2019-02-30", party="Labour", again="Labour"),
                row("bad-email", email="mary.creagh.example.org", party="Labour", again="Labour"),
                "",
            ]
        ),
    )
    code, _, stderr = check(project, csv_file)
    assert code == 1
    assert stderr.splitlines()[-1] == "5 problems found; nothing was written"
    problems = errors(stderr)
    role = next(problem for problem in problems if ".role: " in problem)
    assert problems == [
        "bad.csv:1: columns 10 and 11 are both 'party'; remove or rename one",
        "bad.csv:3: recipients[1].id: expected lowercase words joined by hyphens, e.g. leader-hull, got "
        "'Bad_Id'",
        role,
        "bad.csv:5: recipients[3].checked: expected a date like 2019-02-04, got '2019-02-30'",
        "bad.csv:6: recipients[4].email: expected an email address like name@example.org, got "
        "'mary.creagh.example.org'",
    ]
    assert role.startswith("bad.csv:4: recipients[2].role: expected 'prime-minister', 'chancellor', ")
    assert role.endswith("got 'boss'")


def test_a_bad_email_address_says_what_is_expected(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "list.csv",
        f"{HEADER}\n{row('a', email='mary@creagh')}\n{row('b', email='two words@example.org')}\n",
    )
    code, _, stderr = check(copy_project(tmp_path / "project"), csv_file)
    assert code == 1
    assert errors(stderr) == [
        "list.csv:2: recipients[0].email: expected an email address like name@example.org, got 'mary@creagh'",
        "list.csv:3: recipients[1].email: expected an email address like name@example.org, got "
        "'two words@example.org'",
    ]


def test_duplicate_ids_and_shared_email_addresses_are_reported_together(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "list.csv",
        "\n".join(
            [HEADER, row("a"), row("a", email="other@example.org"), row("b", email="A@Example.org"), ""]
        ),
    )
    code, _, stderr = check(copy_project(tmp_path / "project"), csv_file)
    assert code == 1
    assert errors(stderr) == [
        "list.csv:3: recipients[1]: duplicate id 'a' (first used at list.csv:2); each must be unique",
        "list.csv:4: recipients[2]: b: the email address A@Example.org is also list.csv:2 (a)'s; each "
        "recipient needs their own, or the letter would go to one address twice",
    ]
    assert stderr.splitlines()[-1] == "2 problems found; nothing was written"


def test_duplicates_are_reported_beside_a_bad_record(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "list.csv",
        "\n".join([HEADER, row("a"), row("a", email="other@example.org"), row("c", role="boss"), ""]),
    )
    _, _, stderr = check(copy_project(tmp_path / "project"), csv_file)
    problems = errors(stderr)
    assert any("duplicate id 'a'" in problem for problem in problems), problems
    assert any("recipients[2].role" in problem for problem in problems), problems


# ---- Forgiving -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "role"),
    [
        ("Council Leader", "council-leader"),
        ("  council leader ", "council-leader"),
        ("COUNCIL-LEADER", "council-leader"),
        ("MP", "mp"),
        ("Chief Secretary", "chief-secretary"),
        ("prime_minister", "prime-minister"),
        ("Secretary of State", "secretary-of-state"),
    ],
)
def test_roles_in_any_case_and_with_spaces(tmp_path: Path, written: str, role: str) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER}\n{row('a', role=written)}\n")
    (addressee,), warnings = load_recipients(tmp_path, only=csv_file)
    assert (addressee.record.role, warnings) == (role, [])


@pytest.mark.parametrize(
    ("written", "day"),
    [("15/01/2019", date(2019, 1, 15)), ("4/2/2019", date(2019, 2, 4)), ("2019-01-15", date(2019, 1, 15))],
)
def test_checked_dates_the_uk_way_or_iso(tmp_path: Path, written: str, day: date) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER}\n{row('a', checked=written)}\n")
    (addressee,), _ = load_recipients(tmp_path, only=csv_file)
    assert addressee.record.checked == day


def test_uk_dates_in_yaml_too(tmp_path: Path) -> None:
    yaml_file = write(
        tmp_path / "list.yaml",
        'recipients:\n  - {id: a, office: O, role: office, address: [X, Y], checked: "15/01/2019"}\n',
    )
    (addressee,), _ = load_recipients(tmp_path, only=yaml_file)
    assert addressee.record.checked == date(2019, 1, 15)


@pytest.mark.parametrize("bad", ["31/02/2019", "15/13/2019", "15-01-2019"])
def test_a_uk_date_that_is_no_day_is_an_error(tmp_path: Path, bad: str) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER}\n{row('a', checked=bad)}\n")
    _, _, stderr = check(copy_project(tmp_path / "project"), csv_file)
    assert (
        errors(stderr)[0]
        == f"list.csv:2: recipients[0].checked: expected a date like 2019-02-04, got '{bad}'"
    )


def general_letter_only(project: Path) -> Path:
    """The project without the MP letter: `check --recipients` composes every letter for the list, and that
    letter places columns (`share`, `member`) these lists do not have, which `check` rightly reports."""
    (project / "letters" / "cities-in-action-mps.md").unlink()
    return project


def test_an_empty_id_is_made_from_the_name_with_a_warning(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "list.csv",
        f"{HEADER}\n{row('', 'Mary Creagh', email='m@example.org')}\n{row('', 'Siân Gwenllian')}\n",
    )
    project = general_letter_only(copy_project(tmp_path / "project"))
    code, _, stderr = check(project, csv_file)
    assert code == 0, stderr
    assert (
        "warning: list.csv:2: recipients[0]: no id, so 'mary-creagh' was made from the name (ids are "
        "lowercase words joined by hyphens, e.g. leader-hull)"
    ) in stderr.splitlines()
    addressees, _ = load_recipients(tmp_path, only=csv_file)
    assert [a.record.id for a in addressees] == ["mary-creagh", "sian-gwenllian"]


@pytest.mark.parametrize("bad", ["Leader Hull", "leader_hull", "Leader-Hull", "-hull", "leader--hull"])
def test_a_bad_id_says_what_an_id_looks_like(tmp_path: Path, bad: str) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER}\n{row(bad)}\n")
    _, _, stderr = check(copy_project(tmp_path / "project"), csv_file)
    assert errors(stderr)[0] == (
        f"list.csv:2: recipients[0].id: expected lowercase words joined by hyphens, e.g. leader-hull, got "
        f"'{bad}'"
    )


def test_unknown_columns_are_not_warned_about_even_under_strict(tmp_path: Path) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER},constituency\n{row('a', constituency='Wakefield')}\n")
    project = general_letter_only(copy_project(tmp_path / "project"))
    result = invoke("check", "--project", project, "--strict", "--recipients", csv_file)
    assert result.exit_code == 0, result.stderr
    assert "constituency" not in result.stderr


# ---- verify and note -------------------------------------------------------------------------------------


def test_the_verify_warning_gives_the_records_note(project: Path, tmp_path: Path) -> None:
    path = project / "recipients" / "members-mps-2019.csv"
    line = line_of(path, "paul-flynn,")
    out = tmp_path / "out"
    result = letters(project, out, "--letter", MP_LETTER, "--recipient", "paul-flynn", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert (
        f"recipients/members-mps-2019.csv:{line}: paul-flynn: the email address is not on parliament.uk; "
        "check it, then remove 'verify: true'"
    ) in result.stderr


def test_the_verify_warning_without_a_note_names_the_holder(project: Path, tmp_path: Path) -> None:
    csv_file = write(tmp_path / "list.csv", f"{HEADER},verify,note\n{row('a', verify='true', note='')}\n")
    out = tmp_path / "out"
    result = letters(
        project, out, "--letter", "cities-in-action", "--recipients", csv_file, "--format", "docx"
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "list.csv:2: a: the holder (Mary Creagh) is not confirmed from a source; check it, then remove "
        "'verify: true'"
    ) in result.stderr
