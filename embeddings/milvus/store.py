"""Statements, chunks, vectors and attributions in Milvus collections (see ``embeddings.milvus.schema``).

Writing is restartable without transactions: a statement's texts, chunks and sentence vectors are
replaced first and its ``statements`` row, which carries the content hash, is written last. A run
killed half-way leaves statements either complete or without a row; the next run sees those as new,
deletes whatever parts they have and writes them again, so nothing is indexed twice.
"""
from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

from corpus.attribution import SPEAKER_CONFIDENCE, Attribution
from corpus.chunk import Chunk
from corpus.problems import StatementsError
from corpus.statement import PageSpan, Statement
from embeddings.backend.fields import COLUMN_KEYS
from embeddings.backend.interface import folded
from embeddings.backend.terms import tokenize
from embeddings.backend.writing import searched_text
from embeddings.milvus.filters import filter_fields, literal
from embeddings.milvus.schema import TEXT_PART, MilvusLocation, key_of, milvus_error, placeholder_key

HEADER_FIELDS = ["statement_id", "title", "speaker", "source", "date", "url", "path", "metadata", "speakers"]
CHUNK_FIELDS = ["id", "statement_id", "position", "start", "end", "text", "sentences"]
PAGE = 1000  # rows per query page (ids per ``in`` list)
TERM_TOTAL_ID = "term_total"  # the meta row counting all terms of all chunks
KEPT = 1024  # statements an opened index keeps in memory


@dataclass(frozen=True)
class PreparedStatement:
    """A statement ready to write: its chunks with their vectors, sentence vectors and attributions."""

    statement: Statement
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray  # one row per chunk, float32
    sentence_vectors: tuple[np.ndarray, ...] | None  # per chunk, one row per sentence (mean-pooling models)
    attributions: tuple[Attribution, ...]
    context: str = ""  # the statement's context fields: counted by BM25 with every chunk, never quoted


