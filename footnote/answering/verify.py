"""Citations checked against the article files as they are now, and the answer against its citations."""

from __future__ import annotations

import re
from pathlib import Path

from footnote.answering.answer import Citation
from footnote.corpus import ArticleError, article_document, text_at

_FACT = re.compile(r"\b\d[\d,.]*\b|\b[A-Z][a-zA-Z'’\-]{2,}\b")


def offsets_hold(citation: Citation, seeds_dir: Path, cache: dict) -> bool:
    """Does the article file, as it is now, still read as the quoted text at the cited span?"""
    if citation.source not in cache:
        try:
            cache[citation.source] = article_document(seeds_dir / citation.source, seeds_dir)
        except (ArticleError, OSError, ValueError):
            cache[citation.source] = None
    doc = cache[citation.source]
    return doc is not None and text_at(doc, citation.start, citation.end) == citation.text


def unsupported_facts(answer: str, citations: list[Citation]) -> list[str]:
    """Numbers and names in the answer that no cited sentence contains (must be empty)."""
    body = re.sub(r"\[\d+\]", "", answer)
    cited = " ".join(c.text for c in citations).lower()  # the short answer's first letter is capitalised
    # Whole tokens only: "206" must not pass because "2066" is cited.
    return [
        f for f in _FACT.findall(body) if not re.search(rf"(?<![\w.,]){re.escape(f.lower())}(?![\w]|[.,]\d)", cited)
    ]
