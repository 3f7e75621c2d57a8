"""How an answer line names a speaker and a document, from the metadata statements have.

A journalist cites "Mr. Abdullah Abdullah, Chief Executive Officer of Afghanistan" and a document by
a readable title. Statements say it in their metadata: a ``post`` (or ``role``, ``position``), a
``country_name`` (or ``organisation``, or a country code beside a source that names the country),
a ``session`` and a year; these functions turn that into words. Honorifics stay in a displayed
name unless the post repeats them ("King Tupou VI", post "King" → "Tupou VI, King of Tonga");
``sort_name`` drops them for sorting.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from corpus.loaders.base import title_from_name
from corpus.statement import Statement

ROLE_KEYS = ("post", "role", "position", "office")
COUNTRY_KEYS = ("country_name", "organisation", "organization", "delegation")
EVENT_KEYS = ("event", "meeting", "occasion")
UN_FIRST_YEAR = 1945  # the General Assembly's session N opened in 1945 + N (session 72: 2017)
HONORIFICS = (
    "his excellency", "her excellency", "his majesty", "her majesty", "his royal highness", "her royal highness",
    "his serene highness", "her serene highness", "his highness", "her highness", "his holiness", "his beatitude",
    "his eminence", "the honourable", "the honorable", "the right honourable", "h.e.", "hon.", "mr.", "mrs.", "ms.",
    "mr", "mrs", "ms", "miss", "dr.", "dr", "prof.", "professor", "sir", "dame", "sheikh", "shaikh", "sheikha",
    "dato", "dato'", "datuk", "tan sri", "general", "archbishop", "cardinal", "crown prince", "king", "queen",
    "prince", "princess", "emir", "amir", "sultan", "grand duke", "pope", "president", "prime minister",
)
_HONORIFIC = re.compile(
    r"(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS, key=len, reverse=True)) + r")(?=\s)\s*",
    re.IGNORECASE,
)
_ID_LIKE = re.compile(r"[A-Z0-9][A-Z0-9 _:./\-]*")
_YEAR = re.compile(r"\d{4}")
_LINK_WORDS = {"the", "of", "and", "for", "his", "her", "a", "an", "to", "in"}
_ARTICLE_ENDINGS = ("republic", "federation", "union", "kingdom", "emirates", "islands", "states", "isles")
_ARTICLE_NAMES = {"netherlands", "philippines", "bahamas", "gambia", "comoros", "maldives", "seychelles", "holy see"}


def _text(value: Any) -> str:
    """A metadata value as one line of text ("" for none, numbers as written)."""
    if value is None or isinstance(value, (bool, dict, list)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _first(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return next((t for t in (_text(metadata.get(k)) for k in keys) if t), "")


def speaker_role(statement: Statement) -> str:
    """The post of the statement's own speaker ("Prime Minister"), capitalised; "" when the metadata has none."""
    role = _first(statement.metadata, ROLE_KEYS)
    return role[:1].upper() + role[1:]


def statement_country(statement: Statement) -> str:
    """The country or organisation the statement speaks for: ``country_name`` (or an organisation), else the
    source when a country code says the source is a country (UN data indexed with ``--field source=country_name``)."""
    found = _first(statement.metadata, COUNTRY_KEYS)
    if found:
        return found
    code = _text(statement.metadata.get("country"))
    if code and not (len(code) <= 3 and code.isupper()):
        return code  # a country written out
    return statement.source if code else ""


def split_honorifics(name: str) -> tuple[str, str]:
    """``(honorifics, name)``: "His Majesty King Tupou VI" → ("His Majesty King", "Tupou VI")."""
    rest, at = name.strip(), 0
    while (match := _HONORIFIC.match(rest, at)) and match.end() < len(rest):
        at = match.end()
    return rest[:at].strip(), rest[at:]


def sort_name(name: str) -> str:
    """A name for sorting: without honorifics, case-folded ("Mr. Abdullah Abdullah" → "abdullah abdullah")."""
    return split_honorifics(name)[1].casefold()


def with_article(country: str) -> str:
    """A country's name as it follows "of": "the United Kingdom", "the Republic of Korea", "France"."""
    low = country.lower()
    needs = (
        low in _ARTICLE_NAMES or " of " in low or low.endswith(_ARTICLE_ENDINGS) or low.startswith("united ")
    ) and not low.startswith("the ") and "(" not in low
    return f"the {country}" if needs else country


