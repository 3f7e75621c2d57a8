"""Text and HTML for the web chat: every string from a document, a file name or a question is escaped.

Nothing here trusts its input: statement text, metadata, file names and questions go through
``esc`` (HTML) or ``escape_markdown`` (Markdown) before they reach the page.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.answer import Answer, Quote, escape_markdown
from corpus.statement import Statement

MAX_FULL_TEXT_CHARS = 60_000  # longer statements are shown as a window of this size around the quote
MAX_CONTEXT_CHARS = 700  # surrounding paragraph shown on each side of a quote, at most
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def esc(text: object) -> str:
    """HTML-escape, and also neutralise ``$ { } `` ` `` so no template engine can act on the text."""
    out = html.escape(str(text), quote=True)
    return out.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;").replace("`", "&#96;")


# -- chat --------------------------------------------------------------------------------------
def chat_messages(answers: Sequence[Answer]) -> list[dict[str, str]]:
    """The Chatbot value (messages format) for a conversation: question, answer, question, ..."""
    messages: list[dict[str, str]] = []
    for answer in answers:
        messages.append({"role": "user", "content": escape_markdown(answer.question)})
        messages.append({"role": "assistant", "content": answer.to_markdown()})
    return messages


def quote_dict(quote: Quote) -> dict[str, Any]:
    """A quote for the JSON API."""
    return {
        "text": quote.text, "attribution": quote.attribution(), "citation": quote.citation(),
        "statement_id": quote.statement_id, "start": quote.start, "end": quote.end,
        "speaker": quote.speaker or quote.reported_speaker, "source": quote.source, "date": quote.date,
        "title": quote.title, "url": quote.url, "page": quote.page, "score": quote.score,
        "role": quote.role, "country": quote.country,
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    """An answer for the JSON API: message, Markdown, quotes (and closest passages when abstained)."""
    return {
        "question": answer.question, "kind": answer.kind, "message": answer.message, "abstained": answer.abstained,
        "markdown": answer.to_markdown(), "quotes": [quote_dict(q) for q in answer.quotes],
        "closest": [quote_dict(q) for q in answer.closest],
    }


def quote_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, index)`` for the quotes of an answer."""
    if answer is None:
        return []
    out = []
    for i, quote in enumerate(answer.quotes):
        words = " ".join(quote.text.split())
        shown = words if len(words) <= 70 else words[: word_end(words, 70, 0)].rstrip(" ,;:") + "…"
        out.append((f"{i + 1}. “{shown}”", str(i)))
    return out


# -- sources panel -----------------------------------------------------------------------------
EMPTY_SOURCES = (
    '<div class="sqa-empty">The sources of each answer appear here: who said it, where and when, '
    "and the passage in its statement.</div>"
)


def sources_html(answer: Answer | None, statements: Mapping[str, Statement]) -> str:
    """The sources panel for one answer: a card per statement, its metadata once and its quoted passages
    under it, numbered as the quotes are (or the closest passages when nothing answered)."""
    if answer is None:
        return EMPTY_SOURCES
    quotes, note = answer.quotes, ""
    if not quotes and answer.closest:
        note = '<p class="sqa-note">Nothing answers the question; these are the closest passages.</p>'
        quotes = answer.closest
    if not quotes:
        return f'<div class="sqa-empty">{esc(answer.message)}</div>'
    groups: dict[str, list[tuple[int, Quote]]] = {}
    for number, quote in enumerate(quotes, 1):
        groups.setdefault(quote.statement_id, []).append((number, quote))
    cards = [_card(group, statements.get(sid)) for sid, group in groups.items()]
    return f'<div class="sqa-sources">{note}{"".join(cards)}</div>'


def _card(group: Sequence[tuple[int, Quote]], statement: Statement | None) -> str:
    """One statement: its title, its metadata once, then each numbered passage with who said it."""
    first = group[0][1]
    title = first.heading
    numbers = "".join(f'<span class="sqa-num">{n}</span>' for n, _ in group)
    speakers = {_speaker_rows(q) for _, q in group}
    shared = speakers.pop() if len(speakers) == 1 else ()  # one speaker for every passage: said once, above
    rows = [*shared, *_statement_rows(first, statement)]
    meta = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    passages = "".join(_passage_block(n, q, statement, not shared, len(group) > 1) for n, q in group)
    full = _full_text([q for _, q in group], statement) if statement is not None else ""
    return (
        f'<article class="sqa-source"><h4>{numbers} {esc(title)}</h4>'
        f'<dl class="sqa-meta">{meta}</dl>{passages}{full}</article>'
    )


def _speaker_rows(quote: Quote) -> tuple[tuple[str, str], ...]:
    """Who said the quoted words, and who reported them, as (label, HTML) rows."""
    rows = []
    who = quote.speaker or quote.reported_speaker
    if who:
        how = {"direct": "quoted", "indirect": "reported speech"}.get(quote.speaker_kind, "reported speech")
        reported = f" <span class='sqa-dim'>({how})</span>" if quote.reported or not quote.speaker else ""
        rows.append(("Speaker", esc(who) + reported))
    if quote.reported_by:  # the statement's own speaker, who quotes or reports ``who``
        rows.append(("Reported by", esc(quote.reported_by)))
    return tuple(rows)


def _statement_rows(quote: Quote, statement: Statement | None) -> list[tuple[str, str]]:
    """What a statement's quotes share: source, date, link, metadata and id, as (label, HTML) rows."""
    rows = [(label, esc(value)) for label, value in (("Source", quote.source), ("Date", quote.date)) if value]
    if quote.context:  # the question the statement answers, its headline: searched, shown, never quoted
        rows.insert(0, ("Context", esc(quote.context)))
    if quote.url:
        link = esc(quote.url)
        if _SAFE_URL.match(quote.url):
            link = f'<a href="{link}" target="_blank" rel="noopener noreferrer nofollow">{link}</a>'
        rows.append(("Link", link))
    if statement is not None:
        for key, value in list(statement.metadata.items())[:6]:
            shown_as_context = isinstance(value, str) and " ".join(value.split()) in quote.context
            if isinstance(value, (str, int, float)) and str(value).strip() and key not in ("original_id",) and not (
                    shown_as_context):
                rows.append((esc(str(key).replace("_", " ").capitalize()), esc(str(value)[:200])))
    rows.append(("Statement id", f"<code>{esc(quote.statement_id)}</code>"))
    return rows


