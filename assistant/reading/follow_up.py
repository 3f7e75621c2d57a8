"""A follow-up read against the conversation: what it leaves out (speaker, topic, time) comes from earlier turns.

"and about ISIS?" keeps the speaker; "what did she say about it?" takes the previous speaker and topic;
"did anyone else say that?" keeps the topic and leaves the last speaker out; "and in 2019?", "and the
following year's?" or "and Valdoria?" change one thing of the previous question; "in that speech" means
the statements the previous answer quoted.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.reading.frame import QuestionFrame

SPEAKER_PRONOUNS = frozenset({"he", "she", "they", "him", "her", "them", "it", "his", "hers", "their", "its"})
TOPIC_PRONOUNS = frozenset({
    "it", "them", "that", "this", "those", "these", "the same", "the same thing", "the issue", "the matter",
    "the subject", "the topic", "this issue", "that issue", "this topic", "that topic", "so",
})
# "in that speech", "the same statement", "there": the statements of the previous answer.
SAME_STATEMENT = re.compile(
    r"\s*,?\s*\b(?:(?:in|from|of)\s+)?(?:that|this|the\s+same|the\s+previous|the\s+last)\s+(?:[\w'’-]+\s+){0,3}?"
    r"(?:speech|statement|address|document|report|article|text|interview|remarks|one|letter|reply|readout)\b|"
    r"\s*,?\s*\b(?:(?:in|from|of)\s+)?(?:her|his|their|its)\s+(?:speech|statement|address|remarks|letter|reply)\b|"
    r"\s+(?:in\s+)?there\b",
    re.IGNORECASE,
)
# Words around a follow-up's one new thing: "and in 2019?", "what about Valdoria?", "how about the king?".
FOLLOW_UP_FILLER = re.compile(
    r"^\s*(?:and|but|so|ok|okay|also|then)?\s*(?:(?:what|how)\s+about|what\s+of|and)?\s*(?:in|for|from|during)?\s*",
    re.IGNORECASE,
)
ABOUT_FOLLOW_UP = re.compile(r"^\s*(?:and|also|then|so)?\s*(?:about|on|regarding|concerning|of)\b", re.IGNORECASE)


def previous_frame(history: Sequence[QuestionFrame]) -> QuestionFrame | None:
    """The latest earlier question that asked about someone or something."""
    return next((f for f in reversed(history) if f.speaker or f.topic), None)


def resolve(frame: QuestionFrame, history: Sequence[QuestionFrame], shift: int = 0) -> QuestionFrame:
    """Fill in what a follow-up leaves out from the previous question (``shift``: "the following year" is +1)."""
    previous = previous_frame(history)
    if previous is None:
        speaker = "" if frame.speaker.lower() in SPEAKER_PRONOUNS else frame.speaker
        topic = "" if frame.topic.lower() in TOPIC_PRONOUNS else frame.topic
        return replace(frame, speaker=speaker, topic=topic)
    speaker, topic, when = frame.speaker, frame.topic, frame.when
    follow_up = False
    if shift and previous.when is not None:
        when, follow_up = previous.when.shifted(shift), True
    if topic.lower() in TOPIC_PRONOUNS:  # "what did she say about it?": the previous topic
        topic, follow_up = previous.topic, True
    if frame.kind == "topic":
        speaker, follow_up = speaker or previous.speaker, True
    elif frame.kind == "more":
        if not speaker or speaker.lower() in SPEAKER_PRONOUNS:
            speaker = previous.speaker
        follow_up = True
    elif frame.kind == "others":
        return replace(frame, topic=topic or previous.topic, speaker="", exclude_speaker=previous.speaker,
                       when=when or previous.when, follow_up=True)
    elif speaker.lower() in SPEAKER_PRONOUNS:
        speaker, follow_up = previous.speaker, True
    if follow_up:
        when = when or previous.when
    return replace(frame, speaker=speaker, topic=topic, when=when, follow_up=follow_up or frame.follow_up)


def one_thing_changed(frame: QuestionFrame, rest: str, previous: QuestionFrame, names_speaker: bool,
                      shift: int = 0) -> QuestionFrame | None:
    """A follow-up that names only a time ("and in 2019?", "and the following year?") or only a speaker ("and
    Valdoria?", "what about the Peruvian PM?"): the previous question with that one thing changed.

    ``rest``: the follow-up's words once its time and filler are taken off; ``names_speaker``: they name a
    speaker the index knows, and nothing else."""
    if frame.kind not in ("ask", "topic") or frame.phrase:
        return None
    kind = previous.kind if previous.kind in ("ask", "who", "timeline") else "ask"
    if not rest and (frame.when is not None or shift):
        when = previous.when.shifted(shift) if shift and previous.when is not None else frame.when
        return replace(previous, text=frame.text, when=when or previous.when, kind=kind, follow_up=True, phrase="",
                       within=(), unheld=frame.unheld)
    if ABOUT_FOLLOW_UP.match(frame.text) or frame.kind == "topic" and not names_speaker:
        return None  # "and about Micaller?", "what about Ukraine?": a new topic, not a new speaker
    if rest and names_speaker:
        return replace(previous, text=frame.text, speaker=rest, when=frame.when or previous.when,
                       kind="ask" if kind == "who" else kind, follow_up=True, phrase="", within=(),
                       exclude_speaker="", unknown="")
    return None
