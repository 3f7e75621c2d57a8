"""Finding the statements of a speaker named in a question: by name, surname, country or code."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from assistant.aliases import COUNTRY_ALIASES, DEMONYM_SUFFIXES, DEMONYMS, ROLE_ALIASES
from assistant.aliases import ROLE_WORDS as ROLE_PHRASES
from corpus.countries import CODE_KEY, country_names
from corpus.statement import Statement

# Metadata keys whose values name who is speaking (besides the speaker and source columns).
SPEAKER_KEYS = (
    "country", "country_name", "country_name_original", "organisation", "organization", "party", "delegation"
)
# Words that describe a role rather than name someone; they never decide a match alone.
ROLE_WORDS = {
    "the", "of", "for", "and", "a", "an", "mr", "mrs", "ms", "dr", "h", "e", "his", "her", "excellency",
    "minister", "ministers", "ministry", "foreign", "affairs", "prime", "president", "vice", "deputy",
    "secretary", "state", "general", "head", "chief", "king", "queen", "prince", "sheikh", "ambassador",
    "representative", "permanent", "delegation", "government", "spokesperson", "spokesman", "official",
    "officials", "office", "chancellor", "leader", "sir", "madam", "republic", "kingdom",
    "second", "senior", "acting", "former", "first", "emeritus", "special", "envoy",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
FUZZY_MIN_LENGTH = 4  # shorter words are matched exactly only
TYPO_SCORE = 75  # rapidfuzz ratio at which a word of a question is a misspelling of a word of a name ("lavorv")
VARIANT_SCORE = 90  # rapidfuzz token-sort ratio at which two names of one country or source are one person


def name_tokens(text: str) -> list[str]:
    """Lower-case word tokens, with possessive 's removed."""
    return [t for t in _WORD.findall(text.lower().replace("’s", "").replace("'s", "")) if t != "s"]


def typo_corrected(phrase: str, names: Iterable[str]) -> str:
    """The name among ``names`` that ``phrase`` misspells ("Lavorv" → "Sergei Lavrov"): each of the phrase's
    distinctive words close to one of the name's, one of them not exactly; "" when the phrase is spelt right or
    names them otherwise (a role, a demonym: "the Peruvian foreign minister" is not a misspelling of "Peru")."""
    asked = [w for w in name_tokens(phrase) if w not in ROLE_WORDS]
    best, best_score = "", 0.0
    for name in names:
        words = name_tokens(name)
        if not asked or not words or all(w in words for w in asked):
            continue
        closest = [max(fuzz.ratio(a, w) for w in words) for a in asked]
        if min(closest) >= TYPO_SCORE and sum(closest) > best_score:
            best, best_score = name, sum(closest)
    return best if not any(all(w in name_tokens(n) for w in asked) for n in names) else ""


@dataclass(frozen=True)
class SpeakerMatch:
    """Statements whose metadata names the speaker, those whose text credits words to them, and the names."""

    metadata_ids: frozenset[str]  # statements whose metadata names them
    names: tuple[str, ...]
    attributed_ids: frozenset[str] = frozenset()  # by attributions found in the text
    by_post: bool = False  # a role the phrase names was found in the posts of these statements' speakers

    @property
    def all_ids(self) -> frozenset[str]:
        return self.metadata_ids | self.attributed_ids


