"""SentenceSelector(BaseNodePostprocessor): candidate sentences → ranked by the fitted logistic ranker."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from footnote.answering.evidence import (
    answer_type,
    bigram_overlap,
    has_type,
    missing_specifics,
    opens_with_pronoun,
    without_title_words,
)
from footnote.answering.ranker import Logistic
from footnote.embeddings import embed_query
from footnote.text import terms, words


@lru_cache(maxsize=4096)
def section_terms(section: str) -> frozenset[str]:
    return frozenset(terms(section))


class SentenceSelector(BaseNodePostprocessor):
    """Scores each candidate sentence on its evidence; node.score becomes the ranker's probability."""

    _table: Any = PrivateAttr()
    _ranker: Logistic = PrivateAttr()
    _embed_model: Any = PrivateAttr()

    def __init__(self, table, ranker: Logistic, embed_model=None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._table = table
        self._ranker = ranker
        self._embed_model = embed_model  # for dense_beyond_title; without it that feature is the plain cosine

    def _cosines_beyond_title(
        self, nodes: list[NodeWithScore], question: str, source: str, title_terms: set[str]
    ) -> dict[int, float]:
        """Position → cosine of the question without the words of `source`'s title, for that article's
        candidates: the dense counterpart of cover_in_context, one more query embedding at most, and
        only for the best article (held out, the others' gain nothing)."""
        rest = without_title_words(question, title_terms)
        mine = [j for j, n in enumerate(nodes) if n.node.metadata["source"] == source and n.node.embedding is not None]
        if rest == question or self._embed_model is None or not mine:
            return {}
        vector = embed_query(self._embed_model, rest)
        return {j: float(np.dot(vector, np.asarray(nodes[j].node.embedding, dtype=np.float32))) for j in mine}

    @classmethod
    def class_name(cls) -> str:
        return "SentenceSelector"

    def features(self, nodes: list[NodeWithScore], question: str) -> list[dict[str, float]]:
        """The ranker's inputs for each candidate (also what scripts/fit_ranker.py learns from)."""
        if not nodes:
            return []
        qterms = terms(question)
        kind = answer_type(question)
        asked = words(question)
        best_dense = max(n.node.metadata["dense"] for n in nodes)
        per_article: dict[str, float] = {}
        for n in nodes:
            src = n.node.metadata["source"]
            per_article[src] = max(per_article.get(src, -1.0), n.node.metadata["dense"])
        # source → (its title's terms, the words the asker has: the question's and the title's)
        titles: dict[str, tuple[set[str], frozenset[str]]] = {}
        for src in per_article:
            entry = self._table.catalog.entries.get(src)
            title = entry.title if entry else ""
            titles[src] = set(terms(title)), asked | words(title)
        best = max(per_article, key=per_article.get)
        beyond_title_cos = self._cosines_beyond_title(nodes, question, best, titles[best][0])
        rows = []
        for j, n in enumerate(nodes):
            meta = n.node.metadata
            src = meta["source"]
            title_terms, known = titles[src]
            # A sentence is read in its context: the question's words that the article's title already
            # holds are not asked of it ("It was founded by..." in the Walmart article), and a sentence
            # that opens with a pronoun is read with the sentence it refers back to.
            beyond_title = [t for t in qterms if t not in title_terms] or qterms
            text = n.node.get_content()
            own_terms = self._table.window_terms(meta["row"], before=1 if opens_with_pronoun(text) else 0, after=0)
            rows.append(
                {
                    "dense": meta["dense"],
                    "dense_beyond_title": beyond_title_cos.get(j, meta["dense"]),
                    "dense_gap": meta["dense"] - best_dense,
                    "bm25": meta["bm25"],
                    "chunk": meta["chunk"],
                    "cover": self._table.weights.coverage(qterms, self._table.term_set(meta["row"])),
                    "cover_in_context": self._table.weights.coverage(beyond_title, own_terms),
                    "window_cover": self._table.weights.coverage(qterms, self._table.window_terms(meta["row"])),
                    "bigram": bigram_overlap(qterms, self._table.row_terms(meta["row"])),
                    "title": self._table.weights.coverage(qterms, title_terms),
                    "type": 0.0 if kind is None else (1.0 if has_type(text, kind, known) else -1.0),
                    "article": per_article[src] - best_dense,
                    "lead": 1.0 if meta["n"] == 0 else 0.0,
                    "position": 1.0 / (1.0 + meta["n"]),
                    "missing": missing_specifics(question, text),
                    # Team documents: the headings above a unit say what it is about ("Hotels" over a bare limit),
                    # and a two-word list entry is a link or a label more often than an answer.
                    "section": self._table.weights.coverage(qterms, section_terms(meta.get("section", ""))),
                    "short": 1.0 if len(text.split()) <= 3 else 0.0,
                }
            )
        return rows

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None or not nodes:
            return nodes
        for node, feats in zip(nodes, self.features(nodes, query_bundle.query_str)):
            node.node.metadata["features"] = feats
            node.score = self._ranker.probability(feats)
        return sorted(nodes, key=lambda n: n.score or 0.0, reverse=True)