def _passage_block(
    number: int, quote: Quote, statement: Statement | None, with_speaker: bool, numbered: bool
) -> str:
    """A passage, numbered when its statement has several, with its speaker and page when they are not said
    once for the statement."""
    notes = [f"{label}: {value}" for label, value in _speaker_rows(quote)] if with_speaker else []
    if quote.page is not None:
        notes.append(f"Page {esc(quote.page)}")
    number_html = f'<span class="sqa-num">{number}</span> ' if numbered else ""
    head = f'<p class="sqa-passage-head">{number_html}{" · ".join(notes)}</p>' if numbered or notes else ""
    return f'{head}<blockquote class="sqa-passage">{_passage(quote, statement)}</blockquote>'


def word_start(text: str, at: int, limit: int) -> int:
    """``at``, or where the next word begins when ``at`` falls inside one (never past ``limit``)."""
    if at <= 0 or at >= len(text) or text[at - 1].isspace():
        return max(at, 0)
    space = next((i for i in range(at, limit) if text[i].isspace()), limit)
    return min(space + 1, limit) if space < limit else limit


def word_end(text: str, at: int, limit: int) -> int:
    """``at``, or where the word it falls inside began (never before ``limit``): an excerpt ends on a whole word."""
    if at >= len(text) or at <= limit or text[at].isspace() or text[at - 1].isspace():
        return min(at, len(text))
    space = text.rfind(" ", limit, at)
    return space if space > limit else at


def _passage(quote: Quote, statement: Statement | None) -> str:
    """The quote inside its paragraph (or its neighbouring sentences), the quote in <mark>."""
    if statement is None or statement.text[quote.start : quote.end] != quote.text:
        before, after = quote.context_before, quote.context_after
        return f"{esc(before)} <mark>{esc(quote.text)}</mark> {esc(after)}"
    text = statement.text
    start = text.rfind("\n", 0, quote.start) + 1
    end = text.find("\n", quote.end)
    end = len(text) if end < 0 else end
    lead = "…" if quote.start - start > MAX_CONTEXT_CHARS else ""
    tail = "…" if end - quote.end > MAX_CONTEXT_CHARS else ""
    start = max(start, word_start(text, quote.start - MAX_CONTEXT_CHARS, quote.start))
    end = min(end, word_end(text, quote.end + MAX_CONTEXT_CHARS, quote.end))
    return (
        f"{lead}{esc(text[start:quote.start])}<mark>{esc(quote.text)}</mark>"
        f"{esc(text[quote.end:end])}{tail}"
    )


def _full_text(quotes: Sequence[Quote], statement: Statement) -> str:
    """A collapsed view of the whole statement with its quotes highlighted."""
    text = statement.text
    spans = sorted({(q.start, q.end) for q in quotes if text[q.start : q.end] == q.text})
    first = spans[0][0] if spans else 0
    start, end, note = 0, len(text), ""
    if len(text) > MAX_FULL_TEXT_CHARS:
        half = MAX_FULL_TEXT_CHARS // 2
        start = max(0, min(first - half, len(text) - MAX_FULL_TEXT_CHARS))
        end = min(len(text), start + MAX_FULL_TEXT_CHARS)
        start, end = word_start(text, start, first) if start else 0, word_end(text, end, start)
        note = f'<p class="sqa-dim">Showing characters {start + 1:,}–{end:,} of {len(text):,} around the quote.</p>'
    parts, at = ["…" if start else ""], start
    for lo, hi in spans:
        lo, hi = max(lo, at), min(hi, end)
        if lo >= hi:
            continue
        parts.append(f"{esc(text[at:lo])}<mark class='sqa-here'>{esc(text[lo:hi])}</mark>")
        at = hi
    parts.append(f"{esc(text[at:end])}{'…' if end < len(text) else ''}")
    words = len(text.split())
    return (
        f'<details class="sqa-full"><summary>Show the whole statement ({words:,} words)</summary>'
        f'{note}<div class="sqa-fulltext">{"".join(parts)}</div></details>'
    )


# -- uploads -----------------------------------------------------------------------------------
def bullet_list(lines: Sequence[str]) -> str:
    """Markdown bullets of escaped lines."""
    return "\n".join(f"- {escape_markdown(line)}" for line in lines)