class SpeakerDirectory:
    """Who speaks in which statement: from the statements' metadata, and from the speakers found in their text.

    ``attributed``: (speaker, statement id, count) rows, as ``StatementStore.attributed_speakers`` gives them.
    ``aliases``: other name (lower case) → names as in the statements (``aliases.load_alias_file``), on top of
    the built-in country aliases and demonyms.
    """

    def __init__(
        self,
        statements: Iterable[Statement],
        attributed: Iterable[tuple[str, str, int]] = (),
        aliases: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._names: dict[str, set[str]] = {}  # a name → statement ids
        self._codes: dict[str, set[str]] = {}  # country codes (upper case) → statement ids
        self._attributed: dict[str, set[str]] = {}  # a speaker found in the text → statement ids
        self._posts: dict[str, str] = {}  # statement id → its speaker's post (lower case), when the metadata has one
        self._country_codes: dict[str, str] = {}  # a country's name as metadata gives it → its code
        self._aliases = {**COUNTRY_ALIASES, **(aliases or {})}
        self._speaks_for: dict[str, Counter[str]] = {}  # a speaker → who their statements speak for
        countries: set[str] = set()
        statements_by_group: dict[str, set[str]] = {}  # country code or source → its speakers' names
        for st in statements:
            group = st.metadata.get("country") or st.source
            if st.speaker and isinstance(group, str) and group:
                statements_by_group.setdefault(group, set()).add(st.speaker)
            organisation = st.metadata.get("country_name") or st.source
            if isinstance(organisation, str) and organisation:
                if st.speaker:
                    self._speaks_for.setdefault(st.speaker, Counter())[organisation] += 1
            for name in self._statement_names(st):
                self._names.setdefault(name, set()).add(st.id)
            code = st.metadata.get("country")
            if isinstance(code, str) and 2 <= len(code) <= 3 and code.isupper():
                self._codes.setdefault(code, set()).add(st.id)
            post = st.metadata.get("post")
            if isinstance(post, str) and post.strip():
                self._posts[st.id] = " ".join(name_tokens(post))  # "Vice-President" → "vice president"
            country = st.metadata.get("country_name") or (st.source if code else "")  # a country's own statement
            if isinstance(country, str) and country:
                countries.add(country.lower())
                if isinstance(code, str) and code in self._codes:
                    self._country_codes[country] = code
        for name, statement_id, _ in attributed:
            self._attributed.setdefault(name, set()).add(statement_id)
        self._merge_variants(statements_by_group)
        self._tokens = {name: frozenset(name_tokens(name)) for name in (*self._names, *self._attributed)}
        self._by_lower: dict[str, list[str]] = {}  # a name in lower case → the names so spelt
        for name in self._tokens:
            self._by_lower.setdefault(name.lower(), []).append(name)
        self._acronyms: dict[str, set[str]] = {}  # "MFA" → the names it abbreviates
        for name in self._tokens:
            for short in _acronyms_of(name):
                self._acronyms.setdefault(short, set()).add(name)
        self._name_postings = _postings(self._names, self._tokens)
        self._attributed_postings = _postings(self._attributed, self._tokens)
        self._vocabulary = sorted({t for toks in self._tokens.values() for t in toks if len(t) >= FUZZY_MIN_LENGTH})
        known = {*countries, *(c for forms in COUNTRY_ALIASES.values() for c in forms), *COUNTRY_ALIASES}
        self._countries = sorted(known, key=len, reverse=True)  # longest first: "indonesian" is not India's

    def _merge_variants(self, groups: Mapping[str, set[str]]) -> None:
        """One person spelt two ways in the metadata of one country or source ("Volodymyr Zelenskyy" and
        "Volodymyr Zelensky", "Mr. Kim Song" and "Song Kim"), or in the texts with the same first name ("Vivian
        Balakrishnan", "Vivian Balakrishan"), is one speaker: either spelling finds the statements of both."""
        for names in groups.values():
            ordered = sorted(names)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    if _same_person(a, b):
                        joined = self._names[a] | self._names[b]
                        self._names[a] = self._names[b] = joined
        by_first: dict[str, list[str]] = {}  # names found in texts, by first word: "Vivian Balakrishan" is one
        for name in self._attributed:
            words = name_tokens(name)
            if len(words) >= 2:
                by_first.setdefault(words[0], []).append(name)
        for spellings in by_first.values():
            for i, a in enumerate(spellings):
                for b in spellings[i + 1 :]:
                    if _same_person(a, b):
                        joined = self._attributed[a] | self._attributed[b]
                        self._attributed[a] = self._attributed[b] = joined

    @staticmethod
    def _statement_names(st: Statement) -> set[str]:
        names = {v for v in (st.speaker, st.source) if v}
        for key in SPEAKER_KEYS:
            value = st.metadata.get(key)
            if isinstance(value, str) and value:
                names.add(value)
        code = st.metadata.get(CODE_KEY)
        if isinstance(code, str) and code:
            names.update(country_names(code))  # ISO's other names for it: "French Republic" for "France"
        return names

    def aliased(self, phrase: str) -> tuple[str, ...]:
        """The names an alias stands for ("north korea" → the official name), read as written or without "the"."""
        written = " ".join(name_tokens(phrase))
        for key in (written, written.removeprefix("the ")):
            if key in self._aliases:
                return self._aliases[key]
        return ()

    def match(self, phrase: str, strict: bool = False) -> SpeakerMatch | None:
        """Statements by the speaker the phrase names, or None if neither metadata nor text names them.

        An acronym matches the names it abbreviates ("MFA": "Ministry of Foreign Affairs of Singapore").
        A name matches when every distinctive word of the phrase is in it ("Lavrov",
        "Sergey Lavrov", "the foreign minister of Norway" → "Norway"); failing that (unless ``strict``),
        when the phrase's last distinctive word (a surname) is. The phrase is also read through aliases
        ("North Korea", "DPRK"), demonyms ("the Peruvian PM" → Peru) and, for a word no name holds, the
        closest spelling of one ("Lavrv" → Lavrov). A role ("prime minister", "PM", "the king") narrows a
        country's statements to those whose ``post`` holds it, when any does.
        """
        found = None
        for name in self._acronyms.get(phrase.strip().removeprefix("the ").strip(), ()):  # "MFA"
            found = _union(found, self._match_words(name, [w for w in name_tokens(name) if w not in ROLE_WORDS],
                                                    strict))
        for name in self.aliased(phrase):  # a whole alias: "the Coastal Kingdom" is a country, not a king
            exact = self._exactly(name)  # "south korea" → "Republic of Korea", never also "…People's Republic of Korea"
            found = _union(found, exact or self._match_words(
                name, [w for w in name_tokens(name) if w not in ROLE_WORDS], strict))
        roles, rest = _role_of(phrase)
        for words in self._readings(rest):  # as written, through an alias, through a demonym: all of them
            found = _union(found, self._match_words(phrase, words, strict))
        if found is None:  # a misspelt name ("Lavrv": every word must then match), or an office named in posts
            found = self._match_words(phrase, self._corrected(rest), strict, surname=False) or self._by_post(rest)
        if found is None:  # "the Ministry of Foreign Affairs": an organisation named by its own words alone
            found = self._organisation(phrase)
        return self._with_role(found, roles) if found is not None else None

    def _exactly(self, name: str) -> SpeakerMatch | None:
        """The statements of the names spelt exactly so (case aside)."""
        names = self._by_lower.get(name.lower(), [])
        ids = set().union(*(self._names.get(n, set()) for n in names))
        found = set().union(*(self._attributed.get(n, set()) for n in names))
        return SpeakerMatch(frozenset(ids), tuple(names), frozenset(found)) if names else None

    def _organisation(self, phrase: str) -> SpeakerMatch | None:
        """The names holding every word of a phrase of organisation words ("the Ministry of Foreign Affairs" →
        "Ministry of Foreign Affairs of Valdoria"), when the phrase names an organisation."""
        words = [w for w in name_tokens(phrase) if w not in ("the", "of", "for", "and")]
        if len(words) < 2 or not set(words) & _ORGANISATION_WORDS:
            return None
        return self._match_words(phrase, words, strict=True, surname=False)

    def is_whole_name(self, phrase: str) -> bool:
        """Whether the phrase, role words aside, is a whole known name, alias, country or demonym (not part of one)."""
        _, rest = _role_of(phrase)
        key = " ".join(w for w in name_tokens(rest) if w not in ("the", "of"))
        if not key:
            return False
        return (bool(self.aliased(phrase)) or key in self._aliases or key in DEMONYMS or bool(self._demonym(key))
                or key in self._countries or key in self._name_keys)

    def broader(self, phrase: str) -> str:
        """Who the speaker a phrase names speaks for: a role's country ("the prime minister of Norvania" →
        "Norvania"), or the country or organisation most of a person's own statements (metadata) speak for; ""
        when none is known (a person only quoted in others' statements speaks for no one here)."""
        roles, rest = _role_of(phrase)
        country = self.match(rest, strict=True) if roles and rest else None
        if country is not None:
            return country.names[0]
        found = self.match(phrase)
        if found is None:
            return ""
        counts: Counter[str] = Counter()
        for name in found.names:
            counts.update(self._speaks_for.get(name, Counter()))
        best = counts.most_common(1)
        return best[0][0] if best and best[0][0] not in found.names else ""

    def knows_name_word(self, word: str) -> bool:
        """Whether a lower-case word is part of some known name ("voss" of "Elara Voss")."""
        return word in self._name_postings or word in self._attributed_postings

    def is_demonym(self, phrase: str) -> bool:
        """Whether the phrase is only a demonym ("the Dutch", "Peruvian"), with no role or name."""
        words = [w for w in name_tokens(phrase) if w != "the"]
        return len(words) == 1 and bool(self._demonym(words[0])) and words[0] not in self._countries

    @cached_property
    def _name_keys(self) -> frozenset[str]:
        """Every known proper name as its words (descriptions found in texts, such as "officials", left out)."""
        return frozenset(" ".join(w for w in name_tokens(name) if w not in ("the", "of")) for name in self._tokens
                         if name[:1].isupper())

    def _readings(self, phrase: str) -> Iterator[list[str]]:
        """The phrase's distinctive words as written, through an alias or demonym, then with spellings corrected."""
        words = [w for w in name_tokens(phrase) if w not in ROLE_WORDS]
        if not words:
            return
        yield words
        key = " ".join(words)
        for name in self._aliases.get(key, ()):
            yield [w for w in name_tokens(name) if w not in ROLE_WORDS]
        country = self._demonym(key)
        if country:
            yield [w for w in name_tokens(country) if w not in ROLE_WORDS]
            for name in self._aliases.get(country, ()):
                yield [w for w in name_tokens(name) if w not in ROLE_WORDS]

    def _corrected(self, phrase: str) -> list[str]:
        """The phrase's distinctive words, each misspelt one read as the closest known name word."""
        return [self._closest(w) for w in name_tokens(phrase) if w not in ROLE_WORDS]

    def _by_post(self, phrase: str) -> SpeakerMatch | None:
        """Statements whose speaker's post holds every distinctive word ("the President of the European
        Council" → post "President of the European Council")."""
        words = [w for w in name_tokens(phrase) if w not in ("the", "of", "for", "and")]
        if not words:
            return None
        ids = frozenset(i for i, post in self._posts.items() if set(words) <= set(post.split()))  # posts: words
        return SpeakerMatch(ids, (phrase.strip(),)) if ids else None

    def _demonym(self, word: str) -> str:
        """The country a demonym names ("peruvian" → "peru"), or ""."""
        if word in DEMONYMS:
            return DEMONYMS[word]
        if " " in word or len(word) < 5 or not word.endswith(DEMONYM_SUFFIXES):
            return ""
        for country in self._countries:
            stem = country[: max(4, len(country) - 1)]
            if " " not in country and word.startswith(stem) and word != country:
                return country
        return ""

    def _closest(self, word: str) -> str:
        """The known name word a typo stands for ("lavrv" → "lavrov"), or ``word`` itself: one edit away (two for
        words of eight letters or more), and the only known word that close, so that no look-alike name is
        taken for another."""
        if len(word) < FUZZY_MIN_LENGTH or word in self._name_postings or word in self._attributed_postings:
            return word
        allowed = 2 if len(word) >= 8 else 1
        close = process.extract(word, self._vocabulary, scorer=OSA.distance, score_cutoff=allowed, limit=2)
        if not close or (len(close) > 1 and close[1][1] <= close[0][1]):
            return word
        return str(close[0][0])

    def _match_words(self, phrase: str, words: list[str], strict: bool, surname: bool = True) -> SpeakerMatch | None:
        if not words:
            return None
        ids: set[str] = set()
        matched: list[str] = []
        for code, sids in self._codes.items():
            if len(words) == 1 and phrase.strip().upper() == code:
                ids |= sids
                matched.append(code)
        by_name, names = _matching(self._names, self._name_postings, words, strict, surname)
        ids |= by_name
        for name in names:  # a country under any of its names: "France" also finds the "French Republic" years
            if name in self._country_codes:
                ids |= self._codes[self._country_codes[name]]
        attributed, attributed_names = _matching(self._attributed, self._attributed_postings, words, strict, surname)
        if not ids and not attributed:
            return None
        return SpeakerMatch(frozenset(ids), tuple(sorted({*matched, *names, *attributed_names})), frozenset(attributed))

    def _with_role(self, found: SpeakerMatch, roles: tuple[str, ...]) -> SpeakerMatch:
        """A match narrowed to the statements whose post holds one of ``roles`` (when any does)."""
        if not roles:
            return found
        narrowed = frozenset(i for i in found.metadata_ids
                             if any(f" {r} " in f" {self._posts.get(i, '')} " for r in roles))
        if not narrowed:
            return found
        return SpeakerMatch(narrowed, found.names, by_post=True)  # the post's holder, not whoever the text credits


_ORGANISATION_WORDS = frozenset({
    "ministry", "ministries", "department", "government", "office", "embassy", "agency", "commission", "council",
    "committee", "secretariat", "mission", "delegation",
})
_ACRONYM_SKIP = frozenset({"of", "the", "for", "and", "de", "on", "in", "to", "&"})


def _acronyms_of(name: str) -> set[str]:
    """The acronyms a name of three capitalised words or more goes by: its initials ("Ministry of Foreign Affairs
    of Singapore" → "MFAS") and those of its part before a last "of" ("MFA")."""
    out = set()
    for part in (name, name.rsplit(" of ", 1)[0] if " of " in name else ""):
        words = [w for w in part.split() if w.lower() not in _ACRONYM_SKIP]
        if len(words) >= 3 and all(w[:1].isupper() for w in words):
            out.add("".join(w[0] for w in words))
    return out


def _same_person(a: str, b: str) -> bool:
    """Whether two metadata names of one country or source spell one person (honorifics aside)."""
    x = " ".join(w for w in name_tokens(a) if w not in ROLE_WORDS)
    y = " ".join(w for w in name_tokens(b) if w not in ROLE_WORDS)
    return bool(x) and bool(y) and fuzz.token_sort_ratio(x, y) >= VARIANT_SCORE


def _postings(names: Iterable[str], tokens: dict[str, frozenset[str]]) -> dict[str, set[str]]:
    """Word → the names that hold it."""
    out: dict[str, set[str]] = {}
    for name in names:
        for token in tokens[name]:
            out.setdefault(token, set()).add(name)
    return out


def _union(a: SpeakerMatch | None, b: SpeakerMatch | None) -> SpeakerMatch | None:
    """Both matches' statements and names ("Russia" as written and as "Russian Federation")."""
    if a is None or b is None:
        return a or b
    return SpeakerMatch(a.metadata_ids | b.metadata_ids, tuple(sorted({*a.names, *b.names})),
                        a.attributed_ids | b.attributed_ids)


def _role_of(phrase: str) -> tuple[tuple[str, ...], str]:
    """The post words a phrase names ("Peru's PM" → prime minister) and the phrase without them."""
    text = " " + " ".join(name_tokens(phrase)) + " "
    forms: list[str] = []
    for role in sorted(ROLE_PHRASES, key=len, reverse=True):
        if f" {role} " in text:
            forms += ROLE_ALIASES.get(role, (role,))
            text = text.replace(f" {role} ", " ")
    return tuple(forms), text.strip()


def _matching(
    names: dict[str, set[str]], postings: dict[str, set[str]], words: list[str], strict: bool = False,
    surname: bool = True,
) -> tuple[set[str], list[str]]:
    """Statement ids of the names that hold every word; failing that (unless ``strict``), of those holding the
    last word (a surname); ``strict``: only for two words or more. ``postings``: word → names holding it."""
    candidates = [postings.get(w, set()) for w in words]
    found = set.intersection(*candidates) if candidates else set()
    if not found and surname and (not strict or len(words) >= 2):  # a first name and a surname ("Liz Truss")
        found = postings.get(words[-1], set())
    ids: set[str] = set()
    for name in found:
        ids |= names[name]
    return ids, sorted(found)
