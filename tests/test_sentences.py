"""Hard cases for ``corpus.sentences.split_sentences``, plus the invariants every split keeps.

``CASES`` is also read by ``benchmarks/sentence_splitters.py`` to score candidate splitters,
so each case lists the exact sentences a good splitter returns, in order.
All names and organisations are fictional.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.sentences import split_sentences

# (case id, text, expected sentences: each is text[start:end] of one span, in order)
CASES: list[tuple[str, str, list[str]]] = [
    # --- abbreviations ---
    (
        "abbr-us-un",
        "The U.S. delegation and the U.N. Secretariat met in Velora. They agreed on a plan.",
        ["The U.S. delegation and the U.N. Secretariat met in Velora.", "They agreed on a plan."],
    ),
    (
        "abbr-titles",
        "Mr. Tomas Vel and Dr. Ines Marr met Gen. Oskar Brandt in the capital. The talks lasted an hour.",
        ["Mr. Tomas Vel and Dr. Ines Marr met Gen. Oskar Brandt in the capital.", "The talks lasted an hour."],
    ),
    (
        "abbr-no-st",
        "Resolution No. 2231 was read at the hall on Harbour St. in Port Alden. It remains in force.",
        ["Resolution No. 2231 was read at the hall on Harbour St. in Port Alden.", "It remains in force."],
    ),
    (
        "abbr-saint",
        "The envoy visited St. Aubin Island last week. She returned on Friday.",
        ["The envoy visited St. Aubin Island last week.", "She returned on Friday."],
    ),
    (
        "abbr-eg-etc",
        "Several States, e.g. Freedonia and Sylvania, objected. Others abstained, i.e. they did not vote.",
        ["Several States, e.g. Freedonia and Sylvania, objected.", "Others abstained, i.e. they did not vote."],
    ),
    (
        "abbr-mrs-ms",
        "Mrs. Ada Korr and Ms. Bea Lund spoke for the Coalition of Small Islands. Both called for calm.",
        ["Mrs. Ada Korr and Ms. Bea Lund spoke for the Coalition of Small Islands.", "Both called for calm."],
    ),
    (
        "abbr-title-starts-sentence",
        "We agree with the proposal. Mr. Vel spoke next.",
        ["We agree with the proposal.", "Mr. Vel spoke next."],
    ),
    (
        "abbr-dr-starts-sentence",
        "The session was long. Dr. Marr arrived late.",
        ["The session was long.", "Dr. Marr arrived late."],
    ),
    (
        "abbr-ends-sentence",
        "Aid came from the U.S. The U.N. also helped.",
        ["Aid came from the U.S.", "The U.N. also helped."],
    ),
    (
        "abbr-time",
        "The meeting ended at 5 p.m. The delegates left.",
        ["The meeting ended at 5 p.m.", "The delegates left."],
    ),
    (
        "abbr-versus",
        "In Velde v. Sylvania the court ruled. The ruling was final.",
        ["In Velde v. Sylvania the court ruled.", "The ruling was final."],
    ),
    (
        "abbr-upper-case-lines",
        "MR. PRESIDENT,\nMR. SECRETARY-GENERAL,\nDEAR COLLEAGUES,",
        ["MR. PRESIDENT,", "MR. SECRETARY-GENERAL,", "DEAR COLLEAGUES,"],
    ),
    # --- initials ---
    (
        "initials",
        "The poet K. L. M. Farrow wrote the anthem of Velora. It is sung at every session.",
        ["The poet K. L. M. Farrow wrote the anthem of Velora.", "It is sung at every session."],
    ),
    (
        "initials-tight",
        "A letter from J.P. Oduya was circulated. The Chair thanked him.",
        ["A letter from J.P. Oduya was circulated.", "The Chair thanked him."],
    ),
    # --- numbers ---
    (
        "decimals",
        "Growth reached 3.5 per cent in 2023. Inflation fell to 2.1 per cent.",
        ["Growth reached 3.5 per cent in 2023.", "Inflation fell to 2.1 per cent."],
    ),
    (
        "section-numbers",
        "Article 5.2 of the Accord of Meridia applies. See paragraph 3 of the report.",
        ["Article 5.2 of the Accord of Meridia applies.", "See paragraph 3 of the report."],
    ),
    (
        "digit-starts-sentence",
        "Some 80 soldiers died. 150 more were injured.",
        ["Some 80 soldiers died.", "150 more were injured."],
    ),
    # --- quotes and parentheses ---
    (
        "quote-question-he-asked",
        '"Is this the peace we promised?" he asked. Nobody answered.',
        ['"Is this the peace we promised?" he asked.', "Nobody answered."],
    ),
    (
        "quote-inside",
        'The Minister said: "We will never give up." The hall applauded.',
        ['The Minister said: "We will never give up."', "The hall applauded."],
    ),
    (
        "curly-quotes",
        "\u201cEnough,\u201d said the Minister. \u201cWe are ready to sign.\u201d",
        ["\u201cEnough,\u201d said the Minister.", "\u201cWe are ready to sign.\u201d"],
    ),
    (
        "quote-closes-after-period",
        "He quoted the Charter: \u201cWe the peoples.\u201d Then he sat down.",
        ["He quoted the Charter: \u201cWe the peoples.\u201d", "Then he sat down."],
    ),
    (
        "markdown-bold",
        "**Peace is an imperative.** It cannot wait.",
        ["**Peace is an imperative.**", "It cannot wait."],
    ),
    (
        "paren-sentence",
        "The committee approved the report. (See Annex I.) It enters into force today.",
        ["The committee approved the report.", "(See Annex I.)", "It enters into force today."],
    ),
    (
        "paren-inside",
        "The vote was close (12 to 11). A recount followed.",
        ["The vote was close (12 to 11).", "A recount followed."],
    ),
    # --- ellipses ---
    (
        "ellipsis-continues",
        "We waited... and waited for an answer. Then the vote came.",
        ["We waited... and waited for an answer.", "Then the vote came."],
    ),
    (
        "ellipsis-ends",
        "We hoped for peace\u2026 It did not come. We keep hoping.",
        ["We hoped for peace\u2026", "It did not come.", "We keep hoping."],
    ),
    (
        "exclamation-question",
        "What have we achieved? Very little! We must do more.",
        ["What have we achieved?", "Very little!", "We must do more."],
    ),
    # --- lists ---
    (
        "numbered-list",
        "Our priorities are:\n1. Peace.\n2. Development.\n3. Human rights.",
        ["Our priorities are:", "1. Peace.", "2. Development.", "3. Human rights."],
    ),
    (
        "bulleted-list",
        "We call for:\n- an immediate ceasefire;\n- humanitarian access;\n- a political process.",
        ["We call for:", "- an immediate ceasefire;", "- humanitarian access;", "- a political process."],
    ),
    (
        "bullet-dots",
        "The Council of Meridia decided:\n\u2022 to extend the mission\n\u2022 to review it in June",
        ["The Council of Meridia decided:", "\u2022 to extend the mission", "\u2022 to review it in June"],
    ),
    # --- line and paragraph breaks ---
    (
        "paragraph-per-line",
        "I thank the President for his work.\nThe world faces many crises.\nWe must act together.",
        ["I thank the President for his work.", "The world faces many crises.", "We must act together."],
    ),
    (
        "hard-wrapped-lines",
        "The Government of Freedonia has\ndecided to withdraw its\ncandidacy. The decision is final.",
        ["The Government of Freedonia has\ndecided to withdraw its\ncandidacy.", "The decision is final."],
    ),
    (
        "hard-wrapped-capital",
        "The delegation of the Republic of\nFreedonia abstained. The motion failed.",
        ["The delegation of the Republic of\nFreedonia abstained.", "The motion failed."],
    ),
    (
        "paragraph-break-heading",
        "Introduction\n\nThe Assembly met in Velora today.",
        ["Introduction", "The Assembly met in Velora today."],
    ),
    (
        "paragraph-break-mid-sentence",
        "We remain committed\n\nto peace in the region.",
        ["We remain committed", "to peace in the region."],
    ),
    (
        "paragraph-break-spaces-crlf",
        "  First part ends here\r\n \r\nSecond part starts here.  \n\n\n  ",
        ["First part ends here", "Second part starts here."],
    ),
    # --- whitespace only ---
    ("empty", "", []),
    ("only-whitespace", "  \n\t \n  ", []),
]

# Cases the chosen splitter is known to get wrong; kept in the table so the benchmark counts them.
KNOWN_LIMITS: dict[str, str] = {
    "hard-wrapped-capital": "a single line break before a capital letter is taken as a boundary",
}


def _params() -> list:
    """The table as pytest params; known limits are strict xfails (fixing one must show)."""
    params = []
    for case in CASES:
        reason = KNOWN_LIMITS.get(case[0])
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(*case, id=case[0], marks=marks))
    return params


def _spans_for(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Locate each expected sentence in order; the table must be self-consistent."""
    spans, cursor = [], 0
    for sentence in sentences:
        start = text.index(sentence, cursor)
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


