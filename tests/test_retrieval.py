"""HybridRetriever on real Chroma and the real model: what each leg finds and what it must never return."""

from __future__ import annotations

import pytest
from llama_index.core.schema import QueryBundle

from footnote.embeddings import embed_query
from footnote.retrieval import HybridRetriever
from footnote.store import SEARCH_EF, get_collections, open_client
from tests.conftest import write

HARBOUR = (
    "The old harbour\nDate: 2020-05-01\n\nFishing boats leave the harbour at dawn. The harbour master keeps a "
    "log of every boat that sails. In winter the harbour freezes over. Local divers once found a lump of "
    "vorquilite under the north pier.\n"
)
MINES = (
    "Mining minerals\n\nMiners dig rare minerals and gemstones from deep underground rock. Geologists study "
    "where each mineral was found and how it formed. Crystals of quartz are the most common find.\n"
)
ORCHARD = (
    "Apple orchards\n\nApples grow on trees in orchards. Farmers pick them in autumn. Cider is pressed from apples.\n"
)
RARE = "harbour.txt#s3"  # the only sentence with the made-up word "vorquilite"
# Dense reads this as a question about mining; only BM25 knows the one rare word that points elsewhere.
MINING_QUESTION = "Which rare minerals and gemstones do miners dig from deep underground rock, such as vorquilite?"


@pytest.fixture
def indexed(engine, settings):
    for name, text in (("harbour.txt", HARBOUR), ("mines.txt", MINES), ("orchard.txt", ORCHARD)):
        write(settings.seeds_dir, name, text)
    engine.index(show_bar=False)
    chunks, sentences = get_collections(open_client(settings), engine.embed_model.model_name)
    return engine, chunks, sentences


def retrieve(engine, chunks, sentences, question: str, **knobs):
    table = engine._current_table()
    return HybridRetriever(table, engine.embed_model, chunks, sentences, **knobs).retrieve(QueryBundle(question))


def test_a_rare_keyword_is_found_by_bm25_when_dense_points_elsewhere(indexed):
    engine, chunks, sentences = indexed
    qvec = embed_query(engine.embed_model, MINING_QUESTION).tolist()
    dense_top = sentences.query(query_embeddings=[qvec], n_results=1)["ids"][0][0]
    chunk_top = chunks.query(query_embeddings=[qvec], n_results=1, include=["metadatas"])["metadatas"][0][0]
    assert dense_top != RARE and chunk_top["source"] != "harbour.txt"  # dense alone would never see it

    found = {n.node.node_id: n for n in retrieve(engine, chunks, sentences, MINING_QUESTION, dense_k=1, chunk_k=1)}
    assert RARE in found, sorted(found)
    meta = found[RARE].node.metadata
    assert meta["bm25"] > 0.0  # BM25 brought it in: it shares only the rare word with the question
    assert meta["chunk"] == 0.0  # not from the chunk leg
    assert 0.0 < meta["dense"] < found[dense_top].node.metadata["dense"]  # its cosine, filled in from Chroma
    assert "vorquilite" in found[RARE].node.get_content()

    alone = {n.node.node_id: n.node.metadata for n in retrieve(engine, chunks, sentences, "vorquilite")}
    assert alone[RARE]["bm25"] == 1.0 and all(m["bm25"] == 0.0 for i, m in alone.items() if i != RARE)


def test_candidates_carry_their_evidence_and_offsets(indexed, settings):
    engine, chunks, sentences = indexed
    candidates = retrieve(engine, chunks, sentences, "When do fishing boats leave the harbour?")
    assert candidates and len({n.node.node_id for n in candidates}) == len(candidates)
    scores = [n.score for n in candidates]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    texts = {
        name: (settings.seeds_dir / name).read_text(encoding="utf-8")
        for name in ("harbour.txt", "mines.txt", "orchard.txt")
    }
    for n in candidates:
        meta = n.node.metadata
        assert set(meta) >= {"source", "n", "start", "end", "line", "dense", "bm25", "chunk", "row"}
        assert n.node.node_id == f"{meta['source']}#s{meta['n']}"
        assert texts[meta["source"]][meta["start"] : meta["end"]] == n.node.get_content()
        assert -1.0 <= meta["dense"] <= 1.0 and 0.0 <= meta["bm25"] <= 1.0 and 0.0 <= meta["chunk"] <= 1.0
    top = candidates[0].node.metadata
    assert (top["source"], top["n"]) == ("harbour.txt", 0)
    assert top["bm25"] > 0 and top["chunk"] > 0 and top["dense"] > 0  # all three legs agree on it


