"""Welsh place-name mutations: the members' Welsh names after each trigger, the rule table, and the
filters as templates use them."""

from __future__ import annotations

import pytest
from jinja2.exceptions import FilterArgumentError

from keycities.compose.mutations import KNOWN, from_place, in_place, to_place
from keycities.compose.sandbox import Sandbox
from keycities.data.cities import Campaign

# Every member with a Welsh name, after "yn", "i" and "o", as a Welsh speaker writes it.
MEMBERS_AFTER = {
    "Casnewydd": ("yng Nghasnewydd", "i Gasnewydd", "o Gasnewydd"),
    "Abertawe": ("yn Abertawe", "i Abertawe", "o Abertawe"),
}


def test_every_member_with_a_welsh_name_mutates_as_written(shipped: Campaign) -> None:
    welsh_names = {member.name_cy for member in shipped.data.members if member.name_cy}
    assert welsh_names == set(MEMBERS_AFTER) == set(KNOWN)
    template = Sandbox().from_string("{{ name | yn }}, {{ name | i }}, {{ name | o }}")
    for name, (after_yn, after_i, after_o) in MEMBERS_AFTER.items():
        assert template.render(name=name) == f"{after_yn}, {after_i}, {after_o}"
        # The general rules give the same forms as the members' table.
        assert (in_place(name), to_place(name), from_place(name)) == (after_yn, after_i, after_o)


@pytest.mark.parametrize(
    ("name", "after_yn"),
    [
        ("Pontypridd", "ym Mhontypridd"),  # p -> mh, yn -> ym
        ("Tregaron", "yn Nhregaron"),  # t -> nh
        ("Caerdydd", "yng Nghaerdydd"),  # c -> ngh, yn -> yng
        ("Bangor", "ym Mangor"),  # b -> m
        ("Dinbych", "yn Ninbych"),  # d -> n
        ("Gwynedd", "yng Ngwynedd"),  # g -> ng
        ("Merthyr Tudful", "ym Merthyr Tudful"),  # no mutation, but yn -> ym before m
        ("Llanelli", "yn Llanelli"),
        ("Abertawe", "yn Abertawe"),
        ("caerdydd", "yng nghaerdydd"),  # a small letter stays small
    ],
)
def test_nasal_mutation_after_yn(name: str, after_yn: str) -> None:
    assert in_place(name) == after_yn


@pytest.mark.parametrize(
    ("name", "after_i"),
    [
        ("Pontypridd", "Bontypridd"),
        ("Tregaron", "Dregaron"),
        ("Caerdydd", "Gaerdydd"),
        ("Bangor", "Fangor"),
        ("Dinbych", "Ddinbych"),
        ("Gwynedd", "Wynedd"),  # g is dropped
        ("Merthyr", "Ferthyr"),
        ("Llanelli", "Lanelli"),
        ("Rhyl", "Ryl"),
        ("Abertawe", "Abertawe"),
    ],
)
def test_soft_mutation_after_i_and_o(name: str, after_i: str) -> None:
    assert to_place(name) == f"i {after_i}"
    assert from_place(name) == f"o {after_i}"


@pytest.mark.parametrize("value", [None, 3, ""])
def test_the_filters_take_only_a_name(value: object) -> None:
    with pytest.raises(FilterArgumentError, match="the yn filter applies to a place name"):
        Sandbox().from_string("{{ value | yn }}").render(value=value)
