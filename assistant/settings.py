"""How sentences are scored and quotes are built (benchmarks/tune_sentences.py, benchmarks/qa.py --tune)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractionSettings:
    """Weights and limits of sentence scoring and quote building.

    A sentence scores ``dense_weight × similarity to the question + topic_weight × similarity to its topic +
    lexical_weight × topic words + passage_weight × passage score + quoted_weight × (quoted directly)``
    (minus ``speaker_weight`` times the missing evidence when a speaker is asked about).
    """

    max_quotes: int = 3
    max_sentences: int = 2  # per quote
    # Weights searched on the tune part of the blind question sets and SQuAD articles 0-9
    # (benchmarks/tune_sentences.py): the topic's meaning and words decide, the passage only breaks ties.
    dense_weight: float = 0.3
    topic_weight: float = 0.4
    lexical_weight: float = 0.2
    passage_weight: float = 0.1
    quoted_weight: float = 0.05  # words in quote marks credited to someone: their own words, not a paraphrase
    join_ratio: float = 0.6  # join a neighbour scoring at least this share of the best sentence (SQuAD sample)
    keep_ratio: float = 0.75  # further quotes must score at least this share of the first
    abstain_below: float = 0.40  # topic match under which nothing counts as an answer (qa.py --calibrate)
    # When a speaker is asked about, a sentence holding only some of the topic's words ("walls" for "the Great
    # Green Wall") counts by words no more than ``partial_words_margin`` above its meaning match, unless it
    # holds ``whole_topic`` of them (QuoteBuilder.topic_match).
    whole_topic: float = 0.75
    partial_words_margin: float = 0.25
    speaker_weight: float = 0.3
    encode_top: int = 8  # sentences without stored vectors encoded per question (0: all)
    stored_sentence_vectors: bool = True  # use the index's sentence vectors when it has them
