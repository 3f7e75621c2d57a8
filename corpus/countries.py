"""One name per country: "French Republic", "France" and ``FRA`` are one country, named as people write it.

Statements name the country they speak for in their metadata, as a code (``country``: ``FRA``, ``fr``) or
a name (``country_name``: "French Republic", "Czech Republic", "Phlippines"). ``standard_country`` finds
the country in ISO 3166 (the ``pycountry`` package: current and former countries) from the code first
(a code is exact), else from the name (ISO's short, official and common names, then a close spelling),
and ``with_standard_country`` writes the common name and the three-letter code into a statement's
metadata, keeping what the statement gave under ``<key>_original``. A code or a name ISO does not know
(``EU``, "Palestine Liberation Organization") is kept as given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from corpus.folding import without_accents
from corpus.statement import Statement

CODE_KEY = "country"
NAME_KEY = "country_name"
SOURCE_KEY = "source"
# Words that say a state's form, not which state: "Commonwealth of Australia" is Australia.
STATE_FORM_WORDS = frozenset("""the of and republic kingdom commonwealth state states federal federation federated
    democratic people's peoples islamic united co-operative cooperative principality sultanate plurinational
    bolivarian socialist grand duchy independent union government""".split())
_WORD = re.compile(r"[\w'-]+")
SOURCE_MATCH = 80  # a source spelling its own country's name this closely is that name (the code says which)
ORIGINAL_SUFFIX = "_original"  # "country_name_original": the name as the statement gave it
NAME_MATCH = 92  # rapidfuzz ratio at which a misspelt name ("Phlippines") is taken for a country's name
NAME_MARGIN = 4  # ... when the next country's name is at least this much further away
# ISO 3166-1 codes "exceptionally reserved" for names that are not countries, which pycountry leaves out
# ("UK", reserved for the United Kingdom, is read as GB).
RESERVED_CODES = {"EU": "European Union", "UN": "United Nations", "EZ": "Eurozone"}
_CODE = re.compile(r"[A-Za-z]{2,3}")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")


@dataclass(frozen=True)
class Country:
    """A country as ISO 3166 names it: its three-letter code and the name people use for it."""

    code: str
    name: str


def standard_country(code: str = "", name: str = "") -> Country | None:
    """The country a code ("FRA", "fr") or, failing that, a name ("French Republic", "Phlippines") stands for;
    None when neither is a country ISO 3166 knows."""
    code, name = " ".join(code.split()), " ".join(name.split())
    found = _by_code(code.upper()) if _CODE.fullmatch(code) else None
    return found or (_by_name(name.casefold()) if name else None)


def country_names(code: str) -> tuple[str, ...]:
    """Every name ISO 3166 gives the country with this code ("France", "French Republic"); () if unknown."""
    return _names_by_code().get(code.upper(), ())


def with_standard_country(statement: Statement) -> Statement:
    """The statement with its country's common name and code in ``country_name`` and ``country`` (the values it
    had kept under ``country_name_original`` and ``country_original``), and a ``source`` that was the country's
    name renamed the same way; the statement itself when its metadata names no country ISO 3166 knows."""
    metadata = statement.metadata
    given_code, given_name = _text(metadata.get(CODE_KEY)), _text(metadata.get(NAME_KEY))
    if not (given_code or given_name):
        return statement
    country = standard_country(given_code, given_name)
    if country is None:
        return statement
    updated: dict[str, Any] = dict(metadata)
    for key, given, standard in ((CODE_KEY, given_code, country.code), (NAME_KEY, given_name, country.name)):
        if given == standard or (key == CODE_KEY and not given):
            continue  # a record with a name and no code keeps having no code
        if given:
            updated[key + ORIGINAL_SUFFIX] = metadata[key]
        updated[key] = standard
    source = statement.source
    if source and source != country.name and (source == given_name or _names_country(source, country)):
        updated[SOURCE_KEY + ORIGINAL_SUFFIX] = source  # the country's name as the source ("--field source=…")
        source = country.name
    if updated == dict(metadata):
        return statement
    return replace(statement, metadata=updated, source=source)


def _names_country(source: str, country: Country) -> bool:
    """Whether a source is a name of ``country``: one ``standard_country`` reads as it ("French Republic"), or one
    whose every word but the words of a state's form ("Commonwealth of", "Republic of") is in one of the
    country's names ("Commonwealth of Australia"; not "Ministry of Foreign Affairs of Australia")."""
    found = _by_name(" ".join(source.split()).casefold())
    if found is not None:
        return found.code == country.code
    from rapidfuzz import fuzz

    names = [_plain(name) for name in (*country_names(country.code), country.name)]
    given = _plain(source)
    if any(fuzz.ratio(given, name) >= SOURCE_MATCH for name in names):  # "Sao Tome and Principe"
        return True
    words = set(_WORD.findall(given)) - STATE_FORM_WORDS
    if not words or any(len(w) < 3 for w in words):  # "Republic of Co": cut short, not a name
        return False
    return any(words <= set(_WORD.findall(name)) for name in names)


