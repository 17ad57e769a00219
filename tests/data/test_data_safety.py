"""Hostile or broken data files fail at load time with `file:line: what; the fix`, all at once, quickly and
without a traceback: YAML that expands or nests without end, files that lead out of the project through
links, header text that would turn into other headers, figures that overflow, files that are folders or
are corrupt, and CSV exports with a field too long or a column twice.

Each test works on its own copy of the project and finds expected line numbers in the edited text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from documents import PROJECT_ROOT, assert_clean_failure, copy_project, invoke, line_of

from keycities.data import yaml_lines
from keycities.data.cities import load_campaign
from keycities.data.letters import load_letters
from keycities.data.recipients import load_recipients
from keycities.errors import DataError
from keycities.figures.compute import compute
from keycities.text_rules import text_problem

LETTER = "letters/cities-in-action.md"
POPULATION = "data/ons-population-la-2021.yaml"  # the release of 2017's figures current in February 2019
GVA = "data/ons-gva-la-2021.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped project."""
    return copy_project(tmp_path / "project")


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail when the block runs longer than `seconds`, stopping it there rather than letting it run on."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def problems_of(load: Callable[[Path], object], project: Path) -> list[str]:
    """The problems of loading the project, which must fail with a DataError."""
    with pytest.raises(DataError) as caught:
        load(project)
    return caught.value.problems


