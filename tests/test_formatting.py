"""The one formatter: money in house and GOV.UK style, numbers, percentages, UK and Welsh dates, ranks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keycities.data.cities import Campaign
from keycities.figures.compute import compute
from keycities.figures.model import DataChoice, Figure, FigureBook
from keycities.figures.rounding import rounded
from keycities.formatting import Formatter

MINUS = "\u2212"
MONTHS = {
    "en-GB": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "cy": ["Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi",
           "Hydref", "Tachwedd", "Rhagfyr"],
}  # fmt: skip
HOUSE, GOVUK = Formatter("house"), Formatter("govuk")
WELSH, WELSH_GOVUK = Formatter("house", "cy"), Formatter("govuk", "cy")


@pytest.fixture(scope="module")
def book(shipped: Campaign) -> FigureBook:
    """The figures of the 2019 letter (2017, as of its date); conftest's `book` is the latest."""
    return compute(shipped, DataChoice(2017, date(2019, 2, 4)))


def test_the_default_is_house_style_in_english():
    assert Formatter() == HOUSE
    assert Formatter().language == "en-GB"


# -- money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "house", "govuk"),
    [
        (137_228e6, "£137.2bn", "£137.2 billion"),
        (130.5e9, "£130.5bn", "£130.5 billion"),
        (262_495_175_967.99994, "£262.5bn", "£262.5 billion"),
        (1e9, "£1.0bn", "£1.0 billion"),
        (2_672e6, "£2.7bn", "£2.7 billion"),
        (999e6, "£999.0m", "£999.0 million"),
        (2.5e6, "£2.5m", "£2.5 million"),
        (56_196.2, "£56,196", "£56,196"),
        (34.8, "£34.80", "£34.80"),
        (75, "£75", "£75"),
        (75.0, "£75", "£75"),
        (0.5, "£0.50", "£0.50"),
        (999.99, "£999.99", "£999.99"),
        (1_234.56, "£1,235", "£1,235"),
        (0, "£0", "£0"),
    ],
)
def test_money_in_house_and_govuk_style(value, house, govuk):
    assert HOUSE.money(value) == house
    assert GOVUK.money(value) == govuk


def test_money_with_explicit_decimals():
    assert HOUSE.money(262.495e9, 0) == "£262bn"
    assert HOUSE.money(258e9, 0) == "£258bn"
    assert GOVUK.money(137_228e6, 2) == "£137.23 billion"
    assert HOUSE.money(56_196.2, 1) == "£56,196.2"


@pytest.mark.parametrize(
    ("value", "house", "govuk"),
    [
        (-6.728e9, f"{MINUS}£6.7bn", f"{MINUS}£6.7 billion"),
        (-4.5e6, f"{MINUS}£4.5m", f"{MINUS}£4.5 million"),
        (-11_469.2, f"{MINUS}£11,469", f"{MINUS}£11,469"),
        (-34.8, f"{MINUS}£34.80", f"{MINUS}£34.80"),
    ],
)
def test_negative_money_takes_a_minus_sign_before_the_pound(value, house, govuk):
    assert HOUSE.money(value) == house
    assert GOVUK.money(value) == govuk
    assert "-" not in HOUSE.money(value)  # a real minus sign, read aloud by screen readers


def test_money_in_welsh():
    assert WELSH.money(137_228e6) == "£137.2bn"
    assert WELSH_GOVUK.money(137_228e6) == "£137.2 biliwn"
    assert WELSH_GOVUK.money(2.5e6) == "£2.5 miliwn"
    assert WELSH.money(56_196.2) == "£56,196"


# -- numbers, counts, percentages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (6_400_797, 0, "6,400,797"),
        (1_000, 0, "1,000"),
        (999, 0, "999"),
        (0, 0, "0"),
        (1_234_567.891, 2, "1,234,567.89"),
        (93.3, 1, "93.3"),
        (28_333_042, 0, "28,333,042"),
        (-1_234, 0, f"{MINUS}1,234"),
        (-0.75, 2, f"{MINUS}0.75"),
        (-12_345_678.9, 1, f"{MINUS}12,345,678.9"),
    ],
)
def test_number(value, decimals, text):
    assert HOUSE.number(value, decimals) == text
    assert WELSH.number(value, decimals) == text


@pytest.mark.parametrize(
    ("formatter", "text"), [(HOUSE, "6.4 million"), (GOVUK, "6.4 million"), (WELSH, "6.4 miliwn")]
)
def test_count_in_millions(formatter, text):
    assert formatter.count(6_400_797, "million") == text
    assert formatter.count(6_400_797) == "6,400,797"


def test_count_in_millions_with_decimals():
    assert HOUSE.count(6_400_797, "million", 2) == "6.40 million"
    assert HOUSE.count(66_040_229, "million") == "66.0 million"
    assert HOUSE.count(55_619_430, "million", 0) == "56 million"


