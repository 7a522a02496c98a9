"""PDF → Document with pypdf. Offsets point into the extracted text: the pages' text in order,
separated by a blank line; a citation carries its 1-based page."""

from __future__ import annotations

import io
import re

from footnote.reading.blocks import PROSE, Block, Document, squeeze
from footnote.reading.textmap import MappedText

PAGE_BREAK = "\n\n"
_PARAGRAPH_GAP = re.compile(r"\n\s*\n")


class UnreadableFile(ValueError):
    """A PDF or .docx its library cannot open; the message says why."""


def pdf_text(data: bytes) -> tuple[list[str], dict]:
    """(each page's text, metadata) of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile("it is encrypted: save an unprotected copy")
        pages = [(page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n").strip() for page in reader.pages]
        meta = reader.metadata or {}
        info = {"title": str(meta.get("/Title") or ""), "date": _pdf_date(str(meta.get("/CreationDate") or ""))}
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        if isinstance(exc, UnreadableFile):
            raise
        raise UnreadableFile(f"pypdf cannot read it ({exc.__class__.__name__})") from None
    return pages, info


def _pdf_date(value: str) -> str | None:
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", value)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else None


def read_pdf(data: bytes) -> Document:
    pages, info = pdf_text(data)
    text = PAGE_BREAK.join(pages)
    doc = Document(text, squeeze(info["title"]), info["date"])
    offset = 0
    for number, page in enumerate(pages, 1):
        at = 0
        for part in _PARAGRAPH_GAP.split(page) if page else []:
            begin = page.index(part, at)
            at = begin + len(part)
            mapped = MappedText()
            pos = offset + begin
            # A PDF breaks lines where the page did: a line break inside a paragraph is a space.
            for k, line in enumerate(part.split("\n")):
                if k:
                    mapped.space(pos - 1)
                mapped.add(line, pos)
                pos += len(line) + 1
            if mapped.text.strip():
                doc.blocks.append(Block(PROSE, mapped, page=number))
        offset += len(page) + len(PAGE_BREAK)
    if not doc.title and doc.blocks:
        doc.title = squeeze(doc.blocks[0].text.text)[:120]
    return doc