def append(path: Path, text: str) -> None:
    """Add text at the end of a file."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# ---- 1. YAML that expands or nests without end --------------------------------------------------------

# Nine levels of ten aliases each: a billion strings once expanded, from a file of a few hundred bytes.
BILLION_LAUGHS = "laughs:\n  l0: &l0 lol\n" + "".join(
    f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]\n" for level in range(1, 10)
)


def test_a_billion_laughs_stops_at_once_on_the_alias_that_passes_the_limit(project: Path) -> None:
    append(project / "cities.yaml", BILLION_LAUGHS)
    line = line_of(project / "cities.yaml", "l5: &l5")  # its ten aliases of 11,111 values pass 100,000
    with within(1.0):
        problems = problems_of(load_campaign, project)
    assert problems == [
        f"cities.yaml:{line}: the alias *l4 takes the data past 100,000 values once aliases are expanded; "
        "write the values out, without aliases of aliases"
    ]


def test_a_billion_laughs_in_a_letters_front_matter_names_the_letters_line(project: Path) -> None:
    text = (project / LETTER).read_text(encoding="utf-8")
    (project / LETTER).write_text(
        text.replace("signatory: peter-box\n", f"signatory: peter-box\n{BILLION_LAUGHS}")
    )
    line = line_of(project / LETTER, "l5: &l5")
    with within(1.0):
        result = invoke("check", "--project", project)
    assert_clean_failure(result, f"error: {LETTER}:{line}: the alias *l4 takes the data past 100,000 values")


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("[" * 10_000 + "]" * 10_000, id="brackets"),
        pytest.param("{a: " * 10_000 + "1" + "}" * 10_000, id="braces"),
        pytest.param("\n    " + "- " * 10_000 + "1", id="block list"),
    ],
)
def test_ten_thousand_levels_of_nesting_stop_at_once(project: Path, written: str) -> None:
    append(project / "recipients.yaml", f"  - deep: {written}\n")
    line = line_of(project / "recipients.yaml", "- deep: ") + (1 if written.startswith("\n") else 0)
    with within(1.0):
        result = invoke("check", "--project", project)
    assert_clean_failure(
        result,
        f"error: recipients.yaml:{line}: nested more than 100 levels deep; close the brackets or flatten it",
    )


def test_nesting_up_to_the_limit_is_read(project: Path) -> None:
    # The record is on level 3 (the file's mapping, its list of records): its value `deep` on level 4 is the
    # first of the brackets, so 97 brackets reach level 100.
    for brackets, fails in ((97, False), (98, True)):
        copy = copy_project(project.parent / f"copy-{brackets}")
        append(copy / "recipients.yaml", f"    deep: {'[' * brackets}{']' * brackets}\n")
        found = problems_of(load_recipients, copy)
        if fails:
            assert "nested more than 100 levels deep" in found[0]
        else:  # read in full: an unknown key is a merge field, and a merge field is one value
            line = line_of(copy / "recipients.yaml", "deep: ")
            assert found == [
                f"recipients.yaml:{line}: recipients[8].deep: a merge field is one value, not a list"
            ]


def test_an_alias_inside_its_own_anchor_is_refused(project: Path) -> None:
    append(project / "cities.yaml", "loop: &loop [a, *loop]\n")
    line = line_of(project / "cities.yaml", "loop: &loop")
    assert problems_of(load_campaign, project) == [
        f"cities.yaml:{line}: the alias *loop stands inside its own anchor, which makes an endless "
        "structure; write the value out"
    ]


def test_a_chain_of_aliases_counts_the_levels_it_stands_for(project: Path) -> None:
    chain = "".join(f"  c{n}: &c{n} [*c{n - 1}]\n" for n in range(1, 120))
    append(project / "cities.yaml", f"chain:\n  c0: &c0 [x]\n{chain}")
    # c0 is on level 3 and holds 2 levels; each link adds one: c97 passes 100 levels.
    line = line_of(project / "cities.yaml", "c97: &c97")
    assert problems_of(load_campaign, project) == [
        f"cities.yaml:{line}: nested more than 100 levels deep through the alias *c96; close the brackets "
        "or flatten it"
    ]


def test_the_number_of_values_and_of_aliases_is_limited(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limits take seconds of reading to reach; smaller ones show the same checks.
    monkeypatch.setattr(yaml_lines, "MAX_VALUES", 200)
    problems = problems_of(load_recipients, project)
    assert len(problems) == 1
    assert problems[0].startswith("recipients.yaml:")
    assert problems[0].endswith(": more than 200 values; split the data, or keep long lists in a CSV file")

    monkeypatch.setattr(yaml_lines, "MAX_VALUES", 100_000)
    monkeypatch.setattr(yaml_lines, "MAX_ALIASES", 3)
    append(project / "recipients.yaml", "shared: &shared [x]\nuses: [*shared, *shared, *shared, *shared]\n")
    line = line_of(project / "recipients.yaml", "uses: ")
    assert problems_of(load_recipients, project) == [
        f"recipients.yaml:{line}: more than 3 aliases; write the values out"
    ]


def test_the_shipped_files_are_far_inside_the_limits(project_root: Path) -> None:
    load_campaign(project_root)
    load_letters(project_root)
    load_recipients(project_root)


# ---- 2. Files read through links must stay inside the project's folders -------------------------------

SECRET = "keycities-secret-8d41c3"
REPLACE = "replace the link with a copy of the file, inside the folder"


def move_out(project: Path, relative: str, outside: Path, secret: str | None = None) -> Path:
    """Move a project file out of the project (with a line holding the secret, in the file's own comment
    syntax), and leave a link to it in its place; returns where it went."""
    inside, moved = project / relative, outside / relative.replace("/", "-")
    outside.mkdir(exist_ok=True)
    moved.write_bytes(inside.read_bytes() + (secret.encode() if secret else b""))
    inside.unlink()
    inside.symlink_to(moved)
    return moved


def linked_out(project: Path, outside: Path, case: str) -> tuple[list[str], str]:
    """Set up one link out of the project: the command that reads it, and the problem it must report."""
    secret = {".yaml": f"# {SECRET}\n", ".csv": "", ".md": f"\n{SECRET}\n", ".css": f"/* {SECRET} */\n"}
    letter, briefing = ["letters", "--recipient", "prime-minister"], ["briefings", "--city", "wakefield"]
    if case == "recipients.csv":
        (project / "recipients.csv").write_text(
            f"id,office,role,address,checked\n{SECRET},Office,office,A street;AB1 2CD,2019-02-04\n"
        )
    if case in ("cities.yaml", "recipients.yaml", "recipients.csv"):
        target = move_out(project, case, outside, secret[Path(case).suffix])
        return letter, f"{case}: a link to {target}, which is outside the project folder; {REPLACE}"
    if case in (LETTER, "cities/wakefield.md"):
        target = move_out(project, case, outside, secret[".md"])
        folder = case.split("/")[0]
        return letter if folder == "letters" else briefing, (
            f"{case}: a link to {target}, which is outside {folder}/; {REPLACE}"
        )
    if case in ("variant body", "template.css", "template.docx"):
        name = {"variant body": "body.md", "template.css": "other.css", "template.docx": "other.docx"}[case]
        folder = "letters" if case == "variant body" else "templates"
        shipped = "letters/cities-in-action.md" if folder == "letters" else f"templates/{LAYOUT[name]}"
        (project / folder / name).write_bytes((project / shipped).read_bytes())
        target = move_out(project, f"{folder}/{name}", outside, secret.get(Path(name).suffix))
        text = (project / LETTER).read_text(encoding="utf-8")
        setting = (
            f"variants:\n  - to: [prime-minister]\n    body: {name}\n"
            if folder == "letters"
            else f"template: {{{case.split('.')[1]}: {name}}}\n"
        )
        (project / LETTER).write_text(
            text.replace("signatory: peter-box\n", f"signatory: peter-box\n{setting}")
        )
        line = line_of(project / LETTER, f": {name}")
        path = "variants[0].body" if folder == "letters" else case
        return letter, (
            f"{LETTER}:{line}: {path}: {folder}/{name}: a link to {target}, which is outside {folder}/; "
            f"{REPLACE}"
        )
    if case in ("group.logo", SIGNATURE):
        relative = "assets/key-cities-logo.png" if case == "group.logo" else "assets/signature.png"
        target = move_out(project, relative, outside)
        line = line_of(project / "cities.yaml", f"{case.split('.')[-1]}: {relative}")
        return letter, (
            f"cities.yaml:{line}: {case}: {relative}: a link to {target}, which is outside the project "
            f"folder; {REPLACE}"
        )
    if case == "member logo":
        (project / "assets" / "wakefield.png").write_bytes((project / "assets/signature.png").read_bytes())
        target = move_out(project, "assets/wakefield.png", outside)
        text = (project / "cities/wakefield.md").read_text(encoding="utf-8")
        (project / "cities/wakefield.md").write_text(
            text.replace("sample: true\n", "sample: true\nlogo: assets/wakefield.png\n")
        )
        line = line_of(project / "cities/wakefield.md", "logo: assets/wakefield.png")
        return briefing, (
            f"cities/wakefield.md:{line}: logo: assets/wakefield.png: a link to {target}, which is outside "
            f"the project folder; {REPLACE}"
        )
    (project / "templates/wakefield").mkdir()
    name = case.split("/")[-1]
    (project / "templates/wakefield" / name).write_bytes((project / "templates" / name).read_bytes())
    target = move_out(project, f"templates/wakefield/{name}", outside, secret.get(Path(name).suffix))
    return briefing, f"templates/wakefield/{name}: a link to {target}, which is outside templates/; {REPLACE}"


SIGNATURE = "group.signatories.peter-box.signature"  # where the shipped signature image is named
LAYOUT = {"other.css": "print.css", "other.docx": "reference.docx"}
LINKED_FILES = [
    "cities.yaml",
    "recipients.yaml",
    "recipients.csv",
    LETTER,
    "variant body",
    "template.css",
    "template.docx",
    "cities/wakefield.md",
    "group.logo",
    SIGNATURE,
    "member logo",
    "templates/wakefield/print.css",
    "templates/wakefield/reference.docx",
]


@pytest.mark.parametrize("case", LINKED_FILES)
def test_a_link_out_of_the_project_is_named_with_its_target_and_nothing_is_built(
    project: Path, tmp_path: Path, case: str
) -> None:
    command, problem = linked_out(project, tmp_path / "outside", case)
    result = invoke(*command, "--project", project, "--out", project / "out", "--jobs", "1")
    assert_clean_failure(result, f"error: {problem}\n", "nothing was written")
    assert SECRET not in result.stdout + result.stderr
    assert not (project / "out").exists()


def test_a_link_to_a_folder_out_of_the_project_is_named(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside-layouts"
    outside.mkdir()
    (outside / "print.css").write_text(f"/* {SECRET} */\n")
    (project / "templates/wakefield").symlink_to(outside)
    result = invoke("briefings", "--project", project, "--out", project / "out", "--city", "wakefield")
    assert_clean_failure(
        result, f"error: templates/wakefield: a link to {outside}, which is outside templates/; {REPLACE}\n"
    )
    assert not (project / "out").exists()


def test_a_mail_yaml_linked_out_of_the_project_is_named(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside-mail.yaml"
    outside.write_text((PROJECT_ROOT / "mail.yaml").read_text(encoding="utf-8") + f"# {SECRET}\n")
    (project / "mail.yaml").symlink_to(outside)
    result = invoke("mail", "draft", "--project", project, "--out", project / "out")
    assert_clean_failure(result, f"error: mail.yaml: a link to {outside}, which is outside the project")
    assert SECRET not in result.stdout + result.stderr


def test_a_data_file_linked_out_of_the_project_is_named(project: Path, tmp_path: Path) -> None:
    target = move_out(project, GVA, tmp_path / "outside", f"# {SECRET}\n")
    result = invoke("check", "--project", project)
    assert_clean_failure(result, f"error: {GVA}: a link to {target}, which is outside ", REPLACE)
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("case", ["letters/loop.md", "group.logo"])
def test_a_link_that_leads_back_to_itself_is_named(project: Path, case: str) -> None:
    if case == "group.logo":
        (project / "assets/key-cities-logo.png").unlink()
        (project / "assets/key-cities-logo.png").symlink_to("key-cities-logo.png")
        line = line_of(project / "cities.yaml", "logo: assets/key-cities-logo.png")
        problem = f"cities.yaml:{line}: group.logo: assets/key-cities-logo.png"
    else:
        (project / case).symlink_to("loop.md")
        problem = case
    result = invoke("check", "--project", project)
    assert_clean_failure(
        result, f"error: {problem}: a link that leads back to itself; replace it with the file\n"
    )


def test_links_that_stay_inside_the_project_are_followed(project: Path) -> None:
    (project / "assets" / "logo-link.png").symlink_to("key-cities-logo.png")
    text = (project / "cities.yaml").read_text(encoding="utf-8")
    (project / "cities.yaml").write_text(
        text.replace("logo: assets/key-cities-logo.png", "logo: assets/logo-link.png")
    )
    (project / "letters" / "same.md").symlink_to("cities-in-action.md")
    letters, _ = load_letters(project)
    assert sorted(letters) == ["cities-in-action", "cities-in-action-mps", "same"]
    load_campaign(project)


def test_a_recipients_list_named_on_the_command_line_may_be_anywhere(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "lists" / "mailing.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text(
        "id,office,role,address,checked\nsomeone,Office,office,A street;AB1 2CD,2019-02-04\n"
    )
    (tmp_path / "link.csv").symlink_to(elsewhere)
    for named in (elsewhere, tmp_path / "link.csv"):
        addressees, _ = load_recipients(project, only=named)
        assert [addressee.record.id for addressee in addressees] == ["someone"]


# ---- 3. Text that becomes a header or an address line -------------------------------------------------

HEADER_TRICKS = {
    "line break": "Eve\nBcc: eve@evil.example",
    "bidi override": "\u202eelgnaw.example@tnaw",
    "encoded word": "=?utf-8?q?x=0D=0ABcc=3A_evil@example.org?=",
}
RECIPIENT_FIELDS = ("name", "office", "style", "post_nominals", "honorific", "salutation", "address", "email")
RECORD = {
    "id": "someone",
    "office": "Member of Parliament for Wakefield",
    "role": "mp",
    "name": "Mary Creagh",
    "honorific": "Ms",
    "address": "House of Commons;London;SW1A 0AA",
    "checked": "2019-02-04",
}


def record_with(field: str, text: str) -> tuple[dict[str, str], str]:
    """The record with `text` in `field` (as the second address line for `address`), and its path."""
    if field == "address":
        return RECORD | {"address": f"House of Commons;{text};SW1A 0AA"}, "address[1]"
    return RECORD | {field: text}, field


@pytest.mark.parametrize("trick", sorted(HEADER_TRICKS))
@pytest.mark.parametrize("field", RECIPIENT_FIELDS)
def test_header_text_in_recipients_yaml_is_refused_on_its_line(project: Path, field: str, trick: str) -> None:
    record, path = record_with(field, HEADER_TRICKS[trick])
    lines = ["recipients:"]
    for number, (key, value) in enumerate(record.items()):
        prefix = "  - " if number == 0 else "    "
        if key == "address":
            lines += [f"{prefix}address:", *(f"      - {json.dumps(part)}" for part in value.split(";"))]
        else:
            lines.append(f"{prefix}{key}: {json.dumps(value) if key != 'checked' else value}")
    (project / "recipients.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = 1 + next(n for n, text in enumerate(lines) if json.dumps(HEADER_TRICKS[trick]) in text)
    assert problems_of(load_recipients, project) == [
        f"recipients.yaml:{line}: recipients[0].{path}: {text_problem(HEADER_TRICKS[trick])}"
    ]


@pytest.mark.parametrize("trick", sorted(HEADER_TRICKS))
@pytest.mark.parametrize("field", RECIPIENT_FIELDS)
def test_header_text_in_recipients_csv_is_refused_on_its_row(project: Path, field: str, trick: str) -> None:
    record, path = record_with(field, HEADER_TRICKS[trick])
    rows = io.StringIO()
    writer = csv.DictWriter(rows, fieldnames=list(RECORD) + [key for key in record if key not in RECORD])
    writer.writeheader()
    writer.writerow(RECORD | {"id": "first"})
    writer.writerow(record)
    (project / "recipients.csv").write_text(rows.getvalue(), encoding="utf-8")
    assert problems_of(load_recipients, project) == [
        f"recipients.csv:3: recipients[1].{path}: {text_problem(HEADER_TRICKS[trick])}"
    ]


LETTER_FIELDS = {
    "subject": ('subject: "Key Cities: Cities in Action"\n', "subject: {}\n"),
    "reference": ("signatory: peter-box\n", "signatory: peter-box\nreference: {}\n"),
    "variants[0].subject": (
        "signatory: peter-box\n",
        "signatory: peter-box\nvariants:\n  - to: [chancellor]\n    subject: {}\n",
    ),
}


@pytest.mark.parametrize("trick", sorted(HEADER_TRICKS))
@pytest.mark.parametrize("path", sorted(LETTER_FIELDS))
def test_header_text_in_a_letter_is_refused_on_its_line(project: Path, path: str, trick: str) -> None:
    old, new = LETTER_FIELDS[path]
    text = (project / LETTER).read_text(encoding="utf-8")
    written = json.dumps(HEADER_TRICKS[trick])
    (project / LETTER).write_text(text.replace(old, new.format(written), 1), encoding="utf-8")
    line = line_of(project / LETTER, written)
    assert problems_of(load_letters, project) == [
        f"{LETTER}:{line}: {path}: {text_problem(HEADER_TRICKS[trick])}"
    ]


@pytest.mark.parametrize("trick", sorted(HEADER_TRICKS))
@pytest.mark.parametrize(
    ("path", "old"), [("group.name", "Key Cities Group"), ("group.signatories.peter-box.name", "Peter Box")]
)
def test_header_text_in_cities_yaml_is_refused_on_its_line(
    project: Path, path: str, old: str, trick: str
) -> None:
    written = json.dumps(HEADER_TRICKS[trick])
    text = (project / "cities.yaml").read_text(encoding="utf-8")
    (project / "cities.yaml").write_text(text.replace(f"name: {old}\n", f"name: {written}\n", 1))
    line = line_of(project / "cities.yaml", written)
    assert problems_of(load_campaign, project) == [
        f"cities.yaml:{line}: {path}: {text_problem(HEADER_TRICKS[trick])}"
    ]


def test_a_list_to_mail_with_a_header_in_a_name_builds_nothing(project: Path, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text(
        'id,office,role,name,address,email,checked\ncrlf-name,Office G,council-leader,"Eve\r\n'
        'Bcc: eve@evil.example",Town Hall;SA1 1SA,eve@example.org,2019-02-01\n',
        encoding="utf-8",
    )
    result = invoke("letters", "--project", project, "--recipients", listed, "--out", project / "out")
    assert_clean_failure(
        result,
        "error: list.csv:2: recipients[0].name: a line break or control character (U+000A) in "
        "'Eve\\nBcc: eve@evil.example'; write it on one line without it\n",
        "nothing was written",
    )
    assert not (project / "out").exists()


# ---- 5. Files that are folders, too long or damaged; text that is not UTF-8 ---------------------------

FOLDER_WHERE = "a folder where a file belongs; put the file there instead"


@pytest.mark.parametrize(
    "relative",
    [
        "cities.yaml",
        "recipients.yaml",
        "recipients.csv",
        LETTER,
        "letters/extra.md",
        "cities/wakefield.md",
        GVA,
        "data/extra.yaml",
    ],
)
def test_a_folder_where_a_file_belongs_is_named(project: Path, relative: str) -> None:
    (project / relative).unlink(missing_ok=True)
    (project / relative).mkdir()
    result = invoke("check", "--project", project)
    assert_clean_failure(result, f"error: {relative}: {FOLDER_WHERE}\n")


def test_a_folder_where_an_image_belongs_is_named(project: Path) -> None:
    (project / "assets/signature.png").unlink()
    (project / "assets/signature.png").mkdir()
    line = line_of(project / "cities.yaml", "signature: assets/signature.png")
    result = invoke("check", "--project", project)
    assert_clean_failure(
        result,
        f"error: cities.yaml:{line}: {SIGNATURE}: assets/signature.png is a folder where a PNG image "
        "belongs; name the image's file\n",
    )


CSV_HEADER = "id,office,role,address,checked\n"
CSV_ROW = "row-{},Office,office,A street;AB1 2CD,2019-02-04\n"


def test_a_csv_field_longer_than_the_csv_limit_is_named_on_its_row(project: Path) -> None:
    long_field = "x" * (csv.field_size_limit() + 1)
    (project / "recipients.csv").write_text(
        CSV_HEADER + CSV_ROW.format(1) + f'row-2,"{long_field}",office,A street;AB1 2CD,2019-02-04\n'
    )
    assert problems_of(load_recipients, project) == [
        f"recipients.csv:3: a field longer than {csv.field_size_limit():,} characters; check for a quote "
        "that is never closed (the field runs on to the end of the file)"
    ]


def test_a_quote_never_closed_is_named_on_the_row_where_it_opens(project: Path) -> None:
    rows = "".join(CSV_ROW.format(number) for number in range(4, 5_000))
    (project / "recipients.csv").write_text(
        CSV_HEADER + CSV_ROW.format(1) + '\nrow-2,"Office,office,A street,2019-02-04\n' + rows
    )
    (problem,) = problems_of(load_recipients, project)
    assert problem.startswith("recipients.csv:4: a field longer than")


def png_chunks(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Each chunk of a PNG: where it starts, its type and its data."""
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        yield position, data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length


