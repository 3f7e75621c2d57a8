"""Whether a text speaks for itself: a speech or a statement in the first person, not a report of others' words.

A UN speech whose metadata names only a country, or a ministry's statement with no speaker, is its source's own
words: "I", "we" and "my country" are the source, and a reply to another delegate ("Since the delegate of X
uttered such words …, it is fair for me to respond") is not X's. A news report quotes people in the first person
only inside quotation marks, and a readout that carries a speech opens in the third person ("Minister X
delivered a statement …"). So a text speaks for itself when, outside quotes, it says "I", "we", "my", "our",
"me" or "us" in its opening (``OPENING`` characters) and at least ``MIN_WORDS`` times in all.
"""
from __future__ import annotations

import re

OPENING = 400  # characters in which a speech has spoken in the first person
MIN_WORDS = 3  # first-person words outside quotes, in all
_QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"")
FIRST_PERSON_WORD = re.compile(r"\b(?:I|[Ww]e|[Mm]y|[Oo]ur|me|us)\b")  # also what the pre-filter looks for


def speaks_in_first_person(text: str) -> bool:
    """Whether ``text`` is its source's own first-person words, as the module says."""
    outside = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    found = [m.start() for m in FIRST_PERSON_WORD.finditer(outside)]
    return len(found) >= MIN_WORDS and found[0] < OPENING
