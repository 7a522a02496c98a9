"""Clean visible text that remembers, for every character, where it came from in the raw file.

A reader appends what a person sees (a link's words, a cell, a list item without its marker); each
piece is tied to the raw span it stands for, so a sentence found in the clean text is cited by its
exact span in the file as stored."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(slots=True)
class MappedText:
    """`text` is the clean text; piece k covers text[clean[k]:clean[k+1]] and came from raw[raw[k]:raw_end[k]].

    A literal piece (`literal[k]`) is a verbatim copy of its raw span, character for character; a
    replaced one (an entity, a line break read as a space) stands for its raw span as a whole."""

    parts: list[str] = field(default_factory=list)
    clean: list[int] = field(default_factory=list)
    raw: list[int] = field(default_factory=list)
    raw_end: list[int] = field(default_factory=list)
    literal: list[bool] = field(default_factory=list)
    length: int = 0
    _text: str | None = None

    def add(self, text: str, raw_start: int, raw_end: int | None = None) -> None:
        """Append `text`; literal when raw_end is None (text == raw[raw_start:raw_start + len(text)])."""
        if not text:
            return
        literal = raw_end is None
        end = raw_start + len(text) if literal else raw_end
        if (
            literal
            and self.literal
            and self.literal[-1]
            and self.raw_end[-1] == raw_start
            and self.clean[-1] + (self.raw_end[-1] - self.raw[-1]) == self.length
        ):
            self.raw_end[-1] = end  # extends the last literal run
        else:
            self.clean.append(self.length)
            self.raw.append(raw_start)
            self.raw_end.append(end)
            self.literal.append(literal)
        self.parts.append(text)
        self.length += len(text)
        self._text = None

    def extend(self, other: MappedText) -> None:
        """Append another mapped text, each piece keeping its origin."""
        text = other.text
        for k, c0 in enumerate(other.clean):
            c1 = other.clean[k + 1] if k + 1 < len(other.clean) else other.length
            if other.literal[k]:
                self.add(text[c0:c1], other.raw[k])
            else:
                self.add(text[c0:c1], other.raw[k], other.raw_end[k])

    def space(self, raw_at: int) -> None:
        """A word break the reader adds (a soft line break, a gap between cells): one space, never two."""
        if self.length and not self.text[-1].isspace():
            self.add(" ", raw_at, raw_at)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.parts)
            self.parts = [self._text]
        return self._text

    def raw_start_of(self, i: int) -> int:
        k = bisect_right(self.clean, i) - 1
        return self.raw[k] + (i - self.clean[k]) if self.literal[k] else self.raw[k]

    def raw_end_of(self, i: int) -> int:
        """The raw end of clean character i (exclusive)."""
        k = bisect_right(self.clean, i) - 1
        return self.raw[k] + (i - self.clean[k]) + 1 if self.literal[k] else self.raw_end[k]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span of clean text[start:end] (end > start)."""
        return self.raw_start_of(start), self.raw_end_of(end - 1)

    def clean_within(self, raw_start: int, raw_end: int) -> str:
        """The clean characters whose raw origin lies inside [raw_start, raw_end): what a span reads as."""
        text, out = self.text, []
        for k, c0 in enumerate(self.clean):
            c1 = self.clean[k + 1] if k + 1 < len(self.clean) else self.length
            if self.literal[k]:
                a = max(c0, c0 + raw_start - self.raw[k])
                b = min(c1, c0 + raw_end - self.raw[k])
                if a < b:
                    out.append(text[a:b])
            elif raw_start <= self.raw[k] and self.raw_end[k] <= raw_end:
                out.append(text[c0:c1])
        return "".join(out)


def align(mapped: MappedText, content: str, raw: str, cursor: int, limit: int) -> int:
    """Append `content`, a parser's reading of raw[cursor:limit], tied to where each part sits in raw.

    Parsers hand back text without positions; most of it is a verbatim run of the raw text, found by
    searching forward. What is not (a backslash escape, an entity) is matched character by
    character, and a character with no raw twin stands for the position it was read at."""
    if not content:
        return cursor
    at = raw.find(content, cursor, limit)
    if at != -1:
        mapped.add(content, at)
        return at + len(content)
    for ch in content:
        at = raw.find(ch, cursor, min(limit, cursor + 12))
        if at != -1:
            mapped.add(ch, at)
            cursor = at + 1
        else:
            mapped.add(ch, cursor, cursor)
    return cursor
