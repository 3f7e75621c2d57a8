"""The web chat page (Gradio Blocks): layout and callbacks over one ``Assistant``.

Ask with follow-ups, read the sources, filter, add statements. ``build_app(qa)`` makes the app;
``ui.server`` starts it. Named API endpoints for ``gradio_client``: ``/ask`` (question, speaker,
source, date_from, date_to -> answer dict; the conversation is kept per session) and ``/upload``
(files -> summary in Markdown).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import gradio as gr

from assistant.answer import Answer, escape_markdown
from assistant.api import Assistant
from assistant.filters import FilterError, check_filters
from corpus.loaders import SUPPORTED_SUFFIXES
from ui import render
from ui.examples import example_questions
from ui.facets import facets, field_label, header_counts, speaker_choices
from ui.filtering import ask_filtered, not_applied_note, unmatched
from ui.idle import pace_queue
from ui.plain_copy import copy_plain_text
from ui.upload import MAX_FILE_MB, MAX_FILES, add_uploaded_files

ASK_CONCURRENCY = 4  # questions answered at once; uploads run one at a time beside them
MAX_QUESTION_CHARS = 1000  # longer questions are answered from their first 1,000 characters, and told so
MAX_TYPED_CHARS = 20_000  # what the question box takes, so that a long paste reaches the notice, not a silent cut
CHAT_HEIGHT = "max(360px, calc(100vh - 340px))"  # the chat fills the window below the header, above the box
CUT_NOTE = f"Only the first {MAX_QUESTION_CHARS:,} characters of your question were used (it is longer)."
EMPTY_QUESTION_HINT = "Type a question in the box first, or pick one of the examples under it."
MAX_HISTORY = 20  # earlier answers passed to the assistant for follow-ups
ANY = ""
SPEAKER_LIST_LABEL = "Speakers in most statements (type a name to find any other)"

CSS = """
.sqa-header { flex-wrap: wrap; }
.sqa-header > * { min-width: min(100%, 320px) !important; }
.sqa-passage-head + .sqa-passage { margin-top: 0; }
.sqa-header h1 { margin-bottom: 0; overflow-wrap: normal; word-break: keep-all; hyphens: none; }
.sqa-header p { margin-top: 2px; }
/* the sources scroll in their box (Gradio's block would let them run on under the citation below) */
#sqa-sources { max-height: max(360px, calc(100vh - 330px)); overflow-y: auto !important; }
#sqa-chat blockquote { border-left: 3px solid var(--color-accent); padding-left: 10px; margin-left: 0; }
/* the chat's delete icon sits above the messages, not over them: no message's copy icon scrolls over it */
#sqa-chat .top-panel { position: static !important; align-self: flex-end; }
/* a phone: the question box a row of its own (its example fits), Ask and Clear below it, and the chat
   short enough that the box and the examples show without scrolling */
@media (max-width: 640px) {
  .sqa-header h1 { font-size: 1.4rem !important; }
  .sqa-header p { font-size: 0.8rem !important; line-height: 1.35 !important; margin-bottom: 0 !important; }
  #sqa-chat { height: max(200px, calc(100vh - 600px)) !important; }
  #sqa-input-row { flex-wrap: wrap; gap: 8px; }
  #sqa-question { flex: 1 1 100% !important; }
  #sqa-ask, #sqa-clear { flex: 1 1 30% !important; }
  #sqa-examples .gallery-item { font-size: 0.8rem; padding: 4px 8px; }
}
"""

SOURCES_CSS = """
.sqa-sources { display: flex; flex-direction: column; gap: 12px; }
.sqa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; }
.sqa-source h4 { margin: 0 0 6px; font-size: 0.95rem; }
.sqa-num { display: inline-block; min-width: 1.5em; text-align: center; border-radius: 999px;
  background: var(--color-accent-soft); font-size: 0.8rem; margin-right: 4px; }
.sqa-meta { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; font-size: 0.82rem; margin: 0 0 8px; }
.sqa-meta dt { color: var(--body-text-color-subdued); margin: 0; font-weight: normal; }
.sqa-meta dd { margin: 0; overflow-wrap: anywhere; }
.sqa-passage-head { margin: 8px 0 2px !important; font-size: 0.82rem; color: var(--body-text-color-subdued); }
.sqa-passage { margin: 0; padding: 4px 10px; border-left: 3px solid var(--color-accent); white-space: pre-wrap;
  font-size: 0.88rem; font-style: normal; }
