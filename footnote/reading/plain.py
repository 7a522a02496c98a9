"""Plain text: line 1 the title, an optional date line, then one block a line (a sentence never
crosses a line break)."""

from __future__ import annotations

import re

from footnote.reading.blocks import PROSE, Block, Document
from footnote.reading.textmap import MappedText

DATE_LINE = re.compile(r"^\s*(?:date|published|updated)\s*:\s*(?P<date>.+?)\s*$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\s*(?P<date>\d{4}-\d{2}-\d{2})\s*$")


def date_of(line: str) -> str | None:
    """The date a "Date: 2024-05-01" or bare ISO-date line gives, else None."""
    match = DATE_LINE.match(line) or _ISO_DATE.match(line)
    return match.group("date") if match else None


def read_plain(text: str) -> Document:
    doc = Document(text)
    pos, title_seen, date_allowed = 0, False, True
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        if not title_seen:
            doc.title, title_seen = line.strip(), True
            continue
        if date_allowed:
            date_allowed = False
            if date_of(line):
                doc.date = date_of(line)
                continue
        mapped = MappedText()
        mapped.add(line, start)
        doc.blocks.append(Block(PROSE, mapped))
    return doc
