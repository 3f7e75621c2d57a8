"""The encoder model exported to ONNX (fp32, and dynamically quantised to int8) by sentence-transformers' own ONNX
backend, once per model, into the user's cache; nothing is downloaded.

The cache is ``$STATEMENTS_QA_CACHE`` or ``$XDG_CACHE_HOME/statements-qa`` (``~/.cache/statements-qa``); each model
gets a folder named after its path and the size and time of its weights, so an updated model is exported again.
Each folder is a whole sentence-transformers model (configuration, tokenizer, pooling) with ``onnx/model.onnx``,
``onnx/model_qint8_<cpu>.onnx`` and ``statements_qa.json`` (what running it without the library needs), written in a
temporary folder and renamed into place (two processes exporting at once both finish; one folder is kept).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.problems import StatementsError, one_line

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BACKENDS = ("onnx-int8", "onnx", "torch")  # how the encoder runs: ONNX Runtime (int8 or fp32 weights) or torch
DEFAULT_BACKEND = "onnx-int8"  # chosen by benchmarks/encoder_backends.py (benchmarks/README.md)
BACKEND_VARIABLE = "STATEMENTS_QA_ENCODER"  # another backend, for every command and the Python API
FP32_FILE = "onnx/model.onnx"
SETTINGS_FILE = "statements_qa.json"  # sequence length, lower-casing and pooling, read by onnx_runtime_encoder
EXPORT_VERSION = 2  # part of the cache folder's name: a new layout is exported again


@dataclass(frozen=True)
class OnnxModel:
    """An exported model: the sentence-transformers folder and the ONNX file in it to run."""

    folder: Path
    file_name: str  # relative to ``folder``

    @property
    def path(self) -> Path:
        return self.folder / self.file_name


def configured_backend(backend: str | None = None) -> str:
    """The backend asked for (else ``$STATEMENTS_QA_ENCODER``, else ``DEFAULT_BACKEND``), checked."""
    chosen = (backend or os.environ.get(BACKEND_VARIABLE) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise StatementsError(f"unknown encoder backend {chosen!r} (from {BACKEND_VARIABLE} or the settings): "
                              f"use one of {', '.join(BACKENDS)}")
    return chosen


def cache_root() -> Path:
    """Where exported models are kept (the module says where)."""
    if os.environ.get("STATEMENTS_QA_CACHE"):
        return Path(os.environ["STATEMENTS_QA_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "statements-qa"


def quantization_target() -> str:
    """The int8 kernel set for this CPU, as sentence-transformers names them."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    flags = _cpu_flags()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def exported(model_path: str, quantized: bool) -> OnnxModel:
    """The ONNX export of the sentence-transformers model at ``model_path`` (a local folder), made on first use."""
    folder = cache_root() / "onnx" / _folder_name(model_path)
    target = quantization_target()
    model = OnnxModel(folder, f"onnx/model_qint8_{target}.onnx" if quantized else FP32_FILE)
    if not (model.path.exists() and (folder / SETTINGS_FILE).exists()):
        _export(model_path, folder, target)
    return model


def _export(model_path: str, folder: Path, target: str) -> None:
    """Export both files into a new folder beside ``folder``, then move it into place."""
    print(f"exporting the embedding model to ONNX (once, into {folder.parent}) ...", file=sys.stderr, flush=True)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    except OSError as exc:
        raise StatementsError(f"cannot write the ONNX export into {folder.parent}: {one_line(exc)} "
                              "(set STATEMENTS_QA_CACHE to a writable folder)") from None
    try:
        with _quiet():
            from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

            model = SentenceTransformer(model_path, device="cpu", backend="onnx")
            model.save_pretrained(str(tmp))
            export_dynamic_quantized_onnx_model(model, target, str(tmp))
            (tmp / SETTINGS_FILE).write_text(json.dumps(_settings(model)) + "\n", encoding="utf-8")
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(folder)  # an older, partial export (a newer one from another process is as good)
        os.replace(tmp, folder)
    except OSError as exc:
        if not (folder / FP32_FILE).exists():  # else another process put its export in place first: use it
            raise StatementsError(f"cannot write the ONNX export into {folder.parent}: {one_line(exc)}") from None
    except Exception as exc:  # optimum and onnx raise many kinds; the user needs one line
        raise StatementsError(f"cannot export embedding model {model_path!r} to ONNX: {one_line(exc)} "
                              f"(set {BACKEND_VARIABLE}=torch to skip the export)") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _settings(model: SentenceTransformer) -> dict[str, object]:
    """What running the export without sentence-transformers needs to know, in a form no library version changes:
    the sequence length, lower-casing and pooling ("mean", "cls" or none this project runs itself)."""
    from embeddings.encoding.sentence_pooling import pools_by_mean

    modes = [getattr(m, "pooling_mode", None) for m in model]
    cls_only = [m for m in modes if m is not None] == ["cls"]
    return {"max_seq_length": model.max_seq_length, "do_lower_case": bool(getattr(model, "do_lower_case", False)),
            "pooling": "mean" if pools_by_mean(model) else "cls" if cls_only else None}


def _folder_name(model_path: str) -> str:
    """A cache folder name for a model: its folder's name and a hash of its path and weights' size and time."""
    path = Path(model_path).resolve()
    weights = [p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()]
    stamp = "".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights)
    digest = hashlib.sha256(f"{path}|{stamp}|{EXPORT_VERSION}".encode()).hexdigest()[:12]
    return f"{path.name}-{digest}"


def _cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux), or none known."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Without the exporter's warnings and advice ("save the exported model"): the one line above says it all."""
    loggers = [logging.getLogger(name) for name in ("sentence_transformers", "optimum", "transformers")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
