"""Found or not: a calibrated decision on the best candidate's evidence (see scripts/fit_ranker.py)."""
from __future__ import annotations

from llama_index.core.schema import NodeWithScore

from footnote.answering.evidence import missing_specifics, terms
from footnote.answering.ranker import Logistic


def refusal_features(ranked: list[NodeWithScore], question: str, table) -> dict[str, float]:
    """Question-level evidence: how good the best sentence is and whether its article knows the specifics."""
    top = ranked[0]
    meta = top.node.metadata
    feats = meta["features"]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    entry = table.catalog.entries[meta["source"]]
    article_text = " ".join(s.text for s in entry.sentences) + " " + entry.title
    qterms = terms(question)
    window = table.window_terms(meta["row"])
    article = table.article_terms(meta["source"])
    plain = set(qterms)
    return {
        # Unweighted shares: an absolute decision must not hinge on IDF, which a small corpus makes noisy.
        "window_share": len(plain & window) / len(plain) if plain else 0.0,
        "article_share": len(plain & article) / len(plain) if plain else 0.0,
        "p_top": top.score or 0.0,
        "dense_top": feats["dense"],
        "cover_top": feats["cover"],
        "window_cover_top": feats["window_cover"],
        "article_cover": table.weights.coverage(qterms, article),
        "rarest_missing_window": table.weights.rarest_missing(qterms, window),
        "rarest_missing_article": table.weights.rarest_missing(qterms, article),
        "type_top": feats["type"],
        "bigram_top": feats.get("bigram", 0.0),
        "missing_article": missing_specifics(question, article_text),
        "margin": (top.score or 0.0) - (second or 0.0),
        "bm25_raw": meta.get("bm25", 0.0),
    }


def is_answered(features: dict[str, float], classifier: Logistic) -> tuple[bool, float]:
    """(answer it?, confidence) — the classifier's probability against its fitted threshold."""
    p = classifier.probability(features)
    return p >= classifier.threshold, p
