"""The fitted weights: a logistic sentence ranker and a refusal classifier, read from ranker.json.

`scripts/fit_ranker.py` fits both on the dev set and rewrites the JSON; the defaults here are only a
starting point that keeps the engine usable before any fit."""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SENTENCE_FEATURES = ("dense", "dense_gap", "bm25", "chunk", "cover", "window_cover", "bigram", "title", "type",
                     "article", "lead", "position", "missing")
REFUSAL_FEATURES = ("dense_top", "window_share", "article_share", "type_top", "bigram_top")

log = logging.getLogger(__name__)

_DEFAULT = {  # the 2026-11-26 fit, rounded: forward selection kept dense cosine and term coverage
    "sentence": {"weights": {"dense": 38.59, "cover": 1.63}, "bias": -36.34},
    "refusal": {"weights": {"dense_top": 61.3, "window_share": 0.93, "article_share": 3.14, "type_top": 0.26,
                            "bigram_top": 1.53}, "bias": -54.99, "threshold": 0.5},
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


@lru_cache(maxsize=4)
def load_models(path: str | None = None) -> tuple[Logistic, Logistic]:
    """(sentence ranker, refusal classifier) from ranker.json beside this file, or the defaults."""
    file = Path(path) if path else Path(__file__).with_name("ranker.json")
    if file.exists():
        spec = json.loads(file.read_text())
    else:
        log.warning("%s is missing: using unfitted default weights (run scripts/fit_ranker.py)", file)
        spec = _DEFAULT
    return _model(spec["sentence"], SENTENCE_FEATURES), _model(spec["refusal"], REFUSAL_FEATURES)
