"""Uploads in other encodings than UTF-8 are read, or refused in plain words: ``ui.text_encoding`` and the chat.

A Latin-1 text file and a UTF-16 Markdown file without a byte-order mark are uploaded through the Gradio API
of a live server and asked about; a file whose encoding cannot be told is refused, naming the file and the
fix. Speakers and places are invented.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ui.text_encoding import EncodingUnknown, to_utf8

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from live_app import live_server  # noqa: E402

LATIN_1 = (
    "Harbour master Søren Ålvik of Kessmouth said that the new café on the pier will open in June.\n"
    "He added that the mooring fees of the marina will fall by a fifth.\n"
)
UTF_16 = """---
title: Remarks on the lighthouse of Brenn
speaker: Ilse Várga
source: Harbour Board of Brenn
date: 2022-03-04
---
Ilse Várga said that the lighthouse of Brenn will get a new lamp before the winter storms.
"""
MIXED = "Le ministre a déclaré".encode() + " que la pêche".encode("latin-1") + b" reprendra."


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("text", "encoding", "named"), [
    (LATIN_1, "latin-1", "Windows-1252"),  # Latin-1 letters are Windows-1252's
    ("The minister’s café said “yes” — twice.\n" * 3, "cp1252", "Windows-1252"),
    (UTF_16, "utf-16-le", "UTF-16"),  # no byte-order mark
    (UTF_16, "utf-16-be", "UTF-16"),
    ("Министр иностранных дел заявил, что переговоры о рыболовстве продолжатся.\n", "cp1251", "Windows-1251"),
])
def test_a_file_in_another_encoding_is_re_saved_as_utf8(tmp_path, text, encoding, named):
    path = write(tmp_path, "statement.txt", text.encode(encoding))
    assert to_utf8(path, "statement.txt") == named
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("data", [
    LATIN_1.encode("utf-8"), LATIN_1.encode("utf-8-sig"), UTF_16.encode("utf-16"),  # UTF-8, or a byte-order mark
    b"\x00\x01\x02\x03binary\x00" * 40,  # not text: left for the loader to skip as binary
])
def test_utf8_marked_and_binary_files_are_left_alone(tmp_path, data):
    path = write(tmp_path, "statement.txt", data)
    assert to_utf8(path, "statement.txt") == ""
    assert path.read_bytes() == data


@pytest.mark.parametrize("data", [
    MIXED,  # UTF-8 letters beside Latin-1 ones
    "外務大臣は交渉が続くと述べた。".encode("shift_jis"),  # too short to tell Shift-JIS from its neighbours
])
def test_a_file_whose_encoding_cannot_be_told_is_refused_with_the_fix(tmp_path, data):
    path = write(tmp_path, "minutes.txt", data)
    with pytest.raises(EncodingUnknown) as refused:
        to_utf8(path, "minutes.txt")
    assert str(refused.value).startswith("minutes.txt: not UTF-8 text")
    assert "re-save it as UTF-8" in str(refused.value)
    assert path.read_bytes() == data


@pytest.fixture(scope="module")
def server(sample_index, tmp_path_factory):
    """The app, in-process, on a private copy of the sample index."""
    index = tmp_path_factory.mktemp("encodings") / "index"
    shutil.copytree(sample_index, index)
    with live_server(index, in_process=True) as live:
        yield live.url


def ask(client: Client, question: str) -> dict:
    return client.predict(question, "", "", "", "", api_name="/ask")


def test_uploads_in_latin1_and_utf16_are_read_and_answered(server, tmp_path):
    latin = write(tmp_path, "alvik-pier.txt", LATIN_1.encode("latin-1"))
    utf16 = write(tmp_path, "varga-lighthouse.md", UTF_16.encode("utf-16-le"))
    client = Client(server, verbose=False)
    summary = client.predict([handle_file(str(latin)), handle_file(str(utf16))], api_name="/upload")
    summary = summary.replace("\\", "")  # Markdown: names come escaped
    assert "Added 2" in summary, summary
    assert "alvik-pier.txt (was Windows-1252)" in summary and "varga-lighthouse.md (was UTF-16)" in summary
    answer = ask(client, "What did Ålvik say about the café?")
    assert any("the new café on the pier will open in June" in q["text"] for q in answer["quotes"]), answer
    assert answer["quotes"][0]["speaker"] == "Søren Ålvik" or "Søren Ålvik" in answer["quotes"][0]["text"]
    answer = ask(client, "What did Várga say about the lighthouse?")
    quote = answer["quotes"][0]
    assert "will get a new lamp before the winter storms" in quote["text"], answer
    assert quote["speaker"] == "Ilse Várga" and quote["source"] == "Harbour Board of Brenn"


def test_an_upload_whose_encoding_cannot_be_told_is_refused_in_plain_words(server, tmp_path):
    mixed = write(tmp_path, "minutes.txt", MIXED)
    summary = Client(server, verbose=False).predict([handle_file(str(mixed))], api_name="/upload")
    summary = summary.replace("\\", "")
    assert "Nothing was added" in summary
    assert "minutes.txt: not UTF-8 text, and its encoding cannot be told for sure: re-save it as UTF-8" in summary