def test_sentences_missing_from_the_catalog_are_never_returned(indexed):
    """A killed run can leave vectors whose catalog commit never happened: they are not ours yet."""
    engine, chunks, sentences = indexed
    question = "When do fishing boats leave the harbour?"
    qvec = embed_query(engine.embed_model, question).tolist()
    before = engine.status()["sentences"]
    ghost_text = "Fishing boats leave the harbour at dawn, every day."
    sentences.upsert(
        ids=["ghost.txt#s0", "harbour.txt#s99"],
        embeddings=[qvec, qvec],
        documents=[ghost_text, ghost_text],
        metadatas=[{"source": "ghost.txt", "n": 0, "chunk": "x"}, {"source": "harbour.txt", "n": 99, "chunk": "x"}],
    )
    chunks.upsert(
        ids=["ghost-chunk"],
        embeddings=[qvec],
        documents=[ghost_text],
        metadatas=[{"source": "ghost.txt", "first_sentence": 0, "last_sentence": 0}],
    )
    # the stray vectors are the nearest there are: dense really does return them first
    assert set(sentences.query(query_embeddings=[qvec], n_results=2)["ids"][0]) == {"ghost.txt#s0", "harbour.txt#s99"}

    for knobs in ({}, {"dense_k": 2, "chunk_k": 1}):
        ids = [n.node.node_id for n in retrieve(engine, chunks, sentences, question, **knobs)]
        assert ids and "ghost.txt#s0" not in ids and "harbour.txt#s99" not in ids
        assert all(i.split("#")[0] in {"harbour.txt", "mines.txt", "orchard.txt"} for i in ids)
    answer = engine.ask(question)
    assert answer.found and answer.citations
    assert all(c.source == "harbour.txt" and c.sentence < 4 for c in answer.citations)
    assert engine.status()["sentences"] == before  # the table counts the catalog, not the vectors
    assert sentences.count() == before + 2


def test_a_replaced_table_is_freed_at_once(indexed, settings):
    """An index run replaces the sentence table; the old one must go when its last user lets go, not
    wait for the cycle collector (a bot that takes /add uploads would grow by a table each time)."""
    import gc
    import weakref

    engine, _, _ = indexed
    old = weakref.ref(engine._current_table())
    write(settings.seeds_dir, "orchard.txt", ORCHARD + "Pears grow there too.\n")
    gc.disable()
    try:
        engine.index(show_bar=False)
        assert engine._current_table() is not old()
        assert old() is None, "the old table is in a reference cycle"
    finally:
        gc.enable()


def test_vector_search_is_widened_also_on_an_index_built_before_the_setting(indexed, settings):
    engine, chunks, sentences = indexed
    assert sentences.configuration_json["hnsw"]["ef_search"] == SEARCH_EF
    # As an index built before SEARCH_EF existed: Chroma's own default.
    sentences.modify(configuration={"hnsw": {"ef_search": 100}})
    chunks.modify(configuration={"hnsw": {"ef_search": 100}})
    reopened = get_collections(open_client(settings), engine.embed_model.model_name)
    assert [c.configuration_json["hnsw"]["ef_search"] for c in reopened] == [SEARCH_EF, SEARCH_EF]
    # The widened collections still find the sentence that answers.
    top = retrieve(engine, *reopened, "When do fishing boats leave the harbour?")[0].node.metadata
    assert (top["source"], top["n"]) == ("harbour.txt", 0)
