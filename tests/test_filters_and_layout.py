"""Filters said in the answer, an idle server's slow queue, and the page's layout, tested for real.

- ``ui.filtering``: a filter value that matches nothing is not applied and the answer says so; a Speaker filter
  and a question that disagree: the answer's first line says which was followed. Over a small real index
  (encoder, FAISS, bm25s, SQLite) built here, and in the page in headless Chromium.
- ``ui.idle``: a real Gradio app on a loopback port polls its queue slowly while idle, at Gradio's pace once an
  event arrives, and slowly again after a quiet spell.
- The CSS of ``ui.page``: a message's copy icon never covers the chat's delete icon, "Show the whole statement"
  is never hidden under the citation panel, and on a phone the examples and the question box show on load.

Speakers, countries and organisations are all invented.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_app import TIMEOUT_MS, live_server, opened_page
from test_browser import ask

from assistant.answer import Answer
from assistant.api import Assistant

HARBOURS = [
    {"id": "NRV_2019", "speaker": "Elara Voss", "source": "Ministry of Foreign Affairs of Norvania",
     "country_name": "Norvania", "date": "2019-09-24", "title": "Norvania on the Pelgrin Sea",
     "text": "Elara Voss said that the fishing quotas in the Pelgrin Sea must be cut by a fifth.\n"
             "She warned that the sea walls of Kessmouth were built for a calmer century, and that the spring "
             "tides now reach the market square twice a year.\n"
             "Norvania will propose a joint monitoring body for the Pelgrin Sea, open to every coastal state."},
    {"id": "NRV_2020", "speaker": "Elara Voss", "source": "Ministry of Foreign Affairs of Norvania",
     "country_name": "Norvania", "date": "2020-09-22", "title": "Norvania on harbours",
     "text": "Elara Voss said that the harbours of Norvania were closed for months.\n"
             "She asked for a regional fund to rebuild the sea walls of Kessmouth and of the low islands, "
             "before the winter storms of the coming decade wash the old stones away."},
    {"id": "EST_2019", "speaker": "Tomas Quill", "source": "Government of Estmark", "country_name": "Estmark",
     "date": "2019-06-10", "title": "Estmark at the maritime forum",
     "text": "Tomas Quill said that the fishing quotas should be raised, because the cod stocks have recovered.\n"
             "He added that the ferry to Uskel will run twice a day from the first of May."},
    {"id": "EST_2021", "speaker": "Tomas Quill", "source": "Government of Estmark", "country_name": "Estmark",
     "date": "2021-03-02", "title": "Estmark on coastal defences",
     "text": "Tomas Quill said that the sea walls of Estmark will be raised by a metre before the winter storms.\n"
             "He promised that harbour fees would not rise this year, and that the fishing villages of the north "
             "coast would be the first to have their sea walls rebuilt."},
    {"id": "VLD_2020", "speaker": "Ilya Brannock", "source": "Presidency of Valdoria", "country_name": "Valdoria",
     "date": "2020-11-05", "title": "Valdoria on the Castelmar sea walls",
     "text": "Ilya Brannock said that the sea walls at Castelmar are crumbling, and that Valdoria will rebuild "
             "them with Norvanian engineers.\n"
             "He said that the grain harbour of Castelmar will stay open while the sea walls are rebuilt."},
]
VOSS = {"NRV_2019", "NRV_2020"}
QUILL = {"EST_2019", "EST_2021"}
NOT_APPLIED = "The speaker filter “zzz” matches nothing in the index, so it was not applied."


@pytest.fixture(scope="module")
def harbour_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of ``HARBOURS``."""
    folder = tmp_path_factory.mktemp("harbours")
    (folder / "harbours.jsonl").write_text("\n".join(json.dumps(r) for r in HARBOURS) + "\n", encoding="utf-8")
    Assistant.build([folder / "harbours.jsonl"], folder / "index", progress=False).close()
    return folder / "index"


@pytest.fixture(scope="module")
def qa(harbour_index: Path) -> Iterator[Assistant]:
    with Assistant.open(harbour_index) as assistant:
        yield assistant


def _ids(answer: Answer) -> set[str]:
    return {q.statement_id for q in answer.quotes}


