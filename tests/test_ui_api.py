"""The web app through its API: a real Gradio server on 127.0.0.1 and real gradio_client clients.

The server runs in-process on a copy of the sample index (uploads must not change the shared
fixture) with the fictional corpus added, so that conversations about several speakers can run
side by side. Speakers and organisations other than the bundled sample's are invented.
"""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import httpx
import pytest

from ui.upload import MAX_FILE_BYTES, MAX_FILES, UploadRefused, safe_name, stage

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from live_app import SAMPLE_SOURCE, UPLOADED_STATEMENT, live_server  # noqa: E402


@pytest.fixture(scope="module")
def index_copy(sample_index, fictional_corpus, tmp_path_factory) -> Path:
    """A private copy of the sample index, with the fictional statements added."""
    from assistant.api import Assistant

    target = tmp_path_factory.mktemp("ui_api") / "index"
    shutil.copytree(sample_index, target)
    Assistant.open(target).add([fictional_corpus])
    return target


@pytest.fixture(scope="module")
def server(index_copy):
    """The app, in-process, on a free loopback port (the model loaded before any client); yields its URL."""
    with live_server(index_copy, in_process=True) as live:
        yield live.url


def ask(client: Client, question: str, speaker: str = "", source: str = "", date_from: str = "",
        date_to: str = "") -> dict:
    return client.predict(question, speaker, source, date_from, date_to, api_name="/ask")


def test_endpoints_are_named(server):
    api = Client(server, verbose=False).view_api(return_format="dict", print_info=False)
    assert {"/ask", "/upload"} <= set(api["named_endpoints"])
    params = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "speaker", "source", "date_from", "date_to"]


def test_sample_question_gives_quote_and_attribution(server):
    answer = ask(Client(server, verbose=False), "what did Lavrov say about Micaller?")
    assert not answer["abstained"]
    quote = answer["quotes"][0]
    assert "Manuel Micaller" in quote["text"]
    assert SAMPLE_SOURCE in quote["attribution"]
    assert quote["text"] in quote["citation"] and SAMPLE_SOURCE in quote["citation"]
    assert "Manuel Micaller" in answer["markdown"]


def test_follow_up_uses_the_conversation(server):
    client = Client(server, verbose=False)
    ask(client, "what did Lavrov say about Micaller?")
    answer = ask(client, "and about ISIS?")
    assert not answer["abstained"]
    assert "ISIS and Al-Qaeda" in answer["quotes"][0]["text"]
    assert "Lavrov" in answer["message"]


def test_source_filter_that_excludes_the_sample_finds_nothing(server):
    client = Client(server, verbose=False)
    answer = ask(client, "what did Lavrov say about Micaller?", source="Government of Estmark")
    assert answer["abstained"] and answer["quotes"] == []
    assert answer["message"].startswith("No statement was found")
    assert "Government of Estmark" in answer["message"]
    answer = ask(client, "what did Lavrov say about Micaller?", source="Russian Federation")
    assert not answer["abstained"]


def test_speaker_and_date_filters(server):
    client = Client(server, verbose=False)
    answer = ask(client, "what was said about fishing quotas?", speaker="Tomas Quill")
    assert answer["quotes"] and all(q["speaker"] == "Tomas Quill" for q in answer["quotes"])
    answer = ask(client, "what was said about fishing quotas?", date_from="2018", date_to="2018")
    assert answer["quotes"] and all(q["date"].startswith("2018") for q in answer["quotes"])
    answer = ask(client, "what was said about fishing quotas?", date_from="last spring")
    assert answer["abstained"] and "not understood" in answer["message"]


