"""`generate.py data import` on tables in ONS's layouts: small workbooks written here in the real shapes,
and the real release files where they are present."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner, Result

from keycities.cli import cli
from keycities.imports.areas import Area, areas_from_cities
from keycities.imports.datafile import DataFile, render_data_file
from keycities.imports.merge import ABSENT, Series
from keycities.imports.tables import YearRange, parse_year_range

ROOT = Path(__file__).resolve().parents[2]
RAW = Path("/work/shared/data/raw/ons")
GDP_2021 = RAW / "regional-gdp-local-authorities-2021-05.xlsx"
PRODUCTIVITY_LA = RAW / "subregional-productivity-local-authorities-2024-06.xls"
PRODUCTIVITY_ITL = RAW / "subregional-productivity-itl-2024-06.xls"

CITIES = """\
members:
  - name: Blackpool
    ons_code: E06000009
  - name: Bournemouth
    ons_code: E06000028
  - name: Carlisle
    ons_code: E07000028
  - name: Tees Valley
    ons_code: E47000006
    constituents:
      - {name: Hartlepool, ons_code: E06000001}
      - {name: Middlesbrough, ons_code: E06000002}
  - name: Newport
    ons_code: W06000022
comparators:
  - {key: england, name: England, ons_code: E92000001, itl_code: TLB}
  - {key: wales, name: Wales, ons_code: W92000004, itl_code: TLL}
  - {key: uk, name: United Kingdom, ons_code: K02000001, itl_code: UKX}
"""
RELEASE = [
    "--title", "Regional gross domestic product: local authorities",
    "--publisher", "Office for National Statistics",
    "--published", "2021-05-26",
    "--url", "https://www.ons.gov.uk/economy/grossdomesticproductgdp",
]  # fmt: skip
HEADER_2021 = ["ITL1 Region", "LA code", "LA name", 2016, 2017, "2018\n[note 3]"]
ROWS = [
    ["North West", "E06000009", "Blackpool", 2600, 2672, 2714],
    ["North East", "E06000001", "Hartlepool", 1400, 1416, 1390],
    ["North East", "E06000002", "Middlesbrough", 2700, 2786, 2800],
    ["North West", "E07000028", "Carlisle", 1450, 1463, "[c]"],
    ["Wales", "W06000022", "Newport", 3600, 3722, 4099],
    ["Scotland", "S12000033", "Aberdeen City", 8000, 8100, 8200],
]


def gdp_rows(header: list[Any] | None = None, rows: list[list[Any]] | None = None) -> list[list[Any]]:
    """A sheet in the layout of the GDP workbooks: a title, the header, the rows, a blank row and notes."""
    title = ["Table 1: Local Authority: Gross Value Added (Balanced) [note 1,2] at current basic prices"]
    notes = [[], ["Note 1 Workplace-based estimates are allocated to the region of the activity."]]
    return [title, header or HEADER_2021, *(ROWS if rows is None else rows), *notes]


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "cities.yaml").write_text(CITIES, encoding="utf-8")
    return folder


def run(project: Path, *args: object) -> Result:
    return CliRunner().invoke(cli, ["data", "import", "--project", str(project), *map(str, args)])


def data_file(project: Path, source: str = "ons-gva-la-2021") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / "data" / f"{source}.yaml").read_text("utf-8"))
    return loaded


def import_gva(project: Path, table: Path, *args: object) -> Result:
    result = run(project, table, "--measure", "gva", "--source", "ons-gva-la-2021", *RELEASE, *args)
    assert result.exit_code == 0, result.output
    return result


def change_line(output: str, area: str, year: int) -> list[str]:
    """The cells of the change table's line for an area and year."""
    lines = [line for line in output.splitlines() if line.startswith(area) and f"  {year}  " in line]
    assert len(lines) == 1, output
    year_cell, *cells = re.split(r"\s{2,}", lines[0].removeprefix(area).strip())
    assert year_cell == str(year)
    return cells