# -- filter values that match nothing --------------------------------------------------------------------------------
def test_unmatched_names_the_text_filters_that_nothing_matches(qa: Assistant) -> None:
    from ui.filtering import unmatched

    assert unmatched(qa, {"speaker": "zzz"}) == ["speaker"]
    assert unmatched(qa, {"speaker": "Tomas Quill"}) == []
    # in part, in any case: as the filters match
    assert unmatched(qa, {"speaker": "quill", "source": "ESTMARK", "country_name": "norv"}) == []
    assert unmatched(qa, {"speaker": "", "source": "   "}) == []  # nothing typed: nothing to say
    assert unmatched(qa, {"date_from": "1066", "date_to": "1067"}) == []  # the date filters always apply
    mixed = {"speaker": "Quil", "source": "Nowhere Agency", "country_name": "Atlantis", "date_from": "2019"}
    assert unmatched(qa, mixed) == ["source", "country_name"]


def test_not_applied_note_names_each_filter_and_its_value() -> None:
    from ui.filtering import not_applied_note

    assert not_applied_note({"speaker": "zzz"}, ["speaker"]) == NOT_APPLIED
    both = {"speaker": "Quill", "source": "Nowhere Agency", "country_name": "Atlantis"}
    assert not_applied_note(both, ["source", "country_name"]) == (
        "These filters match nothing in the index, so they were not applied: "
        "source “Nowhere Agency”, country “Atlantis”."
    )
    assert not_applied_note({"speaker": "Quill"}, []) == ""


def test_a_filter_that_matches_nothing_is_left_out_and_said(qa: Assistant) -> None:
    from ui.filtering import ask_filtered

    asked = ask_filtered(qa, "What did Voss say about fishing quotas?", [], {"speaker": "zzz"})
    assert asked.notes == (NOT_APPLIED,)
    assert asked.filters == {}
    assert not asked.answer.abstained and _ids(asked.answer) and _ids(asked.answer) <= VOSS  # answered unfiltered
    # the filters that do match stay applied
    asked = ask_filtered(qa, "Who spoke about fishing quotas?", [], {"speaker": "Quill", "source": "Nowhere Agency"})
    assert asked.notes == ("The source filter “Nowhere Agency” matches nothing in the index, so it was not applied.",)
    assert asked.filters == {"speaker": "Quill"}
    assert _ids(asked.answer) and _ids(asked.answer) <= QUILL


def test_a_speaker_named_in_the_question_is_followed_over_the_filter(qa: Assistant) -> None:
    from ui.filtering import ask_filtered

    asked = ask_filtered(qa, "What did Voss say about fishing quotas?", [], {"speaker": "Quill"})
    assert asked.notes == ("Answering for Voss, named in the question, not for the Speaker filter (Quill).",)
    assert "speaker" not in asked.filters
    assert _ids(asked.answer) and _ids(asked.answer) <= VOSS


def test_the_filter_is_followed_over_a_speaker_from_the_conversation(qa: Assistant) -> None:
    from ui.filtering import ask_filtered

    first = qa.ask("What did Voss say about fishing quotas?")
    assert _ids(first) <= VOSS
    unfiltered = ask_filtered(qa, "What did she say about the sea walls?", [first], {})
    assert unfiltered.notes == () and _ids(unfiltered.answer) and _ids(unfiltered.answer) <= VOSS  # about Voss…
    asked = ask_filtered(qa, "What did she say about the sea walls?", [first], {"speaker": "Quill"})
    assert asked.notes == ("Answering for the Speaker filter: Quill (the conversation was about Voss).",)
    assert asked.filters == {"speaker": "Quill"}
    assert _ids(asked.answer) == {"EST_2021"}  # …but the filter's speaker on sea walls
    assert asked.answer.frame is not None and asked.answer.frame.speaker == "Quill"


def test_a_filter_that_agrees_with_the_question_is_applied_without_a_note(qa: Assistant) -> None:
    from ui.filtering import ask_filtered

    asked = ask_filtered(qa, "What did Voss say about fishing quotas?", [], {"speaker": "Elara Voss"})
    assert asked.notes == ()
    assert asked.filters == {"speaker": "Elara Voss"}
    assert _ids(asked.answer) and _ids(asked.answer) <= VOSS


def test_the_page_answer_says_the_note_first(qa: Assistant) -> None:
    from ui.page import _answer

    answer = _answer(qa, "What did Voss say about fishing quotas?", [], "zzz", "", "", "")
    assert answer is not None and answer.message.startswith(NOT_APPLIED + "\n\n"), answer.message
    assert "Filters in use" not in answer.message and "(filters:" not in answer.message  # none was applied


