"""Late interaction: token matches from the real e5 model, and the reranker that uses them."""

from __future__ import annotations

import numpy as np
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from footnote.answering.late import TokenMatchReranker, contenders, supports_token_states, token_match
from footnote.answering.ranker import RERANK_FEATURES, Logistic


def test_token_match_is_the_mean_of_each_question_tokens_best_cosine():
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    s = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert token_match(q, s) == (1.0 + 0.8) / 2
    assert token_match(q, np.zeros((0, 2))) == 0.0


def test_a_sentence_holding_the_questions_words_matches_better(embed_model):
    assert supports_token_states(embed_model)
    reranker = TokenMatchReranker(embed_model, None)
    nodes = [
        NodeWithScore(node=TextNode(text=t))
        for t in (
            "The company's history is long, and its founders are remembered fondly.",
            "Larry Page and Sergey Brin founded Google in September 1998.",
        )
    ]
    topical, holding = reranker.token_matches(nodes, "Who founded Google in 1998?")
    assert holding > topical


def test_reranker_keeps_the_top_n_and_orders_them_by_its_own_model(embed_model):
    only_matches = Logistic(RERANK_FEATURES, tuple(10.0 if n == "token_match" else 0.0 for n in RERANK_FEATURES), -5.0)
    texts = [
        "The weather in Paris was mild all week.",
        "The Eiffel Tower was completed in 1889 for the World's Fair.",
        "Paris hosted the World's Fair several times.",
        "Tourism is important to the French economy.",
    ]
    nodes = [
        NodeWithScore(node=TextNode(text=t, metadata={"features": {"dense": 0.8}}), score=1.0 - i / 10)
        for i, t in enumerate(texts)
    ]
    out = TokenMatchReranker(embed_model, only_matches, top_n=3).postprocess_nodes(
        nodes, QueryBundle("When was the Eiffel Tower completed?")
    )
    assert len(out) == 3 and texts[3] not in [n.node.text for n in out]
    assert out[0].node.text == texts[1]
    matches = [n.node.metadata["features"]["token_match"] for n in out]
    assert matches == sorted(matches, reverse=True)
    assert [n.score for n in out] == [only_matches.probability(n.node.metadata["features"]) for n in out]


def test_only_the_first_rankers_contenders_are_re_scored():
    scores = [0.8, 0.5, 0.3, 0.7]
    assert contenders(scores, top_n=3, share=0.5) == [0, 1]  # 0.3 < 0.4; the 0.7 is 4th
    assert contenders([], top_n=3) == []
    assert contenders(scores[2:], top_n=3, share=0.5) == [0, 1]  # the top one always
