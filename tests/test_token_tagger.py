"""The attribution token tagger (the bundled encoder with a LoRA adapter and a head, trained on PolNeAR train by
``benchmarks/train_token_tagger.py``) and how its spans join the rules', on fictional news: loading, merging and
batching on an untrained adapter written as training writes it, linking and combining on given spans. Speakers,
places and organisations are invented.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus.attribution import attribute
from corpus.attribution import span_tagger as st
from corpus.attribution.linking import COMBINATIONS, combine
from corpus.attribution.model import Found

PARAGRAPH = (
    "Valdoria's harbour minister, Ilya Brannock, said on Tuesday that the ferry talks with Ostrava had collapsed. "
    "“We will not sign a deal that empties our nets,” he told reporters in Castelmar."
)


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tagger folder as ``benchmarks/train_token_tagger.py`` writes it (``save_tagger``), holding an untrained
    adapter and head (random, fixed seed; the adapter is not zero, so merging it changes the encoder): what
    loading, merging and batching must get right, whatever the weights."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel

    from corpus.tokens import default_model_path

    torch.manual_seed(7)
    base = AutoModel.from_pretrained(default_model_path(), add_pooling_layer=False)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["query", "key", "value", "dense"],
                        layers_to_transform=[4, 5], init_lora_weights=False)
    peft_model = get_peft_model(base, config)
    head = torch.nn.Linear(base.config.hidden_size, len(st.LABELS))
    folder = tmp_path_factory.mktemp("tagger")
    st.save_tagger(folder, peft_model, head, {"window": 64, "stride": 32, "dtype": "float32"})
    return folder


@pytest.fixture(scope="module")
def tagger(tagger_dir: Path) -> st.TokenTagger:
    return st.TokenTagger(tagger_dir)


def test_a_tagger_folder_holds_only_the_adapter_and_head(tagger_dir: Path) -> None:
    files = {p.name: p.stat().st_size for p in tagger_dir.iterdir()}
    assert set(files) == {"adapter_model.safetensors", "adapter_config.json", "head.safetensors", "tagger.json"}
    assert sum(files.values()) <= 10_000_000


def test_a_batch_tags_each_text_as_it_would_alone(tagger: st.TokenTagger) -> None:
    filler = "The harbour of Kessmouth was quiet on Monday and the ferries ran on time. " * 12
    texts = [PARAGRAPH, filler + PARAGRAPH, "Short."]
    alone = [tagger.tag([t])[0] for t in texts]
    assert tagger.tag(texts, batch_size=2) == alone  # padding and window order change nothing


def test_the_merged_adapter_equals_peft_loading_it(tagger_dir: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModel

    from corpus.tokens import default_model_path

    exact = st.TokenTagger(tagger_dir, dtype="float32")
    base = AutoModel.from_pretrained(default_model_path(), add_pooling_layer=False)
    plain = AutoModel.from_pretrained(default_model_path(), add_pooling_layer=False).eval()
    with_peft = PeftModel.from_pretrained(base, str(tagger_dir)).eval()
    ids = torch.tensor([[exact.cls, *exact.tokenizer.encode(PARAGRAPH, add_special_tokens=False).ids, exact.sep]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        merged = exact.model(input_ids=ids, attention_mask=mask).last_hidden_state
        adapted = with_peft(input_ids=ids, attention_mask=mask).last_hidden_state
        unadapted = plain(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(merged, adapted, atol=1e-3)
    assert not torch.allclose(merged, unadapted, atol=1e-3)  # the adapter did change the encoder


def test_tagged_spans_are_linked_through_the_parse() -> None:
    from corpus.attribution.linking import Linker
    from corpus.attribution.parsing import english_pipeline
    from corpus.attribution.rules import RuleFinder

    def at(words: str) -> tuple[int, int]:
        start = PARAGRAPH.index(words)
        return start, start + len(words)

    doc = english_pipeline()(PARAGRAPH)
    quote = "“We will not sign a deal that empties our nets,”"
    spans = st.TaggedSpans(source=(at("Ilya Brannock"), at("he")), cue=(at("said"), at("told")),
                           content=(at("the ferry talks with Ostrava had collapsed"), at(quote)))
    found = Linker(doc, RuleFinder(doc, ""), spans).found()
    links = {PARAGRAPH[f.content[0] : f.content[1]]: (PARAGRAPH[f.cue[0] : f.cue[1]], f.source.text if f.source else "")
             for f in found}
    assert links["the ferry talks with Ostrava had collapsed"] == ("said", "Ilya Brannock")
    assert links[quote] == ("told", "he")


def test_without_the_files_the_rules_and_crf_work_and_with_them_the_tagger_is_used(
    tagger_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        for folder, expected in ((tmp_path, False), (tagger_dir, True)):
            monkeypatch.setattr(st, "MODEL_DIR", folder)
            st.token_tagger.cache_clear()
            assert (st.token_tagger() is not None) is expected
            found = attribute(PARAGRAPH)
            if not expected:
                assert any(PARAGRAPH[a.cue_start:a.cue_end] == "said" and a.speaker == "Ilya Brannock" for a in found)
    finally:
        monkeypatch.undo()
        st.token_tagger.cache_clear()


# -- labels, windows and spans, without the model ---------------------------------------------------------------
TEXT = "“The nets are empty,” Rook said. “We sail anyway.” Voss disagreed."


def _at(words: str, after: int = 0) -> tuple[int, int]:
    start = TEXT.index(words, after)
    return start, start + len(words)


def test_labels_and_spans_round_trip_with_an_interrupted_quote() -> None:
    from tokenizers import Tokenizer

    from corpus.tokens import default_model_path

    tokenizer = Tokenizer.from_file(default_model_path() + "/tokenizer.json")
    enc = tokenizer.encode(TEXT, add_special_tokens=False)
    quotes = (_at("“The nets are empty,”"), _at("“We sail anyway.”"))
    gold = [st.GoldAttribution((_at("Rook"),), (_at("said"),), quotes),
            st.GoldAttribution((_at("Voss"),), (_at("disagreed"),), ())]
    labels = st.labels_for(TEXT, enc.offsets, gold)
    spans = st.decode(TEXT, enc.offsets, labels, enc.word_ids)
    assert [TEXT[a:b] for a, b in spans.source] == ["Rook", "Voss"]
    assert [TEXT[a:b] for a, b in spans.cue] == ["said", "disagreed"]
    assert [TEXT[a:b] for a, b in spans.content] == ["“The nets are empty,” Rook said. “We sail anyway.”"]


@pytest.mark.parametrize(("n", "window", "stride"), [(0, 256, 128), (10, 256, 128), (254, 256, 128),
                                                     (255, 256, 128), (1000, 256, 128), (1000, 256, 254)])
def test_windows_cover_every_token_once(n: int, window: int, stride: int) -> None:
    ranges = st.windows(n, window, stride)
    assert all(b - a <= window - 2 for a, b in ranges)
    decided = [i for lo, hi in st.owned(ranges) for i in range(lo, hi)]
    assert decided == list(range(n))
    assert all(a <= lo and hi <= b for (a, b), (lo, hi) in zip(ranges, st.owned(ranges)))


def test_nested_speech_stays_apart_when_combined() -> None:
    outer = Found((10, 90), (0, 9), None, "indirect")
    nested_with_source = Found((60, 90), (50, 59), object(), "indirect")  # type: ignore[arg-type]
    for how in COMBINATIONS.values():
        kept = combine([outer, nested_with_source], [Found((10, 90), (0, 9), None, "indirect")], how)
        assert nested_with_source in kept