def damaged(png: bytes, how: str) -> bytes:
    """The PNG damaged in one way, its first 8 bytes (the signature) kept."""
    if how == "garbage":
        return png[:8] + b"not the chunks of an image" * 4
    if how == "cut short":
        return png[: len(png) // 2]
    position, kind, data = next(chunk for chunk in png_chunks(png) if chunk[1] == b"IDAT")
    broken = data[:2] + bytes(len(data) - 6) + data[-4:]  # the compressed pixels zeroed
    if how == "bad checksum":
        return png[: position + 8] + broken + png[position + 8 + len(data) :]
    checksum = struct.pack(">I", zlib.crc32(kind + broken))  # a right checksum over broken pixels
    return png[: position + 8] + broken + checksum + png[position + 12 + len(data) :]


@pytest.mark.parametrize("how", ["garbage", "cut short", "bad checksum", "broken pixels"])
def test_a_damaged_png_is_named_where_the_data_names_it(project: Path, how: str) -> None:
    logo = project / "assets/key-cities-logo.png"
    logo.write_bytes(damaged(logo.read_bytes(), how))
    line = line_of(project / "cities.yaml", "logo: assets/key-cities-logo.png")
    result = invoke("check", "--project", project)
    stderr = assert_clean_failure(
        result, f"error: cities.yaml:{line}: group.logo: assets/key-cities-logo.png is a damaged PNG image ("
    )
    assert "); export it again as PNG\n" in stderr


def test_a_damaged_png_in_a_members_own_content_is_named(project: Path) -> None:
    png = (project / "assets/signature.png").read_bytes()
    (project / "assets/wakefield.png").write_bytes(damaged(png, "broken pixels"))
    text = (project / "cities/wakefield.md").read_text(encoding="utf-8")
    (project / "cities/wakefield.md").write_text(
        text.replace("sample: true\n", "sample: true\nlogo: assets/wakefield.png\n")
    )
    line = line_of(project / "cities/wakefield.md", "logo: assets/wakefield.png")
    result = invoke("check", "--project", project)
    assert_clean_failure(
        result, f"error: cities/wakefield.md:{line}: logo: assets/wakefield.png is a damaged PNG"
    )


@pytest.mark.parametrize("relative", [LETTER, "cities/wakefield.md", "recipients.csv", GVA])
def test_text_that_is_not_utf8_is_named_with_its_file_and_line(project: Path, relative: str) -> None:
    if relative == "recipients.csv":
        (project / relative).write_text(CSV_HEADER + CSV_ROW.format(1) + CSV_ROW.format(2))
    lines = (project / relative).read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"o", b"\xf4", 1)  # Latin-1 for ô
    (project / relative).write_bytes(b"\n".join(lines))
    result = invoke("check", "--project", project)
    assert_clean_failure(
        result, f"error: {relative}:3: not UTF-8 text (invalid continuation byte); save it as UTF-8\n"
    )


