"""Process settings every entry point needs before torch, FAISS or Gradio load; imported first.

- ``OMP_WAIT_POLICY=PASSIVE``: torch and faiss-cpu each bring an OpenMP runtime; with
  busy-waiting threads a FAISS query next to torch gets ~30x slower on a loaded machine.
- ``HF_HUB_OFFLINE=1``: models come from local folders or packages, never from a hub.
- ``TOKENIZERS_PARALLELISM=false``: no fork warnings from the Rust tokenizers.
- ``GRADIO_ANALYTICS_ENABLED=False``: the chat sends nothing anywhere.
- ``GRPC_VERBOSITY=ERROR``: gRPC (Milvus' client, Ray) logs no notices of its own to the terminal.

Values already set in the environment win.
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

for _name, _value in DEFAULTS.items():
    os.environ.setdefault(_name, _value)
