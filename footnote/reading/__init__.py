"""Readers: a file's text or bytes → Document(title, date, blocks of clean text mapped to the source).

One reader a format; each keeps the structure a person sees (headings, list items, table rows) and
ties every character of clean text to where it sits in the file."""

from __future__ import annotations

from footnote.reading.blocks import CODE, ITEM, PROSE, ROW, Block, Document
from footnote.reading.pdf import UnreadableFile

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
BINARY_SUFFIXES = (".pdf", ".docx")


def read_text_document(text: str, suffix: str) -> Document:
    if suffix in (".md", ".markdown"):
        from footnote.reading.markdown import read_markdown

        return read_markdown(text)
    if suffix in (".html", ".htm"):
        from footnote.reading.html import read_html

        return read_html(text)
    from footnote.reading.plain import read_plain

    return read_plain(text)


def read_binary_document(data: bytes, suffix: str) -> Document:
    if suffix == ".pdf":
        from footnote.reading.pdf import read_pdf

        return read_pdf(data)
    from footnote.reading.docx import read_docx

    return read_docx(data)


__all__ = [
    "BINARY_SUFFIXES",
    "CODE",
    "ITEM",
    "PROSE",
    "ROW",
    "TEXT_SUFFIXES",
    "Block",
    "Document",
    "UnreadableFile",
    "read_binary_document",
    "read_text_document",
]
