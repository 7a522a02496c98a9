"""Which ranked sentences an answer cites: the best one, and up to two more that score nearly as
well, each checked against its file as it is now (answering/verify.py). Cited sentences that stand
side by side in one paragraph are quoted as one passage."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from footnote.answering.answer import Citation
from footnote.answering.verify import offsets_hold, text_now

log = logging.getLogger(__name__)

MAX_CITATIONS = 3
# A further sentence is cited when its probability is at least this share of the best one's: the
# trade between citing the gold sentence and citing only good ones (docs/measurements-2026.md).
SECOND_CITATION = 0.7


def citation_of(node, n: int, table) -> Citation:
    """A ranked candidate as citation number n, with its article's title and date from the catalog."""
    meta = node.node.metadata
    entry = table.catalog.entries[meta["source"]]
    return Citation(
        n,
        meta["source"],
        entry.title,
        entry.date,
        meta["n"],
        meta["start"],
        meta["end"],
        node.node.get_content(),
        round(float(node.score or 0.0), 4),
        meta["line"],
        meta.get("section", ""),
        meta.get("page"),
    )


def choose_citations(ranked, table, seeds_dir: Path) -> list[Citation]:
    """The top sentence, plus up to two more that score nearly as well; a quote whose file no longer
    holds it at its offsets is dropped (with a warning to re-index). A chosen sentence right before or
    after an earlier choice in the same paragraph joins it: one quote reads better than two halves."""
    top = ranked[0].score or 0.0
    chosen = [ranked[0]] + [n for n in ranked[1 : MAX_CITATIONS + 2] if (n.score or 0.0) >= SECOND_CITATION * top]
    cache: dict = {}
    out: list[Citation] = []
    for node in chosen:
        cite = citation_of(node, len(out) + 1, table)
        if not offsets_hold(cite, seeds_dir, cache):
            log.warning("%s changed since it was indexed: run `python bot.py index`", cite.source)
            continue
        for k, earlier in enumerate(out):
            passage = _joined(earlier, cite, seeds_dir, cache)
            if passage is not None:
                out[k] = passage
                break
        else:
            if len(out) == MAX_CITATIONS:
                break
            out.append(cite)
    return out


def _joined(earlier: Citation, cite: Citation, seeds_dir: Path, cache: dict) -> Citation | None:
    """`earlier` extended by `cite` when they are neighbours in one block of one file, else None."""
    if cite.source != earlier.source or cite.page != earlier.page:
        return None
    if cite.sentence == earlier.sentence + earlier.sentences:
        first, start, end = earlier, earlier.start, cite.end
    elif cite.sentence == earlier.sentence - 1:
        first, start, end = cite, cite.start, earlier.end
    else:
        return None
    text = text_now(cite.source, start, end, seeds_dir, cache)  # None across blocks: two list items stay two
    if text is None:
        return None
    return replace(
        earlier,
        sentence=first.sentence,
        start=start,
        end=end,
        text=text,
        line=first.line,
        sentences=earlier.sentences + 1,
    )
