"""``assistant.filters``: the one check of filters typed by people, shared by the command line and the chat."""
from __future__ import annotations

import pytest

from assistant.filters import FILTER_KEYS, FilterError, check_filters, is_date


@pytest.mark.parametrize("value", ["2019", "2019-06", "2019-06-10", "2020-02-29"])
def test_dates(value):
    assert is_date(value)


@pytest.mark.parametrize("value", ["last-year", "19", "2019-6", "2019-13", "2019-02-30", "2019-06-10T10:00", " 2019"])
def test_not_dates(value):
    assert not is_date(value)


def test_filters_are_stripped_and_empty_ones_mean_any():
    typed = {"speaker": " Voss ", "source": "", "date_from": "2018", "date_to": " "}
    assert check_filters(typed) == {"speaker": "Voss", "date_from": "2018"}
    assert check_filters([("country", "Norvania")], metadata_keys={"country"}) == {"country": "Norvania"}


def test_a_bad_date_is_a_sentence_for_the_chat():
    with pytest.raises(FilterError) as raised:
        check_filters({"date_from": "last spring"})
    error = raised.value
    assert (error.key, error.value) == ("date_from", "last spring")
    assert str(error) == "The date “last spring” is not understood: write a year (2019) or a date (2019-06-10)."
    assert error.reason == str(error)[:1].lower() + str(error)[1:-1]


def test_unknown_keys_name_the_known_ones():
    with pytest.raises(FilterError, match="There is no filter “speker”: use one of speaker, source, title, "
                       "date_from, date_to, country"):
        check_filters({"speker": "Voss"}, metadata_keys={"country"})
    assert set(FILTER_KEYS) == {"speaker", "source", "title", "date_from", "date_to"}


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("2019", "2019", True), ("2019-06", "2019", True), ("2019-06-10", "2019-06", True), ("2019-07", "2019-06", False),
    ("2020", "2019-12-31", False),
])
def test_date_order(start, end, ok):
    if ok:
        assert check_filters({"date_from": start, "date_to": end}) == {"date_from": start, "date_to": end}
    else:
        with pytest.raises(FilterError, match="wrong way round"):
            check_filters({"date_from": start, "date_to": end})
