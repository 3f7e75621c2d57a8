"""Filters as people type them (the command line's ``--filter``, the chat's Filters tab), checked in one place.

``check_filters`` takes what was typed and returns the filters ``Assistant.ask``/``retrieve`` take,
or raises ``FilterError`` with one line saying what is wrong and what would do: an unknown key (a
typo such as ``speker``), a date that is not a year or an ISO date (``last-year``), dates the wrong
way round. Both interfaces show its message, so they accept and refuse the same things.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping

from corpus.countries import CODE_KEY, NAME_KEY, standard_country
from corpus.problems import StatementsError

TEXT_KEYS = ("speaker", "source", "title")
DATE_KEYS = ("date_from", "date_to")
FILTER_KEYS = (*TEXT_KEYS, *DATE_KEYS)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATE_HINT = "write a year (2019) or a date (2019-06-10)"


class FilterError(StatementsError):
    """A filter that cannot be used; ``str()`` is a sentence for a person, ``reason`` the same without capital."""

    def __init__(self, key: str, value: str, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        super().__init__(reason[:1].upper() + reason[1:] + ".")


def is_date(value: str) -> bool:
    """Whether ``value`` is a year (2019), a month (2019-06) or a day (2019-06-10) of the calendar."""
    match = _DATE.match(value)
    if match is None:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _last_day(bound: str) -> str:
    """The last day a date bound covers (``2019`` → ``2019-12-31``), for comparing bounds."""
    return bound + "-12-31"[len(bound) - 4 :] if len(bound) in (4, 7) else bound


def check_filter(key: str, value: str, metadata_keys: Collection[str] = ()) -> str:
    """``value`` stripped, if ``key`` is a filter and ``value`` fits it; else ``FilterError``."""
    value = value.strip()
    if key not in FILTER_KEYS and key not in metadata_keys:
        known = ", ".join([*FILTER_KEYS, *sorted(k for k in metadata_keys if k not in FILTER_KEYS)])
        raise FilterError(key, value, f"there is no filter “{key}”: use one of {known}")
    if key in DATE_KEYS and value and not is_date(value):
        raise FilterError(key, value, f"the date “{value}” is not understood: {DATE_HINT}")
    if key in (CODE_KEY, NAME_KEY) and value:  # "French Republic" finds what the index names "France"
        country = standard_country(value, value)
        return (country.code if key == CODE_KEY else country.name) if country else value
    return value


def check_filters(
    items: Iterable[tuple[str, str]] | Mapping[str, str], metadata_keys: Collection[str] = ()
) -> dict[str, str]:
    """The filters to search with: keys checked, values stripped, empty values (any) left out.

    ``metadata_keys``: the other statement fields the index has (``country``…), accepted as keys too.
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    out: dict[str, str] = {}
    for key, value in pairs:
        checked = check_filter(key.strip(), value, metadata_keys)
        if checked:
            out[key.strip()] = checked
    start, end = out.get("date_from"), out.get("date_to")
    if start and end and start > _last_day(end):
        raise FilterError("date_from", start, f"the dates are the wrong way round: from {start} is after to {end}")
    return out