# -- an idle server's queue ------------------------------------------------------------------------------------------
QUIET = 0.5  # seconds: ui.idle.IDLE_AFTER in these tests


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def paced_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A real Gradio app with a paced queue on a free loopback port; its one event waits for ``gate``."""
    import gradio as gr

    import ui.idle
    from ui.live_server import free_port

    monkeypatch.setattr(ui.idle, "IDLE_AFTER", QUIET)
    gate = threading.Event()

    def shout(text: str) -> str:
        gate.wait(30)
        return text.upper()

    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(shout, box, out, api_name="shout")
    demo.queue()
    queue = demo._queue
    busy = (queue.sleep_when_free, queue.progress_update_sleep_when_free)  # Gradio's own
    ui.idle.pace_queue(demo)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield {"queue": queue, "busy": busy, "gate": gate, "url": f"http://127.0.0.1:{port}/"}
    finally:
        gate.set()
        demo.close()


def test_an_idle_queue_polls_slowly_and_wakes_for_an_event(paced_app: dict[str, Any]) -> None:
    from gradio_client import Client

    from ui.idle import IDLE_POLL

    queue, busy, gate = paced_app["queue"], paced_app["busy"], paced_app["gate"]
    assert busy[0] < IDLE_POLL and busy[1] < IDLE_POLL  # Gradio's intervals are shorter than the idle one
    intervals = lambda: (queue.sleep_when_free, queue.progress_update_sleep_when_free)  # noqa: E731
    assert intervals() == (IDLE_POLL, IDLE_POLL)  # idle from the start
    client = Client(paced_app["url"], verbose=False)
    assert intervals() == (IDLE_POLL, IDLE_POLL)  # a client connecting is no event
    for word in ("harbour", "lighthouse"):  # idle again after the first, and woken again by the second
        gate.clear()
        job = client.submit(word, api_name="/shout")
        assert _wait_for(lambda: intervals() == busy), intervals()  # an event: Gradio's pace at once
        time.sleep(3 * QUIET)
        assert intervals() == busy  # an event still running is no quiet spell
        gate.set()
        assert job.result(timeout=30) == word.upper()
        began = time.monotonic()
        assert _wait_for(lambda: intervals() == (IDLE_POLL, IDLE_POLL)), intervals()  # quiet: idle again
        assert time.monotonic() - began < 10 * QUIET + 2


def test_the_chat_page_paces_its_queue(qa: Assistant) -> None:
    from ui.idle import IDLE_POLL
    from ui.page import build_app

    app = build_app(qa)
    assert app._queue.sleep_when_free == IDLE_POLL
    assert app._queue.progress_update_sleep_when_free == IDLE_POLL


# -- the page in Chromium --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def harbour_url(harbour_index: Path) -> Iterator[str]:
    """The chat over ``harbour_index``, in-process, on a free loopback port."""
    with live_server(harbour_index, in_process=True) as live:
        yield live.url


@pytest.fixture
def page(browser: Any, harbour_url: str) -> Iterator[Any]:
    with opened_page(browser, harbour_url) as page:
        yield page


def _last_answer(page: Any) -> Any:
    return page.locator("#sqa-chat [data-testid=bot]").last


@pytest.mark.browser
def test_a_typed_speaker_that_matches_nothing_is_said_at_once_and_not_applied(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Filters").click()
    page.locator("#sqa-speaker input, #sqa-speaker textarea").first.fill("zzz")
    expect(page.locator("#sqa-filter-note")).to_contain_text(NOT_APPLIED)  # said before any question
    page.get_by_role("tab", name="Sources").click()
    ask(page, "What did Voss say about fishing quotas?")
    expect(_last_answer(page)).to_contain_text("cut by a fifth")  # answered: the filter was left out
    assert _last_answer(page).inner_text().startswith(NOT_APPLIED)


@pytest.mark.browser
def test_a_speaker_picked_in_the_filter_is_followed_in_a_follow_up(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, "What did Voss say about fishing quotas?")
    expect(_last_answer(page)).to_contain_text("cut by a fifth")
    page.get_by_role("tab", name="Filters").click()
    page.locator("#sqa-speaker-pick").get_by_role("radio", name="Tomas Quill (2)").check()
    expect(page.locator("#sqa-speaker input, #sqa-speaker textarea").first).to_have_value("Tomas Quill")
    expect(page.locator("#sqa-filter-note")).to_have_text("")  # a picked name matches
    page.get_by_role("tab", name="Sources").click()
    ask(page, "What did she say about the sea walls?")
    answer = _last_answer(page)
    expect(answer).to_contain_text("raised by a metre")
    note = "Answering for the Speaker filter: Tomas Quill (the conversation was about Voss)."
    assert answer.inner_text().startswith(note), answer.inner_text()


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two bounding boxes share any area."""
    across = a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
    return across and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.browser
