"""Builders for real input files used by tests/test_loaders.py (written into tmp_path, never committed).

All speakers and organisations are fictional.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_jsonl(path: Path, records: Iterable[Any], gz: bool = False) -> Path:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    return write_bytes(path, gzip.compress(lines) if gz else lines)


def write_pdf(path: Path, pages: list[list[str]], title: str = "", encrypt: str | None = None) -> Path:
    """A real PDF with a text layer: one list of lines per page."""
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        y = 750
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return path


def write_pdf_without_text(path: Path) -> Path:
    """A PDF whose only page holds a drawn rectangle: no text layer, like a scan."""
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 400, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def write_docx(path: Path, paragraphs: list[str], title: str = "") -> Path:
    import docx

    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if title:
        document.core_properties.title = title
    document.save(str(path))
    return path


HARBOUR_HTML = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Statement on the Fictionville harbour | Ministry of Examples</title>
<meta property="og:title" content="Statement on the Fictionville harbour">
<meta property="og:site_name" content="Ministry of Examples">
<meta name="date" content="2022-03-14">
<link rel="canonical" href="https://ministry.example.org/statements/harbour">
<script>window.tracker = "SCRIPT-TEXT-SHOULD-NOT-APPEAR";</script>
<style>body { color: black; }</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News NAV-TEXT</a></li></ul></nav>
<main><article>
<h1>Statement on the Fictionville harbour</h1>
<p>The Ministry of Examples announced today that the harbour of Fictionville will reopen to all shipping on Monday, \
after three months of repairs to the northern quay.</p>
<p>Minister Jane Placeholder said that the works had been finished ahead of schedule and thanked the crews who had \
worked through the winter storms to complete them.</p>
<p>Further announcements about the ferry timetable will follow next week, the ministry added.</p>
</article></main>
<footer><p>Copyright FOOTER-TEXT Ministry of Examples</p></footer>
<script>console.log("SCRIPT2-TEXT");</script>
</body></html>
"""