def chunk_id(statement: Statement, position: int) -> int:
    """A chunk's id: stable for the same statement content and position (a retried write is idempotent)."""
    return key_of(statement.id, statement.content_hash, position)


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _one_line(method: _Method) -> _Method:
    """Milvus' errors as one line naming the index (``StatementsError``), never a traceback."""

    @functools.wraps(method)
    def wrapper(self: MilvusStatementStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except StatementsError:
            raise
        except Exception as exc:  # pymilvus raises many kinds; the user needs one line
            raise milvus_error(exc, self.location) from None

    return cast(_Method, wrapper)


class MilvusStatementStore:
    """Reads and writes an index's collections through one ``MilvusClient``."""

    def __init__(self, client: Any, location: MilvusLocation, counts: tuple[int, int] | None = None) -> None:
        """``counts``: the statements and chunks of the generation a reader opened (a writer counts live)."""
        self.client = client
        self.location = location
        self._counts = counts
        self.has_attribution_table = True
        self._headers: list[Statement] | None = None
        self._df: dict[str, int] | None = None  # while writing: chunks holding each term
        self._total = 0  # while writing: terms in all chunks
        self._statements: OrderedDict[str, tuple[Statement, list[Attribution]]] = OrderedDict()
        self._speakers: dict[str, dict[str, int]] | None = None
        self._speaker_counts: dict[str, int] | None = None

    def _name(self, collection: str) -> str:
        return self.location.collection(collection)

    def _all(self, collection: str, fields: list[str], expression: str = "id >= 0") -> Iterator[dict[str, Any]]:
        """Every row of a collection matching ``expression``, page by page."""
        iterator = self.client.query_iterator(
            self._name(collection), batch_size=PAGE, filter=expression, output_fields=fields
        )
        try:
            while True:
                page = iterator.next()
                if not page:
                    return
                yield from page
        finally:
            iterator.close()

    @_one_line
    def _count(self, collection: str) -> int:
        rows = self.client.query(self._name(collection), filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def close(self) -> None:
        """Nothing to release: the client belongs to the index."""

    # -- writing -------------------------------------------------------------------------
    @_one_line
    def content_hashes(self) -> dict[str, str]:
        """Statement id → content hash of every complete statement."""
        return {r["statement_id"]: r["content_hash"] for r in self._all("statements", ["statement_id", "content_hash"])}

    @_one_line
    def partial_statements(self) -> set[str]:
        """Ids of statements with parts written but no row: left by a killed write."""
        written = {r["statement_id"] for r in self._all("texts", ["statement_id"])}
        return written - set(self.content_hashes())

    @_one_line
    def put_many(self, items: Sequence[PreparedStatement], replace: Collection[str] = ()) -> None:
        """Insert statements with their chunks, vectors and attributions (statement rows last); the parts of
        those in ``replace`` (changed, or partly written before) are deleted first."""
        if not items:
            return
        self.delete_parts([item.statement.id for item in items if item.statement.id in replace])
        texts: list[dict[str, Any]] = []
        chunks: list[dict[str, Any]] = []
        sentences: list[dict[str, Any]] = []
        statements: list[dict[str, Any]] = []
        counted: list[list[str]] = []
        for item in items:
            st = item.statement
            parts = [st.text[i : i + TEXT_PART] for i in range(0, len(st.text), TEXT_PART)] or [""]
            texts += [
                {"id": key_of(st.id, n), "statement_id": st.id, "part": n, "text": part, "key": placeholder_key()}
                for n, part in enumerate(parts)
            ]
            fields = filter_fields(st, item.attributions)
            chunk_terms = tokenize([searched_text(c.text, item.context) for c in item.chunks]) if item.chunks else []
            for j, c in enumerate(item.chunks):
                cid = chunk_id(st, c.index)
                counted.append(chunk_terms[j])
                chunks.append({
                    "id": cid, "statement_id": st.id, "position": c.index, "start": c.start, "end": c.end,
                    "text": c.text, "terms": " ".join(chunk_terms[j]), "sentences": [list(s) for s in c.sentences],
                    "date": st.date, "fields": fields, "dense": np.asarray(item.vectors[j], np.float32).tolist(),
                })
                if item.sentence_vectors is not None:
                    sentences += [
                        {"id": f"{cid}:{k}", "chunk_id": cid, "statement_id": st.id, "position": k,
                         "vector": np.asarray(v, np.float32).tolist()}
                        for k, v in enumerate(item.sentence_vectors[j])
                    ]
            statements.append(_statement_row(st, item.attributions, len(parts)))
        for collection, rows in (("texts", texts), ("chunks", chunks), ("sentences", sentences)):
            for lo in range(0, len(rows), PAGE):
                self.client.insert(self._name(collection), rows[lo : lo + PAGE])
        self._count_terms(counted, +1)
        self.client.upsert(self._name("statements"), statements)

    @_one_line
    def delete(self, statement_ids: Sequence[str]) -> None:
        """Delete statements: their rows first (so each is gone at once), then their parts."""
        for lo in range(0, len(statement_ids), PAGE):
            part = list(statement_ids[lo : lo + PAGE])
            self.client.delete(self._name("statements"), ids=[key_of(i) for i in part])
        self.delete_parts(statement_ids)

    @_one_line
    def delete_parts(self, statement_ids: Sequence[str]) -> None:
        """Delete the texts, chunks and sentence vectors of statements (left by a replaced or killed write)."""
        for lo in range(0, len(statement_ids), PAGE):
            part = list(statement_ids[lo : lo + PAGE])
            gone = self._all("chunks", ["terms"], f"statement_id in {literal(part)}")
            self._count_terms([r["terms"].split() for r in gone], -1)
            for collection in ("texts", "chunks", "sentences"):
                self.client.delete(self._name(collection), filter=f"statement_id in {literal(part)}")

    # -- reading -------------------------------------------------------------------------
    def count_statements(self) -> int:
        return self._counts[0] if self._counts is not None else self._count("statements")

    def count_chunks(self) -> int:
        return self._counts[1] if self._counts is not None else self._count("chunks")

    @_one_line
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        """Chunks by id (missing ids are absent from the result)."""
        out: dict[int, Chunk] = {}
        wanted = [int(i) for i in chunk_ids]
        for lo in range(0, len(wanted), PAGE):
            rows = self.client.get(self._name("chunks"), ids=wanted[lo : lo + PAGE], output_fields=CHUNK_FIELDS)
            out.update((int(r["id"]), _chunk(r)) for r in rows)
        return out


    @_one_line
    def chunks_of(self, statement_id: str) -> list[tuple[int, Chunk]]:
        """All chunks of one statement with their ids, in order."""
        rows = self._all("chunks", CHUNK_FIELDS, f"statement_id == {literal(statement_id)}")
        return sorted(((int(r["id"]), _chunk(r)) for r in rows), key=lambda pair: pair[1].index)

    def statements(self, ids: Sequence[str]) -> dict[str, Statement]:
        """Statements by id, with their texts (missing ids are absent from the result)."""
        return {i: st for i, (st, _) in self._read(ids).items()}

    def attributions_of(self, statement_ids: Sequence[str]) -> dict[str, list[Attribution]]:
        """Each statement's attributions in text order."""
        return {i: found for i, (_, found) in self._read(statement_ids).items() if found}

    @_one_line
    def _read(self, ids: Sequence[str]) -> dict[str, tuple[Statement, list[Attribution]]]:
        """Statements with their attributions; the latest ``KEPT`` are kept (an opened index is one generation)."""
        out = {i: self._statements[i] for i in ids if i in self._statements}
        wanted = [i for i in dict.fromkeys(ids) if i not in out]
        for lo in range(0, len(wanted), PAGE):
            part = wanted[lo : lo + PAGE]
            rows = self.client.get(self._name("statements"), ids=[key_of(i) for i in part],
                                   output_fields=[*HEADER_FIELDS, "pages", "attributions"])
            if not rows:
                continue
            texts: dict[str, list[tuple[int, str]]] = {}
            for t in self._all("texts", ["statement_id", "part", "text"], f"statement_id in {literal(part)}"):
                texts.setdefault(t["statement_id"], []).append((int(t["part"]), t["text"]))
            for r in rows:
                sid = r["statement_id"]
                text = "".join(piece for _, piece in sorted(texts.get(sid, [])))
                found = [Attribution(*a) for a in r["attributions"] or ()]
                out[sid] = self._statements[sid] = (_statement(r, text), found)
        while len(self._statements) > KEPT:
            self._statements.popitem(last=False)
        return out

    def attributed_speakers(self) -> list[tuple[str, str, int]]:
        """(speaker, statement id, attributions) for every speaker found with confidence in a statement's text."""
        found = [(name, sid, n) for sid, names in self._speaker_map().items() for name, n in names.items()]
        return sorted(found)

    def speaker_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Speakers named in the metadata or found in the text, with how many statements they speak in, by name."""
        return sorted(self._speaker_statements().items())[:limit]

    def count_speakers(self) -> int:
        """How many distinct speakers (names as written) the metadata names or the text is found to quote."""
        return len(self._speaker_statements())

    def speakers_matching(self, text: str, limit: int = 50) -> list[tuple[str, int]]:
        """Speakers whose name holds ``text`` (compared ``folded``; "" is in every name) with how many statements
        they speak in: names with a word starting with it first, then most statements first, then by name; at
        most ``limit``."""
        wanted = folded(text)
        found = [(name, n) for name, n in self._speaker_statements().items() if wanted in folded(name)]
        return sorted(found, key=lambda pair: (f" {wanted}" not in f" {folded(pair[0])}", -pair[1], pair[0]))[:limit]

    def _speaker_statements(self) -> dict[str, int]:
        """Every speaker named in the metadata or found in the text, with how many statements they speak in
        (counted once per opened index, as the headers are read)."""
        if self._speaker_counts is None:
            statements: dict[str, set[str]] = {}
            for st in self._header_list():
                if st.speaker:
                    statements.setdefault(st.speaker, set()).add(st.id)
            for sid, names in self._speaker_map().items():
                for name in names:
                    statements.setdefault(name, set()).add(sid)
            self._speaker_counts = {name: len(ids) for name, ids in statements.items()}
        return self._speaker_counts

    def iter_statements(self) -> Iterator[Statement]:
        """Every statement, in id order."""
        ids = [st.id for st in self._header_list()]
        for lo in range(0, len(ids), 100):
            found = self.statements(ids[lo : lo + 100])
            yield from (found[i] for i in ids[lo : lo + 100] if i in found)

    def headers(self) -> Iterator[Statement]:
        """Every statement without its text, in id order."""
        return iter(self._header_list())

    def has_dates(self) -> bool:
        return any(st.date for st in self._header_list())

    def distinct_values(self, key: str, limit: int = 500) -> list[str]:
        """Distinct non-empty values of a column (for filter menus)."""
        if key not in COLUMN_KEYS:
            raise ValueError(f"not a statement column: {key}")
        return sorted({str(getattr(st, key)) for st in self._header_list() if getattr(st, key)})[:limit]

    def date_range(self) -> tuple[str, str]:
        """Earliest and latest date, or empty strings."""
        dates = [st.date for st in self._header_list() if st.date]
        return (min(dates), max(dates)) if dates else ("", "")

    @_one_line
    def sentence_vectors(self, chunk_id: int) -> np.ndarray | None:
        """A chunk's sentence vectors in order, or None if it has none."""
        rows = self.client.query(self._name("sentences"), filter=f"chunk_id == {int(chunk_id)}",
                                 output_fields=["position", "vector"])
        if not rows:
            return None
        rows.sort(key=lambda r: r["position"])
        return np.asarray([r["vector"] for r in rows], dtype=np.float32)

    @_one_line
    def terms(self) -> list[str]:
        """Every indexed term (for spelling correction)."""
        return [r["id"] for r in self._all("terms", ["id"], "df > 0")]  # terms are word characters: no quoting

    @_one_line
    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each of ``terms`` (absent: none)."""
        rows = self.client.get(self._name("terms"), ids=[t[:256] for t in terms], output_fields=["df"])
        return {r["id"]: int(r["df"]) for r in rows}

    @_one_line
    def term_total(self) -> int:
        """How many terms the chunks hold in all (BM25's average chunk length is this over the chunk count)."""
        rows = self.client.get(self._name("meta"), ids=[TERM_TOTAL_ID], output_fields=["value"])
        return int(rows[0]["value"]["terms"]) if rows else 0

    def _count_terms(self, chunk_terms: Iterable[Sequence[str]], sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) chunks' terms in the term counts."""
        if self._df is None:
            self._df = {r["id"]: int(r["df"]) for r in self._all("terms", ["id", "df"], 'id != ""')}
            self._total = self.term_total()
        changed: set[str] = set()
        for terms in chunk_terms:
            self._total += sign * len(terms)
            for term in set(terms):
                term = term[:256]
                self._df[term] = self._df.get(term, 0) + sign
                changed.add(term)
        rows = [{"id": t, "df": max(self._df[t], 0), "key": placeholder_key()} for t in sorted(changed)]
        for lo in range(0, len(rows), PAGE):
            self.client.upsert(self._name("terms"), rows[lo : lo + PAGE])
        self.client.upsert(self._name("meta"), [{"id": TERM_TOTAL_ID, "value": {"terms": max(self._total, 0)},
                                                 "key": placeholder_key()}])

    @_one_line
    def _header_list(self) -> list[Statement]:
        """Headers of the statements, read once per opened index (an opened index is one generation)."""
        if self._headers is None:
            rows = sorted(self._all("statements", HEADER_FIELDS), key=lambda r: r["statement_id"])
            self._speakers = {r["statement_id"]: dict(r["speakers"] or {}) for r in rows if r["speakers"]}
            self._headers = [_statement(r, "") for r in rows]
        return self._headers

    def _speaker_map(self) -> dict[str, dict[str, int]]:
        self._header_list()
        assert self._speakers is not None
        return self._speakers


def _statement_row(st: Statement, attributions: Iterable[Attribution], parts: int) -> dict[str, Any]:
    found: dict[str, int] = {}
    listed = []
    for a in attributions:
        listed.append(list(dataclasses.astuple(a)))
        if a.speaker and a.confidence >= SPEAKER_CONFIDENCE:
            found[a.speaker] = found.get(a.speaker, 0) + 1
    return {
        "id": key_of(st.id), "statement_id": st.id, "title": st.title, "speaker": st.speaker, "source": st.source,
        "date": st.date, "url": st.url,
        "path": st.path, "metadata": dict(st.metadata), "pages": [[p.start, p.end, p.page] for p in st.pages],
        "attributions": listed, "speakers": found, "parts": parts, "content_hash": st.content_hash,
        "key": placeholder_key(),
    }


def _statement(r: dict[str, Any], text: str) -> Statement:
    return Statement(
        id=r["statement_id"], text=text, title=r.get("title") or "", speaker=r.get("speaker") or "",
        source=r.get("source") or "", date=r.get("date") or "", url=r.get("url") or "", path=r.get("path") or "",
        metadata=dict(r.get("metadata") or {}), pages=tuple(PageSpan(*p) for p in r.get("pages") or ()),
    )


def _chunk(r: dict[str, Any]) -> Chunk:
    return Chunk(
        r["statement_id"], int(r["position"]), int(r["start"]), int(r["end"]), r["text"],
        tuple(tuple(s) for s in r["sentences"]),
    )
