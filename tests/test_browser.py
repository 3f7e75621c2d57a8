"""The web app in a real headless Chromium: ask, follow up, upload, and no script injection.

Also writes docs/screenshot.png (the chat answering the sample question) when it is missing or
when UPDATE_SCREENSHOT=1. Speakers and organisations other than the bundled sample's are invented.
"""
from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from live_app import SAMPLE_SOURCE, TIMEOUT_MS, UPLOADED_STATEMENT, live_server, opened_page

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"

HOSTILE = """---
title: "Remarks on <img src=x onerror=\\"window.__pwned=2\\">"
speaker: Orla Fenwick
source: "Treasury of Maravel <b>bold</b>"
date: 2022-02-02
url: "javascript:window.__pwned=7"
---
Finance Minister Orla Fenwick said that the budget of Maravel is balanced <script>window.__pwned=1</script> for the third year running.
She added that the <img src=x onerror="window.__pwned=2"> yacht tax brings in ${window.__pwned=3} forty million crowns {{constructor.constructor('window.__pwned=4')()}}.
"""  # noqa: E501 (statement lines are long on purpose: one sentence per line)


@pytest.fixture(scope="module")
def app_url(sample_index, tmp_path_factory):
    """The app, in-process, on a private copy of the sample index, on a free loopback port."""
    index = tmp_path_factory.mktemp("ui_browser") / "index"
    shutil.copytree(sample_index, index)
    with live_server(index, in_process=True) as live:
        yield live.url


@pytest.fixture
def page(browser, app_url):
    with opened_page(browser, app_url) as page:
        yield page


def ask(page, question: str) -> None:
    box = page.locator("#sqa-question textarea, #sqa-question input").first
    box.fill(question)
    box.press("Enter")


def upload(page, path: Path, expect_text: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Add statements").click()
    page.locator("#sqa-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#sqa-upload-status")).to_contain_text(expect_text)
    page.get_by_role("tab", name="Sources").click()


def save_screenshot(page) -> None:
    from PIL import Image

    png = page.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOT, optimize=True)
    assert SCREENSHOT.stat().st_size < 200_000


