"""Recipients: forms of address by UK convention, address blocks, recipients.csv, stale records, who a
letter goes to (`to:`), and variants for some recipients.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from documents import (
    PROJECT_ROOT,
    copy_project,
    edit,
    letters,
    line_of,
)
from letters_support import (
    SHIPPED_LETTER,
    SHIPPED_RECIPIENTS,
    word_text,
)

from keycities.build.jobs import Selection, plan_letters
from keycities.compose.blocks import Paragraph
from keycities.compose.composition import Composition, prepare
from keycities.data.inputs import load_inputs
from keycities.data.letters import Letter, select
from keycities.data.recipients import Addressee, load_recipients, stale_warning
from keycities.errors import DataError

CHECKED = date(2019, 2, 4)
LETTER_DATE = date(2019, 2, 4)  # the shipped letter's date


def record(**fields: Any) -> dict[str, Any]:
    """A valid recipient record, with `fields` changed (None removes a field)."""
    base: dict[str, Any] = {
        "id": "someone",
        "office": "Member of Parliament for Wakefield",
        "role": "mp",
        "name": "Mary Creagh",
        "honorific": "Ms",
        "post_nominals": "MP",
        "address": ["House of Commons", "London", "SW1A 0AA"],
        "checked": CHECKED,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def write_recipients(folder: Path, *records: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recipients.yaml"
    path.write_text(
        yaml.safe_dump({"recipients": list(records)}, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return path


def load_one(folder: Path, **fields: Any) -> Addressee:
    write_recipients(folder, record(**fields))
    addressees, _ = load_recipients(folder)
    assert len(addressees) == 1
    return addressees[0]


def problems(folder: Path) -> list[str]:
    with pytest.raises(DataError) as raised:
        load_recipients(folder)
    return raised.value.problems


# ---- Salutation and close -------------------------------------------------------------------------

SALUTATIONS = [
    # (fields, salutation, close)
    ({"role": "prime-minister", "name": "Theresa May"}, "Dear Prime Minister", "Yours sincerely"),
    ({"role": "chancellor", "name": "Philip Hammond"}, "Dear Chancellor", "Yours sincerely"),
    ({"role": "secretary-of-state", "name": "Greg Clark"}, "Dear Secretary of State", "Yours sincerely"),
    ({"role": "minister", "name": "Jake Berry"}, "Dear Minister", "Yours sincerely"),
    ({"role": "first-minister", "name": "Mark Drakeford"}, "Dear First Minister", "Yours sincerely"),
    ({"role": "mp", "name": "Jeremy Corbyn", "honorific": "Mr"}, "Dear Mr Corbyn", "Yours sincerely"),
    ({"role": "mp", "name": "Mary Creagh", "honorific": "Ms"}, "Dear Ms Creagh", "Yours sincerely"),
    ({"role": "mp", "name": "Sarah Wollaston", "honorific": "Dr"}, "Dear Dr Wollaston", "Yours sincerely"),
    ({"role": "mp", "name": "Mary Creagh", "honorific": None}, "Dear Mary Creagh", "Yours sincerely"),
    ({"role": "mp", "name": "David Amess", "honorific": "Sir"}, "Dear Sir David", "Yours sincerely"),
    ({"role": "mp", "name": "Rosie Winterton", "honorific": "Dame"}, "Dear Dame Rosie", "Yours sincerely"),
    ({"role": "peer", "name": "Lord Smith", "honorific": None}, "Dear Lord Smith", "Yours sincerely"),
    ({"role": "peer", "name": "Baroness Jones", "honorific": None}, "Dear Baroness Jones", "Yours sincerely"),
    (
        {"role": "peer", "name": "The Lord Ashworth of Thornbury", "honorific": None},
        "Dear Lord Ashworth",
        "Yours sincerely",
    ),
    ({"role": "chief-secretary", "name": "Liz Truss"}, "Dear Chief Secretary", "Yours sincerely"),
    (
        {"role": "council-leader", "name": "Peter Box", "honorific": None},
        "Dear Councillor Box",
        "Yours sincerely",
    ),
    ({"role": "lord-mayor", "name": None, "honorific": None}, "Dear Lord Mayor", "Yours sincerely"),
    ({"role": "office", "name": None, "honorific": None}, "Dear Sir or Madam", "Yours faithfully"),
]


@pytest.mark.parametrize(("fields", "salutation", "close"), SALUTATIONS, ids=lambda v: str(v)[:40])
def test_salutation_and_close_follow_the_role(
    tmp_path: Path, fields: dict[str, Any], salutation: str, close: str
) -> None:
    addressee = load_one(tmp_path, **fields)
    assert (addressee.salutation, addressee.close) == (salutation, close)


@pytest.mark.parametrize(
    ("fields", "close"),
    [
        ({"role": "mp", "honorific": None, "salutation": "Dear Mary"}, "Yours sincerely"),
        ({"role": "prime-minister", "salutation": "Dear Theresa"}, "Yours sincerely"),
        ({"role": "minister", "salutation": "Dear Sir or Madam"}, "Yours faithfully"),
        ({"role": "office", "name": None, "salutation": "Dear Clerk"}, "Yours sincerely"),
    ],
)
def test_an_explicit_salutation_wins(tmp_path: Path, fields: dict[str, Any], close: str) -> None:
    addressee = load_one(tmp_path, **fields)
    assert addressee.salutation == fields["salutation"]
    assert addressee.close == close


def test_mp_without_honorific_is_greeted_by_full_name_without_a_warning(tmp_path: Path) -> None:
    # No honorific is no longer an error: "Dear Jane Smith" guesses no one's title.
    write_recipients(
        tmp_path, record(id="first"), record(id="no-honorific", name="Jane Smith", honorific=None)
    )
    addressees, warnings = load_recipients(tmp_path)
    assert warnings == []
    assert [(a.record.id, a.salutation, a.close) for a in addressees] == [
        ("first", "Dear Ms Creagh", "Yours sincerely"),
        ("no-honorific", "Dear Jane Smith", "Yours sincerely"),
    ]
    assert addressees[1].address_lines[0] == "Jane Smith MP"


def test_mp_without_honorific_is_built_with_the_full_name(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "recipients.yaml", "    honorific: Mr\n", "")  # the Leader of the Opposition's
    out = tmp_path / "out"
    only = ("--letter", SHIPPED_LETTER, "--recipient", "leader-of-the-opposition", "--format", "docx")
    result = letters(project, out, *only)
    assert result.exit_code == 0, result.stderr
    text = word_text(out / "letters/cities-in-action/leader-of-the-opposition.docx")
    assert [p.text for p in text.styled("Salutation")] == ["Dear Jeremy Corbyn,"]
    assert [p.text for p in text.styled("Close")] == ["Yours sincerely,"]


def test_the_shipped_recipients_are_addressed_by_convention() -> None:
    addressees, _ = load_recipients(PROJECT_ROOT)
    found = {a.record.id: (a.salutation, a.close) for a in addressees}
    assert found == {
        "prime-minister": ("Dear Prime Minister", "Yours sincerely"),
        "chancellor": ("Dear Chancellor", "Yours sincerely"),
        "mhclg-secretary-of-state": ("Dear Secretary of State", "Yours sincerely"),
        "beis-secretary-of-state": ("Dear Secretary of State", "Yours sincerely"),
        "wales-secretary-of-state": ("Dear Secretary of State", "Yours sincerely"),
        "first-minister-wales": ("Dear First Minister", "Yours sincerely"),
        "local-government-minister": ("Dear Minister", "Yours sincerely"),
        "northern-powerhouse-minister": ("Dear Minister", "Yours sincerely"),
        "leader-of-the-opposition": ("Dear Mr Corbyn", "Yours sincerely"),
    }


# ---- Address blocks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "lines"),
    [
        (
            {
                "role": "prime-minister",
                "name": "Theresa May",
                "style": "The Rt Hon",
                "office": "Prime Minister",
                "address": ["10 Downing Street", "London", "SW1A 2AA"],
            },
            ("The Rt Hon Theresa May MP", "Prime Minister", "10 Downing Street", "London", "SW1A 2AA"),
        ),
        (
            {
                "role": "first-minister",
                "name": "Mark Drakeford",
                "post_nominals": "AM",
                "office": "First Minister of Wales",
                "address": ["Welsh Government", "Cardiff", "CF10 3NQ"],
            },
            ("Mark Drakeford AM", "First Minister of Wales", "Welsh Government", "Cardiff", "CF10 3NQ"),
        ),
        (
            {
                "role": "peer",
                "name": "Lord Smith",
                "style": "The",
                "post_nominals": None,
                "office": "House of Lords",
                "address": ["London", "SW1A 0PW"],
            },
            ("The Lord Smith", "House of Lords", "London", "SW1A 0PW"),
        ),
        (
            {
                "role": "office",
                "name": None,
                "post_nominals": None,
                "office": "The Chief Executive",
                "address": ["Wakefield Council", "Town Hall", "Wood Street", "Wakefield", "WF1 2HQ"],
            },
            ("The Chief Executive", "Wakefield Council", "Town Hall", "Wood Street", "Wakefield", "WF1 2HQ"),
        ),
    ],
)
def test_address_block_lines(tmp_path: Path, fields: dict[str, Any], lines: tuple[str, ...]) -> None:
    addressee = load_one(tmp_path, **fields)
    assert addressee.address_lines == lines
    assert addressee.address_lines[-1] == fields["address"][-1]  # the postcode on its own, last line


def test_impossible_checked_date_in_yaml_is_a_located_problem(tmp_path: Path) -> None:
    path = write_recipients(tmp_path, record())
    path.write_text(path.read_text(encoding="utf-8").replace("2019-02-04", "2019-02-30"), encoding="utf-8")
    (found,) = problems(tmp_path)
    assert found.startswith(f"recipients.yaml:{line_of(path, 'checked:')}: ")


def test_empty_address_line_is_an_error(tmp_path: Path) -> None:
    path = write_recipients(tmp_path, record(address=["House of Commons", " ", "SW1A 0AA"]))
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith(f"recipients.yaml:{line_of(path, 'address:')}: recipients[0].address: ")
    assert "must not be empty" in found[0]


# ---- recipients.csv -------------------------------------------------------------------------------

CSV_HEADER = "id,office,role,name,honorific,post_nominals,address,tags,checked,verify"


def write_csv(folder: Path, *rows: str, bom: bool = False, encoding: str = "utf-8") -> Path:
    path = folder / "recipients.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join([CSV_HEADER, *rows, ""]).encode(encoding))
    return path


def test_csv_recipients_are_added_after_the_yaml_ones(tmp_path: Path) -> None:
    write_recipients(tmp_path, record(id="from-yaml"))
    write_csv(
        tmp_path,
        "leader-wakefield,Leader of Wakefield Council,council-leader,Denise Jeffery,,,"
        '"Wakefield One; PO Box 700 ;Burton Street;Wakefield;WF1 2EB",local; england,2019-02-04,',
        "mp-arfon,Member of Parliament for Arfon,mp,Hywel Williams,Mr,MP,"
        "House of Commons;London;SW1A 0AA,wales,2019-02-04,yes",
    )
    addressees, _ = load_recipients(tmp_path)
    assert [a.record.id for a in addressees] == ["from-yaml", "leader-wakefield", "mp-arfon"]
    leader, mp = addressees[1:]
    assert leader.address_lines == (
        "Councillor Denise Jeffery",  # a council leader is addressed as a councillor
        "Leader of Wakefield Council",
        "Wakefield One",
        "PO Box 700",
        "Burton Street",
        "Wakefield",
        "WF1 2EB",
    )
    assert leader.record.tags == ["local", "england"]
    assert (leader.salutation, leader.source) == ("Dear Councillor Jeffery", "recipients.csv:2")
    assert mp.address_lines[0] == "Hywel Williams MP"
    assert (mp.salutation, mp.record.tags, mp.record.verify) == ("Dear Mr Williams", ["wales"], True)
    assert (mp.record.checked, mp.source) == (date(2019, 2, 4), "recipients.csv:3")


def test_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    write_recipients(tmp_path, record(id="from-yaml"))
    write_csv(
        tmp_path,
        "ms-arfon,Member of the Senedd for Arfon,mp,Siân Gwenllian,Ms,MS,"
        "Tŷ Hywel;Caerdydd;CF99 1SN,,2019-02-04,",
        bom=True,
    )
    addressees, _ = load_recipients(tmp_path)
    member = addressees[1]
    assert member.record.id == "ms-arfon"  # not "\ufeffid" missing
    assert member.address_lines[0] == "Siân Gwenllian MS"
    assert member.address_lines[2] == "Tŷ Hywel"
    assert member.salutation == "Dear Ms Gwenllian"


def test_csv_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    write_recipients(tmp_path, record(id="from-yaml"))
    write_csv(tmp_path, "x,Office,mp,Siân Gwenllian,Ms,,a;b,,2019-02-04,", encoding="latin-1")
    (found,) = problems(tmp_path)
    assert found.startswith("recipients.csv:2: not UTF-8 text")


@pytest.mark.parametrize("bad", ["31/02/2019", "02/31/2019", "2019-02-31", "next tuesday"])
def test_csv_bad_date_is_reported_with_its_line(tmp_path: Path, bad: str) -> None:
    write_recipients(tmp_path, record(id="from-yaml"))
    write_csv(
        tmp_path,
        "good,Office,mp,A Person,Mr,,a;SW1A 0AA,,2019-02-04,",
        '"multi-line",Office,mp,B Person,Ms,,House of Commons;SW1A 0AA,"local;\nwales",2019-02-04,',
        f"bad,Office,mp,C Person,Dr,,a;SW1A 0AA,,{bad},",
    )
    assert problems(tmp_path) == [
        f"recipients.csv:5: recipients[2].checked: expected a date like 2019-02-04, got '{bad}'"
    ]


@pytest.mark.parametrize("written", ["04/02/2019", "4/2/2019", "2019-02-04"])
def test_csv_date_may_be_written_the_uk_way(tmp_path: Path, written: str) -> None:
    # Day first, as a UK spreadsheet writes it: 04/02/2019 is 4 February, never 2 April.
    write_recipients(tmp_path, record(id="from-yaml"))
    write_csv(tmp_path, f"uk-date,Office,mp,A Person,Mr,,a;SW1A 0AA,,{written},")
    addressees, warnings = load_recipients(tmp_path)
    assert (addressees[1].record.checked, warnings) == (date(2019, 2, 4), [])


def test_duplicate_id_across_yaml_and_csv_is_reported(tmp_path: Path) -> None:
    path = write_recipients(tmp_path, record(id="first"), record(id="someone-else"))
    write_csv(
        tmp_path,
        "new,Office,mp,A Person,Mr,,a;SW1A 0AA,,2019-02-04,",
        "first,Office,mp,B C,Ms,,a;b,,2019-02-04,",
    )
    yaml_line = line_of(path, "id: first")
    assert problems(tmp_path) == [
        f"recipients.csv:3: recipients[1]: duplicate id 'first' (first used at recipients.yaml:{yaml_line}); "
        "each must be unique"
    ]


def test_duplicate_id_within_the_yaml_is_reported(tmp_path: Path) -> None:
    path = write_recipients(tmp_path, record(id="twice"), record(id="other"), record(id="twice"))
    lines = [i + 1 for i, text in enumerate(path.read_text().split("\n")) if "id: twice" in text]
    (found,) = problems(tmp_path)
    assert found.startswith(f"recipients.yaml:{lines[1]}: recipients[2]: duplicate id 'twice'")
    assert f"first used at recipients.yaml:{lines[0]}" in found


# ---- Stale records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checked", "stale"),
    [
        (LETTER_DATE, False),
        (LETTER_DATE - timedelta(days=200), False),
        (date(2018, 2, 4), False),  # exactly a year
        (date(2018, 2, 3), True),  # a year and a day
        (date(2016, 11, 30), True),
        (date(2019, 6, 1), False),  # checked after the letter's date
    ],
)
def test_stale_warning_only_for_records_checked_more_than_a_year_before(
    tmp_path: Path, checked: date, stale: bool
) -> None:
    addressee = load_one(tmp_path, id="pm", role="prime-minister", checked=checked)
    warning = stale_warning(addressee, LETTER_DATE)
    if not stale:
        assert warning is None
    else:
        assert warning is not None
        assert warning.startswith("recipients.yaml:2: pm: last checked ")
        assert checked.isoformat() in warning
        assert "2019-02-04" in warning


def test_stale_warning_counts_calendar_years(tmp_path: Path) -> None:
    addressee = load_one(tmp_path, checked=date(2019, 3, 1))
    assert stale_warning(addressee, date(2020, 3, 1)) is None


def test_stale_warning_is_shown_when_building(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "recipients.yaml", "checked: 2019-02-04", "checked: 2017-06-01")  # the first: the PM
    line = line_of(project / "recipients.yaml", "id: prime-minister")
    stale = f"recipients.yaml:{line}: prime-minister: last checked 2017-06-01, more than a year before"
    out = tmp_path / "out"
    result = letters(project, out, "--recipient", "prime-minister", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert f"warning: {stale}" in result.stderr
    documents = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    (entry,) = [document for document in documents if document["kind"] == "letter"]
    assert any(warning.startswith(stale) for warning in entry["warnings"])
    # A recipient checked on the letter's date gets no such warning.
    result = letters(project, out, "--recipient", "chancellor", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    assert "last checked" not in result.stderr


# ---- Who a letter goes to -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_project() -> Composition:
    return load_project(PROJECT_ROOT)


def _to(project: Composition, *selectors: str) -> Letter:
    letter = project.inputs.letters[SHIPPED_LETTER]
    return dataclasses.replace(letter, front=letter.front.model_copy(update={"to": list(selectors)}))


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        (("all",), SHIPPED_RECIPIENTS),
        (("chancellor",), ("chancellor",)),
        (("role:minister",), ("local-government-minister", "northern-powerhouse-minister")),
        (("tag:wales",), ("wales-secretary-of-state", "first-minister-wales")),
        (
            ("role:secretary-of-state",),
            ("mhclg-secretary-of-state", "beis-secretary-of-state", "wales-secretary-of-state"),
        ),
        (("tag:opposition", "prime-minister"), ("prime-minister", "leader-of-the-opposition")),
        (
            ("tag:wales", "role:first-minister", "chancellor"),
            ("chancellor", "wales-secretary-of-state", "first-minister-wales"),
        ),
    ],
)
def test_to_selects_recipients_in_file_order(
    shipped_project: Composition, selectors: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    chosen = select(_to(shipped_project, *selectors), shipped_project.inputs.addressees)
    assert tuple(a.record.id for a in chosen) == expected


@pytest.mark.parametrize("selector", ["prime-minster", "role:ministerr", "tag:scotland", "role:", "tag:"])
def test_a_selector_that_matches_nobody_is_an_error(shipped_project: Composition, selector: str) -> None:
    with pytest.raises(DataError) as raised:
        select(_to(shipped_project, "all", selector), shipped_project.inputs.addressees)
    (problem,) = raised.value.problems
    assert f"to[1]: '{selector}' matches no recipient" in problem


def test_to_in_front_matter_plans_one_job_per_recipient(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "letters/cities-in-action.md", "to: [all]", "to: [tag:wales, role:minister]")
    jobs = plan_letters(load_project(project), Selection(letter=SHIPPED_LETTER))
    assert {job.collection for job in jobs} == {SHIPPED_LETTER}
    assert [job.target for job in jobs if job.kind == "enclosure"] == [f"{SHIPPED_LETTER}-sources"]
    assert [job.target for job in jobs if job.kind == "letter"] == [
        "wales-secretary-of-state",
        "first-minister-wales",
        "local-government-minister",
        "northern-powerhouse-minister",
    ]


# ---- Variants -------------------------------------------------------------------------------------

WALES_SUBJECT = "Key Cities: Cities in Action in Wales"


@pytest.fixture(scope="module")
def variant_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("variants") / "project")
    edit(
        project / "letters/cities-in-action.md",
        "\nnotes: enclosure",
        "\nnotes: end"  # a variant body places no figures: the copies' notes differ, so each has its own
        "\nvariants:\n"
        f'  - to: [tag:wales]\n    subject: "{WALES_SUBJECT}"\n'
        "  - to: [role:minister]\n    body: cities-in-action.ministers.md\n",
    )
    (project / "letters/cities-in-action.ministers.md").write_text(
        "Dear colleague in government: {{ group.name }} asks for a meeting.\n", encoding="utf-8"
    )
    return project


def _subject_and_body(project: Composition, recipient: str) -> tuple[str, str, list[str]]:
    letter = project.inputs.letters[SHIPPED_LETTER]
    addressee = next(a for a in project.inputs.addressees if a.record.id == recipient)
    document = project.composer.letter(letter, addressee).document
    paragraphs = [block for block in document.blocks if isinstance(block, Paragraph)]
    shown = next(p for p in paragraphs if p.role == "subject").runs[0].text
    body = ["".join(run.text for run in p.runs) for p in paragraphs if p.role == "body"]
    assert document.subject == shown
    return shown, document.title, body


def test_variant_subject_only_for_its_recipients(variant_project: Path) -> None:
    project = load_project(variant_project)
    # the variant body is not a letter of its own
    assert set(project.inputs.letters) == {SHIPPED_LETTER, "cities-in-action-mps"}
    subjects = {recipient: _subject_and_body(project, recipient)[0] for recipient in SHIPPED_RECIPIENTS}
    wales = {"wales-secretary-of-state", "first-minister-wales"}
    assert {r for r, subject in subjects.items() if subject == WALES_SUBJECT} == wales
    assert all(subjects[r] == "Key Cities: Cities in Action" for r in set(SHIPPED_RECIPIENTS) - wales)
    _, title, body = _subject_and_body(project, "first-minister-wales")
    assert title == f"{WALES_SUBJECT}: letter to First Minister of Wales"
    assert body[0].startswith("UK productivity growth is struggling.")


def test_variant_body_only_for_its_recipients(variant_project: Path) -> None:
    project = load_project(variant_project)
    for recipient in SHIPPED_RECIPIENTS:
        _, _, body = _subject_and_body(project, recipient)
        if recipient in {"local-government-minister", "northern-powerhouse-minister"}:
            assert body == ["Dear colleague in government: Key Cities Group asks for a meeting."]
        else:
            assert body[0].startswith("UK productivity growth is struggling.")
            assert len(body) == 9


def test_variant_subject_is_printed(variant_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = letters(variant_project, out, "--recipient", "first-minister-wales", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    subjects = word_text(out / "letters/cities-in-action/first-minister-wales.docx").styled("Subject")
    assert [p.text for p in subjects] == [WALES_SUBJECT]


def load_project(folder: Path) -> Composition:
    """A project loaded and made ready to compose, as a build does."""
    return prepare(load_inputs(folder))