def test_the_2021_layout_with_a_noted_last_year(project: Path, tmp_path: Path) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Correction": [["x"]], "Table 1": gdp_rows()})
    result = import_gva(project, table, "--sheet", "Table 1")
    data = data_file(project)
    assert data["values"]["gva"]["E06000009"] == {2016: 2600, 2017: 2672, 2018: 2714}
    assert data["tables"]["gva"] == {
        "file": "gdp.xlsx",
        "sheet": "Table 1",
        "unit": "£ million, current basic prices",
        "note": "England, Wales and United Kingdom are the sums of their local authorities' rows: the "
        "table has no rows for them.",
    }
    assert data["source"]["released"] == date(2021, 5, 26)
    text = (project / "data" / "ons-gva-la-2021.yaml").read_text("utf-8")
    assert "    E06000009: {2016: 2600, 2017: 2672, 2018: 2714}  # Blackpool\n" in text
    assert text.startswith("# Figures from one release, as published")
    assert "written to data/ons-gva-la-2021.yaml" in result.output


def test_text_year_headers_of_2022_and_a_single_sheet(project: Path, tmp_path: Path) -> None:
    header = ["ITL1 Region", "LA code", "LA name", "2016", "2017", "2018"]
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows(header)})
    import_gva(project, table, "--years", "2017-")
    assert data_file(project)["values"]["gva"]["E06000001"] == {2017: 1416, 2018: 1390}


def test_thousands_separators_in_a_csv(project: Path, tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    with open(table, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["Population estimates, mid-year"],
                [],
                ["Area code", "Area name", "2017", "2018"],
                ["E06000009", "Blackpool", "139,870", "1,234.5"],
                ["E06000001", "Hartlepool", "93019", "-"],
            ]
        )
    result = run(project, table, "--measure", "population", "--source", "ons-mye", *RELEASE)
    assert result.exit_code == 1
    assert "table.csv, row 5, column D (E06000001, 2018): '-' is not a number" in result.stderr
    assert not (project / "data").exists()
    with open(table, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["Area code", "Area name", "2017", "2018"], ["E06000009", "Blackpool", "139,870", "1,234.5"]]
        )
    assert run(project, table, "--measure", "population", "--source", "ons-mye", *RELEASE).exit_code == 0
    assert data_file(project, "ons-mye")["values"]["population"]["E06000009"] == {2017: 139870, 2018: 1234.5}


def test_every_marker_is_kept_as_missing(project: Path, tmp_path: Path) -> None:
    header = ["LA code", "LA name", 2013, 2014, 2015, 2016, 2017, 2018]
    rows = [
        ["E06000009", "Blackpool", "[x]", "[c]", "[z]", ":", "..", None],
        ["E06000001", "H", 1, 2, 3, 4, 5, 6],
    ]
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows(header, rows)})
    result = import_gva(project, table)
    blackpool = data_file(project)["values"]["gva"]["E06000009"]
    assert blackpool == {2013: "[x]", 2014: "[c]", 2015: "[z]", 2016: ":", 2017: "..", 2018: None}
    assert (
        "England 2013: not summed, since Blackpool (gdp.xlsx, sheet Table 1, row 3) has no value ([x])"
        in (result.output)
    )
    assert data_file(project)["values"]["gva"]["E92000001"] == {"sum_of": 2}  # no year has every value


def test_comparators_are_the_sums_of_their_nations_rows(project: Path, tmp_path: Path) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows()})
    result = import_gva(project, table)
    values = data_file(project)["values"]["gva"]
    assert values["E92000001"] == {"sum_of": 4, 2016: 8150, 2017: 8337}  # 2018: Carlisle's is [c]
    assert values["W92000004"] == {"sum_of": 1, 2016: 3600, 2017: 3722, 2018: 4099}
    assert values["K02000001"] == {"sum_of": 6, 2016: 19750, 2017: 20159}
    assert "note: England 2018: not summed, since Carlisle" in result.output
    assert values["E07000028"] == {2016: 1450, 2017: 1463, 2018: "[c]"}


def test_a_rate_comparator_with_no_row_is_not_taken(project: Path, tmp_path: Path) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows()})
    result = run(project, table, "--measure", "gva_per_hour", "--source", "ons-gva-la-2021", *RELEASE)
    assert result.exit_code == 0, result.output
    values = data_file(project)["values"]["gva_per_hour"]
    assert "E92000001" not in values
    assert "note" not in data_file(project)["tables"]["gva_per_hour"]


