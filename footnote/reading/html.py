"""HTML → Document with the standard library's HTMLParser, which reports where each tag and run of
text starts in the source: the one HTML parser at hand that keeps offsets into the page as stored.

Headings give the section path, paragraphs and list items are blocks, table rows are read with their
header cells, and <script>, <style>, <template> and <noscript> are never read."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from footnote.reading.blocks import CODE, ITEM, PROSE, ROW, Block, Document, Sections, squeeze
from footnote.reading.markdown import line_starts
from footnote.reading.textmap import MappedText

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "ul",
    "ol",
    "table",
    "thead",
    "tbody",
    "figure",
    "figcaption",
    "form",
    "br",
    "hr",
    "body",
    "html",
}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_WHITESPACE = re.compile(r"\s+")
_DATE_META = {"date", "dc.date", "article:published_time", "published_time", "pubdate"}


class _Reader(HTMLParser):
    def __init__(self, raw: str, base: int) -> None:
        super().__init__(convert_charrefs=False)
        self.raw, self.base = raw, base
        self._starts = line_starts(raw)
        self.doc = Document(raw)
        self.sections = Sections()
        self.page_title = ""
        self._skip: list[str] = []
        self._in_title = False
        self._heading: tuple[int, MappedText] | None = None
        self._block: MappedText = MappedText()
        self._kind = PROSE
        self._list_depth = 0
        self._header: list[str] = []
        self._row: list[tuple[bool, MappedText]] | None = None
        self._cell: MappedText | None = None
        self._row_span = (0, 0)
        self._unclosed: str | None = None

    # -- an unclosed <script> or <style> ------------------------------------------------------
    def set_cdata_mode(self, elem, *args, **kwargs):
        """A <script> or <style> that is never closed would hide the rest of the page: its own text
        up to the next tag is skipped, and the page is read on from there."""
        if re.search(rf"</{elem}\s*>", self.rawdata[self._at() - self.base :], re.IGNORECASE):
            super().set_cdata_mode(elem, *args, **kwargs)
        else:
            self._unclosed = elem
            if self._skip and self._skip[-1] == elem:  # handle_starttag ran first and began skipping it
                self._skip.pop()

    # -- positions ----------------------------------------------------------------------------
    def _at(self) -> int:
        line, col = self.getpos()
        return self._starts[line - 1] + col + self.base

    def _target(self) -> MappedText:
        if self._heading is not None:
            return self._heading[1]
        if self._cell is not None:
            return self._cell
        return self._block

    # -- blocks -------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._block.text.strip():
            self.doc.blocks.append(Block(self._kind, self._block, self.sections.path))
        self._block = MappedText()
        self._kind = ITEM if self._list_depth else PROSE

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            found = dict(attrs)
            if (found.get("name") or found.get("property") or "").lower() in _DATE_META and found.get("content"):
                self.doc.date = self.doc.date or found["content"][:10]
            return
        if self._skip or tag in _SKIP:
            if tag in _SKIP and tag not in ("br", "meta"):
                self._skip.append(tag)
            if tag == "title":
                self._in_title = True
            return
        if tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self._flush()
            self._heading = (_HEADINGS[tag], MappedText())
        elif tag == "li":
            self._flush()
            self._kind = ITEM
        elif tag in ("ul", "ol"):
            self._flush()
            self._list_depth += 1
        elif tag == "tr":
            self._flush()
            self._row, self._row_span = [], (self._at(), self._at())
        elif tag in ("td", "th") and self._row is not None:
            self._cell = MappedText()
            self._row.append((tag == "th", self._cell))
        elif tag == "pre":
            self._flush()
            self._kind = CODE
        elif tag in _BLOCK:
            self._flush()

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr") and not self._skip:
            self._target().space(self._at())
        elif tag == "meta":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            if tag == "title":
                self._in_title = False
            return
        if tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            level, mapped = self._heading
            self._heading = None
            heading = squeeze(mapped.text)
            if not self.doc.title and not self.doc.blocks:
                self.doc.title = heading
            else:
                self.sections.enter(level, heading)
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._end_row()
        elif tag in ("ul", "ol"):
            self._flush()
            self._list_depth = max(0, self._list_depth - 1)
            self._kind = ITEM if self._list_depth else PROSE
        elif tag in ("li", "pre") or tag in _BLOCK:
            self._flush()

    def _end_row(self) -> None:
        cells, self._row = self._row or [], None
        end = self.raw.find(">", self._at() - self.base) + 1 + self.base
        if cells and all(is_head for is_head, _ in cells):
            self._header = [squeeze(c.text) for _, c in cells]
            return
        mapped = MappedText()
        for column, (_, cell) in enumerate(cells):
            value = cell.text.strip()
            if not value:
                continue
            at = cell.raw[0] if cell.raw else self._row_span[0]
            if mapped.length:
                mapped.add("; ", at, at)
            name = self._header[column] if column < len(self._header) else ""
            if name and name.lower() != value.lower():
                mapped.add(f"{name}: ", at, at)
            mapped.extend(cell)
        if mapped.text.strip():
            self.doc.blocks.append(Block(ROW, mapped, self.sections.path, span=(self._row_span[0], end)))

    # -- text ---------------------------------------------------------------------------------
    def handle_data(self, data):
        if self._in_title:
            self.page_title += data
            return
        if self._skip:
            return
        if self._unclosed:
            self._unclosed = None  # the code of a <script> that is never closed
            return
        target, at = self._target(), self._at()
        for match in re.finditer(r"\S+|\s+", data):
            if match.group().isspace():
                target.space(at + match.start())
            else:
                target.add(match.group(), at + match.start())

    def _entity(self, ref: str) -> None:
        if self._skip:
            return
        at = self._at()
        end = self.raw.find(";", at - self.base, at - self.base + 12)
        end = end + 1 + self.base if end != -1 else at + len(ref) + 1
        char = html.unescape(self.raw[at - self.base : end - self.base])
        if self._in_title:
            self.page_title += char
        elif char.isspace():
            self._target().space(at)
        else:
            self._target().add(char, at, end)

    def handle_entityref(self, name):
        self._entity(name)

    def handle_charref(self, name):
        self._entity(name)


def _read(raw: str, base: int = 0) -> _Reader:
    reader = _Reader(raw, base)
    reader.feed(raw)
    reader.close()
    if reader._row is not None:
        reader._end_row()
    reader._flush()
    return reader


def read_html(text: str) -> Document:
    reader = _read(text)
    reader.doc.title = reader.doc.title or squeeze(html.unescape(reader.page_title))
    return reader.doc


def read_html_fragment(text: str, start: int, end: int) -> list[Block]:
    """The blocks of an HTML block inside another document (Markdown), with offsets into the whole text."""
    return _read(text[start:end], start).doc.blocks