def test_sample_question_shows_quote_and_source(page):
    from playwright.sync_api import expect

    expect(page.locator("#sqa-examples")).to_contain_text("What did Lavrov say about Micaller?")
    ask(page, "What did Lavrov say about Micaller?")
    chat = page.locator("#sqa-chat")
    expect(chat).to_contain_text("Manuel Micaller")
    expect(chat).to_contain_text(SAMPLE_SOURCE)
    sources = page.locator("#sqa-sources")
    expect(sources).to_contain_text(SAMPLE_SOURCE)
    expect(sources.locator("mark").first).to_contain_text("Manuel Micaller")
    citation = re.compile(r"^“In his assessment.*Manuel Micaller.*” \(.*Ministry of Foreign Affairs", re.S)
    expect(page.locator("#sqa-citation textarea")).to_have_value(citation)
    if os.environ.get("UPDATE_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        page.wait_for_timeout(500)  # let the layout settle
        save_screenshot(page)
    # the follow-up example continues this conversation
    page.locator("#sqa-examples").get_by_text("And about ISIS?").click()
    expect(chat).to_contain_text("ISIS and Al-Qaeda")
    # the whole statement opens with the quote highlighted
    page.locator("#sqa-sources details summary").first.click()
    expect(page.locator("#sqa-sources .sqa-fulltext mark").first).to_be_visible()
    page.locator("#sqa-clear").click()
    expect(chat).not_to_contain_text("ISIS and Al-Qaeda")


def test_upload_then_ask(page, tmp_path):
    from playwright.sync_api import expect

    path = tmp_path / "calder-lighthouse.md"
    path.write_text(UPLOADED_STATEMENT, encoding="utf-8")
    upload(page, path, "Added 1")
    ask(page, "What did Calder say about the lighthouse?")
    expect(page.locator("#sqa-chat")).to_contain_text("rebuilt in granite")
    expect(page.locator("#sqa-sources")).to_contain_text("Harbour Authority of Lindqvist")


def test_statement_text_cannot_inject_script(page, tmp_path):
    from playwright.sync_api import expect

    path = tmp_path / "fenwick-budget.md"
    path.write_text(HOSTILE, encoding="utf-8")
    upload(page, path, "Added 1")
    ask(page, 'What did Fenwick say about the budget? <img src=x onerror="window.__pwned=6">')
    chat = page.locator("#sqa-chat")
    expect(chat).to_contain_text("<script>window.__pwned=1</script>")
    ask(page, "And about the yacht tax?")
    expect(chat).to_contain_text('<img src=x onerror="window.__pwned=2">')
    sources = page.locator("#sqa-sources")
    expect(sources).to_contain_text("${window.__pwned=3}")
    expect(sources).to_contain_text("Treasury of Maravel <b>bold</b>")
    page.locator("#sqa-sources details summary").first.click()
    expect(sources).to_contain_text("<script>window.__pwned=1</script>")
    # names and titles also reach the example questions and the filter menus: as text
    # (an example is a whole noun phrase, so "Remarks on <img …>" makes none; were one made, it is text)
    expect(page.locator("#sqa-examples")).to_contain_text("Try asking")
    expect(page.locator("#sqa-examples img, #sqa-examples script, #sqa-examples b")).to_have_count(0)
    page.get_by_role("tab", name="Filters").click()
    page.locator("#sqa-source input").click()
    expect(page.get_by_role("option", name="Treasury of Maravel <b>bold</b>")).to_be_visible()
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    body = page.inner_text("body")
    assert "<script>window.__pwned=1</script>" in body
    assert "{{constructor.constructor('window.__pwned=4')()}}" in body
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#sqa-sources a[href^='javascript']").count() == 0
    assert page.locator("#sqa-sources b, #sqa-source b").count() == 0


def test_speakers_found_in_the_text_are_offered_as_filters(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Filters").click()
    listed = page.locator("#sqa-speaker-pick")
    expect(listed.get_by_role("radio", name="Sergei Lavrov (1)")).to_be_visible()
    expect(listed.get_by_role("radio", name="Manuel Micaller (1)")).to_be_visible()
    listed.get_by_role("radio", name="Sergei Lavrov (1)").check()
    expect(page.locator("#sqa-speaker input, #sqa-speaker textarea").first).to_have_value("Sergei Lavrov")
    page.get_by_role("tab", name="Sources").click()
    ask(page, "And about ISIS?")
    chat = page.locator("#sqa-chat")
    expect(chat).to_contain_text("ISIS and Al-Qaeda")
    expect(chat).to_contain_text(f"Sergei Lavrov (reported by {SAMPLE_SOURCE})")
    expect(chat).to_contain_text("speaker: Sergei Lavrov")  # the filter in use is said


def test_chat_pane_fills_the_window_height(page):
    box = page.locator("#sqa-chat").bounding_box()
    assert box is not None and box["height"] >= 0.6 * 900, box


TITLE_WORD_LINES = """
(element) => {
  const text = element.firstChild;
  const out = [];
  for (const match of text.textContent.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    out.push([match[0], tops.size]);
  }
  return out;
}
"""


def test_title_never_breaks_inside_a_word_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(app_url)
        title = page.locator(".sqa-header h1").first
        title.wait_for()
        words = title.evaluate(TITLE_WORD_LINES)
        assert [w for w, _ in words] == ["Statements", "Q&A"]
        assert all(lines == 1 for _, lines in words), words  # each word on one line
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # and nothing wider than the screen
    finally:
        context.close()


def test_sources_are_grouped_by_statement(page):
    from playwright.sync_api import expect

    ask(page, "What did Lavrov say about Afghanistan?")  # three quotes from the sample's one statement
    sources = page.locator("#sqa-sources")
    expect(sources.locator(".sqa-passage").nth(1)).to_be_visible()  # several passages of the one statement…
    assert sources.locator("article.sqa-source").count() == 1  # …in one card
    card = sources.locator("article.sqa-source")
    assert card.locator("dt", has_text="Source").count() == 1  # its metadata said once
    numbers = card.locator("h4 .sqa-num").all_inner_texts()
    heads = card.locator(".sqa-passage-head .sqa-num").all_inner_texts()
    assert numbers == heads == [str(i) for i in range(1, len(heads) + 1)]  # each passage numbered as its quote
    assert card.locator("details .sqa-fulltext mark").count() == len(heads)  # the whole statement, once


def test_long_question_is_answered_from_its_start_and_says_so(page):
    from playwright.sync_api import expect

    question = "What did Lavrov say about Micaller? " + "Please be thorough. " * 60
    assert len(question) > 1000
    ask(page, question)
    chat = page.locator("#sqa-chat")
    expect(chat).to_contain_text("Only the first 1,000 characters of your question were used")
    expect(chat).to_contain_text("Manuel Micaller")


def test_empty_question_gets_a_hint(page):
    from playwright.sync_api import expect

    page.locator("#sqa-ask").click()
    expect(page.get_by_text("Type a question in the box first")).to_be_visible()
    assert page.locator("#sqa-chat .message-row").count() == 0


UN_LIKE = [
    {"id": "NRV_73_2018", "speaker": "Ms. Elara Voss", "country_name": "Norvania", "year": 2018,
     "text": "Elara Voss said that every coastal state must cut its fishing quotas by a fifth."},
    {"id": "EST_74_2019", "speaker": "His Excellency Tomas Quill", "country_name": "Estmark", "year": 2019,
     "text": "Tomas Quill said that the fishing quotas of Estmark should be raised."},
]


def test_filters_offer_the_country_field_and_count_countries(browser, tmp_path):
    import json

    from playwright.sync_api import expect

    from assistant.api import index_statements

    (tmp_path / "speeches.jsonl").write_text("\n".join(json.dumps(r) for r in UN_LIKE) + "\n", encoding="utf-8")
    index_statements([tmp_path / "speeches.jsonl"], tmp_path / "index", progress=False)
    with live_server(tmp_path / "index", in_process=True) as live:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(live.url)
            expect(page.locator(".sqa-header")).to_contain_text("from 2 countries")
            page.get_by_role("tab", name="Filters").click()
            listed = page.locator("#sqa-speaker-pick")
            expect(listed.get_by_role("radio", name="Ms. Elara Voss (1)")).to_be_visible()  # filled in on page load
            names = [label.strip() for label in listed.locator("label").all_inner_texts()]
            assert names[:3] == ["Any speaker", "Ms. Elara Voss (1)", "His Excellency Tomas Quill (1)"]  # E < T
            page.locator("#sqa-field-0 input").click()
            page.get_by_role("option", name="Estmark").click()
            page.get_by_role("tab", name="Sources").click()
            ask(page, "Who spoke about fishing quotas?")
            chat = page.locator("#sqa-chat")
            expect(chat).to_contain_text("country: Estmark")
            expect(chat).to_contain_text("Estmark should be raised")
            expect(chat).not_to_contain_text("by a fifth")
        finally:
            context.close()


def test_a_refused_file_type_is_named_with_the_reason(page, tmp_path):
    from playwright.sync_api import expect

    status = page.locator("#sqa-upload-status")
    page.get_by_role("tab", name="Add statements").click()
    expect(status).to_contain_text(".jsonl.gz")
    assert " .gz " not in f" {status.inner_text()} "  # formats are whole suffixes, never ".gz" alone
    path = tmp_path / "minutes.pptx"
    path.write_bytes(b"not a statement")
    page.locator("#sqa-upload input[type=file]").set_input_files(str(path))
    expect(status).to_contain_text("minutes.pptx: not a statement file type", timeout=TIMEOUT_MS)
    expect(page.locator("#sqa-upload")).not_to_contain_text("Error")  # no bare "Error" left in the box