@pytest.mark.parametrize(
    ("ratio", "decimals", "text"),
    [
        (0.9884393479936326, 1, "98.8%"),
        (0.988, 1, "98.8%"),
        (1, 1, "100.0%"),
        (0.5, 0, "50%"),
        (1.2345, 2, "123.45%"),
        (0.052, 1, "5.2%"),
        (-0.052, 1, f"{MINUS}5.2%"),
        (0, 1, "0.0%"),
    ],
)
def test_percent(ratio, decimals, text):
    assert HOUSE.percent(ratio, decimals) == text


# -- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "english", "welsh"),
    [
        (date(2019, 2, 4), "4 February 2019", "4 Chwefror 2019"),
        (date(2020, 3, 1), "1 March 2020", "1 Mawrth 2020"),
        (date(2018, 11, 28), "28 November 2018", "28 Tachwedd 2018"),
        (date(2029, 12, 31), "31 December 2029", "31 Rhagfyr 2029"),
        (date(2024, 1, 9), "9 January 2024", "9 Ionawr 2024"),
    ],
)
def test_dates_in_english_and_welsh(day, english, welsh):
    assert HOUSE.date(day) == english
    assert GOVUK.date(day) == english
    assert WELSH.date(day) == welsh


@given(day=st.dates(), formatter=st.sampled_from([HOUSE, WELSH]))
def test_every_date_round_trips_through_its_month_name(day, formatter):
    text = formatter.date(day)
    match = re.fullmatch(r"(\d{1,2}) (\w+) (\d+)", text)
    assert match, text
    number, month, year = match.groups()
    assert number == str(day.day)  # no leading zero, no ordinal
    back = date(int(year), MONTHS[formatter.language].index(month) + 1, int(number))
    assert back == day


# -- ranks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "ordinal"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (14, "14th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (102, "102nd"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (1011, "1011th"),
        (1021, "1021st"),
    ],
)
def test_rank_ordinals(position, ordinal):
    assert HOUSE.rank(position, 24) == f"{ordinal} of 24"
    assert HOUSE.rank(float(position), 24) == f"{ordinal} of 24"  # figures hold ranks as floats


def test_rank_in_welsh():
    assert WELSH.rank(13, 21) == "safle 13 o 21"
    assert WELSH.rank(1.0, 24) == "safle 1 o 24"


@given(st.integers(min_value=1, max_value=100_000))
def test_every_ordinal_follows_the_english_rule(position):
    text = HOUSE.rank(position, 7)
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if position % 100 in (11, 12, 13) else suffixes.get(position % 10, "th")
    assert text == f"{position}{suffix} of 7"


# -- figures -----------------------------------------------------------------------------------------


def test_a_missing_figure_is_never_formatted(book):
    missing = book["member.bournemouth.gva"]
    assert missing.value is None
    for formatter in (HOUSE, GOVUK, WELSH):
        with pytest.raises(ValueError, match=r"member\.bournemouth\.gva is missing"):
            formatter.figure(missing)


def test_a_synthetic_missing_figure_raises_whatever_its_unit():
    for unit in ("gbp", "persons", "ratio", "rank", "index"):
        figure = Figure("x.y", "X", None, unit, (), "Not available.", why_missing="gone")
        with pytest.raises(ValueError, match=r"x\.y is missing"):
            HOUSE.figure(figure)


@pytest.mark.parametrize(
    ("name", "house", "govuk"),
    [
        ("group.gva", "£137.2bn", "£137.2 billion"),
        ("group.uplift", "£262.5bn", "£262.5 billion"),
        ("group.population", "6,400,797", "6,400,797"),
        ("group.member_count", "24", "24"),
        ("group.gva_ratio_to_scotland", "98.8%", "98.8%"),
        ("comparator.england.gva_per_filled_job", "£56,196", "£56,196"),
        ("comparator.england.gva_per_hour", "£34.80", "£34.80"),
        ("member.wakefield.gva_per_hour_index", "80.3", "80.3"),
        ("member.southampton.gva_per_filled_job_rank", "1st of 21", "1st of 21"),
        ("member.wakefield.population_rank", "5th of 24", "5th of 24"),
        ("group.projection_years", "10", "10"),
    ],
)
def test_figures_are_formatted_by_their_unit(book, name, house, govuk):
    assert HOUSE.figure(book[name]) == house
    assert GOVUK.figure(book[name]) == govuk


