"""The cue lexicon: which words report speech, in which frame, and the word lists the rules and the
speaker resolution read (pronouns, person and organisation nouns, titles)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token


# Lemmas of verbs that report speech or a stated position.
CUE_VERBS = frozenset("""
say tell add state note argue claim assert contend insist stress emphasize emphasise warn urge suggest explain
announce declare describe characterize characterise criticize criticise dismiss deny admit acknowledge accuse
allege write report reply respond comment recall reiterate underscore underline highlight propose reject
condemn denounce welcome praise blame question ask demand vow pledge promise predict caution conclude indicate
maintain observe remark confirm express frame portray label brand mention tweet testify concede complain boast
joke recount speculate estimate announce reaffirm affirm point call charge counter agree disagree lament
acknowledge assure inform threaten defend recommend advise reveal disclose argue hint signal predict contend
""".split())
# Cues whose content is their object and what follows ("criticized statements by X", "described Y as Z").
OBJECT_CUES = frozenset("""
criticize criticise dismiss describe characterize characterise deny reject condemn denounce welcome praise
blame question frame portray label brand call defend accuse highlight underscore underline stress emphasize
emphasise express reiterate reaffirm recall mention propose demand urge
""".split())
# News cue frames, learned from PolNeAR train: a (lemma, frame) pair is listed when at least 35% of
# its occurrences (and at least 5) were annotated as a cue there. Frames: a clause ("said that…"), an
# infinitive ("vowed to…"), an object ("blasted the plan"), a prepositional object ("talked about…").
NEWS_CLAUSE_CUES = CUE_VERBS | frozenset("""
acknowledge add admit agree allege announce appear argue ask assert assure boast call caution charge claim
complain concede conclude confirm contend continue convince declare demonstrate deny describe discuss emphasize
endorse estimate explain fear find hope imply indicate insist joke learn maintain mention note order pledge point
post predict promise propose question read recall recognize reiterate remark reply report respond reveal say
share show signal state stress suggest suspect tell tweet warn wonder worry write consider remind
""".split())
NEWS_INFINITIVE_CUES = frozenset("""
agree aim ask call claim decline hope look offer order pledge prefer promise propose refuse report say seek
suggest support threaten urge vote vow decide encourage push show tell
""".split())
NEWS_OBJECT_CUES = OBJECT_CUES | frozenset("""
accuse acknowledge announce applaud articulate ask assail attribute blame blast call chant characterize chide cite
condemn confirm congratulate credit criticize declare decry deem defend denounce describe detail disclose discuss
dismiss dispute distance echo emphasize endorse explain express fear hail highlight issue label lament liken list
mention mock name note order outline point portray post praise prefer promise propose publish question quote
rebuke rebut recall recite recount reference reiterate reject remind repeat report retweet reveal show slam
state stress tell tout tweet urge voice warn approve attack claim compare contrast disavow email identify invoke
offer oppose paint pledge predict release signal sound suggest talk thank write
""".split())
NEWS_PREPOSITION_CUES = frozenset("""
accuse advocate apologize argue ask boast brag call comment complain criticize declare describe hint hope lash
plead point press push rail refer say talk tweet vouch warn write agree charge name pivot report respond side weigh
""".split())
# Prepositions that complete an object cue ("criticized X for Y", "described X as Y"); others ("on
# Monday", "during a debate") only say when or where.
OBJECT_PREPOSITIONS = frozenset({"for", "as", "of", "to", "over", "against", "into"})
# Nominal cues, learned from PolNeAR train as the verbs were (at least 30% and 4 times a cue in that
# frame): nouns with a that-clause ("the claim that…") and nouns with their preposition ("criticism of…").
CLAUSE_NOUNS = frozenset("""
claim statement suggestion assertion complaint belief hope doubt concern confidence
""".split())
PREPOSITION_NOUNS = {
    "about": frozenset("question concern doubt comment message joke word talk detail".split()),
    "of": frozenset("endorsement criticism mention defense chant rejection accusation embrace assessment opinion"
                    .split()),
    "for": frozenset("call criticism praise proposal word".split()),
    "to": frozenset("opposition reference".split()),
    "against": frozenset({"attack"}),
    "on": frozenset({"criticism"}),
}
# The prepositions of prepositional cues ("talked about", "referred to", "railed against", "said of").
CUE_PREPOSITIONS = frozenset({"about", "to", "for", "against", "of", "on", "over", "at"})
LEMMA_FIXES = {"hop": "hope", "retweete": "retweet"}
# Verbs whose subject and infinitive together are the content, with no source: "Y seems to be…", "Y is expected to…".
RAISING_CUES = frozenset({"seem", "appear", "expect"})
PERSON_PRONOUNS = frozenset({"he", "she", "him", "his", "her"})
GROUP_PRONOUNS = frozenset({"they", "them", "their", "it", "its"})
FIRST_PERSON = frozenset({"i", "we", "me", "us", "my", "our"})
RELATIVE = frozenset({"which", "who", "that", "whom"})
ORGANISATION_NOUNS = frozenset("""
ministry department government campaign committee agency office embassy administration council commission
party union company firm organization organisation group bank court parliament senate house white
""".split())
PERSON_NOUNS = frozenset("""
minister president secretary ambassador spokesperson spokesman spokeswoman official chancellor senator
governor mayor nominee candidate leader premier envoy diplomat chairman chairwoman chair director chief
general adviser advisor aide representative lawmaker congressman congresswoman king queen prince
""".split())
TITLES = frozenset("""
mr mrs ms dr sir madam h.e. his her excellency president prime minister foreign secretary general sen senator
rep gov governor ambassador king queen prince sheikh the chancellor vice deputy
""".split())
NAMED = ("PERSON", "ORG", "GPE", "NORP")
# Third-person forms that are more often plural nouns ("the United States", "our demands").
NOUN_LIKE_FORMS = frozenset("""
states calls demands claims questions remarks notes reports comments charges promises pledges frames labels brands
signals estimates points answers replies welcomes blames counters hints praises vows reveals cautions concludes
expresses tweets
""".split())
@dataclass(frozen=True)
class CueLexicon:
    """Which verb lemmas are cues in which frame."""

    clauses: frozenset[str]  # "said that…", "…, he said"
    infinitives: frozenset[str]  # "vowed to…"
    objects: frozenset[str]  # "blasted the plan"
    prepositions: frozenset[str]  # "talked about…"
    raising: frozenset[str]  # "Y seems to…": no source, the subject is part of the content

    def knows(self, lemma: str) -> bool:
        return any(lemma in words for words in (self.clauses, self.infinitives, self.objects, self.prepositions,
                                                self.raising))


# A speech only looks for someone else's words with the general speech verbs; news uses the learned frames.
SPEECH_LEXICON = CueLexicon(CUE_VERBS, CUE_VERBS, OBJECT_CUES, frozenset(), frozenset())
NEWS_LEXICON = CueLexicon(NEWS_CLAUSE_CUES, NEWS_INFINITIVE_CUES, NEWS_OBJECT_CUES, NEWS_PREPOSITION_CUES,
                        RAISING_CUES)



def lemma_of(token: Token) -> str:
    """A token's lower-case lemma, with the small model's slips mended ("hoping" → hop → hope)."""
    lemma = token.lemma_.lower()
    return LEMMA_FIXES.get(lemma, lemma)



TRANSCRIPT_LABEL = r"^\W{0,2}[A-Z][\w.’']*(?: [A-Z][\w.’']*){0,3}:"  # a transcript line: "Amanpour: …", "Minister: …"


def _cue_forms() -> str:
    """A regex of the cue verbs' third-person and past forms (not "we call", which is the speaker's own)."""
    irregular = {"say": ("said", "says"), "tell": ("told", "tells"), "write": ("wrote", "writes", "written"),
                 "think": ("thought", "thinks")}
    forms: set[str] = set()
    for verb in CUE_VERBS:
        if verb in irregular:
            forms.update(irregular[verb])
            continue
        third = verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")
        if third not in NOUN_LIKE_FORMS:
            forms.add(third)
        if verb.endswith("e"):
            forms.add(verb + "d")
        elif verb.endswith("y") and verb[-2] not in "aeiou":
            forms.add(verb[:-1] + "ied")
        else:
            forms.update((verb + "ed", verb + verb[-1] + "ed"))
    before = ("I", "we", "We", "have", "has", "be", "been", "was", "were", "is", "are")  # "we stressed", "is noted"
    not_own = "".join(f"(?<!\\b{w} )" for w in before)
    label = TRANSCRIPT_LABEL
    return (not_own + r"\b(?:" + "|".join(sorted(forms)) + r")\b|\b[Aa]ccording to\b|“[^”]{20,}”|\"[^\"]{20,}\"|"
            + label)


MAY_REPORT = re.compile(_cue_forms())  # sentences of a speech that may report someone else's words