def test_a_member_not_in_the_table_is_absent_and_constituents_stand_for_a_combined_authority(
    project: Path, tmp_path: Path
) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows()})
    result = import_gva(project, table)
    values = data_file(project)["values"]["gva"]
    assert values["E06000028"] == ABSENT
    assert "E47000006" not in values
    assert values["E06000002"] == {2016: 2700, 2017: 2786, 2018: 2800}
    codes = ["E06000009", "E06000028", "E07000028", "E06000001", "E06000002", "W06000022"]
    assert list(values) == [*codes, "E92000001", "W92000004", "K02000001"]  # cities.yaml's order
    summary = result.output.strip().splitlines()[-1]
    assert (
        summary == "gva: 9 areas, 3 years: 0 changed, 22 new, 1 absent; written to data/ons-gva-la-2021.yaml"
    )
    absent = [line for line in result.output.splitlines() if line.startswith("Bournemouth (E06000028)")]
    assert [cell for cell in absent[0].split() if cell] == ["Bournemouth", "(E06000028)", "-", "-", "absent"]


@pytest.mark.skipif(not PRODUCTIVITY_LA.exists(), reason=f"the ONS workbook {PRODUCTIVITY_LA} is not here")
def test_pounds_year_headers_in_the_real_xls(project: Path) -> None:
    result = run(project, PRODUCTIVITY_LA, "--sheet", "A3", "--measure", "gva_per_hour", "--source",
                 "ons-productivity-la-2024", "--years", "2017-2018", *RELEASE)  # fmt: skip
    assert result.exit_code == 0, result.output
    values = data_file(project, "ons-productivity-la-2024")["values"]["gva_per_hour"]
    assert values["E06000009"][2017] == 25.6
    assert values["E07000028"] == ABSENT  # the 2024 release has Cumberland, not Carlisle
    assert values["K02000001"][2017] == 34.3  # the UKX row
    assert "E92000001" not in values  # a rate: not summed


@pytest.mark.skipif(not PRODUCTIVITY_ITL.exists(), reason=f"the ONS workbook {PRODUCTIVITY_ITL} is not here")
def test_an_itl_table_takes_comparators_by_itl_code_and_no_councils(project: Path) -> None:
    result = run(project, PRODUCTIVITY_ITL, "--sheet", "Productivity Jobs", "--measure", "filled_jobs",
                 "--source", "ons-productivity-itl-2024", "--years", "2017", *RELEASE)  # fmt: skip
    assert result.exit_code == 0, result.output
    values = data_file(project, "ons-productivity-itl-2024")["values"]["filled_jobs"]
    assert values == {
        "E92000001": {2017: 28333042},
        "W92000004": {2017: 1387837},
        "K02000001": {2017: 33186173},
    }
    assert "3 new, 0 absent;" in result.output


def test_a_second_import_replaces_only_its_measure_and_shows_the_changes(
    project: Path, tmp_path: Path
) -> None:
    first = workbook(tmp_path / "one.xlsx", {"Table 1": gdp_rows(), "Table 6": gdp_rows()})
    import_gva(project, first, "--sheet", "Table 1")
    run(project, first, "--sheet", "Table 6", "--measure", "population", "--source", "ons-gva-la-2021")
    population = data_file(project)["values"]["population"]
    rows = [row[:] for row in ROWS]
    rows[0][4], rows[0][5] = 2700, "[x]"  # Blackpool 2017 changes, 2018 goes missing
    second = workbook(
        tmp_path / "two.xlsx", {"Table 1": gdp_rows(HEADER_2021[:5], [row[:5] for row in rows])}
    )
    result = run(
        project, second, "--measure", "gva", "--source", "ons-gva-la-2021", "--url", "https://x.test"
    )
    assert result.exit_code == 0, result.output
    data = data_file(project)
    assert data["values"]["population"] == population
    assert data["values"]["gva"]["E06000009"] == {2016: 2600, 2017: 2700}
    assert data["tables"]["gva"]["file"] == "two.xlsx" and data["tables"]["population"]["sheet"] == "Table 6"
    assert data["source"]["url"] == "https://x.test"
    assert data["source"]["title"] == "Regional gross domestic product: local authorities"
    assert change_line(result.output, "Blackpool (E06000009)", 2017) == ["2,672", "2,700", "+28"]
    assert change_line(result.output, "Blackpool (E06000009)", 2018) == ["2,714", "-"]  # removed
    assert "3 changed, 0 new, 1 absent, 6 removed" in result.output  # England, UK 2017 change too


