"""The attribution token tagger (the bundled encoder with a LoRA adapter and a head, trained on PolNeAR train) and
how its spans join the rules', on fictional news. Speakers, places and organisations are invented.
"""
from __future__ import annotations

import pytest

from corpus.attribution import attribute, extraction
from corpus.attribution import span_tagger as st
from corpus.attribution.linking import COMBINATIONS, combine
from corpus.attribution.model import Found

PARAGRAPH = (
    "Valdoria's harbour minister, Ilya Brannock, said on Tuesday that the ferry talks with Ostrava had collapsed. "
    "“We will not sign a deal that empties our nets,” he told reporters in Castelmar."
)


@pytest.fixture(scope="module")
def tagger() -> st.TokenTagger:
    found = st.token_tagger()
    assert found is not None, "the tagger's files are missing from corpus/models/attribution_tagger"
    return found


def test_only_the_adapter_and_head_ship_small(tagger: st.TokenTagger) -> None:
    files = {p.name: p.stat().st_size for p in st.MODEL_DIR.iterdir()}
    assert set(files) == {"adapter_model.safetensors", "adapter_config.json", "head.safetensors", "tagger.json"}
    assert sum(files.values()) <= 10_000_000


def test_a_news_paragraph_is_tagged_sensibly(tagger: st.TokenTagger) -> None:
    spans = tagger.tag([PARAGRAPH])[0]
    text = [[PARAGRAPH[a:b] for a, b in group] for group in (spans.source, spans.cue, spans.content)]
    sources, cues, contents = text
    assert any("Brannock" in s for s in sources), text
    assert "he" in sources, text
    assert "said" in cues and "told" in cues, text
    assert any(c.endswith("the ferry talks with Ostrava had collapsed") for c in contents), text
    assert any("We will not sign a deal that empties our nets" in c for c in contents), text
    assert not any("Brannock" in c or "reporters" in c for c in contents), text


def test_batches_and_long_texts_give_the_same_spans(tagger: st.TokenTagger) -> None:
    filler = "The harbour of Kessmouth was quiet on Monday and the ferries ran on time. " * 40
    long_text = filler + PARAGRAPH
    alone = [tagger.tag([t])[0] for t in (PARAGRAPH, long_text)]
    together = tagger.tag([PARAGRAPH, long_text])
    assert [a.content for a in alone] == [b.content for b in together]
    shift = len(filler)
    assert [(a - shift, b - shift) for a, b in together[1].content if a >= shift] == list(together[0].content)


def test_the_attribution_step_links_the_tagged_spans() -> None:
    rows = [(PARAGRAPH[a.cue_start:a.cue_end], a.speaker, PARAGRAPH[a.content_start:a.content_end])
            for a in attribute(PARAGRAPH)]
    assert any(cue == "said" and speaker == "Ilya Brannock" and content.endswith("had collapsed")
               for cue, speaker, content in rows), rows
    assert any(cue == "told" and speaker == "Ilya Brannock" and "empties our nets" in content
               for cue, speaker, content in rows), rows


def test_without_the_files_the_rules_and_crf_still_work(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(st, "MODEL_DIR", tmp_path)  # an empty folder: no tagger files
    st.token_tagger.cache_clear()
    try:
        assert st.token_tagger() is None
        found = attribute(PARAGRAPH)
        assert any(PARAGRAPH[a.cue_start:a.cue_end] == "said" and a.speaker == "Ilya Brannock" for a in found)
    finally:
        monkeypatch.undo()
        st.token_tagger.cache_clear()
    assert extraction.token_tagger() is not None


def test_the_merged_adapter_equals_peft_loading_it(tagger: st.TokenTagger) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModel

    from corpus.tokens import default_model_path

    exact = st.TokenTagger(dtype="float32")
    base = AutoModel.from_pretrained(default_model_path(), add_pooling_layer=False)
    with_peft = PeftModel.from_pretrained(base, str(st.MODEL_DIR)).eval()
    ids = torch.tensor([[exact.cls, *exact.tokenizer.encode(PARAGRAPH, add_special_tokens=False).ids, exact.sep]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        merged = exact.model(input_ids=ids, attention_mask=mask).last_hidden_state
        adapted = with_peft(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(merged, adapted, atol=1e-3)


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
