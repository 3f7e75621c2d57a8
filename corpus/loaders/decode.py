"""Turning file bytes into text: BOMs, binary sniffing, strict decoding, line streams.

Policy: UTF-8 (with or without BOM) by default, UTF-16/UTF-32 when a BOM says so, otherwise
``LoadOptions.encoding`` when given. There is no guessing fallback (cp1252, latin-1): every
quote must be the statement's real words, and a wrong guess would put mojibake in quotes.
"""
from __future__ import annotations

import codecs
import gzip
from collections.abc import Iterator
from io import BufferedIOBase
from pathlib import Path
from typing import NamedTuple

from corpus.loaders.base import FileSkipped
from corpus.options import too_large_reason

SNIFF_BYTES = 8192
_BINARY_REASON = "binary file, not text (if it is UTF-16 text without a byte-order mark, give --encoding utf-16)"
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Line(NamedTuple):
    """One physical line (1-based ``number``); ``error`` is set, and ``text`` empty, if it did not decode."""

    number: int
    text: str
    error: str = ""


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF; nothing else changes."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_bom(head: bytes) -> tuple[str, int] | None:
    """The codec (without BOM handling) and BOM length a file starts with, if any."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    return None


def ascii_compatible(encoding: str) -> bool:
    """Whether newlines and ASCII look the same in this encoding (so lines split on bytes)."""
    try:
        return "\n,{}\"".encode(encoding) == b"\n,{}\""
    except (LookupError, UnicodeError):
        return False


def decode_error_reason(error: UnicodeDecodeError, encoding: str | None, base_offset: int = 0) -> str:
    """``not valid UTF-8 text (byte 0xe9 at offset 12)``, with the offset counted in the file."""
    name = "UTF-8" if encoding is None else encoding
    bad = error.object[error.start : error.start + 1]
    byte = f"0x{bad[0]:02x}" if bad else "end of data"
    return f"not valid {name} text (byte {byte} at offset {base_offset + error.start})"


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode a whole text file strictly and normalise newlines; raise FileSkipped if unusable."""
    if not data.strip():
        raise FileSkipped("empty file")
    bom = sniff_bom(data)
    if bom is not None:
        codec, skip = bom
        name: str | None = None if codec == "utf-8" else codec.upper()
    else:
        codec, skip, name = (encoding or "utf-8"), 0, encoding
        if (encoding is None or ascii_compatible(encoding)) and b"\x00" in data[:SNIFF_BYTES]:
            raise FileSkipped(_BINARY_REASON)
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as error:
        raise FileSkipped(decode_error_reason(error, name, skip)) from None
    text = normalise_newlines(text)
    if not text.strip():
        raise FileSkipped("empty file")
    return text


def read_text(path: Path, encoding: str | None = None) -> str:
    """Read and decode a whole text file (see ``decode_bytes``)."""
    return decode_bytes(path.read_bytes(), encoding)


def iter_lines(
    path: Path, encoding: str | None = None, gz: bool = False, max_line_bytes: int | None = None
) -> Iterator[Line]:
    """Stream a text file (optionally gzipped) line by line, line endings kept.

    Lines of UTF-8 and other ASCII-compatible encodings are decoded one by one, so a bad byte
    costs one line; UTF-16/32 files are decoded as a stream and stop at the first bad byte.
    A line longer than ``max_line_bytes`` is read past in pieces, never held whole, and becomes
    a problem line: memory stays bounded whatever the file holds.
    """
    opener = gzip.open if gz else open
    with opener(path, "rb") as raw:
        try:
            head = raw.read(SNIFF_BYTES)
            raw.seek(0)
        except (OSError, EOFError) as error:
            raise FileSkipped(f"not a readable gzip file ({error})") from None
        bom = sniff_bom(head)
        if bom is not None and bom[0] != "utf-8":
            yield from _stream_lines(raw, bom[0], bom[1], max_line_bytes)
            return
        if bom is None and encoding is not None and not ascii_compatible(encoding):
            yield from _stream_lines(raw, encoding, 0, max_line_bytes)
            return
        if bom is None and b"\x00" in head:
            raise FileSkipped(_BINARY_REASON)
        codec = "utf-8" if bom is not None else (encoding or "utf-8")
        name = None if bom is not None else encoding
        offset, number = 0, 0
        while True:
            data = raw.readline(max_line_bytes + 1) if max_line_bytes is not None else raw.readline()
            if not data:
                return
            number += 1
            if max_line_bytes is not None and len(data) > max_line_bytes and not data.endswith(b"\n"):
                size = len(data) + _skip_rest_of_line(raw)
                yield Line(number, "", too_large_reason("line", size, max_line_bytes))
                offset += size
                continue
            start = len(codecs.BOM_UTF8) if number == 1 and bom is not None else 0
            try:
                yield Line(number, data[start:].decode(codec))
            except UnicodeDecodeError as error:
                yield Line(number, "", decode_error_reason(error, name, offset + start))
            offset += len(data)


def _skip_rest_of_line(raw: BufferedIOBase) -> int:
    """Read up to and including the next newline in pieces; the number of bytes read."""
    size = 0
    while True:
        piece = raw.readline(1 << 20)
        size += len(piece)
        if not piece or piece.endswith(b"\n"):
            return size


def _stream_lines(raw: BufferedIOBase, codec: str, skip: int, max_line_bytes: int | None = None) -> Iterator[Line]:
    """Decode a non-ASCII-compatible stream incrementally; one problem line ends it.

    A line over ``max_line_bytes`` is dropped as it is read (only its length is kept); its size
    is counted at the codec's bytes per ASCII character (2 for UTF-16, 4 for UTF-32).
    """
    width = max(1, len("aa".encode(codec)) - len("a".encode(codec)))  # without a BOM
    max_chars = max_line_bytes // width if max_line_bytes is not None else None
    decoder = codecs.getincrementaldecoder(codec)("strict")
    raw.read(skip)
    pending, number, offset = "", 0, skip
    dropped = 0  # characters of an over-long line read so far (0: not in one)
    while True:
        chunk = raw.read(1 << 16)
        try:
            pending += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            yield Line(number + 1, "", decode_error_reason(error, codec.upper(), offset))
            return
        offset += len(chunk)
        *complete, pending = pending.split("\n")
        for text in complete:
            number += 1
            chars, dropped = dropped + len(text), 0
            if max_chars is not None and chars > max_chars:
                yield Line(number, "", too_large_reason("line", chars * width, max_chars * width))
            else:
                yield Line(number, text + "\n")
        if max_chars is not None and dropped + len(pending) > max_chars:
            dropped, pending = dropped + len(pending), ""
        if not chunk:
            if dropped and max_chars is not None:  # dropped > 0 only under a limit
                yield Line(number + 1, "", too_large_reason("line", dropped * width, max_chars * width))
            elif pending:
                yield Line(number + 1, pending)
            return
