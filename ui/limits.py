"""How much of a question is asked, and how much of the conversation is kept: the same in the chat and the CLI."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from assistant.answer import Answer

if TYPE_CHECKING:
    from assistant.api import Assistant

MAX_QUESTION_CHARS = 1000  # longer questions are answered from their first 1,000 characters, and told so
CUT_NOTE = f"Only the first {MAX_QUESTION_CHARS:,} characters of your question were used (it is longer)."
MAX_HISTORY = 20  # earlier answers passed to the assistant for follow-ups


def cut_question(question: str) -> tuple[str, bool]:
    """The part of ``question`` that is asked (its first ``MAX_QUESTION_CHARS`` characters), and whether it was cut."""
    if len(question) > MAX_QUESTION_CHARS:
        return question[:MAX_QUESTION_CHARS], True
    return question, False


def with_cut_note(answer: Answer) -> Answer:
    """``answer`` saying first that its question was cut, as the chat says it."""
    return dataclasses.replace(answer, message=f"{CUT_NOTE} {answer.message}")


def ask_within_limits(
    qa: Assistant, question: str, history: Sequence[Answer] = (), filters: Mapping[str, object] | None = None
) -> Answer:
    """``qa.ask`` of the question cut to ``MAX_QUESTION_CHARS`` (the answer says so) with the last
    ``MAX_HISTORY`` answers of the conversation, as the web chat asks it."""
    asked, cut = cut_question(question)
    answer = qa.ask(asked, history=list(history[-MAX_HISTORY:]), filters=filters)
    return with_cut_note(answer) if cut else answer
