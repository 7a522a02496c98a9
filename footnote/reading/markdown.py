"""Markdown (CommonMark, GitHub tables, YAML front matter) → Document, read with markdown-it-py.

markdown-it gives every block its source lines; inside a block, its inline tokens are tied back to
the raw text by `align`, so the clean text (a link's words, no emphasis markers, no list marker)
keeps exact offsets into the file."""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from footnote.reading.blocks import (
    CODE,
    ITEM,
    PROSE,
    ROW,
    STRAY_EMPHASIS,
    TEMPLATE_TAG,
    Block,
    Document,
    Sections,
    squeeze,
)
from footnote.reading.textmap import MappedText, align

_MARKUP_IN_TEXT = re.compile(f"{TEMPLATE_TAG.pattern}|{STRAY_EMPHASIS.pattern}", re.DOTALL)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


def line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    starts.append(len(text) + 1)
    return starts


def front_matter(content: str) -> dict:
    """YAML front matter as a dict of strings; a block YAML cannot read gives what `key: value` lines say."""
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        data = {}
        for line in content.split("\n"):
            key, sep, value = line.partition(":")
            if sep and value.strip():
                data[key.strip()] = value.strip().strip("'\"")
    return {str(k).lower(): str(v) for k, v in data.items() if v is not None and not isinstance(v, (dict, list))}


def render_inline(token, raw: str, start: int, limit: int, mapped: MappedText | None = None) -> MappedText:
    """The visible text of an inline token, each piece tied to its place in raw[start:limit]."""
    mapped = MappedText() if mapped is None else mapped
    cursor = start
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            last = 0
            for tag in _MARKUP_IN_TEXT.finditer(child.content):
                cursor = align(mapped, child.content[last : tag.start()], raw, cursor, limit)
                found = raw.find(tag.group(), cursor, limit)
                cursor = found + len(tag.group()) if found != -1 else cursor
                if tag.group()[0] == "{":
                    mapped.space(cursor)
                last = tag.end()
            cursor = align(mapped, child.content[last:], raw, cursor, limit)
        elif kind == "code_inline":
            cursor = align(mapped, child.content, raw, cursor, limit)
        elif kind in ("softbreak", "hardbreak"):
            mapped.space(cursor)
        elif kind == "html_inline":  # a tag is never text; an image's alt text is not read either
            found = raw.find(child.content, cursor, limit)
            if found != -1:
                cursor = found + len(child.content)
    return mapped


def read_markdown(text: str) -> Document:
    tokens = _parser().parse(text)
    starts = line_starts(text)
    doc = Document(text)
    sections = Sections()
    list_depth = 0
    header: list[str] = []
    seen_text = False  # a heading before any text may be the title
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "front_matter":
            meta = front_matter(tok.content)
            doc.title = squeeze(meta.get("title", "")) or doc.title
            doc.date = meta.get("date") or doc.date
        elif kind == "heading_open":
            inline = tokens[i + 1]
            heading = squeeze(_render(inline, text, starts).text)
            level = int(tok.tag[1:])
            if not doc.title and not seen_text:
                doc.title = heading
            elif heading != doc.title or seen_text:
                sections.enter(level, heading)
            i += 2
        elif kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif kind == "paragraph_open":
            mapped = _render(tokens[i + 1], text, starts)
            if mapped.text.strip():
                seen_text = True
                doc.blocks.append(Block(ITEM if list_depth else PROSE, mapped, sections.path))
            i += 2
        elif kind == "thead_open":
            header = []
        elif kind == "th_open":
            header.append(squeeze(_render(tokens[i + 1], text, starts).text))
        elif kind == "tr_open" and tok.map and tokens[i - 1].type != "thead_open":
            i = _table_row(tokens, i, text, starts, header, doc, sections.path)
            seen_text = True
        elif kind in ("fence", "code_block") and tok.content.strip() and tok.map:
            mapped = MappedText()
            align(mapped, tok.content.rstrip("\n"), text, starts[tok.map[0]], starts[tok.map[1]] - 1)
            doc.blocks.append(Block(CODE, mapped, sections.path))
            seen_text = True
        elif kind == "html_block" and tok.map:
            from footnote.reading.html import read_html_fragment

            for block in read_html_fragment(text, starts[tok.map[0]], starts[tok.map[1]] - 1):
                block.section = block.section or sections.path
                doc.blocks.append(block)
                seen_text = True
        i += 1
    return doc


def _render(inline, text: str, starts: list[int]) -> MappedText:
    first, last = inline.map if inline.map else (0, len(starts) - 2)
    return render_inline(inline, text, starts[first], min(len(text), starts[last] - 1))


def _table_row(tokens, i: int, text: str, starts: list[int], header: list[str], doc: Document, section: str) -> int:
    """One body row read with its column headers ("Header: cell; …"); returns the index of its tr_close."""
    row_start, row_end = starts[tokens[i].map[0]], min(len(text), starts[tokens[i].map[1]] - 1)
    mapped = MappedText()
    column = 0
    cursor = row_start
    i += 1
    while tokens[i].type != "tr_close":
        if tokens[i].type == "td_open":
            cell = render_inline(tokens[i + 1], text, cursor, row_end)
            if cell.text.strip():
                name = header[column] if column < len(header) else ""
                if mapped.length:
                    mapped.add("; ", cursor, cursor)
                if name and name.lower() != cell.text.strip().lower():
                    mapped.add(f"{name}: ", cursor, cursor)
                mapped.extend(cell)
                cursor = cell.raw_end[-1]
            column += 1
            i += 2
        i += 1
    if mapped.text.strip():
        line = text[row_start:row_end]
        lead = len(line) - len(line.lstrip())
        span = (row_start + lead, row_start + len(line.rstrip()))
        doc.blocks.append(Block(ROW, mapped, section, span=span))
    return i
