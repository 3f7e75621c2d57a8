"""Starting the web chat: the sample or a given index, the port check, login, Gradio's launch settings."""
from __future__ import annotations

import os
import socket
import threading
from typing import Any

import gradio as gr

from assistant.api import Assistant
from corpus.load import PathArg
from corpus.problems import StatementsError
from ui.page import CSS, build_app
from ui.sample import open_assistant
from ui.upload import MAX_FILE_BYTES


def launch_app(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    share: bool = False,
    auth: tuple[str, str] | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> Any:
    """Start ``demo`` with the upload size limit, no extra served paths, and optional login."""
    return demo.launch(
        server_name=host, server_port=port, share=share, auth=auth,
        auth_message="Log in with the user name and password you were given." if auth else None,
        prevent_thread_lock=prevent_thread_lock, quiet=quiet, max_file_size=MAX_FILE_BYTES,
        ssr_mode=False, css=CSS, theme=gr.themes.Soft(), show_error=False,
    )


def warm_up_indexing(qa: Assistant) -> threading.Thread:
    """Load what indexing an upload needs (the full embedding model, the attribution pipeline) in the background:
    questions are encoded without them, so the first upload would otherwise wait for both."""

    def run() -> None:
        from corpus.attribution import attribute
        from embeddings.encoding.encoder import Encoder

        try:
            _ = Encoder(qa.stats().model).dimension
            attribute("Harbour master Ines Calder said that the lighthouse will be rebuilt.")
        except Exception:  # noqa: BLE001 (the upload itself reports any problem in plain words)
            return

    thread = threading.Thread(target=run, name="warm-up-indexing", daemon=True)
    thread.start()
    return thread


def auth_from_env(var: str) -> tuple[str, str]:
    """``(user, password)`` from an environment variable holding ``user:password``."""
    value = os.environ.get(var)
    if not value:
        raise StatementsError(f"--auth-env {var}: the environment variable {var} is not set (expected user:password)")
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise StatementsError(f"--auth-env {var}: expected the form user:password in {var}")
    return user, password


def serve(
    index_dir: PathArg | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    auth_env: str | None = None,
    milvus_uri: str | None = None,
    milvus_token_env: str | None = None,
) -> None:
    """Start the web chat and block until interrupted (``statements-qa serve``)."""
    auth = auth_from_env(auth_env) if auth_env else None
    _check_port(host, port)  # fail fast, before loading the index and the model
    qa = open_assistant(index_dir, milvus_uri, milvus_token_env)
    qa.retrieve("warm up", k=1)  # load the embedding model now, not on the first question
    warm_up_indexing(qa)
    demo = build_app(qa)
    try:
        launch_app(demo, host=host, port=port, share=share, auth=auth, prevent_thread_lock=True, quiet=True)
    except OSError as exc:
        raise StatementsError(f"cannot start the server on {host}:{port} ({exc}); choose another --port") from None
    print(address_note(demo.local_url or f"http://{host}:{port}/", demo.share_url if share else None), flush=True)
    demo.block_thread()


def address_note(local_url: str, share_url: str | None) -> str:
    """What ``serve`` prints once the chat is up: where it is, and how to share it (our flag, not Gradio's)."""
    lines = [f"The chat is running on {local_url} (open it in a browser; Ctrl+C stops it)."]
    if share_url:
        lines.append(f"Public link (for 1 week): {share_url}")
    else:
        lines.append("To give others a public link, start it with --share.")
    return "\n".join(lines)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or exc
            raise StatementsError(f"cannot listen on {host}:{port} ({reason}): choose another --port") from None
