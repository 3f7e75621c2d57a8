"""Text compared without its accents: "São Tomé" and "Sao Tome", "Mélanie" and "Melanie" are one spelling."""
from __future__ import annotations

import unicodedata


def without_accents(text: str) -> str:
    """``text`` decomposed (NFKD) with its combining marks left out: "Ålund" → "Alund"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
