from __future__ import annotations

import re

from crmcore._currencies import MINOR_UNITS


def test_the_yen_and_the_won_have_no_minor_unit() -> None:
    assert MINOR_UNITS["JPY"] == 0
    assert MINOR_UNITS["KRW"] == 0


def test_the_yuan_the_dollar_and_the_euro_have_cents() -> None:
    assert MINOR_UNITS["CNY"] == 2
    assert MINOR_UNITS["USD"] == 2
    assert MINOR_UNITS["EUR"] == 2


def test_the_bahraini_kuwaiti_and_jordanian_dinars_have_three_places() -> None:
    assert MINOR_UNITS["BHD"] == 3
    assert MINOR_UNITS["KWD"] == 3
    assert MINOR_UNITS["JOD"] == 3


def test_the_chilean_and_uruguayan_indexed_units_have_four_places() -> None:
    assert MINOR_UNITS["CLF"] == 4
    assert MINOR_UNITS["UYW"] == 4


def test_gold_and_no_currency_have_no_minor_unit_at_all() -> None:
    assert MINOR_UNITS["XAU"] is None
    assert MINOR_UNITS["XXX"] is None


def test_every_code_is_three_capital_ascii_letters() -> None:
    assert all(re.fullmatch(r"[A-Z]{3}", code, flags=re.ASCII) for code in MINOR_UNITS)


def test_every_minor_unit_is_none_or_zero_to_four() -> None:
    for places in MINOR_UNITS.values():
        assert places is None or (type(places) is int and 0 <= places <= 4)


def test_the_table_holds_between_150_and_200_codes() -> None:
    assert 150 <= len(MINOR_UNITS) <= 200


def test_the_newest_codes_are_listed_and_withdrawn_ones_are_not() -> None:
    assert {"XCG", "ZWG", "SLE", "VED"} <= MINOR_UNITS.keys()
    assert not {"ANG", "BGN", "CUC", "HRK", "SLL", "VEF", "ZWL", "DEM"} & MINOR_UNITS.keys()
