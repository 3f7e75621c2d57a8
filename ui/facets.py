"""What the Filters tab and the header offer: the metadata fields an index has, and their values as menus.

Names are listed by the name without honorifics ("Mr. Abdullah Abdullah" under A, not M), and
spellings of one name that differ only in honorifics, case, accents or spacing are listed once
(the value is the name without honorifics, which matches every spelling, as filters match in part).
Results are kept per index generation, as reading every statement's metadata takes a moment on a
large index. The Speaker filter is not a menu read once: it lists the speakers whose name holds what is
typed, searched in the index as it is typed (``speaker_choices``), so that every speaker can be found
however many there are; the header counts them all.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.api import Assistant
from assistant.citation import sort_name, split_honorifics
from corpus.countries import ORIGINAL_SUFFIX
from corpus.folding import without_accents
from corpus.statement import Statement

MAX_FIELDS = 3  # metadata fields offered as filters besides speaker and source
MAX_VALUES = 1000  # a field with more distinct values is an identifier, not a facet
MIN_SHARE = 0.2  # a field that fewer statements have is left out
MAX_VALUE_CHARS = 80
MENU_SPEAKERS = 8  # speakers listed under the Speaker box: the most frequent of those whose name holds the text
SKIPPED_KEYS = frozenset({"id", "original_id", "url", "path", "title", "text", "date", "year", "file", "page"})
COUNTRY_KEYS = ("country_name", "country")
COUNTRY_SOURCES = 0.5  # share of statements whose source is their country's name, for the header to count countries


@dataclass(frozen=True)
class Facets:
    """What an index generation offers: statements, speakers, sources and the other fields' values."""

    statements: int
    speakers: tuple[tuple[str, str], ...]  # (label, value) choices
    sources: tuple[tuple[str, str], ...]
    fields: dict[str, tuple[tuple[str, str], ...]]  # metadata key -> (label, value) choices
    sources_are_countries: bool = False  # most statements' source is their country (UN speeches): count countries


_cache: dict[tuple[int, int, int], Facets] = {}


def facets(qa: Assistant) -> Facets:
    """The facets of ``qa``'s index in use (read once per generation)."""
    stats = qa.stats()
    key = (id(qa), stats.generation, stats.statements)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _read(qa, stats.statements)
    return _cache[key]


def speaker_choices(qa: Assistant, typed: str = "", limit: int = MENU_SPEAKERS) -> tuple[list[tuple[str, str]], bool]:
    """Choices for what is typed in the Speaker box: the speakers whose name holds it (searched in the index, so
    any speaker is found), the ``limit`` in most statements, listed by name; and whether more names hold it."""
    found = qa.index.store.speakers_matching(typed, limit + 1)
    return name_choices(found[:limit]), len(found) > limit


def is_speaker(qa: Assistant, text: str) -> bool:
    """Whether some speaker's name holds ``text``, as the Speaker filter matches names."""
    return bool(qa.index.store.speakers_matching(text, 1))


def field_label(key: str) -> str:
    """How a metadata key is named on the page: ``country_name`` → "Country"."""
    base = key[: -len("_name")] if key.endswith("_name") else key
    return base.replace("_", " ").strip().capitalize() or key


def header_counts(found: Facets) -> str:
    """The header line: statements, speakers, and sources (or countries, when the statements name no source or
    most sources are their statements' countries, so that a country spelt two ways counts once)."""
    parts = [_count(found.statements, "statement")]
    if found.speakers:
        parts.append(f"by {_count(len(found.speakers), 'speaker')}")
    country = next((k for k in COUNTRY_KEYS if k in found.fields), "")
    if found.sources and not (country and found.sources_are_countries):
        parts.append(f"from {_count(len(found.sources), 'source')}")
    elif country:  # the countries, once each, however the sources spell them
        parts.append(f"from {_count(len(found.fields[country]), 'country', 'countries')}")
    return "Index: " + " ".join(parts) + "."


def name_choices(
    counts: Iterable[tuple[str, int]], with_counts: bool = True, people: bool = True
) -> list[tuple[str, str]]:
    """Menu choices: one per name however spelt, sorted by the name (for ``people``, without honorifics)."""
    groups: dict[str, Counter[str]] = {}
    for name, n in counts:
        name = " ".join(name.split())
        if name and (not people or _is_name(name)):
            groups.setdefault(_same_name(name, people), Counter())[name] += n
    out = []
    for spellings in groups.values():
        shown = max(spellings, key=lambda s: (spellings[s], -len(s), s))  # the most frequent spelling
        value = (split_honorifics(shown)[1] or shown) if people else shown
        total = sum(spellings.values())
        out.append((f"{shown} ({total:,})" if with_counts else shown, value))
    return sorted(out, key=lambda choice: (sort_name(choice[1]) if people else choice[1].casefold(), choice[0]))


def _is_name(name: str) -> bool:
    """Whether a speaker found in the text reads as a name (not "*", "A/77/331" or "2024 Report")."""
    return name[0].isalpha() and not (" " not in name and any(c.isdigit() for c in name))


def _read(qa: Assistant, statements: int) -> Facets:
    """Read the speakers, sources and metadata fields of ``qa``'s index."""
    headers = qa.statement_headers()
    sources = name_choices(Counter(h.source for h in headers).items(), with_counts=False, people=False)
    fields = {
        key: tuple(name_choices(values.items(), with_counts=False, people=False)) for key, values in _fields(headers)
    }
    store = qa.index.store
    speakers = name_choices(store.speaker_counts(limit=store.count_speakers()))  # all of them: the header counts
    countries = sum(1 for h in headers if h.source and h.source == h.metadata.get(COUNTRY_KEYS[0]))
    return Facets(statements, tuple(speakers), tuple(sources), fields, countries >= COUNTRY_SOURCES * len(headers))


def _fields(headers: Sequence[Statement]) -> list[tuple[str, Counter[str]]]:
    """The metadata fields worth a menu: text values that enough statements have, and not one per statement."""
    values: dict[str, Counter[str]] = {}
    for header in headers:
        for key, value in header.metadata.items():
            if isinstance(value, str) and value.strip() and key.lower() not in SKIPPED_KEYS and not key.endswith(
                ORIGINAL_SUFFIX
            ):  # a value as given before it was normalised (corpus.countries) is no menu of its own
                values.setdefault(key, Counter())[value.strip()[:MAX_VALUE_CHARS]] += 1
    total = max(1, len(headers))
    kept = [
        (key, counts) for key, counts in values.items()
        if sum(counts.values()) >= MIN_SHARE * total and 1 < len(counts) <= MAX_VALUES
        and (len(counts) < total or total < 3) and f"{key}_name" not in values  # a code beside its name: the name
    ]
    kept.sort(key=lambda item: (item[0] not in COUNTRY_KEYS, -sum(item[1].values()), item[0]))
    return kept[:MAX_FIELDS]


def _same_name(name: str, people: bool = True) -> str:
    """What spellings of one name share: no honorifics (of people), accents, case or punctuation differences."""
    bare = (split_honorifics(name)[1] or name) if people else name
    folded = without_accents(bare.casefold())
    return " ".join("".join(c for c in folded if c.isalnum() or c.isspace()).split())


def _count(n: int, one: str, many: str = "") -> str:
    """ "**3** speakers", "**1** statement"."""
    return f"**{n:,}** {one if n == 1 else (many or one + 's')}"
