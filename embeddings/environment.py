"""Process settings every entry point needs before torch, FAISS or Gradio load; imported first.

- ``OMP_WAIT_POLICY=PASSIVE``: torch and faiss-cpu each bring an OpenMP runtime; with
  busy-waiting threads a FAISS query next to torch gets ~30x slower on a loaded machine.
- ``HF_HUB_OFFLINE=1``: models come from local folders or packages, never from a hub.
- ``TOKENIZERS_PARALLELISM=false``: no fork warnings from the Rust tokenizers.
- ``GRADIO_ANALYTICS_ENABLED=False``: the chat sends nothing anywhere.
- ``GRPC_VERBOSITY=ERROR``: gRPC (Milvus' client, Ray) logs no notices of its own to the terminal.

Values already set in the environment win. One is added to, not replaced:

- ``NO_PROXY``/``no_proxy`` gain the loopback addresses (``LOOPBACK``): Gradio's launch calls its own server
  with no timeout, and through an HTTP proxy named in the environment that call can wait for ever (the page
  loads, but the queue never starts and no question is answered). The chat and its tests only talk to loopback.
"""
from __future__ import annotations

import os

DEFAULTS = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "GRPC_VERBOSITY": "ERROR",
}

LOOPBACK = ("127.0.0.1", "localhost", "::1")

for _name, _value in DEFAULTS.items():
    os.environ.setdefault(_name, _value)

for _name in ("NO_PROXY", "no_proxy"):
    _hosts = [h.strip() for h in os.environ.get(_name, "").split(",") if h.strip()]
    os.environ[_name] = ",".join(_hosts + [h for h in LOOPBACK if h not in _hosts])
