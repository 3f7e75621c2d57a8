"""SQLite store of statements and chunks: text, offsets, sentence spans, metadata."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from corpus.attribution import SPEAKER_CONFIDENCE, Attribution
from corpus.chunk import Chunk
from corpus.context import context_of
from corpus.statement import PageSpan, Statement
from embeddings.backend.fields import COLUMN_KEYS, end_of_period
from embeddings.backend.interface import folded
from embeddings.backend.writing import searched_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS statements (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    title TEXT, speaker TEXT, source TEXT, date TEXT, url TEXT, path TEXT,
    metadata TEXT NOT NULL,
    pages TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id TEXT NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    sentences TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_statement ON chunks(statement_id);
CREATE TABLE IF NOT EXISTS attributions (
    statement_id TEXT NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
    content_start INTEGER NOT NULL,
    content_end INTEGER NOT NULL,
    cue_start INTEGER NOT NULL,
    cue_end INTEGER NOT NULL,
    source_start INTEGER,
    source_end INTEGER,
    source_text TEXT NOT NULL,
    speaker TEXT NOT NULL,
    kind TEXT NOT NULL,
    confidence REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attributions_by_statement ON attributions(statement_id, content_start);
"""
_FOLDED = "sqa_folded"  # ``folded`` in SQL