# ---- 6. A CSV column given twice ----------------------------------------------------------------------


def test_a_csv_column_given_twice_is_named_with_both_positions(project: Path) -> None:
    (project / "recipients.csv").write_text(
        "id,office,role,name,address,checked,name\n"
        "someone,Office,council-leader,Right Name,A street;AB1 2CD,2019-02-04,Wrong Name\n"
    )
    assert problems_of(load_recipients, project) == [
        "recipients.csv:1: columns 4 and 7 are both 'name'; remove or rename one"
    ]


def test_csv_column_names_are_compared_without_their_spaces(project: Path) -> None:
    (project / "recipients.csv").write_text(
        "id, office ,role,address,checked,office\nsomeone,Office,office,A street;AB1 2CD,2019-02-04,Other\n"
    )
    assert problems_of(load_recipients, project) == [
        "recipients.csv:1: columns 2 and 6 are both 'office'; remove or rename one"
    ]


# ---- 4. Numbers that overflow, and numbers far outside any UK area's ----------------------------------


def set_value(project: Path, relative: str, measure: str, code: str, year: int, written: str) -> int:
    """Write `written` as the `year` value of `code` under `values.<measure>` of a data file (each area's
    years on one line); returns the line."""
    path = project / relative
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index(f"  {measure}:", lines.index("values:"))
    number = next(n for n in range(start + 1, len(lines)) if lines[n].startswith(f"    {code}: "))
    lines[number], count = re.subn(
        rf"(?<=[{{ ]){year}: [^,}}]+", f"{year}: {written}", lines[number], count=1
    )
    assert count == 1, lines[number]
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def test_a_sum_too_large_to_compute_names_the_figure_and_its_inputs_and_builds_nothing(project: Path) -> None:
    first = set_value(project, POPULATION, "population", "E06000009", 2017, "1.0e+308")  # Blackpool
    second = set_value(project, POPULATION, "population", "E08000032", 2017, "1.0e+308")  # Bradford
    result = invoke(
        "letters", "--project", project, "--out", project / "out", "--recipient", "prime-minister"
    )
    stderr = assert_clean_failure(
        result,
        f"error: {POPULATION}:{first}: group.population (Combined population, mid-2017) is too large to "
        f"compute, from population of Blackpool (E06000009), 2017 = 1e+308 ({POPULATION}:{first}), "
        f"population of Bradford (E08000032), 2017 = 1e+308 ({POPULATION}:{second}), ",
        # 28 populations in all: a combined authority's councils count one by one
        " and 25 more; check these values and their units\n",
        "1 problem found; nothing was written",
    )
    for line, code in ((first, "E06000009"), (second, "E08000032")):
        assert (
            f"warning: {POPULATION}:{line}: values.population.{code}.2017: 1e+308 is more than 100 million "
            "people, far beyond any UK area; check the value and its unit\n"
        ) in stderr
    assert "£inf" not in result.stdout + stderr
    assert not (project / "out").exists()