.sqa-source mark { background: #fde68a; color: #111; padding: 0 1px; }
.sqa-full summary { cursor: pointer; font-size: 0.84rem; margin-top: 6px; color: var(--link-text-color); }
.sqa-fulltext { position: relative; max-height: 300px; overflow: auto; white-space: pre-wrap; font-size: 0.84rem;
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px; margin-top: 6px; }
.sqa-dim { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.sqa-empty { color: var(--body-text-color-subdued); font-size: 0.9rem; padding: 6px 2px; }
.sqa-note { margin: 0; font-size: 0.88rem; }
"""

# After an answer, show the start of the latest exchange (not the end of a long answer).
SCROLL_JS = """
() => {
  setTimeout(() => {
    const log = document.querySelector('#sqa-chat [role=log]');
    if (!log) return;
    const rows = log.querySelectorAll('.message-row.user-row, [data-testid=user]');
    const last = rows[rows.length - 1];
    if (!last) return;
    log.scrollTop += last.getBoundingClientRect().top - log.getBoundingClientRect().top - 4;
  }, 120);
}
"""

# Opening a "whole statement" panel scrolls it to the highlighted quote (no document data in here).
SOURCES_JS = """
element.addEventListener('toggle', (event) => {
  const details = event.target;
  if (!details.open) return;
  const box = details.querySelector('.sqa-fulltext');
  const mark = box && box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
}, true);
"""


def build_app(qa: Assistant, title: str = "Statements Q&A") -> gr.Blocks:
    """The Gradio app over ``qa``; uploads are indexed into ``qa``'s index and shared by all sessions."""
    blocks = gr.Blocks(title=title, delete_cache=(3600, 7200))
    with blocks:
        answers = gr.State([])  # this session's Answer objects, oldest first
        chosen = gr.State({})  # this session's choices in the metadata field menus (not part of the API)
        shown_examples = gr.State(example_questions(qa))
        with gr.Row(elem_classes="sqa-header"):
            gr.Markdown(
                f"# {escape_markdown(title)}\n"
                "Ask what officials said. Every answer is a **verbatim quote** from the statements, with its source."
            )
            stats = gr.Markdown(_stats(qa))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="sqa-chat", label="Conversation", show_label=False, height=CHAT_HEIGHT, layout="panel",
                    sanitize_html=True, render_markdown=True, allow_tags=False, latex_delimiters=[], autoscroll=False,
                    buttons=["copy"], feedback_options=None, group_consecutive_messages=False,
                    placeholder="Ask a question below, or pick an example.",
                )
                with gr.Row(elem_id="sqa-input-row"):
                    question = gr.Textbox(
                        show_label=False, placeholder="e.g. What did Lavrov say about Micaller?", scale=6,
                        max_length=MAX_TYPED_CHARS, elem_id="sqa-question", submit_btn=False, container=False,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="sqa-ask")
                    clear_btn = gr.Button("Clear", scale=1, min_width=80, elem_id="sqa-clear")
                examples = gr.Dataset(
                    components=["textbox"], samples=[[q] for q in shown_examples.value],
                    label="Try asking", type="index", layout="gallery", elem_id="sqa-examples",
                )
            with gr.Column(scale=2, min_width=340):
                with gr.Tab("Sources"):
                    sources = gr.HTML(
                        render.EMPTY_SOURCES, css_template=SOURCES_CSS, js_on_load=SOURCES_JS,
                        elem_id="sqa-sources",
                    )
                    quote_pick = gr.Dropdown(
                        label="Copy a citation", choices=[], value=None, interactive=True, elem_id="sqa-quote-pick"
                    )
                    citation = gr.Textbox(
                        label="Quote with attribution (plain text)", lines=3, max_lines=8, interactive=False,
                        buttons=["copy"], elem_id="sqa-citation",
                        placeholder="The chosen quote with its attribution, ready to paste.",
                    )
                with gr.Tab("Filters"):
                    # Names are filled in on page load (refresh): choices given here would also be listed in
                    # the API description that Gradio embeds in every page, the login page included.
                    # Any speaker of the index is found by typing: the list under the box is searched in the index
                    # as the name is typed (a menu of names read once would hold only some of a large index's).
                    speaker = gr.Textbox(
                        label="Speaker", placeholder="Any speaker: type a name to find it", elem_id="sqa-speaker",
                        max_lines=1,
                    )
                    speaker_pick = gr.Radio(
                        choices=[], value=None, label=SPEAKER_LIST_LABEL, elem_id="sqa-speaker-pick",
                    )
                    source = gr.Dropdown(
                        label="Source", allow_custom_value=True, elem_id="sqa-source",
                        **_choices(qa, "source", names=False),
                    )
                    field_keys = list(facets(qa).fields)  # the other metadata fields the index has (country…)
                    fields = [
                        gr.Dropdown(
                            label=field_label(key), allow_custom_value=True, elem_id=f"sqa-field-{i}",
                            **_choices(qa, key, names=False),
                        )
                        for i, key in enumerate(field_keys)
                    ]
                    with gr.Row():
                        date_from = gr.Textbox(label="From", placeholder="YYYY or YYYY-MM-DD", elem_id="sqa-date-from")
                        date_to = gr.Textbox(label="To", placeholder="YYYY or YYYY-MM-DD", elem_id="sqa-date-to")
                    dates = gr.Markdown(_date_note(qa))
                    filter_hint = gr.Markdown(_filter_hint(qa), elem_id="sqa-filter-hint")
                    filter_note = gr.Markdown("", elem_id="sqa-filter-note")  # typed values that match nothing
                    reset_filters = gr.Button("Reset filters", size="sm", elem_id="sqa-reset-filters")
                with gr.Tab("Add statements"):
                    files = gr.File(
                        label=f"Drop statement files (up to {MAX_FILES} files, {MAX_FILE_MB} MB each)",
                        # no file_types: Gradio's own check would list ".gz" and leave a bare "Error" in the box;
                        # ui.upload refuses other types itself, naming each file and the formats it takes
                        file_count="multiple", elem_id="sqa-upload",
                    )
                    upload_status = gr.Markdown(
                        f"Formats: {escape_markdown(' '.join(sorted(SUPPORTED_SUFFIXES)))}. "
                        "They are added to this index for everyone using it, and can be asked about at once.",
                        elem_id="sqa-upload-status",
                    )
        result = gr.JSON(visible=False)

        # -- handlers ------------------------------------------------------------------------
        def ask(
            question: str, speaker: str, source: str, date_from: str, date_to: str, history: list[Answer],
            more: dict[str, str] | None = None,
        ) -> tuple[Any, list[Answer]]:
            """Answer one question of this session's conversation."""
            history = list(history or [])
            answer = _answer(qa, (question or "").strip(), history, speaker, source, date_from, date_to, more or {})
            if answer is None:
                gr.Info(EMPTY_QUESTION_HINT)
                return gr.skip(), history
            history.append(answer)
            return render.answer_dict(answer), history

        def show(history: list[Answer]) -> tuple[Any, ...]:
            """Redraw the conversation and the sources of the latest answer."""
            last = history[-1] if history else None
            ids = sorted({q.statement_id for q in (last.quotes + last.closest)}) if last else []
            statements = qa.statements(ids) if ids else {}
            choices = render.quote_choices(last)
            return (
                render.chat_messages(history),
                render.sources_html(last, statements),
                gr.Dropdown(choices=choices, value=choices[0][1] if choices else None),
                last.quotes[0].citation() if last and last.quotes else "",
                "",
            )

        def cite(index: str | None, history: list[Answer]) -> str:
            last = history[-1] if history else None
            try:
                return last.quotes[int(index)].citation() if last and index is not None else ""
            except (ValueError, IndexError):
                return ""

        def clear() -> tuple[Any, ...]:
            return [], [], render.EMPTY_SOURCES, gr.Dropdown(choices=[], value=None), "", ""

        def pick_example(index: int | None, shown: list[str]) -> str:
            return shown[index] if index is not None and 0 <= index < len(shown) else ""

        def add_files(paths: Sequence[str] | None, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
            """Index uploaded statement files into the shared index; a summary in Markdown."""
            return add_uploaded_files(qa, list(paths or []), progress)

        def refresh(typed: str | None = "") -> tuple[Any, ...]:
            shown = example_questions(qa)
            return (
                find_speakers(typed),
                gr.Dropdown(**_choices(qa, "source", keep_value=True)),
                _date_note(qa), _stats(qa), gr.Dataset(samples=[[q] for q in shown]), shown, _filter_hint(qa),
                *(gr.Dropdown(**_choices(qa, key, keep_value=True)) for key in field_keys),
            )

        def find_speakers(typed: str | None) -> Any:
            """The list under the Speaker box: the speakers whose name holds what is typed, searched in the index."""
            return gr.Radio(**_speaker_list(qa, typed or ""))

        def check_typed(speaker: str, source: str, *values: str) -> str:
            """Say at once which filter values match nothing (they are not applied to questions)."""
            typed = {"speaker": speaker or "", "source": source or "", **dict(zip(field_keys, values))}
            return not_applied_note(typed, unmatched(qa, typed))

        def choose(value: str | None, current: dict[str, str], key: str) -> dict[str, str]:
            """Remember a metadata field's choice for this session's next questions."""
            return {**(current or {}), key: value or ""}

        # -- events --------------------------------------------------------------------------
        ask_inputs = [question, speaker, source, date_from, date_to, answers, chosen]
        show_outputs = [chatbot, sources, quote_pick, citation, question]
        gr.on(
            [question.submit, ask_btn.click], ask, ask_inputs, [result, answers], api_name="ask",
            concurrency_id="ask", concurrency_limit=ASK_CONCURRENCY, show_progress_on=[chatbot],
        ).then(show, answers, show_outputs, api_visibility="private", show_progress="hidden").then(
            None, js=SCROLL_JS)
        examples.click(pick_example, [examples, shown_examples], question, api_visibility="private").then(
            ask, ask_inputs, [result, answers], api_visibility="private",
            concurrency_id="ask", concurrency_limit=ASK_CONCURRENCY, show_progress_on=[chatbot],
        ).then(show, answers, show_outputs, api_visibility="private", show_progress="hidden").then(
            None, js=SCROLL_JS)
        for key, menu in zip(field_keys, fields):
            menu.change(lambda v, cur, k=key: choose(v, cur, k), [menu, chosen], chosen, api_visibility="private",
                        queue=False, show_progress="hidden")
        speaker.input(find_speakers, speaker, speaker_pick, api_visibility="private", show_progress="hidden",
                      trigger_mode="always_last")
        speaker_pick.input(lambda picked: picked or ANY, speaker_pick, speaker, api_visibility="private",
                           show_progress="hidden", queue=False)
        filter_boxes: list[gr.Textbox | gr.Dropdown] = [speaker, source, *fields]
        for box in filter_boxes:
            box.change(check_typed, [speaker, source, *fields], filter_note, api_visibility="private",
                       queue=False, show_progress="hidden")
        reset_filters.click(lambda: (ANY, ANY, "", "", {}, *(ANY for _ in fields)),
                            None, [speaker, source, date_from, date_to, chosen, *fields],
                            api_visibility="private", queue=False).then(
            find_speakers, speaker, speaker_pick, api_visibility="private", show_progress="hidden")
        quote_pick.input(cite, [quote_pick, answers], citation, api_visibility="private", show_progress="hidden")
        clear_outputs = [answers, chatbot, sources, quote_pick, citation, question]
        clear_btn.click(clear, None, clear_outputs, api_visibility="private", queue=False)
        chatbot.clear(clear, None, clear_outputs, api_visibility="private", queue=False)
        refresh_outputs = [speaker_pick, source, dates, stats, examples, shown_examples, filter_hint, *fields]
        files.upload(
            add_files, files, upload_status, api_name="upload", concurrency_id="upload", concurrency_limit=1,
            show_progress="full", show_progress_on=[files],
        ).then(refresh, speaker, refresh_outputs, api_visibility="private").then(
            lambda: None, None, files, api_visibility="private", show_progress="hidden"
        )
        blocks.load(refresh, speaker, refresh_outputs, api_visibility="private", show_progress="hidden")
        copy_plain_text(blocks, chatbot)  # the copy icon under a message gives plain text, not Markdown
    blocks.queue(default_concurrency_limit=ASK_CONCURRENCY)
    pace_queue(blocks)  # an idle server sleeps (ui/idle.py)
    return blocks


# -- helpers used by the handlers ----------------------------------------------------------------
def _answer(
    qa: Assistant, question: str, history: list[Answer], speaker: str, source: str, date_from: str, date_to: str,
    more: dict[str, str] | None = None,
) -> Answer | None:
    """Ask ``qa`` with the filters, or explain in plain words why the question was not asked."""
    if not question:
        return None
    cut = len(question) > MAX_QUESTION_CHARS
    question = question[:MAX_QUESTION_CHARS] if cut else question
    typed = [("speaker", speaker), ("source", source), ("date_from", date_from), ("date_to", date_to)]
    try:  # the same check as the command line's --filter (assistant.filters)
        pairs = [(k, v or "") for k, v in [*typed, *(more or {}).items()]]
        filters = check_filters(pairs, metadata_keys=set(more or {}))
    except FilterError as exc:
        return Answer(question, (), True, str(exc))
    asked = ask_filtered(qa, question, history[-MAX_HISTORY:], filters)
    answer = asked.answer
    if asked.filters:  # say so, so that a filtered answer is never mistaken for the whole picture
        shown = "; ".join(f"{field_label(k).lower()}: {v}" for k, v in asked.filters.items())
        message = answer.message
        if message.endswith(":"):
            message = f"{message[:-1]} (filters: {shown}):"
        else:
            message = f"{message} (Filters in use: {shown}.)"
        answer = dataclasses.replace(answer, message=message)
    if asked.notes:  # which filters were not applied, which speaker was followed: the first thing read
        answer = dataclasses.replace(answer, message="\n\n".join([*asked.notes, answer.message]))
    if cut:  # said first, so that it is read before the quotes
        answer = dataclasses.replace(answer, message=f"{CUT_NOTE} {answer.message}")
    return answer


def _choices(qa: Assistant, key: str, keep_value: bool = False, names: bool = True) -> dict[str, Any]:
    """A filter menu's choices: "any" first, then the index's values (sorted by name, each name once)."""
    label = "Any source" if key == "source" else f"Any {field_label(key).lower()}"
    found = facets(qa) if names else None
    choices: list[tuple[str, str]] = []
    if found is not None:
        choices = list(found.sources if key == "source" else found.fields.get(key, ()))
    out: dict[str, Any] = {"choices": [(label, ANY), *choices]}
    if not keep_value:
        out["value"] = ANY
    return out


def _speaker_list(qa: Assistant, typed: str) -> dict[str, Any]:
    """The list under the Speaker box for what is typed: its label says what it holds."""
    found, more = speaker_choices(qa, typed)
    words = escape_markdown(" ".join(typed.split()))
    if not words:
        label = SPEAKER_LIST_LABEL
    elif not found:
        label = f"No speaker's name holds “{words}”: it would not be applied"
    else:
        label = f"Speakers whose name holds “{words}”" + (" (the first few: type more of the name)" if more else "")
    return {"choices": [("Any speaker", ANY), *found], "value": None, "label": label}


def _filter_hint(qa: Assistant) -> str:
    """How filters work, with a name from this index: a surname finds the full name."""
    names = [value for _, value in facets(qa).speakers if len(value.split()) > 1]
    example = max(names, key=lambda n: len(n), default="") if len(names) < 3 else names[len(names) // 2]
    part = f" (“{escape_markdown(example.split()[-1])}” finds “{escape_markdown(example)}”)" if example else ""
    return f"Filters apply to the next questions. A name or source matches in part{part}."


def _date_note(qa: Assistant) -> str:
    stats = qa.stats()
    lo, hi = stats.first_date, stats.last_date
    if not lo:
        return "No statement in the index has a date, so a date filter finds nothing."
    return f"Statements are dated {escape_markdown(lo)} to {escape_markdown(hi)}."


def _stats(qa: Assistant) -> str:
    """The header's counts: statements, speakers, and sources (or countries)."""
    return header_counts(facets(qa))
