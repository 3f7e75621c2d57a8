"""Example questions for the loaded corpus, offered when the chat opens."""
from __future__ import annotations

import re

from assistant.api import Assistant

SAMPLE_STATEMENT_ID = "lavrov-dushanbe-201st-base"
SAMPLE_QUESTIONS = (
    "What did Lavrov say about Micaller?",
    "What did Lavrov say about drug trafficking?",
    "And about ISIS?",
)
MAX_EXAMPLES = 5
MAX_SCANNED = 2000  # statements looked at, so that a large corpus opens fast
_TOPIC = re.compile(r"\b(?:on|about|regarding|concerning)\s+(?:the\s+)?(.{3,60}?)\s*$", re.IGNORECASE)


def example_questions(qa: Assistant, limit: int = MAX_EXAMPLES) -> list[str]:
    """The sample's questions when it is loaded, then questions made from speakers and titles."""
    out: list[str] = []
    if qa.statement(SAMPLE_STATEMENT_ID) is not None:
        out += SAMPLE_QUESTIONS
    topics_by_speaker: dict[str, list[str]] = {}
    for n, st in enumerate(qa.statement_headers(limit=MAX_SCANNED + 1)):
        if n >= MAX_SCANNED or len(topics_by_speaker) > 50:
            break
        if st.id == SAMPLE_STATEMENT_ID or not st.speaker.strip():
            continue
        match = _TOPIC.search(st.title or "")
        topics = topics_by_speaker.setdefault(st.speaker, [])
        topic = match.group(1).rstrip(" .?!") if match else ""
        if topic and topic.lower() not in (t.lower() for t in topics):
            topics.append(topic)
    ranked = sorted(topics_by_speaker.items(), key=lambda item: not item[1])  # speakers with topics first
    for speaker, topics in ranked:
        if len(out) >= limit:
            break
        surname = speaker.split()[-1]
        if topics:
            out.append(f"What did {surname} say about {topics[0]}?")
            if len(topics) > 1 and len(out) < limit:
                out.append(f"And about {topics[1]}?")
        else:
            out.append(f"What did {surname} say?")
    return out[:limit]
