"""Reading a question into its frame, and resolving follow-ups against earlier turns (pure rules, no model).

Every row is one question; speakers, countries and organisations are fictional.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from assistant.question_frame import QuestionFrame, parse_question, resolve_follow_up, spoken_date, time_expression


def _conversation(turns: Sequence[str]) -> list[QuestionFrame]:
    """Earlier turns, each parsed and resolved against the turns before it (as the pipeline does)."""
    frames: list[QuestionFrame] = []
    for turn in turns:
        frames.append(resolve_follow_up(parse_question(turn), frames))
    return frames


# -- parse_question ------------------------------------------------------------------------------------------------
PARSE_CASES = [
    # (question, kind, speaker, topic, year)
    # "what did X say about Y"
    ("What did Elara Voss say about fishing quotas?", "ask", "Elara Voss", "fishing quotas", ""),
    ("What did Voss have to say about quotas?", "ask", "Voss", "quotas", ""),
    ("What did Voss think of the quotas?", "ask", "Voss", "the quotas", ""),
    ("What did the Ministry of Foreign Affairs of Norvania state on fisheries?", "ask",
     "the Ministry of Foreign Affairs of Norvania", "fisheries", ""),
    # "did X say anything about Y"
    ("Did Ilya Brannock say anything about the border talks?", "ask", "Ilya Brannock", "the border talks", ""),
    ("Has Grellin said something regarding Valdoria?", "ask", "Grellin", "Valdoria", ""),
    # "what is X's position on Y"
    ("What is Voss's position on sea walls?", "ask", "Voss", "sea walls", ""),
    ("What's Norvania’s stance on grain tariffs", "ask", "Norvania", "grain tariffs", ""),
    ("What were Brannock's remarks on grain exports?", "ask", "Brannock", "grain exports", ""),
    # "how did X describe Y"
    ("How did Brannock describe the talks?", "ask", "Brannock", "the talks", ""),
    ("Why did Grellin criticize Valdoria's position?", "ask", "Grellin", "Valdoria's position", ""),
    ("How does Norvania view the grain tariffs?", "ask", "Norvania", "the grain tariffs", ""),
    # "what did X say"
    ("What did Petra Grellin say?", "ask", "Petra Grellin", "", ""),
    ("What did Voss say in 2019?", "ask", "Voss", "", "2019"),
    # "quotes by X on Y"
    ("Quotes by Elara Voss on fisheries", "ask", "Elara Voss", "fisheries", ""),
    ("Statements from Norvania regarding quotas", "ask", "Norvania", "quotas", ""),
    ("Remarks by Brannock concerning grain exports in the year 2017", "ask", "Brannock", "grain exports", "2017"),
    # "and about Y?"
    ("And about sea-level rise?", "topic", "", "sea-level rise", ""),
    ("and what of the ferry?", "topic", "", "the ferry", ""),
    ("Also regarding the border talks?", "topic", "", "the border talks", ""),
    # "what about Y"
    ("What about harbour fees?", "topic", "", "harbour fees", ""),
    ("How about the ferry timetable?", "topic", "", "the ferry timetable", ""),
    ("ok what about grain", "topic", "", "grain", ""),
    # "what else did he say (about Y)"
    ("What else did he say?", "more", "he", "", ""),
    ("And what else did Voss say about quotas?", "more", "Voss", "quotas", ""),
    # "did anyone else say that"
    ("Did anyone else say that?", "others", "", "", ""),
    ("did others say the same about quotas?", "others", "", "quotas", ""),
    ("Has anybody else mentioned it?", "others", "", "", ""),
    ("did somebody else claim something similar?", "others", "", "", ""),
    # "who else said so"
    ("Who else said so?", "others", "", "", ""),
    ("Who else said that about quotas in 2019?", "others", "", "quotas", "2019"),
    # a year, wherever it is, leaves the pattern's groups
    ("What did Voss say about fishing quotas in 2019?", "ask", "Voss", "fishing quotas", "2019"),
    ("In 2019, what did Voss say about quotas?", "ask", "Voss", "quotas", "2019"),
    ("What did Voss think of the quotas in the year 2018?", "ask", "Voss", "the quotas", "2018"),
    # a plain question (no pattern): the whole text is the topic, and a year stays in it as words
    ("Fishing quotas in 2019", "ask", "", "Fishing quotas in 2019", "2019"),
    ("Fishing quotas during 2018?", "ask", "", "Fishing quotas during 2018", "2018"),
    ("Fishing quotas from 1998", "ask", "", "Fishing quotas from 1998", "1998"),
    ("Sea-level rise", "ask", "", "Sea-level rise", ""),
    ("Fishing quotas 2100", "ask", "", "Fishing quotas 2100", ""),
    ("", "ask", "", "", ""),
    # quotes and "the topic/issue/subject of" are stripped from the groups
    ('What did Voss say about "sea walls"?', "ask", "Voss", "sea walls", ""),
    ("what did Voss say about 'quotas'", "ask", "Voss", "quotas", ""),
    ("What is Voss's position on the topic of sea walls?", "ask", "Voss", "sea walls", ""),
    ("what did Voss say about the issue of tariffs", "ask", "Voss", "tariffs", ""),
    ("What did Voss say about “the subject of ferries”?", "ask", "Voss", "ferries", ""),
]


@pytest.mark.parametrize(("question", "kind", "speaker", "topic", "year"), PARSE_CASES)
def test_parse_question(question: str, kind: str, speaker: str, topic: str, year: str) -> None:
    frame = parse_question(question)
    assert (frame.kind, frame.speaker, frame.topic, frame.year) == (kind, speaker, topic, year)
    assert frame.exclude_speaker == ""
    assert frame.follow_up is False


TEXT_CASES = [
    # (question, text, topic)
    ("  what   did Voss  say about quotas ?! ", "what did Voss say about quotas ?!",     "quotas"),
    ("What did Elara\tVoss say\nabout quotas?", "What did Elara Voss say about quotas?", "quotas"),
]


@pytest.mark.parametrize(("question", "text", "topic"), TEXT_CASES)
def test_parse_question_normalises_whitespace(question: str, text: str, topic: str) -> None:
    frame = parse_question(question)
    assert (frame.text, frame.topic) == (text, topic)


SEARCH_TEXT_CASES = [
    # (question, search_text)
    ("What did Elara Voss say about fishing quotas?", "Elara Voss fishing quotas"),
    ("What did Petra Grellin say?",                   "Petra Grellin"),
    ("What about harbour fees?",                      "harbour fees"),
    ("Did anyone else say that?",                     "Did anyone else say that?"),  # nothing else to search with
]


@pytest.mark.parametrize(("question", "search_text"), SEARCH_TEXT_CASES)
def test_search_text(question: str, search_text: str) -> None:
    assert parse_question(question).search_text == search_text


# -- resolve_follow_up ---------------------------------------------------------------------------------------------
VOSS_2018 = "What did Elara Voss say about fishing quotas in 2018?"
BRANNOCK = "What did Ilya Brannock say about the border talks?"

RESOLVE_CASES = [
    # (history, question, speaker, topic, year, exclude_speaker, follow_up)
    # a topic follow-up keeps the previous speaker and year
    ([VOSS_2018], "And about sea walls?", "Elara Voss", "sea walls", "2018", "", True),
    ([VOSS_2018], "What about harbour fees in 2016?", "Elara Voss", "harbour fees", "2016", "", True),
    ([VOSS_2018, "And about sea walls?"], "What about harbour fees?", "Elara Voss", "harbour fees", "2018", "", True),
    ([], "And about sea walls?", "", "sea walls", "", "", False),
    # "what else did he say" takes the previous speaker
    ([VOSS_2018], "What else did she say?", "Elara Voss", "", "2018", "", True),
    ([VOSS_2018], "What else did he say about grain?", "Elara Voss", "grain", "2018", "", True),
    ([], "What else did he say?", "", "", "", "", False),
    # "others": no speaker, the previous one excluded, the previous topic and year kept unless given
    ([VOSS_2018], "Did anyone else say that?", "", "fishing quotas", "2018", "Elara Voss", True),
    ([VOSS_2018], "Who else said so about sea walls?", "", "sea walls", "2018", "Elara Voss", True),
    ([VOSS_2018], "Who else said the same in 2019?", "", "fishing quotas", "2019", "Elara Voss", True),
    ([], "Did anyone else say that?", "", "", "", "", False),
    # a pronoun speaker is the previous speaker; with no history it is left empty
    ([VOSS_2018], "What did she say about grain?", "Elara Voss", "grain", "2018", "", True),
    ([VOSS_2018, BRANNOCK], "How did he describe the ferry?", "Ilya Brannock", "the ferry", "", "", True),
    ([VOSS_2018, ""], "What did they say?", "Elara Voss", "", "2018", "", True),
    ([], "What did she say about grain?", "", "grain", "", "", False),
    # a complete new question, or a plain one, is unchanged
    ([VOSS_2018], BRANNOCK, "Ilya Brannock", "the border talks", "", "", False),
    ([VOSS_2018], "Fishing quotas", "", "Fishing quotas", "", "", False),
]


@pytest.mark.parametrize(
    ("history", "question", "speaker", "topic", "year", "exclude_speaker", "follow_up"), RESOLVE_CASES
)
def test_resolve_follow_up(
    history: list[str], question: str, speaker: str, topic: str, year: str, exclude_speaker: str, follow_up: bool
) -> None:
    parsed = parse_question(question)
    frame = resolve_follow_up(parsed, _conversation(history))
    assert (frame.speaker, frame.topic, frame.year) == (speaker, topic, year)
    assert (frame.exclude_speaker, frame.follow_up) == (exclude_speaker, follow_up)
    assert (frame.text, frame.kind) == (parsed.text, parsed.kind)


@pytest.mark.parametrize("question", [BRANNOCK, "Fishing quotas in 2019", "What did Petra Grellin say?"])
def test_complete_question_is_returned_unchanged(question: str) -> None:
    parsed = parse_question(question)
    assert resolve_follow_up(parsed, _conversation([VOSS_2018])) == parsed


# -- time expressions --------------------------------------------------------------------------------------------------
TODAY = date(2026, 11, 29)
TIME_CASES = [
    # (question, value, words left)
    ("What did Voss say in 2019?",                          "2019",       "What did Voss say?"),
    ("What did Voss say during 2018 about quotas?",         "2018",       "What did Voss say about quotas?"),
    ("Voss's 2017 speech on quotas",                        "2017",       "Voss's on quotas"),
    ("What did Voss say in September 2019?",                "2019-09",    "What did Voss say?"),
    ("What did Voss say on 12 March 2020?",                 "2020-03-12", "What did Voss say?"),
    ("What did Voss say on March 12, 2020 about fish?",     "2020-03-12", "What did Voss say about fish?"),
    ("What did Voss say last September?",                   "2026-09",    "What did Voss say?"),
    ("What did Voss say last December?",                    "2025-12",    "What did Voss say?"),
    ("What did Voss say last year?",                        "2025",       "What did Voss say?"),
    # numbers and words that are not dates
    ("What did Voss say about the 2030 Agenda?",            None,         ""),
    ("What did Voss say about Resolution 2254?",            None,         ""),
    ("What did Voss say about the G20?",                    None,         ""),
    ("What did Voss say about May Day?",                    None,         ""),
]


@pytest.mark.parametrize(("question", "value", "rest"), TIME_CASES)
def test_time_expression(question: str, value: str | None, rest: str) -> None:
    found = time_expression(question, today=TODAY)
    if value is None:
        assert found is None
        return
    assert found is not None and found[0] == value
    start, end = found[1]
    assert " ".join((question[:start] + question[end:]).split()).replace(" ?", "?") == rest


@pytest.mark.parametrize(("value", "spoken"), [
    ("2019", "2019"), ("2019-09", "September 2019"), ("2020-03-12", "12 March 2020"), ("", ""),
])
def test_spoken_date(value: str, spoken: str) -> None:
    assert spoken_date(value) == spoken