@pytest.mark.parametrize("case_id,text,expected", _params())
def test_hard_case(case_id: str, text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == expected
    assert spans == _spans_for(text, expected)


def _check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip(), "span has surrounding whitespace"
        assert text[previous_end:start].strip() == "", "non-space character left uncovered"
        previous_end = end
    assert text[previous_end:].strip() == ""


@pytest.mark.parametrize("case_id,text,expected", CASES, ids=[c[0] for c in CASES])
def test_invariants_on_cases(case_id: str, text: str, expected: list[str]) -> None:
    _check_invariants(text, split_sentences(text))


@pytest.mark.parametrize(
    "text",
    [
        "no punctuation at all",
        "...",
        "?!",
        ". . .",
        "\u200b\u200b",
        (
            "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd. "  # Hebrew
            "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645."  # Arabic
        ),
        "\u4eca\u5929\u5f00\u4f1a\u3002\u660e\u5929\u7ee7\u7eed\u3002",
        "x" * 5000,
        "A.B.C.D.E.F.G.H.",
        "a\u00a0b. c\u2028d.\u2029e\x85f\x0cg",
        "Line one\n\n\n\nLine two\n \n \nLine three",
        "Ends with abbreviation Mr.",
        "Sentence one.Sentence two.",
        "\U0001F30D Earth. \U0001F680 Rocket!",
    ],
)
def test_invariants_on_odd_texts(text: str) -> None:
    _check_invariants(text, split_sentences(text))


def test_paragraph_break_always_ends_a_sentence() -> None:
    text = "The delegation of Sylvania notes that the U.S.\n\nand the U.N. were absent"
    spans = split_sentences(text)
    cut = text.index("\n\n")
    assert all(end <= cut or start > cut for start, end in spans)


_PIECES = [
    "The Minister spoke.", "Mr.", "U.S.", "3.5", "\u201cWhy?\u201d", "he asked.", "(see Annex I.)",
    "...", "\u2026", "1.", "- item", "\n", "\n\n", "\r\n", " \n \n", " ", "\u00a0", "\u200b",
    "\u2029", "\x85", "**", "\u201d", "\u05e9\u05dc\u05d5\u05dd.", "\u4eca\u5929\u3002", "x" * 120, "!?",
]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=50).map("".join),
    )
)
def test_invariants_for_any_text(text: str) -> None:
    spans = split_sentences(text)
    _check_invariants(text, spans)
    for start, end in spans:
        assert not re.search(r"\n[^\S\n]*\n|\u2029", text[start:end]), "paragraph break inside"
