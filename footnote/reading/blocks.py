"""What every reader produces: a document's title, date and blocks of clean text in reading order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from footnote.reading.textmap import MappedText

# Kinds of block: prose is split into sentences; an item is split too, but a sentence never leaves
# it; a row (a table row read with its column headers) and code are each one unit, never split.
PROSE, ITEM, ROW, CODE = "prose", "item", "row", "code"
SECTION_SEPARATOR = " › "
# Template tags ({{generator:glossary}}, {% include x %}) are markup a site generator fills in.
TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
# Emphasis runs CommonMark leaves as text (`**Label: **text`, whose closing run follows a space).
STRAY_EMPHASIS = re.compile(r"\*\*+")


@dataclass(slots=True)
class Block:
    kind: str
    text: MappedText
    section: str = ""  # the headings above it, outermost first, joined by SECTION_SEPARATOR
    page: int | None = None  # 1-based, for formats that have pages (PDF)
    span: tuple[int, int] | None = None  # an atomic block's raw span, when wider than its text's (a row's pipes)


@dataclass(slots=True)
class Document:
    """`text` is what offsets point into: the file as stored, or for PDF/.docx their extracted text."""

    text: str
    title: str = ""
    date: str | None = None
    blocks: list[Block] = field(default_factory=list)


class Sections:
    """The heading path at the current point of a document."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, heading: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        if heading:
            self._stack.append((level, heading))

    @property
    def path(self) -> str:
        return SECTION_SEPARATOR.join(h for _, h in self._stack)


def squeeze(text: str) -> str:
    """One line of text with single spaces (a heading or a title as shown)."""
    return " ".join(TEMPLATE_TAG.sub(" ", text).split())
