"""The first ranker's evidence, computed over a real index: what the title already says is not asked of a sentence."""
from __future__ import annotations

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
    rows = SentenceSelector(table, engine._models.sentence).features(nodes, question)
    return {n.node.get_content(): row for n, row in zip(nodes, rows)}


def test_question_words_in_the_title_are_not_asked_of_the_sentence(engine, isolated_dirs):
    write(isolated_dirs / "seeds", "northwind.txt", ARTICLE)
    engine.ensure_ready(show_bar=False)
    feats = features_by_sentence(engine, "Who founded Northwind Traders?")
    lead = feats["Northwind Traders is a wholesale grocery company based in Portland, Oregon."]
    founding = next(row for text, row in feats.items() if text.startswith("It was founded by Maria Anders"))
    # Over all its words the lead covers more; beyond the title's words only the founding sentence covers anything.
    assert lead["cover"] > founding["cover"]
    assert founding["cover_beyond_title"] == 1.0 and lead["cover_beyond_title"] == 0.0


def test_a_question_without_title_words_is_asked_whole(engine, isolated_dirs):
    write(isolated_dirs / "seeds", "northwind.txt", ARTICLE)
    engine.ensure_ready(show_bar=False)
    for row in features_by_sentence(engine, "How many restaurants are supplied?").values():
        assert row["cover_beyond_title"] == row["cover"]
