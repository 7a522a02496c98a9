"""Citations checked against the article files as they are now, and the answer against its citations."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

from footnote.answering.answer import Citation
from footnote.corpus import ArticleError, article_document, text_at

_FACT = re.compile(r"\b\d[\d,.]*\b|\b[A-Z][a-zA-Z'’\-]{2,}\b")


def offsets_hold(citation: Citation, seeds_dir: Path, cache: dict) -> bool:
    """Does the article file, as it is now, still read as the quoted text at the cited span?"""
    return text_now(citation.source, citation.start, citation.end, seeds_dir, cache) == citation.text


def text_now(source: str, start: int, end: int, seeds_dir: Path, cache: dict) -> str | None:
    """What the span [start, end) of the article file reads as now, or None when no one block of it
    holds the span (or the file cannot be read)."""
    if source not in cache:
        cache[source] = _document_now(seeds_dir / source, seeds_dir)
    doc = cache[source]
    return None if doc is None else text_at(doc, start, end)


# The last few files read, by their stamp: a page cited again is not parsed again (a Markdown page of
# 40 KB takes ~18 ms), and a file that changed has another stamp, so it is read again.
_RECENT_DOCUMENTS: OrderedDict = OrderedDict()
_RECENT_LOCK = threading.Lock()
_RECENT_MAX = 32


def _document_now(path: Path, seeds_dir: Path):
    """The file's blocks as it is now, or None when it cannot be read."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with _RECENT_LOCK:
            if key in _RECENT_DOCUMENTS:
                _RECENT_DOCUMENTS.move_to_end(key)
                return _RECENT_DOCUMENTS[key]
        doc = article_document(path, seeds_dir)
    except (ArticleError, OSError, ValueError):
        return None
    with _RECENT_LOCK:
        _RECENT_DOCUMENTS[key] = doc
        while len(_RECENT_DOCUMENTS) > _RECENT_MAX:
            _RECENT_DOCUMENTS.popitem(last=False)
    return doc


def unsupported_facts(answer: str, citations: list[Citation]) -> list[str]:
    """Numbers and names in the answer that no cited sentence contains (must be empty)."""
    body = re.sub(r"\[\d+\]", "", answer)
    cited = " ".join(c.text for c in citations).lower()  # the short answer's first letter is capitalised
    # Whole tokens only: "206" must not pass because "2066" is cited.
    return [
        f for f in _FACT.findall(body) if not re.search(rf"(?<![\w.,]){re.escape(f.lower())}(?![\w]|[.,]\d)", cited)
    ]
