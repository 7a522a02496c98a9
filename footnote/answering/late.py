"""TokenMatchReranker(BaseNodePostprocessor): the ranker's top few, re-scored word by word.

A sentence vector is one average: it says a sentence is about the question's topic, not that it
holds the words the question turns on. Late interaction (ColBERT's MaxSim, here zero-shot on e5's
own last layer) matches each question token with its closest token in the sentence and averages
those best matches. Only the first ranker's contenders are re-encoded, since this costs a model pass
per sentence; docs/measurements-2026.md says what it costs and buys on the dev set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from footnote.answering.ranker import Logistic

# Which of the first ranker's best are re-scored: at most its top 3, and of those only the ones whose
# probability is at least half the top one's (the top one always, for the refusal). Held out, a wider
# top gains nothing and dropping the far ones changes no answer, while most questions then encode one
# sentence, not three (docs/measurements-2026.md).
RERANK_TOP_N = 3
CONTENDER_SHARE = 0.5


def token_match(question: np.ndarray, sentence: np.ndarray) -> float:
    """Mean over the question's tokens of the best cosine with any sentence token (unit rows in)."""
    if not len(question) or not len(sentence):
        return 0.0
    return float((question @ sentence.T).max(axis=1).mean())


def supports_token_states(embed_model) -> bool:
    return callable(getattr(embed_model, "token_states", None))


def contenders(scores: list[float], top_n: int = RERANK_TOP_N, share: float = CONTENDER_SHARE) -> list[int]:
    """Positions, in a best-first ranking with these probabilities, of what the second stage re-scores:
    the top one, and the next up to top_n whose probability is within `share` of it."""
    if not scores:
        return []
    return [0] + [j for j in range(1, min(top_n, len(scores))) if scores[j] >= share * scores[0]]


class TokenMatchReranker(BaseNodePostprocessor):
    """Keeps the first ranker's contenders and re-scores them with token_match added to their
    features; node.score becomes the second ranker's probability."""

    top_n: int = RERANK_TOP_N
    share: float = CONTENDER_SHARE
    _embed_model: Any = PrivateAttr()
    _ranker: Logistic = PrivateAttr()

    def __init__(
        self, embed_model, ranker: Logistic, top_n: int = RERANK_TOP_N, share: float = CONTENDER_SHARE, **kwargs: Any
    ) -> None:
        super().__init__(top_n=top_n, share=share, **kwargs)
        self._embed_model = embed_model
        self._ranker = ranker

    @classmethod
    def class_name(cls) -> str:
        return "TokenMatchReranker"

    def token_matches(self, nodes: list[NodeWithScore], question: str) -> list[float]:
        """token_match of each node's sentence with the question (what scripts/fit_ranker.py learns from)."""
        if not nodes:
            return []
        q = self._embed_model.token_states([question], query=True)[0]
        sentences = self._embed_model.token_states([n.node.get_content() for n in nodes])
        return [token_match(q, s) for s in sentences]

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None or not nodes:
            return nodes
        head = [nodes[j] for j in contenders([n.score or 0.0 for n in nodes], self.top_n, self.share)]
        for node, match in zip(head, self.token_matches(head, query_bundle.query_str)):
            feats = node.node.metadata["features"]
            feats["token_match"] = match
            node.score = self._ranker.probability(feats)
        return sorted(head, key=lambda n: n.score or 0.0, reverse=True)