def test_a_value_too_large_in_its_figures_unit_is_refused_on_its_line_once(project: Path) -> None:
    # 1e+303 £ million is more pounds than a number can hold: refused where it is written, by its value.
    line = set_value(project, GVA, "gva", "E06000009", 2017, "1.0e+303")
    result = invoke("check", "--project", project)
    stderr = assert_clean_failure(result, "1 problem found")
    [error] = [text for text in stderr.splitlines() if text.startswith("error: ")]
    assert error == (
        f"error: {GVA}:{line}: values.gva.E06000009.2017: 1e+303 is too large for any figure; "
        "check the value and its unit"
    ), error


def test_a_figure_too_large_to_compare_with_a_claim_is_an_error_not_a_traceback(project: Path) -> None:
    # 1e+300 £ million is 1e+306 pounds: finite, but far too many digits to round to what a claim published.
    set_value(project, GVA, "gva", "E06000009", 2017, "1.0e+300")
    result = invoke("check", "--project", project)
    assert_clean_failure(result, "group.gva")


def test_a_whole_number_too_long_for_any_figure_is_refused_on_its_line(project: Path) -> None:
    line = set_value(project, GVA, "gva", "E06000009", 2017, str(10**400))
    assert_clean_failure(
        invoke("check", "--project", project), f"error: {GVA}:{line}: values.gva.E06000009.2017: "
    )


