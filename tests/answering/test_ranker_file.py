"""ranker.json describes itself, and its weights name exactly the features the code computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote.answering.ranker import REFUSAL_FEATURES, SENTENCE_FEATURES, Logistic, RankerFileError, load_models

SHIPPED = Path(__file__).resolve().parents[2] / "footnote" / "answering" / "ranker.json"


def test_the_shipped_ranker_carries_its_provenance_and_its_chosen_features():
    spec = json.loads(SHIPPED.read_text())
    made = spec["provenance"]
    assert made["command"].startswith("python scripts/fit_ranker.py --dev")
    assert {"sets", "data_sha256", "fold_rule", "embed_model", "commit", "date"} <= set(made)
    assert set(spec["sentence"]["weights"]) == set(made["features"]) == set(spec["sentence"]["weights_per_sd"])
    assert set(made["features"]) <= set(SENTENCE_FEATURES)
    assert set(spec["refusal"]["weights"]) == set(REFUSAL_FEATURES)


def test_a_feature_name_the_code_does_not_compute_is_an_error(tmp_path):
    spec = json.loads(SHIPPED.read_text())
    spec["sentence"]["weights"]["renamed_feature"] = 1.0
    bad = tmp_path / "ranker.json"
    bad.write_text(json.dumps(spec))
    with pytest.raises(RankerFileError, match="renamed_feature"):
        load_models(str(bad))


def test_a_weighed_feature_missing_from_the_input_raises_instead_of_weighing_zero():
    model = Logistic(("dense", "title"), (2.0, 1.0), 0.0)
    assert model.logit({"dense": 1.0, "title": 1.0}) == 3.0
    with pytest.raises(KeyError):
        model.logit({"dense": 1.0})


def test_a_best_unit_under_headings_is_judged_against_its_own_threshold():
    from llama_index.core.schema import NodeWithScore, TextNode

    from footnote.answering.refuse import threshold_for

    refusal = load_models(str(SHIPPED)).refusal
    assert refusal.threshold_structured is not None and refusal.threshold_structured != refusal.threshold
    under_heading = NodeWithScore(node=TextNode(text="Outbound quota: 4", metadata={"section": "Plan quota"}))
    prose = NodeWithScore(node=TextNode(text="The quota is four.", metadata={"section": ""}))
    assert threshold_for(under_heading, refusal) == refusal.threshold_structured
    assert threshold_for(prose, refusal) == refusal.threshold