def test_upload_then_ask_about_it(server, tmp_path):
    path = tmp_path / "calder-lighthouse.md"
    path.write_text(UPLOADED_STATEMENT, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    client = Client(server, verbose=False)
    summary = client.predict([handle_file(str(path)), handle_file(str(empty))], api_name="/upload")
    summary = summary.replace("\\", "")  # Markdown: file names come escaped (empty\.txt)
    assert "Added 1" in summary
    assert "empty.txt" in summary and "empty file" in summary  # skipped, with its reason
    assert "statements-qa-upload-" not in summary  # no server paths in the summary
    answer = ask(client, "What did Calder say about the lighthouse?")
    assert not answer["abstained"]
    assert "rebuilt in granite" in answer["quotes"][0]["text"]
    assert answer["quotes"][0]["statement_id"] == "uploads/calder-lighthouse"
    assert "Harbour Authority of Lindqvist" in answer["quotes"][0]["attribution"]
    again = client.predict([handle_file(str(path))], api_name="/upload")
    assert "Added 0" in again and "unchanged 1" in again


def test_an_upload_cannot_replace_a_statement_of_the_corpus(server, tmp_path):
    fake = tmp_path / "lavrov-dushanbe-201st-base.txt"  # the sample's own id
    fake.write_text("A visitor said that the weather in Dushanbe was mild all week.", encoding="utf-8")
    client = Client(server, verbose=False)
    assert "Added 1" in client.predict([handle_file(str(fake))], api_name="/upload")
    answer = ask(client, "what did Lavrov say about Micaller?")
    assert answer["quotes"][0]["statement_id"] == "lavrov-dushanbe-201st-base"
    assert "United States ambassador to Tajikistan" in answer["quotes"][0]["text"]
    answer = ask(client, "what was said about the weather in Dushanbe?")
    assert answer["quotes"][0]["statement_id"] == "uploads/lavrov-dushanbe-201st-base"


def test_upload_limits(server, tmp_path):
    paths = []
    for i in range(MAX_FILES + 1):
        p = tmp_path / f"note-{i}.txt"
        p.write_text(f"Note {i}: Ines Calder said the ferry runs at {i} o'clock.", encoding="utf-8")
        paths.append(handle_file(str(p)))
    client = Client(server, verbose=False)
    summary = client.predict(paths, api_name="/upload")
    assert "Nothing was added" in summary and f"at most {MAX_FILES}" in summary
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:  # one byte over the limit; Gradio refuses it before the app sees it
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(Exception):  # noqa: B017 (whatever gradio_client raises for the refusal)
        client.predict([handle_file(str(big))], api_name="/upload")


def test_upload_names_cannot_leave_the_upload_folder(tmp_path):
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\boot.ini.txt") == "boot.ini.txt"
    assert safe_name("..") == "upload"
    assert safe_name(".hidden.md") == "hidden.md"
    assert "/" not in safe_name("a/<script>.txt") and "<" not in safe_name("<script>.txt")
    source = tmp_path / "x.md"
    source.write_text("Ines Calder said hello.", encoding="utf-8")
    staged = stage([str(source), str(source)])
    try:
        assert sorted(p.name for p in staged.files_folder.iterdir()) == ["x-2.md", "x.md"]
        assert staged.folder.name.startswith("statements-qa-upload-")
    finally:
        staged.cleanup()
    assert not staged.folder.exists()
    with pytest.raises(UploadRefused):
        stage([str(source)] * (MAX_FILES + 1))


def test_server_serves_no_other_files(server, index_copy):
    for path in ("/etc/passwd", str(index_copy / "manifest.json"), str(Path(__file__).resolve())):
        for prefix in ("gradio_api/file=", "file="):
            response = httpx.get(server + prefix + path, timeout=10)
            assert response.status_code in (403, 404), (path, response.status_code)
            assert "root:" not in response.text and "generation" not in response.text


def test_ten_concurrent_clients_keep_their_own_conversations(server):
    # (first question, expected in its answer, follow-up, expected in the follow-up's answer)
    conversations = [
        ("What did Voss say about sea-level rise?", "sea-level rise", "And about fishing quotas?", "cut by a fifth"),
        ("What did Quill say about the cod stocks?", "cod stocks", "And about fishing quotas?", "raised, not cut"),
        ("What did Brannock say about the border talks?", "never been suspended", "And about grain exports?",
         "tariff agreement"),
        ("What did Lavrov say about Micaller?", "Manuel Micaller", "And about ISIS?", "ISIS and Al-Qaeda"),
        ("What did Lavrov say about drug trafficking?", "narcotics trafficking", "And about Micaller?",
         "Manuel Micaller"),
        ("What did Voss say about illegal trawling?", "illegal trawling", "And about sea walls?", "Norvania"),
        ("What did Quill say about Estmark's fleet?", "Estmark", "And about fishing quotas?", "raised, not cut"),
        # 2016 is kept, nothing then answers: the year is relaxed and the answer says so
        ("What did Voss say in 2016?", "low islands", "And about fishing quotas?", "cut by a fifth"),
        ("What did Lavrov say about ISIS?", "ISIS and Al-Qaeda", "And about drug trafficking?",
         "narcotics trafficking"),
        ("What did Grellin say about the border talks?", "welcomes the resumption", "And about grain exports?", None),
    ]
    clients = [Client(server, verbose=False) for _ in conversations]
    barrier = threading.Barrier(len(clients))
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        first, _, follow_up, _ = conversations[i]
        try:
            barrier.wait(timeout=60)
            a = ask(clients[i], first)
            barrier.wait(timeout=60)
            b = ask(clients[i], follow_up)
            results[i] = [a, b]
        except BaseException as exc:  # reported below with the conversation
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for i, (first, want_first, follow_up, want_follow) in enumerate(conversations):
        a, b = results[i]
        assert any(want_first in q["text"] for q in a["quotes"]), (first, a["message"], a["quotes"])
        if want_follow is None:
            assert b["abstained"], (first, follow_up, b["quotes"])
        else:
            assert any(want_follow in q["text"] for q in b["quotes"]), (first, follow_up, b["message"], b["quotes"])
        assert ("2016" in first) == b["message"].startswith("Nothing was found from 2016;"), b["message"]


def test_login_required_with_auth(index_copy, monkeypatch):
    from corpus.problems import StatementsError
    from ui.server import auth_from_env

    monkeypatch.setenv("SQA_TEST_LOGIN", "demo:s3cret:with-colon")
    auth = auth_from_env("SQA_TEST_LOGIN")
    assert auth == ("demo", "s3cret:with-colon")
    monkeypatch.setenv("SQA_TEST_LOGIN", "no-colon")
    with pytest.raises(StatementsError):
        auth_from_env("SQA_TEST_LOGIN")
    with live_server(index_copy, in_process=True, auth=auth) as live:
        url = live.url
        with pytest.raises(Exception):  # noqa: B017 (whatever gradio_client raises for a refused login)
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("demo", "wrong"), verbose=False)
        answer = ask(Client(url, auth=auth, verbose=False), "what did Lavrov say about Micaller?")
        assert "Manuel Micaller" in answer["quotes"][0]["text"]


