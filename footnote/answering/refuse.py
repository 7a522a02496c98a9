"""Found or not: a calibrated decision on the best candidate's evidence (see scripts/fit_ranker.py)."""
from __future__ import annotations

from llama_index.core.schema import NodeWithScore

from footnote.answering.evidence import missing_specifics
from footnote.answering.ranker import Logistic


def refusal_features(ranked: list[NodeWithScore], question: str, article_text: str) -> dict[str, float]:
    """Question-level evidence: how good the best sentence is and whether its article knows the specifics."""
    top = ranked[0]
    feats = top.node.metadata["features"]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return {
        "p_top": top.score or 0.0,
        "dense_top": feats["dense"],
        "cover_top": feats["cover"],
        "type_top": feats["type"],
        "missing_article": missing_specifics(question, article_text),
        "margin": (top.score or 0.0) - (second or 0.0),
        "bm25_raw": top.node.metadata.get("bm25", 0.0),
    }


def is_answered(features: dict[str, float], classifier: Logistic) -> tuple[bool, float]:
    """(answer it?, confidence) — the classifier's probability against its fitted threshold."""
    p = classifier.probability(features)
    return p >= classifier.threshold, p
