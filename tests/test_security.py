"""Security of the web chat, against the real ``statements-qa serve`` command on 127.0.0.1.

Each server is a subprocess started the way a user starts it (from the project folder), on a
private copy of the fictional index, with its own temporary folders (``TMPDIR`` for the upload
staging folders, ``GRADIO_TEMP_DIR`` for Gradio's upload cache) so that the tests can see every
file the server writes. Covered: the default bind address; login; upload file types; HTML in file
names and metadata in a real Chromium; path traversal in uploaded names and in file paths given
to the /upload endpoint; files outside the server's folders. Speakers and organisations are invented.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from live_app import TIMEOUT_MS, live_server  # noqa: E402

from ui.live_server import LiveServer  # noqa: E402

# slow: each of the two servers takes ~7 s to start (model load in a subprocess) and ~6 s to stop
pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180.0  # seconds for a server to open the index and load the model
LOGIN = ("auditor", "tidal-Gate-7:colon")
# Text of the fictional index that no unauthenticated response may contain.
SECRETS = ("Elara Voss", "Tomas Quill", "Norvania", "Estmark", "fishing quotas", "Brannock", "Grellin")


# -- servers -------------------------------------------------------------------------------------
@dataclass
class Served:
    live: LiveServer  # ``statements-qa serve`` in a subprocess
    index: Path
    root: Path  # holds index/, tmp/ (TMPDIR) and gradio/ (GRADIO_TEMP_DIR), nothing else
    tmp: Path
    gradio_tmp: Path

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def port(self) -> int:
        return self.live.port

    @property
    def pid(self) -> int:
        return self.live.pid


@contextmanager
def serve_copy(fictional_index: Path, root: Path, extra_args: Sequence[str] = (),
               env: dict[str, str] | None = None) -> Iterator[Served]:
    """``statements-qa serve --index-dir <copy> --port P`` (default host) from the project folder."""
    index, tmp, gradio_tmp = root / "index", root / "tmp", root / "gradio"
    shutil.copytree(fictional_index, index)
    tmp.mkdir()
    gradio_tmp.mkdir()
    full_env = {"TMPDIR": str(tmp), "GRADIO_TEMP_DIR": str(gradio_tmp), "GRADIO_ANALYTICS_ENABLED": "False",
                "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})}
    with live_server(index, extra_args=extra_args, env=full_env, log_path=root.parent / f"{root.name}-server.log",
                     start_timeout=START_TIMEOUT) as live:
        yield Served(live, index, root, tmp, gradio_tmp)


@pytest.fixture(scope="module")
def served(fictional_index, tmp_path_factory):
    """The app, started with default options, on a private copy of the fictional index."""
    with serve_copy(fictional_index, tmp_path_factory.mktemp("security") / "server") as server:
        yield server


@pytest.fixture(scope="module")
def served_with_login(fictional_index, tmp_path_factory):
    """The app with ``--auth-env SQA_SECURITY_LOGIN`` (user:password)."""
    with serve_copy(fictional_index, tmp_path_factory.mktemp("security_auth") / "server",
                    ["--auth-env", "SQA_SECURITY_LOGIN"], {"SQA_SECURITY_LOGIN": ":".join(LOGIN)}) as server:
        yield server


def client(url: str, **kwargs) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=False, **kwargs)


def predict(url: str, *args, auth: tuple[str, str] | None = None, api_name: str):
    """One call in a new session, closed afterwards (an open heartbeat would slow the server's shutdown)."""
    c = client(url, auth=auth)
    try:
        return c.predict(*args, api_name=api_name)
    finally:
        c.close()


def ask(url: str, question: str, auth: tuple[str, str] | None = None) -> dict:
    return predict(url, question, "", "", "", "", auth=auth, api_name="/ask")


def generation(index: Path) -> tuple[int, int]:
    manifest = json.loads((index / "manifest.json").read_text())
    return manifest["generation"], manifest["statements"]


def statement_ids(index: Path) -> set[str]:
    from embeddings.local.index import StatementIndex

    return {st.id for st in StatementIndex.open(index, verify=False).store.iter_statements()}


# -- raw HTTP (no client-side clean-up of names or paths) ----------------------------------------
def raw_get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """GET ``path`` sent exactly as given (no URL normalisation of ``..`` or encodings)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read(2_000_000)
    finally:
        conn.close()


def raw_upload(url: str, filename: bytes, content: bytes, cookies: dict | None = None) -> httpx.Response:
    """POST /gradio_api/upload with a multipart body whose file name bytes are sent unchanged."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"".encode()
        + filename + b"\"\r\nContent-Type: text/plain\r\n\r\n" + content + f"\r\n--{boundary}--\r\n".encode()
    )
    return httpx.post(url + "gradio_api/upload", content=body, cookies=cookies, timeout=30,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def call_upload(url: str, paths: list[str]) -> tuple[str, str]:
    """Call the named /upload endpoint with file paths on the server; (event, data) of its result."""
    files = [{"path": p, "orig_name": Path(p).name, "meta": {"_type": "gradio.FileData"}} for p in paths]
    started = httpx.post(url + "gradio_api/call/upload", json={"data": [files]}, timeout=30)
    started.raise_for_status()
    event_id = started.json()["event_id"]
    stream = httpx.get(f"{url}gradio_api/call/upload/{event_id}", timeout=120).text
    event, data = "", ""
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
    return event, data


# -- (a) bind address ----------------------------------------------------------------------------
def test_server_listens_on_loopback_only_by_default(served):
    psutil = pytest.importorskip("psutil")
    mine = [c for c in psutil.Process(served.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in mine] == [("127.0.0.1", served.port)], mine
    on_port = [c for c in psutil.net_connections(kind="inet")
               if c.status == psutil.CONN_LISTEN and c.laddr.port == served.port]
    assert {c.laddr.ip for c in on_port} == {"127.0.0.1"}, on_port  # not 0.0.0.0 nor ::
    if shutil.which("ss"):  # the same seen by the system tool
        out = subprocess.run(["ss", "-ltnH", f"sport = :{served.port}"], capture_output=True, text=True,
                             timeout=10).stdout
        local = {line.split()[3] for line in out.splitlines() if line.strip()}
        assert local == {f"127.0.0.1:{served.port}"}, out


# -- (b) login ------------------------------------------------------------------------------------
def test_wrong_or_missing_login_gets_nothing(served_with_login):
    url = served_with_login.url
    # gradio_client raises different exception types for a refused login across versions
    with pytest.raises(Exception):  # noqa: B017
        client(url, auth=(LOGIN[0], "tidal-gate-7:colon"))  # wrong password (case)
    with pytest.raises(Exception):  # noqa: B017
        client(url, auth=("someone", LOGIN[1]))  # wrong user
    with pytest.raises(Exception):  # noqa: B017
        client(url)
    bodies: list[str] = []
    wrong = httpx.post(url + "login", data={"username": LOGIN[0], "password": "guess"}, timeout=15)
    assert wrong.status_code == 400 and not [c for c in wrong.cookies if c.startswith("access-token")]
    bodies.append(wrong.text)
    page = httpx.get(url, timeout=15)  # the login page and nothing of the app
    assert page.status_code == 200
    assert '"auth_required":true' in page.text.replace(" ", "").lower()
    # Gradio embeds the API description in every page, the login page included: it must not list the
    # index's speakers or sources (it did while the filter menus were built with them as choices)
    assert "window.gradio_api_info" in page.text and "Elara Voss" not in page.text and "Norvania" not in page.text
    bodies.append(page.text)
    forged = {"access-token-unsecure-x": "not-a-token", "access-token-x": "not-a-token"}
    for path in ("config", "gradio_api/info", "gradio_api/info?all_endpoints=true", "gradio_api/openapi.json",
                 "gradio_api/queue/data?session_hash=abc", "gradio_api/upload_progress?upload_id=x", "monitoring",
                 f"gradio_api/file={served_with_login.index / 'manifest.json'}"):
        for cookies in (None, forged):
            response = httpx.get(url + path, cookies=cookies, timeout=15)
            assert response.status_code in (401, 403, 404), (path, response.status_code, response.text[:200])
            bodies.append(response.text)
    calls = [
        ("gradio_api/call/ask", {"data": ["What did Voss say about fishing quotas?", "", "", "", ""]}),
        ("gradio_api/run/ask", {"data": ["What did Voss say about fishing quotas?", "", "", "", ""]}),
        ("gradio_api/queue/join", {"data": ["What did Voss say about fishing quotas?", "", "", "", "", None],
                                   "fn_index": 0, "session_hash": "abcdefgh"}),
    ]
    for path, payload in calls:
        for cookies in (None, forged):
            response = httpx.post(url + path, json=payload, cookies=cookies, timeout=15)
            assert response.status_code in (401, 403), (path, response.status_code, response.text[:200])
            bodies.append(response.text)
    before = generation(served_with_login.index)
    refused = raw_upload(url, b"lighthouse.md", b"Harbour master Ines Calder said the lantern is copper.")
    assert refused.status_code in (401, 403), refused.status_code
    bodies.append(refused.text)
    assert generation(served_with_login.index) == before
    leaked = [(s, b[:300]) for b in bodies for s in SECRETS if s.lower() in b.lower()]
    assert not leaked, leaked
    # the right login works, and then the same config does hold the index's names (so the check above means something)
    answer = ask(url, "What did Voss say about fishing quotas?", auth=LOGIN)
    assert "cut by a fifth" in answer["quotes"][0]["text"]
    with httpx.Client(timeout=15) as session:
        assert session.post(url + "login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        assert "Voss" in session.get(url + "config").text


# -- (c) file types -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tool.exe", "install.sh", "briefing.pptx", "bundle.tar.gz"])
def test_other_file_types_are_refused_and_nothing_is_indexed(served, tmp_path, name):
    marker = f"Ferry warden Ansel Pike said the {uuid.uuid4().hex[:8]} timetable changes on Monday."
    path = tmp_path / name
    path.write_bytes(b"#!/bin/sh\n" + marker.encode() + b"\n" if name.endswith(".sh") else marker.encode())
    before = generation(served.index)
    try:
        message = predict(served.url, [handle_file(str(path))], api_name="/upload")
    except Exception as exc:  # Gradio's own check of the box's file types (before the app's)
        message = str(exc)
        assert "Invalid file type" in message and ".txt" in message, message
    else:
        message = message.replace("\\", "")
        assert "Nothing was added" in message and "not a statement file type" in message, message
        assert name in message
    assert generation(served.index) == before
    assert not list(served.tmp.glob("statements-qa-upload-*"))  # staging folders removed


# -- (d) HTML in file names and metadata, in a real browser ---------------------------------------
HOSTILE_NAME = "<img src=x onerror=window.__pwned=3>.txt"
REFUSED_NAME = "<img src=x onerror=window.__pwned=12>.tar.gz"
HOSTILE_MD_NAME = "<svg onload=window.__pwned=4>.md"
HOSTILE_MD = """---
title: "<img src=x onerror=window.__pwned=5> Tide report"
speaker: "Dorin Vale <script>window.__pwned=6</script>"
source: "<iframe src=javascript:window.__pwned=7></iframe>Office of Korvish Tides"
date: 2023-03-03
---
Tide officer Dorin Vale said that the salt marshes of Korvish are rising by two centimetres a year.
"""
HOSTILE_RECORD = {
    "id": "<img src=x onerror=window.__pwned=8>",
    "speaker": "Mira Solberg <svg/onload=window.__pwned=9>",
    "source": "Port <a href=javascript:window.__pwned=10>Office</a> of Vell",
    "title": "<style>body{display:none}</style>Notice on pilots",
    "venue": "<img src=x onerror=window.__pwned=11>",
    "text": "Harbour pilot Mira Solberg said that the pilot boats of Vell will be painted orange from May.",
}
PLAIN_TEXT = "Harbour warden Sefa Lunde said that the tidal gates of Korvish will be closed every night in winter.\n"


@pytest.mark.browser
def test_html_in_file_names_and_metadata_is_inert_in_the_browser(browser, served, tmp_path):
    from playwright.sync_api import expect

    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / HOSTILE_NAME).write_text(PLAIN_TEXT, encoding="utf-8")  # a legal Linux file name
    (folder / REFUSED_NAME).write_bytes(b"not a statement")
    (folder / HOSTILE_MD_NAME).write_text(HOSTILE_MD, encoding="utf-8")
    (folder / "pilots.jsonl").write_text(json.dumps(HOSTILE_RECORD) + "\n", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(served.url)
        box = page.locator("#sqa-question textarea, #sqa-question input").first
        box.wait_for()
        page.get_by_role("tab", name="Add statements").click()
        page.locator("#sqa-upload input[type=file]").set_input_files(
            [str(folder / n) for n in (HOSTILE_NAME, REFUSED_NAME, HOSTILE_MD_NAME, "pilots.jsonl")])
        status = page.locator("#sqa-upload-status")
        expect(status).to_contain_text("Added 3", timeout=TIMEOUT_MS)  # the first upload loads the encoder
        # the refused file's name is shown as harmless text: Gradio and then ui.upload.safe_name
        # replace the markup characters (<, =, >) when the file is received
        expect(status).to_contain_text("img src_x onerror_window.__pwned_12")
        expect(status).to_contain_text("not a statement file type")
        page.get_by_role("tab", name="Sources").click()
        sources = page.locator("#sqa-sources")

        def ask(question: str) -> None:
            box.fill(question)
            box.press("Enter")

        ask("What did Sefa Lunde say about the tidal gates?")
        expect(page.locator("#sqa-chat")).to_contain_text("closed every night in winter")
        expect(sources).to_contain_text("uploads/img src_x onerror_window.__pwned_3")  # its name, in the id

        ask("What did Dorin Vale say about the salt marshes?")
        expect(page.locator("#sqa-chat")).to_contain_text("rising by two centimetres")
        for text in ("<img src=x onerror=window.__pwned=5> Tide report", "<script>window.__pwned=6</script>",
                     "<iframe src=javascript:window.__pwned=7></iframe>Office of Korvish Tides"):
            expect(sources).to_contain_text(text)

        ask("What did Mira Solberg say about the pilot boats?")
        expect(page.locator("#sqa-chat")).to_contain_text("painted orange")
        for key in ("speaker", "source", "title", "venue"):
            expect(sources).to_contain_text(HOSTILE_RECORD[key])
        page.locator("#sqa-sources details summary").first.click()
        expect(page.locator("#sqa-sources .sqa-fulltext mark").first).to_be_visible()

        page.get_by_role("tab", name="Filters").click()  # names also reach the filter lists, as text
        page.locator("#sqa-speaker input, #sqa-speaker textarea").first.press_sequentially("Solberg")
        expect(page.locator("#sqa-speaker-pick").get_by_role("radio", name=HOSTILE_RECORD["speaker"])).to_be_visible()
        page.wait_for_timeout(800)
        assert page.evaluate("window.__pwned") is None
        assert not dialogs, dialogs
        for selector in ("img[src='x']", "svg[onload]", "iframe", "a[href^='javascript']", "[onerror]", "[onload]",
                         "#sqa-sources script", "#sqa-sources style", "#sqa-sources b"):
            assert page.locator(selector).count() == 0, selector
        assert page.locator("#sqa-chat").is_visible()  # the <style> in the title did not hide the page
        page.get_by_role("tab", name="Sources").click()
        body = page.inner_text("body")
        assert "<script>window.__pwned=6</script>" in body and HOSTILE_RECORD["venue"] in body
    finally:
        context.close()


# -- (e) path traversal in uploads ----------------------------------------------------------------
def test_uploaded_names_cannot_leave_the_upload_folder(served):
    tag = uuid.uuid4().hex[:10]
    names = {
        f"../../evil-{tag}-a.txt": f"Ferry clerk Nadia Orm said that route {tag} alpha will run on Sundays.",
        f"../../../../../../../../tmp/evil-{tag}-b.txt":
            f"Ferry clerk Nadia Orm said that route {tag} bravo is cancelled.",
        f"{served.root}/evil-{tag}-c.txt": f"Ferry clerk Nadia Orm said that route {tag} charlie gets a new quay.",
        f"/etc/evil-{tag}-d.txt": f"Ferry clerk Nadia Orm said that route {tag} delta gets bigger boats.",
        f"..\\..\\..\\evil-{tag}-e.txt": f"Ferry clerk Nadia Orm said that route {tag} echo starts in June.",
        f"evil-{tag}-f\x00/../../x.txt": f"Ferry clerk Nadia Orm said that route {tag} foxtrot is free for children.",
        f"....//....//evil-{tag}-g.md": f"Ferry clerk Nadia Orm said that route {tag} golf stops at Brenn.",
    }
    before = statement_ids(served.index)
    uploaded = []
    for name, text in names.items():
        response = raw_upload(served.url, name.encode("utf-8"), text.encode())
        if response.status_code != 200:  # refusing a name is fine; writing it somewhere else is not
            assert response.status_code == 400, (name, response.status_code, response.text[:200])
            continue
        (path,) = response.json()
        assert Path(path).resolve().is_relative_to(served.gradio_tmp.resolve()), (name, path)
        uploaded.append(path)
    assert len(uploaded) >= 5, uploaded
    event, data = call_upload(served.url, uploaded)
    assert event == "complete", (event, data)
    assert f"Added {len(uploaded)}" in data, data
    # nothing written outside Gradio's cache: not in the parent folders, not where the names point
    gradio_tmp = served.gradio_tmp.resolve()
    for folder in (served.root.parent, served.root.parent.parent, served.root, served.tmp, served.index.parent,
                   Path("/tmp"), Path("/etc"), Path("/"), PROJECT_ROOT):
        found = [p for p in folder.glob(f"*{tag}*")]
        assert not found, found
    for dirpath, _, files in os.walk(served.root):
        for f in files:
            if tag in f:  # only the cached uploads, one level below the cache folder
                assert Path(dirpath).resolve().parent == gradio_tmp, (dirpath, f)
    assert not list(served.tmp.glob("statements-qa-upload-*"))
    added = statement_ids(served.index) - before
    assert len(added) == len(uploaded), added
    for sid in added:
        assert sid.startswith("uploads/") and ".." not in sid.split("/") and "\\" not in sid and "\x00" not in sid, sid
    answer = ask(served.url, f"What did Nadia Orm say about route {tag} alpha?")
    assert answer["quotes"] and answer["quotes"][0]["statement_id"].startswith("uploads/"), answer


def test_upload_endpoint_refuses_server_files(served):
    """/upload given paths of files already on the server (not uploaded) must not index them."""
    store = next(served.index.glob("gen-*/store.sqlite"))
    before = generation(served.index)
    for path in (str(PROJECT_ROOT / "README.md"), str(served.index / "manifest.json"), str(store),
                 f"{served.gradio_tmp}/../../../../../../{PROJECT_ROOT.relative_to('/')}/README.md",
                 "/etc/passwd"):
        event, data = call_upload(served.url, [path])
        assert event == "error", (path, event, data)
        assert "Added" not in data and "root:" not in data, data
    assert generation(served.index) == before


# -- (f) files outside the server's folders -------------------------------------------------------
def test_server_serves_no_file_outside_its_folders(served):
    store = next(served.index.glob("gen-*/store.sqlite"))
    readme = PROJECT_ROOT / "README.md"
    readme_start = readme.read_text(encoding="utf-8").strip().splitlines()[0].encode()
    up = "../" * 12
    paths = [
        str(store), str(readme), str(served.index / "manifest.json"), "/etc/passwd",
        f"{served.gradio_tmp}/{up}{str(readme).lstrip('/')}",  # .. from the folder Gradio serves
        f"{served.gradio_tmp}/{up}{str(store).lstrip('/')}",
        f"{served.gradio_tmp}/{up}etc/passwd",
        "README.md", "../README.md", f"{up}etc/passwd",
    ]
    requests = []
    for p in paths:
        for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
            requests.append(prefix + quote(p, safe="/"))  # as it is
            requests.append(prefix + quote(p, safe=""))  # slashes encoded
            requests.append(prefix + quote(p, safe="/").replace("..", "%2e%2e"))  # dots encoded
            requests.append(prefix + quote(p, safe="/").replace("../", "..%2f"))  # the slash after .. encoded
    for request in requests:
        status, body = raw_get(served.port, request)
        assert status in (403, 404), (request, status, body[:200])
        assert b"SQLite format 3" not in body and b"root:" not in body and readme_start not in body, request
        assert b'"generation"' not in body, request
    # control: the same route does serve a file uploaded to it, so the refusals above are the server's checks
    text = f"Lock keeper Aino Brisk said the {uuid.uuid4().hex} gate opens at dawn.".encode()
    (cached,) = raw_upload(served.url, b"control.txt", text).json()
    assert raw_get(served.port, "/gradio_api/file=" + quote(cached, safe="/")) == (200, text)