def test_a_claims_rounding_too_fine_to_compare_is_named(project: Path) -> None:
    gva = compute(load_campaign(project))["group.gva"].value  # the figures of the latest year, checked first
    assert gva is not None
    text = (project / "cities.yaml").read_text(encoding="utf-8")
    (project / "cities.yaml").write_text(text.replace("rounding: 100000000\n", "rounding: 1.0e-300\n", 1))
    line = line_of(project / "cities.yaml", "rounding: 1.0e-300")
    assert_clean_failure(
        invoke("check", "--project", project),
        f"error: cities.yaml:{line}: claims[0].rounding: 1e-300 is too fine to round group.gva ({gva:g}) "
        "to; give what the published value was rounded to\n",
    )


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        (
            "published: 130500000000",
            "published: .inf",
            "claims[0].published: must be a finite number, got inf",
        ),
        ("rounding: 100000000", "rounding: .nan", "claims[0].rounding: must be a finite number, got nan"),
        (
            "target_year: 2029",
            f"target_year: {10**400}",
            f"projection.target_year: must be less than 10000, got {10**400}",
        ),
    ],
    ids=["published infinite", "rounding not a number", "target year of 401 digits"],
)
def test_numbers_no_figure_can_use_are_refused_on_their_line(
    project: Path, old: str, new: str, what: str
) -> None:
    text = (project / "cities.yaml").read_text(encoding="utf-8")
    (project / "cities.yaml").write_text(text.replace(old, new, 1))
    line = line_of(project / "cities.yaml", new)
    assert_clean_failure(invoke("check", "--project", project), f"error: cities.yaml:{line}: {what}\n")


