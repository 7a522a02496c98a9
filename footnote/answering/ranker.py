"""The fitted weights: a logistic sentence ranker (and a second one when it wins held out) and a refusal
classifier, read from ranker.json.

`scripts/fit_ranker.py` fits them on the dev set and rewrites the JSON; the defaults here are only a
starting point that keeps the engine usable before any fit."""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

SENTENCE_FEATURES = ("dense", "dense_beyond_title", "dense_gap", "bm25", "chunk", "cover", "cover_in_context",
                     "window_cover", "bigram", "title", "type", "article", "lead", "position", "missing")
RERANK_FEATURES = SENTENCE_FEATURES + ("token_match",)  # the second stage: answering/late.py
REFUSAL_FEATURES = ("dense_top", "window_share", "article_share", "type_top", "bigram_top", "token_match_top",
                    "chunk_top", "title_share", "lead_top")

log = logging.getLogger(__name__)

_DEFAULT = {  # the 2026-11-27 refit (seventh session), rounded (the token-match stage did not win: no weights)
    "sentence": {"weights": {"dense": 8.88, "dense_beyond_title": 13.03, "cover_in_context": 0.70, "title": 2.22,
                             "type": 0.37, "article": 23.08, "missing": 0.13},
                 "bias": -21.79},
    "refusal": {"weights": {"dense_top": 41.56, "window_share": 1.18, "article_share": 3.64, "type_top": 0.40,
                            "bigram_top": 1.19, "chunk_top": 1.75, "title_share": 3.98, "lead_top": 0.59},
                "bias": -40.17, "threshold": 0.53},
}


@dataclass(frozen=True)
class Logistic:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5

    def logit(self, features: dict[str, float]) -> float:
        return self.bias + sum(w * features.get(n, 0.0) for n, w in zip(self.names, self.weights))

    def probability(self, features: dict[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def _model(spec: dict, names: tuple[str, ...]) -> Logistic:
    return Logistic(names, tuple(float(spec["weights"].get(n, 0.0)) for n in names), float(spec["bias"]),
                    float(spec.get("threshold", 0.5)))


class Models(NamedTuple):
    sentence: Logistic  # ranks every candidate (answering/select.py)
    rerank: Logistic | None  # re-scores the best few with token matches (answering/late.py); None: not fitted
    refusal: Logistic  # answer or refuse (answering/refuse.py), on the best sentence after the stages that ran
    refusal_plain: Logistic  # without token matches, when the second stage does not run (= refusal if not fitted)


@lru_cache(maxsize=4)
def load_models(path: str | None = None) -> Models:
    """The fitted models from ranker.json beside this file, or the defaults."""
    file = Path(path) if path else Path(__file__).with_name("ranker.json")
    if file.exists():
        spec = json.loads(file.read_text())
    else:
        log.warning("%s is missing: using unfitted default weights (run scripts/fit_ranker.py)", file)
        spec = _DEFAULT
    rerank = _model(spec["rerank"], RERANK_FEATURES) if "rerank" in spec else None
    refusal = _model(spec["refusal"], REFUSAL_FEATURES)
    plain = _model(spec["refusal_plain"], REFUSAL_FEATURES) if "refusal_plain" in spec else refusal
    return Models(_model(spec["sentence"], SENTENCE_FEATURES), rerank, refusal, plain)