def described(name: str, role: str = "", country: str = "") -> str:
    """A speaker as cited: "Elara Voss, Prime Minister of Norvania", "Prince Moulay Rachid (Morocco)".

    The country is left out where the name or post already says it; honorifics that the post repeats
    ("King Tupou VI", post "King") are dropped from the name, or the post when no country follows it.
    """
    if not name:
        return ""
    honorifics, bare = split_honorifics(name)
    country = "" if country and (country.lower() in name.lower() or country.lower() in role.lower()) else country
    if role and honorifics and _title_words(role) & _title_words(honorifics):
        if not country:
            return name  # "Prince Albert II of Monaco" says it all
        name = bare
    country = _without_realm(country, role)
    if role:
        return f"{name}, {role} of {with_article(country)}" if country else f"{name}, {role}"
    return f"{name} ({country})" if country else name


def _without_realm(country: str, role: str) -> str:
    """"Kingdom of Estmark" as "Estmark" after "King" (so "King of Estmark"); likewise a principality after
    "Prince", a sultanate after "Sultan", an emirate after "Emir"; any other country as it is."""
    realm, of, rest = country.rpartition(" of ")
    title = role.split()[0].lower() if role.split() else ""
    if of and len(title) >= 4 and realm.split() and realm.split()[-1].lower().startswith(title[:4]):
        return rest
    return country


def _title_words(text: str) -> set[str]:
    """The words of a post or an honorific that can repeat each other ("king", "president"), in lower case."""
    return set(re.findall(r"[a-z]+", text.lower())) - _LINK_WORDS


def document_title(statement: Statement) -> str:
    """A readable title for the statement: its own title, else one built from its metadata
    ("Norvania — UN General Debate 2019"), never a bare id ("" when nothing readable is known:
    ``untitled_heading`` names such a statement)."""
    title = statement.title.strip()
    derived = title == title_from_name(statement.id)  # from the file name: "Lavrov dushanbe 201st base"
    if title and title != statement.id and not (derived and _ID_LIKE.fullmatch(title)):
        return _recased(title, statement.text) if derived else title
    return built_title(statement) or ("" if title == statement.id else title)


def untitled_heading(who: str, date: str, path: str, statement_id: str) -> str:
    """A heading for a statement without a readable title: who published it and when ("Elara Voss — 2019-03-02"),
    else where it is in its file ("statements.jsonl, record 3" for ids such as ``statements:3``), else the date."""
    if who:
        return f"{who} — {date}" if date else who
    name = PurePath(path).name if path else ""
    number = statement_id.rpartition(":")[2]
    if name:
        return f"{name}, record {number}" if number.isdigit() else name
    return f"Statement of {date}" if date else "Untitled statement"


def built_title(statement: Statement) -> str:
    """"<Country> — UN General Debate <year>" (a session that matches its year), "<Country> — <event> <year>",
    "<Country> — session <n>, <year>" or "<Country> — <year>"; "" without a country and a session or year."""
    country = statement_country(statement)
    year = _text(statement.metadata.get("year")) or statement.date[:4]
    year = year if _YEAR.fullmatch(year) else ""
    session = _text(statement.metadata.get("session"))
    event = _first(statement.metadata, EVENT_KEYS)
    if not country or not (year or session or event):
        return ""
    if event:
        return f"{country} — {event}" + (f" {year}" if year and year not in event else "")
    if year and session.isdigit() and int(session) + UN_FIRST_YEAR == int(year):
        return f"{country} — UN General Debate {year}"
    if session:
        return f"{country} — session {session}" + (f", {year}" if year else "")
    return f"{country} — {year}"


def _recased(title: str, text: str, window: int = 50_000) -> str:
    """A title from a file name, with each word written as the text always writes it ("dushanbe" → "Dushanbe")."""
    words = title.split()
    for i, word in enumerate(words):
        forms = {m.group(0) for m in re.finditer(rf"\b{re.escape(word)}\b", text[:window], re.IGNORECASE)}
        if len(forms) == 1:
            form = forms.pop()
            words[i] = form[:1].upper() + form[1:] if i == 0 else form
    return " ".join(words)