PLAUSIBLE = [
    # (measure, the latest release of Blackpool's 2017 value, the highest plausible value, the warning)
    ("population", "data/ons-population-la-2022.yaml", 100000000, "100 million people"),
    ("gva", "data/ons-gva-la-2022.yaml", 5000000, "£5 trillion (5,000,000 in £ million)"),
    ("gva_per_hour", "data/ons-productivity-la-2024.yaml", 1000, "£1,000 an hour"),
    ("gva_per_hour_index", "data/ons-productivity-la-2024.yaml", 1000, "ten times the UK's (1,000)"),
    ("gva_per_filled_job", "data/ons-productivity-la-2024.yaml", 10000000, "£10 million a job"),
    ("filled_jobs", "data/ons-productivity-la-2024.yaml", 100000000, "100 million jobs"),
    ("hours", "data/ons-productivity-la-2024.yaml", 5000000000, "5 billion hours a week"),
]


@pytest.mark.parametrize(
    ("measure", "file", "highest", "words"), PLAUSIBLE, ids=[case[0] for case in PLAUSIBLE]
)
def test_a_value_far_beyond_any_uk_areas_is_a_warning_on_its_line(
    project: Path, measure: str, file: str, highest: int, words: str
) -> None:
    line = set_value(project, file, measure, "E06000009", 2017, str(highest))
    assert load_campaign(project).warnings == []
    set_value(project, file, measure, "E06000009", 2017, str(highest + 1))
    assert load_campaign(project).warnings == [
        f"{file}:{line}: values.{measure}.E06000009.2017: {highest + 1:,} is more than {words}, far beyond "
        "any UK area; check the value and its unit"
    ]
    with pytest.raises(DataError, match=r"\[an error under --strict\]"):
        load_campaign(project, strict=True)


def test_a_projection_beyond_2100_is_a_warning(project: Path) -> None:
    text = (project / "cities.yaml").read_text(encoding="utf-8")
    (project / "cities.yaml").write_text(text.replace("target_year: 2029", "target_year: 2100"))
    assert load_campaign(project).warnings == []
    (project / "cities.yaml").write_text(text.replace("target_year: 2029", "target_year: 2101"))
    line = line_of(project / "cities.yaml", "target_year: 2101")
    assert load_campaign(project).warnings == [
        f"cities.yaml:{line}: projection.target_year: 2101 is after 2100, further ahead than any "
        "projection of these figures can reach; check the year"
    ]
