"""One speaker, one name in the menus: names that differ only by an honorific ("Mr. Justin Trudeau", "Justin
Trudeau") are counted together, under the plain name."""
from __future__ import annotations

import re
from collections.abc import Iterable

# Honorifics that open a name in metadata and in text; a title that is a post ("President") is not one of them.
_HONORIFIC = re.compile(
    r"^(?:(?:mr|mrs|ms|mx|miss|dr|prof|sir|dame|madam|h\.?\s?e|his|her|excellency|majesty|highness|royal|"
    r"the|right|honourable|honorable|hon|rt)\.?,?\s+)+",
    re.IGNORECASE,
)


def plain_name(name: str) -> str:
    """``name`` without the honorifics before it ("H.E. Mr. Tomas Quill" → "Tomas Quill"); a name that is nothing
    but honorifics stays as it is."""
    plain = _HONORIFIC.sub("", name.strip())
    return plain if plain else name.strip()


def merged_speakers(rows: Iterable[tuple[str, str]]) -> dict[str, int]:
    """(name, statement id) pairs → each speaker's plain name and how many statements they speak in, names that
    differ only by honorifics merged."""
    statements: dict[str, set[str]] = {}
    for name, sid in rows:
        if name:
            statements.setdefault(plain_name(name), set()).add(sid)
    return {name: len(ids) for name, ids in statements.items()}