@pytest.mark.slow  # embeds a 500-record upload on purpose (3.5-6 s)
def test_questions_are_answered_while_an_upload_runs(server, tmp_path):
    import json
    import time

    records = [
        {"id": f"ferry-{i}", "speaker": "Ines Calder", "source": "Harbour Authority of Lindqvist",
         "text": f"Notice {i}: Ines Calder said that ferry number {i} to the isle of Brenn leaves from quay {i % 7} "
                 f"at {i % 24} o'clock, weather permitting, and that tickets for route {i} cost {i % 50} crowns."}
        for i in range(500)  # several seconds of embedding on two cores
    ]
    path = tmp_path / "ferries.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    done: dict[str, float] = {}

    def run_upload() -> None:
        done["summary"] = Client(server, verbose=False).predict([handle_file(str(path))], api_name="/upload")
        done["upload"] = time.monotonic()

    uploader = threading.Thread(target=run_upload)
    asker = Client(server, verbose=False)
    started = time.monotonic()
    uploader.start()
    time.sleep(1.0)  # the upload is being indexed now
    answers = [ask(asker, "what did Lavrov say about Micaller?") for _ in range(3)]
    asked = time.monotonic()
    uploader.join(timeout=300)
    assert "Added 500" in done["summary"]
    assert all("Manuel Micaller" in a["quotes"][0]["text"] for a in answers)
    timing = f"questions answered after {asked - started:.1f}s, upload done after {done['upload'] - started:.1f}s"
    print(timing)
    assert asked < done["upload"], f"questions waited for the upload to finish: {timing}"


README = Path(__file__).resolve().parent.parent / "README.md"
API_EXAMPLE = re.compile(r"<!-- api-example[^>]*-->\n```python\n(.*?)```", re.S)


def test_the_readme_api_example_runs_as_written(server, capsys):
    """The README's gradio_client example, run against a live server with only its address changed."""
    match = API_EXAMPLE.search(README.read_text(encoding="utf-8"))
    assert match, "README.md: the api-example block is missing"
    code = match.group(1)
    assert 'Client("http://127.0.0.1:7860/")' in code
    exec(compile(code.replace("http://127.0.0.1:7860/", server), "README api-example", "exec"), {})  # noqa: S102
    printed = capsys.readouterr().out
    assert "Manuel Micaller" in printed  # the quote
    assert f"— Sergei Lavrov (reported by {SAMPLE_SOURCE})" in printed  # its attribution line
    assert "ISIS and Al-Qaeda" in printed  # the follow-up continued the conversation