class StatementStore:
    """Statements and their chunks in one SQLite file; chunk ids are FAISS ids."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            uri = f"file:{self.path}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.executescript(SCHEMA)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.create_function(_FOLDED, 1, folded, deterministic=True)  # SQLite's LOWER() folds ASCII only
        self.has_attribution_table = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attributions'"
        ).fetchone() is not None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # -- writing -------------------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        """Statement id → content hash, for change detection."""
        return dict(self._db.execute("SELECT id, content_hash FROM statements"))

    def put(
        self, statement: Statement, chunks: Sequence[Chunk], attributions: Sequence[Attribution] = ()
    ) -> list[int]:
        """Insert or replace a statement, its chunks and its attributions; returns the new chunk ids."""
        self.delete([statement.id])
        self._db.execute(
            "INSERT INTO statements VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                statement.id, statement.text, statement.title, statement.speaker, statement.source,
                statement.date, statement.url, statement.path,
                json.dumps(dict(statement.metadata), ensure_ascii=False, default=str),
                json.dumps([[p.start, p.end, p.page] for p in statement.pages]),
                statement.content_hash,
            ),
        )
        ids: list[int] = []
        for c in chunks:
            cur = self._db.execute(
                "INSERT INTO chunks (statement_id, position, start, end, text, sentences) VALUES (?,?,?,?,?,?)",
                (statement.id, c.index, c.start, c.end, c.text, json.dumps(c.sentences)),
            )
            if cur.lastrowid is None:  # never after an INSERT into a rowid table
                raise RuntimeError("internal error: no row id for an inserted chunk")
            ids.append(cur.lastrowid)
        self._db.executemany(
            "INSERT INTO attributions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (statement.id, a.content_start, a.content_end, a.cue_start, a.cue_end, a.source_start, a.source_end,
                 a.source_text, a.speaker, a.kind, a.confidence)
                for a in attributions
            ],
        )
        return ids

    def delete(self, statement_ids: Iterable[str]) -> list[int]:
        """Delete statements and their chunks; returns the deleted chunk ids."""
        gone: list[int] = []
        for sid in statement_ids:
            gone += [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE statement_id = ?", (sid,))]
            self._db.execute("DELETE FROM chunks WHERE statement_id = ?", (sid,))
            if self.has_attribution_table:
                self._db.execute("DELETE FROM attributions WHERE statement_id = ?", (sid,))
            self._db.execute("DELETE FROM statements WHERE id = ?", (sid,))
        return gone

    def commit(self) -> None:
        """Commit pending writes."""
        self._db.commit()

    # -- reading -------------------------------------------------------------------------
    def count_statements(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM statements").fetchone()[0])

    def count_chunks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def chunk_ids_and_texts(self) -> tuple[list[int], list[str]]:
        """Every chunk id and text, in id order."""
        rows = self._db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def chunk_ids_and_searched_texts(self, context_fields: Sequence[str]) -> tuple[list[int], list[str]]:
        """Every chunk id and what BM25 counts of it (its text and its statement's context), in id order."""
        if not context_fields:
            return self.chunk_ids_and_texts()
        contexts: dict[str, str] = {}
        for r in self._db.execute("SELECT id, title, metadata, substr(text, 1, 4000) FROM statements"):
            header = Statement(id=r[0], text=r[3] or "", title=r[1] or "", metadata=json.loads(r[2] or "{}"))
            contexts[r[0]] = context_of(header, context_fields)
        rows = self._db.execute("SELECT id, statement_id, text FROM chunks ORDER BY id").fetchall()
        return [r[0] for r in rows], [searched_text(r[2], contexts.get(r[1], "")) for r in rows]

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        """Chunks by id (missing ids are absent from the result)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT id, statement_id, position, start, end, text, sentences FROM chunks WHERE id IN ({marks})",
            [int(i) for i in chunk_ids],
        )
        return {
            r[0]: Chunk(r[1], r[2], r[3], r[4], r[5], tuple(tuple(s) for s in json.loads(r[6]))) for r in rows
        }

    def chunks_of(self, statement_id: str) -> list[tuple[int, Chunk]]:
        """All chunks of one statement with their ids, in order."""
        rows = self._db.execute(
            "SELECT id, statement_id, position, start, end, text, sentences FROM chunks "
            "WHERE statement_id = ? ORDER BY position",
            (statement_id,),
        )
        return [(r[0], Chunk(r[1], r[2], r[3], r[4], r[5], tuple(tuple(s) for s in json.loads(r[6])))) for r in rows]

    def statements(self, ids: Sequence[str]) -> dict[str, Statement]:
        """Statements by id (missing ids are absent from the result)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"SELECT * FROM statements WHERE id IN ({marks})", list(ids))
        return {r[0]: _statement(r) for r in rows}

    def attributions_of(self, statement_ids: Sequence[str]) -> dict[str, list[Attribution]]:
        """Each statement's attributions in text order (empty for an index built without them)."""
        if not statement_ids or not self.has_attribution_table:
            return {}
        marks = ",".join("?" * len(statement_ids))
        rows = self._db.execute(
            f"SELECT * FROM attributions WHERE statement_id IN ({marks}) ORDER BY statement_id, content_start, "
            "cue_start",
            list(statement_ids),
        )
        out: dict[str, list[Attribution]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(Attribution(*r[1:]))
        return out

    def attributed_speakers(self) -> list[tuple[str, str, int]]:
        """(speaker, statement id, attributions) for every speaker found in a statement's text.

        Only sources resolved with at least ``SPEAKER_CONFIDENCE`` count: a name, a role or pronoun
        tied to a named person, not a bare guess from the nearest name.
        """
        if not self.has_attribution_table:
            return []
        rows = self._db.execute(
            "SELECT speaker, statement_id, COUNT(*) FROM attributions WHERE speaker != '' AND confidence >= ? "
            "GROUP BY speaker, statement_id ORDER BY speaker, statement_id",
            (SPEAKER_CONFIDENCE,),
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    def speaker_counts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Speakers named in the metadata or found in the text, with how many statements they speak in, by name."""
        rows = self._db.execute(
            f"SELECT name, COUNT(DISTINCT sid) FROM ({self._speaker_rows()}) GROUP BY name ORDER BY name LIMIT ?",
            (*self._speaker_args(), limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    def count_speakers(self) -> int:
        """How many distinct speakers (names as written) the metadata names or the text is found to quote."""
        row = self._db.execute(f"SELECT COUNT(DISTINCT name) FROM ({self._speaker_rows()})", self._speaker_args())
        return int(row.fetchone()[0])

    def speakers_matching(self, text: str, limit: int = 50) -> list[tuple[str, int]]:
        """Speakers whose name holds ``text`` (compared ``folded``; "" holds in every name) with how many statements
        they speak in: names with a word starting with it first, then most statements first, then by name; at
        most ``limit``."""
        rows = self._db.execute(
            f"SELECT name, COUNT(DISTINCT sid) AS n FROM ({self._speaker_rows()}) GROUP BY name "
            f"HAVING instr({_FOLDED}(name), ?) > 0 ORDER BY instr(' ' || {_FOLDED}(name), ?) > 0 DESC, n DESC, name "
            "LIMIT ?",
            (*self._speaker_args(), folded(text), " " + folded(text), limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    def _speaker_rows(self) -> str:
        """SQL for (name, sid) rows: each statement's own speaker, and the speakers found in its text."""
        found = (
            " UNION SELECT speaker AS name, statement_id AS sid FROM attributions WHERE speaker != '' "
            "AND confidence >= ?"
            if self.has_attribution_table else ""
        )
        return f"SELECT speaker AS name, id AS sid FROM statements WHERE speaker != ''{found}"

    def _speaker_args(self) -> tuple[float, ...]:
        return (SPEAKER_CONFIDENCE,) if self.has_attribution_table else ()

    def iter_statements(self) -> Iterator[Statement]:
        """Every statement, in id order."""
        for r in self._db.execute("SELECT * FROM statements ORDER BY id"):
            yield _statement(r)

    def headers(self) -> Iterator[Statement]:
        """Every statement without its text: id, title, speaker, source, date, url, path and metadata."""
        for r in self._db.execute(
            "SELECT id, '', title, speaker, source, date, url, path, metadata, '[]' FROM statements ORDER BY id"
        ):
            yield _statement(r)

    def has_dates(self) -> bool:
        """Whether any statement has a date."""
        return self._db.execute("SELECT 1 FROM statements WHERE date != '' LIMIT 1").fetchone() is not None

    def distinct_values(self, key: str, limit: int = 500) -> list[str]:
        """Distinct non-empty values of a column (for filter menus)."""
        if key not in COLUMN_KEYS:
            raise ValueError(f"not a statement column: {key}")
        rows = self._db.execute(
            f"SELECT DISTINCT {key} FROM statements WHERE {key} != '' ORDER BY {key} LIMIT ?", (limit,)
        )
        return [r[0] for r in rows]

    def date_range(self) -> tuple[str, str]:
        """Earliest and latest date, or empty strings."""
        row = self._db.execute("SELECT MIN(date), MAX(date) FROM statements WHERE date != ''").fetchone()
        return (row[0] or "", row[1] or "")

    def matching_chunk_ids(self, filters: Mapping[str, object]) -> list[int]:
        """Ids of chunks whose statement matches every filter.

        Text values match case-insensitively as substrings (a surname matches a full name);
        ``speaker`` also matches speakers found in the statement's text (attributions resolved at
        least ``SPEAKER_CONFIDENCE``); ``date_from`` / ``date_to`` bound the ISO date (a year bound
        covers the whole year).
        """
        where: list[str] = []
        args: list[object] = []
        for key, value in filters.items():
            if value is None or value == "":
                continue
            if key == "date_from":
                where.append("s.date != '' AND s.date >= ?")
                args.append(str(value))
            elif key == "date_to":
                where.append("s.date != '' AND s.date <= ?")
                args.append(end_of_period(str(value)))
            elif key in ("statement_ids", "exclude_statement_ids"):
                if not isinstance(value, Iterable):  # the TypeError list(value) would raise
                    raise TypeError(f"'{type(value).__name__}' object is not iterable")
                ids = list(value)
                negate = "NOT " if key.startswith("exclude") else ""
                where.append(f"s.id {negate}IN ({','.join('?' * len(ids))})" if ids else ("1" if negate else "0"))
                args += ids
            elif key == "speaker" and self.has_attribution_table:  # named in the metadata, or found in the text
                pattern = "%" + _escape_like(str(value).lower()) + "%"
                where.append(
                    "(LOWER(s.speaker) LIKE ? ESCAPE '\\' OR s.id IN (SELECT statement_id FROM attributions "
                    "WHERE LOWER(speaker) LIKE ? ESCAPE '\\' AND confidence >= ?))"
                )
                args += [pattern, pattern, SPEAKER_CONFIDENCE]
            else:
                column = f"s.{key}" if key in COLUMN_KEYS else "json_extract(s.metadata, ?)"
                if key not in COLUMN_KEYS:
                    args.append(f'$."{key}"')
                where.append(f"LOWER(CAST({column} AS TEXT)) LIKE ? ESCAPE '\\'")
                args.append("%" + _escape_like(str(value).lower()) + "%")
        sql = "SELECT c.id FROM chunks c"
        if where:  # match statements first, then their chunks through the statement index
            sql += " WHERE c.statement_id IN (SELECT s.id FROM statements s WHERE " + " AND ".join(where) + ")"
        return [r[0] for r in self._db.execute(sql, args)]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement(r: tuple[Any, ...]) -> Statement:
    return Statement(
        id=r[0], text=r[1], title=r[2] or "", speaker=r[3] or "", source=r[4] or "", date=r[5] or "",
        url=r[6] or "", path=r[7] or "", metadata=json.loads(r[8]),
        pages=tuple(PageSpan(*p) for p in json.loads(r[9])),
    )
