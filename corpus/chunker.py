"""Group whole consecutive sentences of a statement into chunks that fit the embedding model."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from corpus.chunk import Chunk
from corpus.sentences import split_sentences
from corpus.statement import Statement
from corpus.tokens import TokenCounter, token_counter

DEFAULT_MAX_TOKENS = 256 - 2
"""The default budget for the default model. all-MiniLM-L6-v2 reads at most ``max_seq_length``
256 tokens and truncates the rest; [CLS] and [SEP] take 2 of them, so a chunk of at most 254
tokens is embedded whole, while a larger budget would lose text silently. A smaller budget
would give more, finer chunks (the model was trained on 128-token inputs) but more embedding
time and less context per quote. With another model the default is worked out the same way:
its ``max_seq_length`` minus its special tokens."""

_BATCH_STATEMENTS = 64


class _Unit(NamedTuple):
    start: int
    end: int
    tokens: int


def _separated(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a character the tokenizer treats as a space.

    Token counts of two texts add up when they are joined by such a character; characters
    that only Python calls whitespace (U+0085, U+001C...) are dropped by the tokenizer and
    would glue the neighbouring words together.
    """
    return any(c in " \t\n\r" or unicodedata.category(c) == "Zs" for c in text[start:end])


class Chunker:
    """Splits statements into chunks of whole sentences within a token budget.

    * Sentences come from ``corpus.sentences.split_sentences``; each is counted once with the
      embedding model's tokenizer (in batches), and a chunk's count is the sum of its
      sentences' counts: what the tokenizer gives for the chunk text when the sentences are
      separated by a space; where two sentences touch (no space between), the chunk text
      is counted again instead.
    * A sentence over the budget is cut into pieces that fit, at whitespace where possible,
      else between the tokenizer's words (at punctuation, between CJK characters); the pieces
      become the "sentences" of their chunks. A word is never cut, so with budgets under 100
      tokens one very long word can exceed the budget alone (the tokenizer maps words over
      100 characters to a single [UNK]; with the default budget this cannot happen).
    * ``max_tokens`` defaults to the model's ``max_seq_length`` minus its special tokens:
      ``DEFAULT_MAX_TOKENS`` = 254 for the default model.
    * ``overlap_sentences=N`` repeats the last N sentences of a chunk at the start of the
      next, fewer when N of them plus the next new sentence would not fit the budget.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        overlap_sentences: int = 0,
        token_counter: TokenCounter | None = None,
    ) -> None:
        if max_tokens is not None and max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if overlap_sentences < 0:
            raise ValueError("overlap_sentences must be 0 or more")
        self._max_tokens = max_tokens
        self.overlap_sentences = overlap_sentences
        self._counter = token_counter

    @property
    def max_tokens(self) -> int:
        """The token budget per chunk (default: what the counter's model reads, see above)."""
        if self._max_tokens is None:
            self._max_tokens = max(1, self.counter.max_seq_length - self.counter.special_tokens)
        return self._max_tokens

    @property
    def settings(self) -> dict[str, Any]:
        """What decides the chunks, recorded in an index's manifest."""
        return {
            "max_tokens": self.max_tokens,
            "overlap_sentences": self.overlap_sentences,
            "splitter": "blingfire",
        }

    @property
    def counter(self) -> TokenCounter:
        """The token counter (the shared default one unless given)."""
        if self._counter is None:
            self._counter = token_counter()
        return self._counter

    def chunk(self, statement: Statement) -> list[Chunk]:
        """The chunks of one statement, in order (none for a blank text)."""
        return self.chunk_many([statement])

    def chunk_many(self, statements: Iterable[Statement]) -> list[Chunk]:
        """The chunks of all ``statements``, in order; sentences are counted in batches."""
        return list(self.iter_chunks(statements))

    def iter_chunks(self, statements: Iterable[Statement]) -> Iterator[Chunk]:
        """Like ``chunk_many`` but lazily, a batch of statements at a time."""
        it = iter(statements)
        while batch := list(islice(it, _BATCH_STATEMENTS)):
            spans = [split_sentences(s.text) for s in batch]
            sentences = [s.text[a:b] for s, sp in zip(batch, spans) for a, b in sp]
            counts = iter(self.counter.count_many(sentences))
            for statement, sentence_spans in zip(batch, spans):
                units = self._units(statement.text, sentence_spans, counts)
                yield from self._pack(statement, units)

    def _units(self, text: str, spans: list[tuple[int, int]], counts: Iterator[int]) -> list[_Unit]:
        units: list[_Unit] = []
        for (start, end), tokens in zip(spans, counts):
            if tokens <= self.max_tokens:
                units.append(_Unit(start, end, tokens))
            else:
                units.extend(self._split_long(text, start, end))
        return units

    def _split_long(self, text: str, start: int, end: int) -> list[_Unit]:
        """Cut one over-long sentence between tokenizer words, preferring whitespace."""
        encoding = self.counter.encode(text[start:end])
        words: list[list[int]] = []  # [absolute start of the word's first token, tokens]
        last_word = None
        for word_id, (offset, _) in zip(encoding.word_ids, encoding.offsets):
            if word_id is not None and word_id == last_word:
                words[-1][1] += 1
            else:
                words.append([start + offset, 1])
            last_word = word_id
        cuts: list[int] = []  # indexes of the words that start a new piece
        first, tokens, last_space = 0, 0, None
        for j, (position, n) in enumerate(words):
            if j > first and tokens + n > self.max_tokens:
                carry = sum(w[1] for w in words[last_space:j]) if last_space is not None else 0
                if last_space is not None and carry + n <= self.max_tokens:
                    cuts.append(last_space)
                    first, tokens = last_space, carry
                else:
                    if last_space is not None:
                        cuts.append(last_space)
                    cuts.append(j)
                    first, tokens = j, 0
                last_space = None
            if j > first and position > start and text[position - 1].isspace():
                last_space = j
            tokens += n
        units: list[_Unit] = []
        piece_start, first = start, 0
        for cut in [*cuts, len(words)]:
            piece_end = words[cut][0] if cut < len(words) else end
            if piece_end <= piece_start:  # two words at one offset (rare): keep them together
                continue
            a, b = piece_start, piece_end
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                units.append(_Unit(a, b, sum(w[1] for w in words[first:cut])))
            piece_start, first = piece_end, cut
        return units

    def _fill(self, text: str, units: list[_Unit], i: int) -> int:
        """The end index of the chunk starting at unit ``i``: as many units as fit."""
        total, j, budget = 0, i, self.max_tokens
        while j < len(units):
            unit = units[j]
            if j > i and not _separated(text, units[j - 1].end, unit.start):
                candidate = self.counter.count(text[units[i].start : unit.end])
            else:
                candidate = total + unit.tokens
            if j > i and candidate > budget:
                break
            total, j = candidate, j + 1
        return j

    def _pack(self, statement: Statement, units: list[_Unit]) -> list[Chunk]:
        text, i = statement.text, 0
        chunks: list[Chunk] = []
        while i < len(units):
            j = self._fill(text, units, i)
            chunks.append(self._make(statement, len(chunks), units[i:j]))
            if j >= len(units):
                break
            nxt = max(i + 1, j - self.overlap_sentences)
            while nxt < j and sum(u.tokens for u in units[nxt : j + 1]) > self.max_tokens:
                nxt += 1
            if nxt < j and self._fill(text, units, nxt) <= j:
                nxt = j
            i = nxt
        return chunks

    @staticmethod
    def _make(statement: Statement, index: int, units: list[_Unit]) -> Chunk:
        start, end = units[0].start, units[-1].end
        return Chunk(
            statement_id=statement.id,
            index=index,
            start=start,
            end=end,
            text=statement.text[start:end],
            sentences=tuple((u.start, u.end) for u in units),
        )