def test_a_figure_with_explicit_decimals(book):
    assert HOUSE.figure(book["group.gva_ratio_to_scotland"], 2) == "98.84%"
    assert HOUSE.figure(book["group.gva"], 0) == "£137bn"
    assert HOUSE.figure(book["member.wakefield.gva_per_hour_index"], 0) == "80"
    assert HOUSE.figure(book["member.bradford.gva_per_hour"], 0) == "£27"  # a template may ask


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("member.bradford.gva_per_hour", "£27.00"),  # 27 exactly: still with pence, beside £34.80
        ("member.wakefield.gva_per_hour", "£27.60"),
        ("group.gva_per_hour_median", "£29.60"),
        ("member.wakefield.gva_per_hour_difference_from_england", f"{MINUS}£7.20"),
    ],
)
def test_money_per_hour_is_always_shown_with_pence(book, name, text):
    figure = book[name]
    assert figure.decimals == 2
    for formatter in (HOUSE, GOVUK, WELSH):
        assert formatter.figure(figure) == text
    assert HOUSE.money(27.0) == "£27"  # a plain amount with no pence has none


def test_money_per_filled_job_has_no_pence(book):
    figure = book["member.wakefield.gva_per_filled_job"]
    assert figure.decimals is None
    assert HOUSE.figure(figure) == "£44,727"


# -- properties --------------------------------------------------------------------------------------

SAFE_INTEGERS = st.integers(min_value=-(2**53), max_value=2**53)  # exact as floats


@given(SAFE_INTEGERS)
def test_number_only_adds_separators_to_the_digits(n):
    text = HOUSE.number(n)
    assert text.replace(",", "").replace(MINUS, "-") == str(n)
    assert re.fullmatch(rf"{MINUS}?\d{{1,3}}(,\d{{3}})*", text), text


@given(st.floats(min_value=1, max_value=1e15, allow_nan=False))
def test_negative_money_is_a_minus_sign_and_the_positive_amount(value):
    for formatter in (HOUSE, GOVUK, WELSH_GOVUK):
        assert formatter.money(-value) == MINUS + formatter.money(value)


@given(st.floats(min_value=1e6, max_value=1e15, allow_nan=False))
def test_house_and_govuk_differ_only_in_the_word_for_large_amounts(value):
    house, govuk = HOUSE.money(value), GOVUK.money(value)
    suffix = house[-2:] if house.endswith("bn") else house[-1:]
    word = {"bn": " billion", "m": " million"}[suffix]
    assert govuk == house.removesuffix(suffix) + word
    assert re.fullmatch(r"£[\d,]+\.\d(bn|m)", house), house


@given(st.floats(min_value=0, max_value=999.99, allow_nan=False))
def test_small_amounts_show_pence_only_when_there_are_pence(value):
    text = HOUSE.money(value)
    if round(value, 2) == round(value):
        assert re.fullmatch(r"£\d+", text), text
    else:
        assert re.fullmatch(r"£\d+\.\d\d", text), text
        assert float(text[1:]) == pytest.approx(value, abs=0.005 + 1e-9)


# -- edge cases found in review ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "house", "govuk"),
    [(999.96e6, "£1.0bn", "£1.0 billion"), (999_999.6, "£1.0m", "£1.0 million")],
)
def test_amounts_that_round_up_to_the_next_unit_use_it(value, house, govuk):
    assert HOUSE.money(value) == house
    assert GOVUK.money(value) == govuk


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: HOUSE.number(-0.4), "0"),
        (lambda: HOUSE.money(-0.004), "£0"),
        (lambda: HOUSE.percent(-0.0001), "0.0%"),
    ],
    ids=["number", "money", "percent"],
)
def test_a_negative_that_rounds_to_zero_has_no_minus_sign(call, text):
    assert call() == text


# -- rounding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (7_684.5, 0, "7,685"),  # Portsmouth's gap to England, 2017: to even it would be 7,684
        (16_938.5, 0, "16,939"),
        (-7_684.5, 0, f"{MINUS}7,685"),  # away from zero, on both sides
        (0.5, 0, "1"),
        (2.5, 0, "3"),
        (0.125, 2, "0.13"),  # exactly representable: a true tie
        (2.675, 2, "2.67"),  # stored as 2.67499...: not a tie, so it rounds down
    ],
)
def test_ties_round_half_away_from_zero_as_ons_and_govuk_do(value, decimals, expected):
    assert HOUSE.number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (7_684.5, 0, "7685"),
        (-7_684.5, 0, "-7685"),
        (0.125, 2, "0.13"),
        (2.675, 2, "2.67"),
        (6_400_750, -2, "6.4008E+6"),  # to hundreds: a tie goes up
        (130_450_000_000, -8, "1.305E+11"),
    ],
)
def test_the_rounding_rule_is_half_away_from_zero(value, decimals, expected):
    assert str(rounded(value, decimals)) == expected


def test_money_rounds_a_tie_in_whole_pounds_up():
    assert HOUSE.money(7_684.5) == "£7,685"
    assert HOUSE.money(-7_684.5) == f"{MINUS}£7,685"
