"""The chat behind an HTTP proxy: loopback requests never go through it.

Gradio's launch asks its own server (``/gradio_api/startup-events``) to start the queue, with no timeout and
through any proxy the environment names. A proxy that never answers for 127.0.0.1 left the launch waiting for ever
and the queue unstarted: the page loaded, and no question was ever answered. The server here runs as
``statements-qa serve`` with such a proxy in its environment, and must still answer.
"""
from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator

import pytest
from gradio_client import Client
from live_app import SAMPLE_SOURCE, live_server

from ui.live_server import free_port

ANSWER_SECONDS = 90


@pytest.fixture
def silent_proxy() -> Iterator[str]:
    """An HTTP proxy on loopback that accepts connections and never answers; yields its URL."""
    port = free_port()
    listener = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_proxy_in_the_environment_does_not_stop_the_chat(sample_index, silent_proxy, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    proxies = {name: silent_proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                                              "https_proxy", "all_proxy")}
    proxies |= {"NO_PROXY": "intranet.example", "no_proxy": "intranet.example"}  # set, but not for loopback
    with live_server(index, env=proxies) as live:
        job = Client(live.url, verbose=False).submit("what did Lavrov say about Micaller?", "", "", "", "",
                                                     api_name="/ask")
        answer = job.result(timeout=ANSWER_SECONDS)
    assert not answer["abstained"]
    assert SAMPLE_SOURCE in answer["quotes"][0]["attribution"]
