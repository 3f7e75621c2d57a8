"""What the chat's filters do to a question, said in the answer.

- A filter value that nothing in the index matches (text typed in a filter box and never picked from its
  list: "Vosss", "zzz") is not applied, and the answer says so, instead of silently finding nothing.
- A Speaker filter and a question that ask about different speakers: when the question names its speaker
  ("What did Voss say…?" with the filter on Quill) the question is followed; when the question's speaker
  comes from the conversation ("what did she say…?" after an answer about Voss) the filter is followed.
  Either way the answer's first line says which ("Answering for the Speaker filter: Tomas Quill (the
  conversation was about Voss).").
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.answer import Answer
from assistant.api import Assistant
from assistant.pipeline import HistoryItem
from embeddings.backend.interface import folded
from ui.facets import facets, field_label, is_speaker

SPEAKERS_COMPARED = 20  # names matching a Speaker filter that a question's speaker is compared with


@dataclass(frozen=True)
class FilteredAnswer:
    """An answer with the filters it was asked with, and what the page should say about them."""

    answer: Answer
    filters: dict[str, object]  # the filters applied (the question's own speaker may have replaced the filter's)
    notes: tuple[str, ...] = ()  # sentences said before the answer


def unmatched(qa: Assistant, filters: Mapping[str, object]) -> list[str]:
    """The keys of text filters whose value nothing in the index matches (the date filters always apply)."""
    found = facets(qa)
    menus = {"source": found.sources, **found.fields}
    out = []
    for key, value in filters.items():
        text = folded(str(value))
        if not text:
            continue
        if key == "speaker":
            known = is_speaker(qa, text)
        elif key in menus:
            known = any(text in folded(choice) for _, choice in menus[key])
        else:
            continue
        if not known:
            out.append(key)
    return out


def not_applied_note(filters: Mapping[str, object], keys: Sequence[str]) -> str:
    """ "The speaker filter “zzz” matches nothing in the index, so it was not applied." """
    if not keys:
        return ""
    if len(keys) == 1:
        key = keys[0]
        what = f"The {field_label(key).lower()} filter “{filters[key]}”"
        return f"{what} matches nothing in the index, so it was not applied."
    parts = ", ".join(f"{field_label(k).lower()} “{filters[k]}”" for k in keys)
    return f"These filters match nothing in the index, so they were not applied: {parts}."


def ask_filtered(
    qa: Assistant, question: str, history: Sequence[Answer], filters: Mapping[str, object]
) -> FilteredAnswer:
    """Ask ``question`` with ``filters``, those that match nothing left out, and a Speaker filter that disagrees
    with the question's speaker settled as the module says; the notes say what was done."""
    filters = dict(filters)
    notes: list[str] = []
    dropped = unmatched(qa, filters)
    if dropped:
        notes.append(not_applied_note(filters, dropped))
        filters = {k: v for k, v in filters.items() if k not in dropped}
    answer = qa.ask(question, history=history, filters=filters)
    wanted = str(filters.get("speaker") or "")
    asked = answer.frame.speaker if answer.frame is not None else ""
    if not wanted or not asked or same_speaker(qa, wanted, asked):
        return FilteredAnswer(answer, filters, tuple(notes))
    named = qa.pipeline.frame(question).speaker  # the question alone: does it name a speaker itself?
    if named and not same_speaker(qa, wanted, named):
        filters = {k: v for k, v in filters.items() if k != "speaker"}
        notes.append(f"Answering for {named}, named in the question, not for the Speaker filter ({wanted}).")
        return FilteredAnswer(qa.ask(question, history=history, filters=filters), filters, tuple(notes))
    notes.append(f"Answering for the Speaker filter: {wanted} (the conversation was about {asked}).")
    return FilteredAnswer(qa.ask(question, history=_about(history, wanted), filters=filters), filters, tuple(notes))


def same_speaker(qa: Assistant, wanted: str, asked: str) -> bool:
    """Whether a Speaker filter (``wanted``, matched in part) and a question's speaker name the same person:
    one holds the other ("Elara Voss", "Voss"), or a speaker the filter finds holds the question's."""
    a, b = folded(wanted), folded(asked)
    if a in b or b in a:
        return True
    return any(b in folded(name) for name, _ in qa.index.store.speakers_matching(wanted, SPEAKERS_COMPARED))


def _about(history: Sequence[Answer], speaker: str) -> list[HistoryItem]:
    """``history`` with its last question read as being about ``speaker``, so that a follow-up ("what did she
    say…") continues with the filter's speaker; without a read question, no history."""
    if not history or history[-1].frame is None:
        return []
    return [*history[:-1], dataclasses.replace(history[-1].frame, speaker=speaker)]
