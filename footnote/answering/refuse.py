"""Found or not: a calibrated decision on the best candidate's evidence (see scripts/fit_ranker.py)."""

from __future__ import annotations

import re

from llama_index.core.schema import NodeWithScore

from footnote.answering.ranker import Logistic
from footnote.text import terms


def refusal_features(ranked: list[NodeWithScore], question: str, table) -> dict[str, float]:
    """Question-level evidence on the best sentence: how well it matches (as a whole and word by word)
    and whether its window and article hold the question's words; and whether its article is about
    what was asked (its title holds the question's words, its passage matches, the sentence leads it),
    which tells a missing article from a present one best where answering must stay high. Plain shares,
    not IDF-weighted: an absolute decision must not hinge on term statistics, which a small corpus
    makes noisy."""
    meta = ranked[0].node.metadata
    feats = meta["features"]
    words = set(terms(question))
    window = table.window_terms(meta["row"])
    article = table.article_terms(meta["source"])
    entry = table.catalog.entries.get(meta["source"])
    title = set(terms(entry.title)) if entry else set()
    return {
        "dense_top": feats["dense"],
        "window_share": len(words & window) / len(words) if words else 0.0,
        "article_share": len(words & article) / len(words) if words else 0.0,
        "type_top": feats["type"],
        "bigram_top": feats.get("bigram", 0.0),
        "token_match_top": feats.get("token_match", 0.0),  # answering/late.py; 0 when the model has no token states
        "chunk_top": feats["chunk"],
        "title_share": len(words & title) / len(words) if words else 0.0,
        "lead_top": feats["lead"],
        # Team documents: the headings over the sentence (and the page title) hold the question's words.
        "heading_share": len(words & (title | set(terms(meta.get("section", ""))))) / len(words) if words else 0.0,
        # A unit under headings is embedded with them (chunking.embed_text), which lifts its cosines:
        # its match is judged on a scale of its own.
        "structured": 1.0 if under_headings(meta) else 0.0,
        "dense_top_structured": feats["dense"] if under_headings(meta) else 0.0,
        # How sure the ranker is, and whether its best few agree on one article: a missing article's
        # question scatters its candidates over several near ones.
        "ranker_top": float(ranked[0].score or 0.0),
        "top_same_article": sum(n.node.metadata["source"] == meta["source"] for n in ranked[:5]) / min(5, len(ranked)),
    }


def is_answered(ranked: list[NodeWithScore], question: str, table, classifier: Logistic) -> tuple[bool, float]:
    """(answer it?, confidence): the classifier's probability against its fitted threshold, and no
    negation asked that the best sentence does not state (see negation_unmet)."""
    p = classifier.probability(refusal_features(ranked, question, table))
    return p >= threshold_for(ranked[0], classifier) and not negation_unmet(question, ranked[0].node.text), p


def under_headings(meta: dict) -> bool:
    """Does the unit sit under headings? Then it was embedded with them (chunking.embed_text)."""
    return bool(meta.get("section"))


def threshold_for(best: NodeWithScore, classifier: Logistic) -> float:
    """Each kind of unit has its own threshold, fitted so that neither kind of document is refused
    more often than the other: a unit under headings scores lower for the same evidence."""
    if under_headings(best.node.metadata) and classifier.threshold_structured is not None:
        return classifier.threshold_structured
    return classifier.threshold


# Words that make a question ask about what did not happen, or about the least of something.
_NEGATION = re.compile(r"\b(?:not|never|no|none|neither|nor|without|cannot|least|fewest)\b|n['’]t\b", re.IGNORECASE)


def negation_unmet(question: str, sentence: str) -> bool:
    """Does the question ask about a negation ("Who was never...", "the least...") that the sentence
    does not state? Then the sentence cannot answer it, however close it reads: SQuAD 2.0 builds many
    of its unanswerable look-alikes by inserting one, and answerable questions rarely ask with one
    (docs/measurements-2026.md)."""
    return bool(_NEGATION.search(question)) and not _NEGATION.search(sentence)
