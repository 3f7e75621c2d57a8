"""Which loaded statements ``index`` keeps: ``--where FIELD OP VALUE`` conditions and ``--since``/``--until`` dates.

A condition names a statement field (``id``, ``title``, ``speaker``, ``source``, ``date``, ``url``), ``year``
(the metadata's year, else the date's) or any metadata key, then an operator and a value:

- ``=`` and ``!=``: equal or not, ignoring case (``country=FRA``);
- ``~`` and ``!~``: contains or not, ignoring case (``speaker~Voss``);
- ``<``, ``<=``, ``>``, ``>=``: numbers numerically when both sides are numbers (``year>=2017``); a date
  by its ISO text, to the precision written (``date<2020-06``: before June 2020; ``date<=2020-06``: to
  the end of June); anything else as text, ignoring case.

A statement without the field (or with it blank) meets only ``!=`` and ``!~``. ``--since`` and ``--until``
take a year, ``YYYY-MM`` or ``YYYY-MM-DD`` and keep the dated statements from the first day to the last
day of those periods; a statement without a date is left out by either.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.filters import DATE_HINT, is_date
from corpus.problems import StatementsError
from corpus.statement import Statement

STATEMENT_FIELDS = ("id", "title", "speaker", "source", "date", "url")
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(>=|<=|!=|!~|==|=|<|>|~)\s*(.*?)\s*$", re.DOTALL)
_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?(?:[T ].*)?$")
WHERE_HINT = "expected FIELD OP VALUE with OP one of = != ~ !~ < <= > >= (e.g. year>=2017, speaker~Voss)"


@dataclass(frozen=True)
class Condition:
    """One ``--where`` condition: a field, an operator and the value to compare with."""

    field: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.op}{self.value}"

    def holds(self, statement: Statement) -> bool:
        """Whether ``statement`` meets the condition."""
        found = field_value(statement, self.field)
        if found is None:
            return self.op in ("!=", "!~")
        return compare(found, self.op, self.value)


@dataclass(frozen=True)
class Selection:
    """Conditions every kept statement meets, and the date range it falls in (``""``: open)."""

    conditions: tuple[Condition, ...] = ()
    since: str = ""
    until: str = ""

    def __bool__(self) -> bool:
        return bool(self.conditions or self.since or self.until)

    def __str__(self) -> str:
        parts = [f"--where {c}" for c in self.conditions]
        parts += [f"--since {self.since}"] if self.since else []
        parts += [f"--until {self.until}"] if self.until else []
        return " ".join(parts)

    def admits(self, statement: Statement) -> bool:
        """Whether ``statement`` is kept."""
        date = statement.date.strip()
        if self.since and not (date and date[: len(self.since)] >= self.since):
            return False
        if self.until and not (date and date[: len(self.until)] <= self.until):
            return False
        return all(condition.holds(statement) for condition in self.conditions)


@dataclass
class SelectionCount:
    """What a selection did to a stream of statements: how many it kept and left out, which fields it met."""

    kept: int = 0
    left_out: int = 0
    fields_seen: set[str] = field(default_factory=set)

    def summary(self, selection: Selection) -> str:
        """``left out 3 of 5 statements by --where year>=2020`` (numbers written as the load summary writes them)."""
        total = self.kept + self.left_out
        return f"left out {self.left_out} of {total} statement{'s' if total != 1 else ''} by {selection}"


def parse_condition(text: str) -> Condition:
    """``year>=2017`` as a Condition; ``StatementsError`` naming the expression when it is not one."""
    match = _CONDITION.match(text)
    if match is None or not match.group(3):
        raise StatementsError(f"--where {text!r}: {WHERE_HINT}")
    name, op, value = match.groups()
    if value[:1] in "<>=~!":  # "year>>2017", "speaker=~Voss": an operator mistyped
        raise StatementsError(f"--where {text!r}: {WHERE_HINT}")
    return Condition(name, "=" if op == "==" else op, value)


def check_date(option: str, value: str) -> str:
    """``value`` stripped if it is a year, ``YYYY-MM`` or ``YYYY-MM-DD``; else ``StatementsError``."""
    value = value.strip()
    if not is_date(value):
        raise StatementsError(f"{option} {value}: the date “{value}” is not understood: {DATE_HINT}")
    return value


def build_selection(where: Sequence[str] = (), since: str | None = None, until: str | None = None) -> Selection:
    """The selection given by ``--where`` (repeatable), ``--since`` and ``--until``, checked."""
    conditions = tuple(parse_condition(text) for text in where)
    start = check_date("--since", since) if since is not None else ""
    end = check_date("--until", until) if until is not None else ""
    if start and end and start[: len(end)] > end:
        raise StatementsError(f"--since {start} --until {end}: the dates are the wrong way round")
    return Selection(conditions, start, end)


def select(statements: Iterable[Statement], selection: Selection, count: SelectionCount) -> Iterator[Statement]:
    """The statements ``selection`` admits, streaming; ``count`` tallies what was kept and left out."""
    names = {c.field for c in selection.conditions}
    for statement in statements:
        count.fields_seen.update(name for name in names if field_value(statement, name) is not None)
        if selection.admits(statement):
            count.kept += 1
            yield statement
        else:
            count.left_out += 1


def field_value(statement: Statement, name: str) -> str | None:
    """A field's value as text: a statement field, ``year``, or a metadata key; None when absent or blank."""
    value: Any
    if name in STATEMENT_FIELDS:
        value = getattr(statement, name)
    elif name in statement.metadata:
        value = statement.metadata[name]
    elif name == "year":
        value = statement.date[:4] if re.match(r"\d{4}", statement.date) else None
    else:
        return None
    text = _as_text(value)
    return text if text else None


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return "" if not value else str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def compare(found: str, op: str, value: str) -> bool:
    """``found OP value``: numbers numerically, dates by their ISO text to ``value``'s precision, else text
    ignoring case; ``~`` contains."""
    if op in ("~", "!~"):
        return (value.casefold() in found.casefold()) == (op == "~")
    left: Any
    right: Any
    a, b = _number(found), _number(value)
    if a is not None and b is not None:
        left, right = a, b
    elif is_date(value) and _ISO_DATE.match(found):
        left, right = found[: len(value)], value
    else:
        left, right = found.casefold(), value.casefold()
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)
