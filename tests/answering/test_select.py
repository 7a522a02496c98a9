"""The first ranker's evidence, computed over a real index: a sentence is read with its title, and a
sentence that opens with a pronoun with the one before it."""

from __future__ import annotations

import numpy as np
from llama_index.core import QueryBundle

from footnote.answering.select import SentenceSelector
from footnote.retrieval import HybridRetriever
from tests.conftest import write

ARTICLE = """Northwind Traders

Northwind Traders is a wholesale grocery company based in Portland, Oregon. It was founded by Maria Anders in 1987 as a small importer of specialty foods. The company now supplies more than 400 restaurants across the Pacific Northwest.
"""


def features_by_sentence(engine, question: str) -> dict[str, dict[str, float]]:
    table = engine._current_table()
    chunks, sentences = engine._collections()
    nodes = HybridRetriever(table, engine.embed_model, chunks, sentences).retrieve(QueryBundle(question))
    rows = SentenceSelector(table, engine._models.sentence, engine.embed_model).features(nodes, question)
    return {n.node.get_content(): row for n, row in zip(nodes, rows)}


def test_question_words_in_the_title_are_not_asked_of_the_sentence(engine, isolated_dirs):
    write(isolated_dirs / "seeds", "northwind.txt", ARTICLE)
    engine.ensure_ready(show_bar=False)
    feats = features_by_sentence(engine, "Who founded Northwind Traders?")
    lead = feats["Northwind Traders is a wholesale grocery company based in Portland, Oregon."]
    founding = next(row for text, row in feats.items() if text.startswith("It was founded by Maria Anders"))
    # Over all its words the lead covers more; beyond the title's words only the founding sentence covers anything.
    assert lead["cover"] > founding["cover"]
    assert founding["cover_in_context"] == 1.0 and lead["cover_in_context"] == 0.0


def test_a_sentence_that_opens_with_a_pronoun_is_read_with_the_one_before(engine, isolated_dirs):
    write(isolated_dirs / "seeds", "northwind.txt", ARTICLE)
    engine.ensure_ready(show_bar=False)
    feats = features_by_sentence(engine, "Who founded the wholesale grocery company?")  # no title words
    founding = next(row for text, row in feats.items() if text.startswith("It was founded by"))
    assert founding["cover"] < 1.0 and founding["cover_in_context"] == 1.0
    for text, row in feats.items():
        if not text.startswith("It "):
            assert row["cover_in_context"] == row["cover"]


def test_the_best_articles_sentences_are_also_compared_with_the_question_minus_its_title(engine, seeds, embed_model):
    write(seeds, "northwind.txt", ARTICLE)
    engine.ensure_ready(show_bar=False)
    feats = features_by_sentence(engine, "Who founded Northwind Traders?")
    asked_rest = np.asarray(embed_model.get_query_embedding("Who founded"))
    for text, row in feats.items():
        if text in ARTICLE:  # the best article: its own cosine
            expected = float(asked_rest @ np.asarray(embed_model.get_text_embedding(text)))
            assert abs(row["dense_beyond_title"] - expected) < 0.01  # int8 batches differ by ~0.003
            assert row["dense_beyond_title"] != row["dense"]
        else:  # the seed article about Syria: the plain cosine
            assert row["dense_beyond_title"] == row["dense"]
    for row in features_by_sentence(engine, "How many restaurants are supplied?").values():  # no title words
        assert row["dense_beyond_title"] == row["dense"]
