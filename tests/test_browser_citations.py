"""The chat in a real headless Chromium over UN-like statements: the answer line cites speaker, post, country
and date; the copy icon gives plain text; a Markdown heading is never quoted. Fictional data (``citation_corpus``).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from citation_corpus import HEADING, NORVANIA_LINE, write_corpus
from live_app import live_server, opened_page

pytestmark = pytest.mark.browser

VALDORIA_QUOTE = "Valdoria will lift its tariffs on grain exports to the U.S. and to its neighbours (from January)."
VALDORIA_LINE = (
    "— Mr. Ilya Brannock, Minister for Foreign Affairs of the Republic of Valdoria — 2019, "
    "“Republic of Valdoria — UN General Debate 2019”"
)


@pytest.fixture(scope="module")
def debates_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, in-process, over a real index of the UN-like corpus, on a free loopback port."""
    from assistant.api import index_statements

    folder = write_corpus(tmp_path_factory.mktemp("citation_corpus"))
    index = tmp_path_factory.mktemp("citation_browser") / "index"
    index_statements([folder], index, progress=False)
    with live_server(index, in_process=True) as live:
        yield live.url


@pytest.fixture
def page(browser: Any, debates_url: str) -> Iterator[Any]:
    with opened_page(browser, debates_url, permissions=["clipboard-read", "clipboard-write"]) as page:
        yield page


def ask(page: Any, question: str, expect_text: str) -> None:
    from playwright.sync_api import expect

    box = page.locator("#sqa-question textarea, #sqa-question input").first
    box.fill(question)
    box.press("Enter")
    expect(page.locator("#sqa-chat")).to_contain_text(expect_text)


def clipboard_after(page: Any, click: Any, timeout: float = 10.0) -> str:
    """What the clipboard holds once ``click()`` has put the plain text there (Gradio first writes the Markdown
    source, the app then the plain text); whatever it holds after ``timeout`` seconds otherwise."""
    page.evaluate("navigator.clipboard.writeText('')")
    click()
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        text = str(page.evaluate("navigator.clipboard.readText()"))
        if "—" in text and "\n> " not in text:
            break
    return text


def test_answer_line_has_speaker_post_country_and_date(page: Any) -> None:
    ask(page, "What did Norvania say about fishing quotas?", "cut its fishing quotas")
    expect_line = f"— {NORVANIA_LINE}"
    lines = page.locator("#sqa-chat .message-row.bot-row").last.inner_text().splitlines()
    assert expect_line in lines, lines
    assert "NRV_74_2019" not in page.locator("#sqa-chat").inner_text()


def test_copy_icon_gives_plain_text_with_the_citation(page: Any) -> None:
    ask(page, "What did Valdoria say about tariffs?", "lift its tariffs")
    answer = page.locator("#sqa-chat .message-row.bot-row").last
    text = clipboard_after(page, lambda: answer.get_by_role("button", name="Copy message").click())
    assert "\\" not in text and "**" not in text and "\n> " not in text, text
    assert text.startswith("What Valdoria said about tariffs (1 statement):"), text
    assert f"“{VALDORIA_QUOTE}”" in text, text
    assert text.endswith(VALDORIA_LINE), text


def test_a_markdown_heading_is_never_quoted(page: Any) -> None:
    words = HEADING.lstrip("# ")
    ask(page, f"What did the {words.replace('announces', 'announce about')}?", "free flu vaccines will be offered")
    chat = page.locator("#sqa-chat")
    quoted = chat.locator("blockquote").all_inner_texts()
    assert quoted and not any("#" in q or "announces free flu" in q for q in quoted), quoted
    assert chat.locator("h1, h2").count() == 0
    assert words in page.locator("#sqa-sources h4").first.inner_text()  # the heading is the statement's title


def test_who_spoke_answers_show_the_country_line(page: Any) -> None:
    ask(page, "Who spoke about grain?", "seed vault")
    text = page.locator("#sqa-chat .message-row.bot-row").last.inner_text()
    assert "King of Estmark — 2019" in text and "Minister for Foreign Affairs of the Republic of Valdoria" in text
