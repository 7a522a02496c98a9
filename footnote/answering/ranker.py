"""The fitted weights: a logistic sentence ranker (and a second one when it wins held out) and a refusal
classifier, read from ranker.json.

`scripts/fit_ranker.py` fits them on the question sets and rewrites the JSON, with its provenance
(sets, data hash, fold rule, chosen features, model, commit, date)."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

SENTENCE_FEATURES = (
    "dense",
    "dense_beyond_title",
    "dense_gap",
    "bm25",
    "chunk",
    "cover",
    "cover_in_context",
    "window_cover",
    "bigram",
    "title",
    "type",
    "article",
    "lead",
    "position",
    "missing",
    "section",
    "short",
)
RERANK_FEATURES = SENTENCE_FEATURES + ("token_match",)  # the second stage: answering/late.py
REFUSAL_FEATURES = (
    "dense_top",
    "window_share",
    "article_share",
    "type_top",
    "bigram_top",
    "token_match_top",
    "chunk_top",
    "title_share",
    "lead_top",
    "heading_share",
    "structured",
    "dense_top_structured",
    "ranker_top",
    "top_same_article",
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Logistic:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5
    # The refusal's threshold when the best unit sits under headings: such units are embedded with
    # them, so their evidence reads on a scale of its own (answering/refuse.py).
    threshold_structured: float | None = None

    def logit(self, features: dict[str, float]) -> float:
        """A feature the model weighs must be there: a renamed one raises instead of weighing 0."""
        return self.bias + sum(w * features[n] for n, w in zip(self.names, self.weights) if w)

    def probability(self, features: dict[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


class RankerFileError(RuntimeError):
    """ranker.json is missing or names features the code does not compute."""


def _model(spec: dict, names: tuple[str, ...], file: Path) -> Logistic:
    """The weights of `spec`; features it does not name weigh 0 (feature selection left them out)."""
    unknown = sorted(set(spec["weights"]) - set(names))
    if unknown:
        raise RankerFileError(f"{file} weighs unknown features {unknown}: refit it with scripts/fit_ranker.py")
    return Logistic(
        names,
        tuple(float(spec["weights"].get(n, 0.0)) for n in names),
        float(spec["bias"]),
        float(spec.get("threshold", 0.5)),
        float(spec["threshold_structured"]) if "threshold_structured" in spec else None,
    )


class Models(NamedTuple):
    sentence: Logistic  # ranks every candidate (answering/select.py)
    rerank: Logistic | None  # re-scores the best few with token matches (answering/late.py); None: not fitted
    refusal: Logistic  # answer or refuse (answering/refuse.py), on the best sentence after the stages that ran
    refusal_plain: Logistic  # without token matches, when the second stage does not run (= refusal if not fitted)


@lru_cache(maxsize=4)
def load_models(path: str | None = None) -> Models:
    """The fitted models from ranker.json beside this file (it ships in the package)."""
    file = Path(path) if path else Path(__file__).with_name("ranker.json")
    try:
        spec = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise RankerFileError(
            f"{file} cannot be read ({exc.__class__.__name__}): reinstall Footnote "
            "or refit it with scripts/fit_ranker.py"
        ) from None
    rerank = _model(spec["rerank"], RERANK_FEATURES, file) if "rerank" in spec else None
    refusal = _model(spec["refusal"], REFUSAL_FEATURES, file)
    plain = _model(spec["refusal_plain"], REFUSAL_FEATURES, file) if "refusal_plain" in spec else refusal
    return Models(_model(spec["sentence"], SENTENCE_FEATURES, file), rerank, refusal, plain)