def _plain(name: str) -> str:
    """``_folded``, accents off ("São Tomé" is "sao tome")."""
    return without_accents(_folded(name))


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _display_name(record: Any) -> str:
    """The name people use: ISO's common name ("Iran"), else its short name the right way round."""
    common = getattr(record, "common_name", None)
    return str(common) if common else _uninverted(str(record.name))


def _uninverted(name: str) -> str:
    """An ISO short name turned the right way round ("Korea, Republic of" → "Republic of Korea"), without a
    bracketed aside ("Holy See (Vatican City State)" → "Holy See")."""
    name = _PARENTHESIS.sub("", name)
    head, comma, tail = name.partition(", ")
    if comma and "," not in tail and tail.lower().endswith((" of", " of the")):
        name = f"{tail} {head}"
    return name[4:] if name.lower().startswith("the ") else name


@cache
def _countries() -> dict[str, Country]:
    """Every current country by its three-letter code, then former ones ("DDR", "YUG") not reused."""
    import pycountry

    found = {str(c.alpha_3): Country(str(c.alpha_3), _display_name(c)) for c in pycountry.countries}
    found.update({code: Country(code, name) for code, name in RESERVED_CODES.items()})
    for old in pycountry.historic_countries:
        code = str(getattr(old, "alpha_3", "") or "")
        if code and code not in found:
            found[code] = Country(code, str(old.name).split(",")[0].strip())
    return found


@cache
def _two_letter() -> dict[str, str]:
    import pycountry

    return {str(c.alpha_2): str(c.alpha_3) for c in pycountry.countries}


def _by_code(code: str) -> Country | None:
    if len(code) == 2 and code not in RESERVED_CODES:
        code = _two_letter().get("GB" if code == "UK" else code, "")
    return _countries().get(code)


@cache
def _names_by_code() -> dict[str, tuple[str, ...]]:
    """Each country's names: the name we show, ISO's short, official and common names, in that order."""
    import pycountry

    names: dict[str, list[str]] = {code: [country.name] for code, country in _countries().items()}
    for record in (*pycountry.countries, *pycountry.historic_countries):
        code = str(getattr(record, "alpha_3", "") or "")
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(record, attribute, None)
            if code in names and value:
                for form in (str(value), _uninverted(str(value))):
                    if form not in names[code]:
                        names[code].append(form)
    return {code: tuple(forms) for code, forms in names.items()}


@cache
def _codes_by_name() -> dict[str, str]:
    """Each country name (case-folded, straight apostrophes) → its code; names two countries share are left out."""
    codes: dict[str, set[str]] = {}
    for code, names in _names_by_code().items():
        for name in names:
            codes.setdefault(_folded(name), set()).add(code)
    return {name: next(iter(found)) for name, found in codes.items() if len(found) == 1}


def _folded(name: str) -> str:
    name = name.casefold().replace("’", "'").replace("\u00ad", "")
    name = name[4:] if name.startswith("the ") else name
    return " ".join(name.split())


@cache
def _by_name(name: str) -> Country | None:
    """The country a case-folded name names exactly, or spells closely and clearly closer than any other."""
    from rapidfuzz import fuzz, process

    codes = _codes_by_name()
    folded = _folded(name)
    code = codes.get(folded)
    if code is None and len(folded) >= 5:
        best = process.extract(folded, list(codes), scorer=fuzz.ratio, limit=8)
        if best and best[0][1] >= NAME_MATCH:
            others = [score for found, score, _ in best[1:] if codes[found] != codes[best[0][0]]]
            if not others or best[0][1] - others[0] >= NAME_MARGIN:
                code = codes[best[0][0]]
    return _countries().get(code) if code else None