def test_a_dry_run_writes_nothing(project: Path, tmp_path: Path) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows()})
    import_gva(project, table)
    before = (project / "data" / "ons-gva-la-2021.yaml").read_bytes()
    rows = [row[:] for row in ROWS]
    rows[0][3] = 2500
    changed = workbook(tmp_path / "changed.xlsx", {"Table 1": gdp_rows(None, rows)})
    result = run(project, changed, "--measure", "gva", "--source", "ons-gva-la-2021", "--dry-run")
    assert result.exit_code == 0, result.output
    assert change_line(result.output, "Blackpool (E06000009)", 2016) == ["2,600", "2,500", "-100"]
    assert result.output.rstrip().endswith("nothing written (--dry-run)")
    assert (project / "data" / "ons-gva-la-2021.yaml").read_bytes() == before
    assert sorted(path.name for path in (project / "data").iterdir()) == ["ons-gva-la-2021.yaml"]


BAD_TABLES = {
    "no code column": (
        gdp_rows(["ITL1 Region", "Council", "LA name", 2016, 2017, 2018]),
        "gdp.xlsx, sheet Table 1: no area-code column",
    ),
    "no year column": (
        gdp_rows(["ITL1 Region", "LA code", "LA name", "a", "b", "c"]),
        "gdp.xlsx, sheet Table 1: no year columns",
    ),
    "a non-number": (
        gdp_rows(None, [*ROWS[:2], ["North West", "E07000028", "Carlisle", 1450, "abc", 1]]),
        "gdp.xlsx, sheet Table 1, row 5, column E (E07000028, 2017): 'abc' is not a number",
    ),
    "a duplicate row": (
        gdp_rows(None, [*ROWS, ROWS[0]]),
        "gdp.xlsx, sheet Table 1, rows 3 and 9, column B: E06000009 is in more than one row",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_a_bad_table_is_reported_with_its_place_and_nothing_is_written(
    case: str, project: Path, tmp_path: Path
) -> None:
    rows, message = BAD_TABLES[case]
    good = workbook(tmp_path / "good.xlsx", {"Table 1": gdp_rows()})
    import_gva(project, good)
    before = (project / "data" / "ons-gva-la-2021.yaml").read_bytes()
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": rows})
    result = run(project, table, "--measure", "gva", "--source", "ons-gva-la-2021")
    assert result.exit_code == 1
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert (project / "data" / "ons-gva-la-2021.yaml").read_bytes() == before


BAD_OPTIONS = {
    "an unknown measure": (
        ["--measure", "jobs", "--sheet", "Table 1"],
        "--measure 'jobs': not a measure; use one of population, gva, gva_per_hour",
    ),
    "an unknown sheet": (
        ["--sheet", "Table 9"],
        "gdp.xlsx: no sheet 'Table 9'; the sheets are 'Table 1', 'Table 6'",
    ),
    "no sheet for two": (
        [],
        "gdp.xlsx: the workbook has 2 sheets; choose one with --sheet: 'Table 1', 'Table 6'",
    ),
    "bad years": (["--sheet", "Table 1", "--years", "2019-2017"], "--years '2019-2017': the range ends"),
    "a bad source id": (["--sheet", "Table 1", "--source", "ONS GVA"], "--source 'ONS GVA': use lowercase"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_a_bad_option_is_an_error_and_nothing_is_written(case: str, project: Path, tmp_path: Path) -> None:
    options, message = BAD_OPTIONS[case]
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows(), "Table 6": gdp_rows()})
    defaults = {"--measure": "gva", "--source": "ons-gva-la-2021"}
    for key, value in defaults.items():
        if key not in options:
            options = [*options, key, value]
    result = run(project, table, *options, *RELEASE)
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (project / "data").exists()


def test_a_new_source_needs_its_title_publisher_date_and_address(project: Path, tmp_path: Path) -> None:
    table = workbook(tmp_path / "gdp.xlsx", {"Table 1": gdp_rows()})
    result = run(project, table, "--measure", "gva", "--source", "ons-new", "--title", "T", "--url", "u")
    assert result.exit_code == 1
    assert (
        "data/ons-new.yaml does not exist yet: a new source needs --publisher, --published" in result.stderr
    )
    assert not (project / "data").exists()


def test_the_file_reads_back_as_the_same_values() -> None:
    data = DataFile(
        {"title": 'A "quoted" title: with a colon #', "publisher": "ONS", "released": "2024-06", "url": "u"},
        {"gva_per_hour": {"file": "a.xls", "sheet": "Productivity Hours", "unit": "£"}},
        {"gva_per_hour": {"E06000009": Series({2017: 38622.9, 2018: "[c]", 2019: None, 2020: 1e16}),
                          "E06000028": ABSENT, "K02000001": Series({2017: 0.1}, sum_of=3)}},
    )  # fmt: skip
    text = render_data_file(data, {"E06000009": "Blackpool #1"}, ["E06000009", "E06000028"])
    loaded = yaml.safe_load(text)
    assert loaded["source"] == data.source
    assert loaded["tables"] == data.tables
    assert loaded["values"]["gva_per_hour"] == {
        "E06000009": {2017: 38622.9, 2018: "[c]", 2019: None, 2020: 1e16},
        "E06000028": "absent",
        "K02000001": {"sum_of": 3, 2017: 0.1},
    }
    assert '  released: "2024-06"\n' in text
    assert (
        '    E06000009: {2017: 38622.9, 2018: "[c]", 2019: null, 2020: 10000000000000000.0}  # Blackpool #1\n'
        in text
    )


def test_the_areas_of_cities_yaml() -> None:
    raw = yaml.safe_load(CITIES)
    raw["members"].append({"name": "no code"})
    raw["comparators"].append({"key": "scotland", "name": "Scotland"})
    areas, warnings = areas_from_cities(raw)
    assert areas[0] == Area("E06000009", "Blackpool", None, "council")
    assert areas[-1] == Area("K02000001", "United Kingdom", "UKX", "comparator")
    assert [area.code for area in areas if area.role == "council"][3:5] == ["E06000001", "E06000002"]
    assert len(areas) == 9
    assert warnings == [warning for warning in warnings if "comparator Scotland has no ons_code" in warning]
    assert len(warnings) == 1
    assert areas_from_cities(None) == ([], [])


def test_year_ranges() -> None:
    assert parse_year_range("2017-2020") == YearRange(2017, 2020)
    assert parse_year_range("2017-") == YearRange(2017, None)
    assert parse_year_range("2017") == YearRange(2017, 2017)
    assert 2016 not in YearRange(2017) and 2030 in YearRange(2017)


def project_cities(folder: Path) -> Path:
    """The project's cities.yaml, with the comparators' codes when it does not have them yet."""
    text = (ROOT / "cities.yaml").read_text(encoding="utf-8")
    codes = {
        "england": "E92000001 TLB",
        "wales": "W92000004 TLL",
        "scotland": "S92000003 TLM",
        "uk": "K02000001 UKX",
    }
    if "itl_code" not in text:
        for key, both in codes.items():
            ons, itl = both.split()
            text = text.replace(
                f"  - key: {key}\n", f"  - key: {key}\n    ons_code: {ons}\n    itl_code: {itl}\n"
            )
    folder.mkdir()
    (folder / "cities.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.skipif(not GDP_2021.exists(), reason=f"the ONS workbook {GDP_2021} is not here")
def test_the_real_2021_release(tmp_path: Path) -> None:
    folder = project_cities(tmp_path / "project")
    assert import_gva(folder, GDP_2021, "--sheet", "Table 1", "--years", "2017")
    values = data_file(folder)["values"]["gva"]
    assert values["E06000009"] == {2017: 2672}
    assert values["E92000001"] == {"sum_of": 309, 2017: 1586892}
    assert values["W92000004"][2017] == 62910
    assert values["S92000003"][2017] == 138833
    assert values["K02000001"][2017] == 1828673
    assert values["E06000028"] == ABSENT
    result = run(folder, GDP_2021, "--sheet", "Table 6", "--years", "2017", "--measure", "population",
                 "--source", "ons-gva-la-2021")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert data_file(folder)["values"]["population"]["E92000001"][2017] == 55619430
