"""The web chat on a Milvus Lite index: the real `statements-qa serve --milvus-uri` command, asked through
its HTTP API (gradio_client) and in a real Chromium, uploads included."""
from __future__ import annotations

from pathlib import Path

import pytest

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from live_app import SAMPLE_SOURCE, UPLOADED_STATEMENT, live_server, opened_page  # noqa: E402


@pytest.fixture(scope="module")
def milvus_chat(tmp_path_factory) -> str:
    """`statements-qa serve --milvus-uri` over a Milvus Lite index of the bundled sample; yields its URL."""
    from assistant.api import index_statements
    from corpus.load import bundled_sample_path

    db = tmp_path_factory.mktemp("milvus_chat") / "statements.db"
    index_statements([bundled_sample_path()], milvus_uri=str(db), progress=False)
    with live_server(None, milvus_uri=str(db)) as live:
        yield live.url


def test_api_answers_from_milvus_with_quote_and_source(milvus_chat):
    """The chat's /ask endpoint answers the sample question from Milvus, quoted and attributed."""
    client = Client(milvus_chat, verbose=False)
    answer = client.predict("what did Lavrov say about Micaller?", "", "", "", "", api_name="/ask")
    assert not answer["abstained"]
    assert "Manuel Micaller" in answer["quotes"][0]["text"]
    assert SAMPLE_SOURCE in answer["quotes"][0]["attribution"]
    unmatched = client.predict("what did Lavrov say about Micaller?", "", "Ministry of Agriculture of Nowhere", "",
                               "", api_name="/ask")  # a source no statement has: not applied, and said so
    assert "matches nothing in the index, so it was not applied" in unmatched["message"]
    assert "Manuel Micaller" in unmatched["quotes"][0]["text"]
    other_year = client.predict("what did Lavrov say about Micaller?", "", "", "2001", "2001", api_name="/ask")
    assert other_year["abstained"] or not other_year["quotes"]  # a filter that applies and leaves nothing


def test_upload_into_milvus_then_ask(milvus_chat, tmp_path: Path):
    """A file uploaded in the chat is indexed into Milvus and answers at once."""
    path = tmp_path / "calder-lighthouse.md"
    path.write_text(UPLOADED_STATEMENT, encoding="utf-8")
    client = Client(milvus_chat, verbose=False)
    summary = client.predict([handle_file(str(path))], api_name="/upload")
    assert "Added 1" in summary.replace("\\", "")
    answer = client.predict("What did Calder say about the lighthouse?", "", "", "", "", api_name="/ask")
    assert not answer["abstained"]
    assert "rebuilt in granite" in answer["quotes"][0]["text"]
    assert "Harbour Authority of Lindqvist" in answer["quotes"][0]["attribution"]


@pytest.mark.browser
def test_browser_on_milvus_shows_quote_and_source(browser, milvus_chat):
    """In Chromium, the chat over Milvus shows the quote, its source and the marked passage."""
    from playwright.sync_api import expect

    with opened_page(browser, milvus_chat) as page:
        box = page.locator("#sqa-question textarea, #sqa-question input").first
        box.fill("What did Lavrov say about Micaller?")
        box.press("Enter")
        chat = page.locator("#sqa-chat")
        expect(chat).to_contain_text("Manuel Micaller")
        expect(chat).to_contain_text(SAMPLE_SOURCE)
        expect(page.locator("#sqa-sources mark").first).to_contain_text("Manuel Micaller")