def test_a_message_copy_icon_never_covers_the_chat_delete_icon(page: Any) -> None:
    from playwright.sync_api import expect

    for answers, question in enumerate(["What did Voss say about fishing quotas?", "Who spoke about sea walls?"], 1):
        ask(page, question)
        expect(page.locator("#sqa-chat [data-testid=bot]")).to_have_count(answers)
    delete = page.locator("#sqa-chat .top-panel button[aria-label=Clear]")
    expect(delete).to_be_visible()
    log = page.locator("#sqa-chat [role=log]")
    copies = log.locator("button[aria-label='Copy message']")
    expect(copies).to_have_count(4)  # one under each question and each answer
    delete_box, log_box = delete.bounding_box(), log.bounding_box()
    assert delete_box["y"] + delete_box["height"] <= log_box["y"] + 1, (delete_box, log_box)  # above the messages
    for i in range(copies.count()):
        copy = copies.nth(i)
        for scrolled in (False, True):
            if scrolled:  # the icon at the top of the messages, where a scrolling message passes the delete icon
                copy.evaluate("(b) => { const log = b.closest('[role=log]');"
                              " log.scrollTop += b.getBoundingClientRect().top - log.getBoundingClientRect().top; }")
            box = copy.bounding_box()
            if box["y"] + box["height"] < log_box["y"] or box["y"] > log_box["y"] + log_box["height"]:
                continue  # scrolled out of sight
            assert not _overlap(box, delete.bounding_box()), (i, scrolled, box, delete.bounding_box())


@pytest.mark.browser
def test_show_the_whole_statement_is_never_under_the_citation_panel(browser: Any, harbour_url: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 700})  # a short window: the sources scroll
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(harbour_url)
        ask(page, "Who spoke about sea walls?")
        sources = page.locator("#sqa-sources")
        summaries = sources.locator("details > summary")
        expect(summaries.nth(2)).to_be_attached()  # three statements, each with its whole text below
        assert sources.evaluate("(e) => e.scrollHeight > e.clientHeight")  # more than fits: they scroll
        below = page.locator("#sqa-quote-pick").bounding_box()
        for i in range(summaries.count()):
            summary = summaries.nth(i)
            summary.scroll_into_view_if_needed()
            box = summary.bounding_box()
            assert box["y"] + box["height"] <= below["y"], (i, box, below)  # not under the panel below
            summary.click(timeout=5000)  # fails when another element would take the click
            expect(sources.locator("details").nth(i)).to_have_attribute("open", "")
    finally:
        context.close()


PLACEHOLDER_FITS = """
(box) => {
  const style = getComputedStyle(box);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [context.measureText(box.placeholder).width, room];
}
"""


@pytest.mark.browser
def test_a_phone_shows_the_examples_and_the_question_box_on_load(browser: Any, harbour_url: str) -> None:
    from playwright.sync_api import expect

    height = 844
    context = browser.new_context(viewport={"width": 390, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(harbour_url)
        examples = page.locator("#sqa-examples")
        buttons = examples.locator("button")
        expect(buttons.first).to_be_visible()
        page.wait_for_timeout(500)  # the layout settles
        assert page.evaluate("window.scrollY") == 0
        assert buttons.count() >= 3
        for box in (examples.bounding_box(), buttons.last.bounding_box(), page.locator("#sqa-question").bounding_box()):
            assert 0 <= box["y"] and box["y"] + box["height"] <= height, box
        question = page.locator("#sqa-question textarea").first
        assert question.get_attribute("placeholder")
        needed, room = question.evaluate(PLACEHOLDER_FITS)
        assert needed <= room, (needed, room)  # the whole placeholder shows
    finally:
        context.close()
