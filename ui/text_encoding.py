"""Uploaded text files in other encodings than UTF-8: detected (charset-normalizer) and re-saved as UTF-8.

The loaders read UTF-8 (or what a byte-order mark says) and skip anything else, as a wrong guess would put
wrong letters in quotes. A file dropped in the chat is often in a Windows encoding, or UTF-16 without a
byte-order mark, though, so an uploaded ``.txt``, ``.md`` or ``.csv`` that is not UTF-8 is detected
before it is indexed, and re-saved as UTF-8 when the detection is sure:

- the readings that charset-normalizer finds about as likely (as little "chaos", as coherent a language)
  all give the same text, or one of them is Windows-1252, the Western default (charset-normalizer cannot
  tell Windows-1252 from Latin-6 in English text with a few accented names; browsers read such files as
  Windows-1252 too);
- the file does not mix UTF-8 with another encoding (UTF-8 letters beside bytes that are not UTF-8).

Otherwise the file is refused with a sentence naming it and the fix (re-save it as UTF-8).
"""
from __future__ import annotations

import re
from pathlib import Path

import charset_normalizer

from corpus.loaders.decode import SNIFF_BYTES, sniff_bom

DETECTED_SUFFIXES = (".txt", ".md", ".csv")
MAX_CHAOS = 0.1  # charset-normalizer's "mess" of a reading: above this, no reading is trusted
CHAOS_MARGIN = 0.05  # readings this close to the best one are about as likely…
COHERENCE_MARGIN = 0.05  # …when their language coherence is this close too
WESTERN = "cp1252"
NAMES = {
    "cp1252": "Windows-1252", "latin_1": "Latin-1", "utf_16": "UTF-16", "utf_16_le": "UTF-16", "utf_16_be": "UTF-16",
    "utf_32": "UTF-32", "utf_32_le": "UTF-32", "utf_32_be": "UTF-32",
}
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class EncodingUnknown(Exception):
    """The file is not UTF-8 and its encoding cannot be told for sure; ``str()`` says so with the fix."""


def to_utf8(path: Path, shown_name: str) -> str:
    """Re-save the text file at ``path`` as UTF-8 if it is in another encoding that can be told for sure; the
    name of that encoding ("" when nothing was changed: UTF-8 already, a byte-order mark, or not text at all,
    which the loader reports). Raises ``EncodingUnknown`` naming ``shown_name`` otherwise."""
    data = path.read_bytes()
    if not data.strip() or sniff_bom(data) is not None:
        return ""
    has_nul = b"\x00" in data[:SNIFF_BYTES]
    if not has_nul and _decodes(data, "utf-8"):
        return ""
    encoding, text = _detect(data)
    if has_nul and not encoding.startswith("utf_"):  # binary, not UTF-16/32 text: the loader says so
        return ""
    if not encoding:
        raise EncodingUnknown(
            f"{shown_name}: not UTF-8 text, and its encoding cannot be told for sure: re-save it as UTF-8 "
            "and add it again"
        )
    path.write_bytes(text.encode("utf-8"))
    return encoding_name(encoding)


def encoding_name(codec: str) -> str:
    """How people name a Python codec: ``cp1251`` → "Windows-1251", ``utf_16_le`` → "UTF-16"."""
    if codec in NAMES:
        return NAMES[codec]
    if re.fullmatch(r"cp125\d", codec):
        return f"Windows-{codec[2:]}"
    return codec.upper().replace("_", "-")


def _detect(data: bytes) -> tuple[str, str]:
    """The encoding of ``data`` and its text, when the module's rules make it sure; else ("", "")."""
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None or best.chaos > MAX_CHAOS:
        return "", ""
    if not best.encoding.startswith("utf_") and _UTF8_LETTER.search(data):  # UTF-8 letters among other bytes
        return "", ""
    plausible = [
        m for m in matches
        if m.chaos <= best.chaos + CHAOS_MARGIN and m.coherence >= best.coherence - COHERENCE_MARGIN
    ]
    if len({str(m) for m in plausible}) == 1:
        return best.encoding, str(best)
    western = next((m for m in plausible if WESTERN in (m.encoding, *m.could_be_from_charset)), None)
    if western is None or not _decodes(data, WESTERN):  # cp1252 leaves five bytes undefined
        return "", ""
    return WESTERN, data.decode(WESTERN)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
