"""The query-time BM25 scores like bm25s (the reference we replaced), and a table rebuild keeps unchanged articles."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from footnote.catalog import Catalog, Entry
from footnote.corpus import Sentence
from footnote.keywords import ArticleTerms, KeywordIndex, Vocabulary
from footnote.retrieval import SentenceTable
from footnote.text import terms

SENTENCES = [
    "The harbour master keeps a log of every boat that sails from the harbour.",
    "Fishing boats leave at dawn and return before noon.",
    "In winter the harbour freezes and the boats stay in the harbour.",
    "Miners dig rare minerals from deep underground rock.",
    "Geologists study where each mineral was found.",
    "Apples grow on trees in orchards and farmers pick them in autumn.",
    "Cider is pressed from apples grown in the orchards.",
]
QUERIES = ["harbour boats in winter", "rare minerals underground", "apples cider orchard orchard", "dawn noon"]


def test_scores_match_bm25s_lucene_defaults():
    vocab = Vocabulary()
    article = ArticleTerms.of("d", SENTENCES, vocab)
    ours = KeywordIndex(article.ids, article.bounds, len(vocab))
    reference = bm25s.BM25()  # k1 1.5, b 0.75, Lucene idf: the defaults we mirror
    reference.index([terms(s) for s in SENTENCES], show_progress=False)
    for query in QUERIES:
        qterms = [t for t in terms(query) if t in reference.vocab_dict]
        np.testing.assert_allclose(ours.scores(vocab.known(qterms)), reference.get_scores(qterms), rtol=1e-5, atol=1e-6)
        assert ours.top(vocab.known(qterms), 2)[0][0] == int(np.argmax(reference.get_scores(qterms)))


def test_unknown_and_newer_terms_score_nothing():
    vocab = Vocabulary()
    article = ArticleTerms.of("d", SENTENCES, vocab)
    index = KeywordIndex(article.ids, article.bounds, len(vocab))
    newer = vocab.id_of("zeppelin")  # the shared vocabulary grew after this index was built
    assert index.top([newer], 3) == [] and index.top([], 3) == []
    assert not index.scores([newer]).any()


def catalog_of(tmp_path, articles: dict[str, list[str]]) -> Catalog:
    catalog = Catalog(tmp_path / "catalog.json", "m")
    for source, texts in articles.items():
        sentences = [Sentence(n, 0, len(t), t, 1) for n, t in enumerate(texts)]
        catalog.entries[source] = Entry(source, source, None, f"digest-{hash(tuple(texts))}", [0, 0], sentences)
    return catalog


def test_a_rebuild_reuses_unchanged_articles_and_answers_like_a_fresh_build(tmp_path):
    first = catalog_of(tmp_path, {"harbour.txt": SENTENCES[:3], "mines.txt": SENTENCES[3:5]})
    old = SentenceTable(first)
    second = catalog_of(
        tmp_path, {"harbour.txt": SENTENCES[:3], "orchard.txt": SENTENCES[5:]}
    )  # mines gone, orchard new
    second.entries["harbour.txt"] = first.entries["harbour.txt"]
    updated = SentenceTable(second, previous=old)
    fresh = SentenceTable(second)
    assert updated._articles["harbour.txt"] is old._articles["harbour.txt"]  # not tokenised again
    assert [r.text for r in updated.sentences] == [r.text for r in fresh.sentences]
    for query in QUERIES:
        qterms = terms(query)
        got = [(updated.row_id(i), pytest.approx(s)) for i, s in updated.bm25_top(qterms, 3)]
        assert got == [(fresh.row_id(i), s) for i, s in fresh.bm25_top(qterms, 3)]
    row = updated.row_of("orchard.txt#s1")
    assert updated.row_of("orchard.txt#s2") is None and updated.row_of("mines.txt#s0") is None
    assert updated.row_terms(row) == terms(SENTENCES[6])
    assert updated.window_terms(row) == set(terms(SENTENCES[5])) | set(
        terms(SENTENCES[6])
    )  # stops at the article's edge
    assert updated.article_terms("harbour.txt") == set().union(*(terms(s) for s in SENTENCES[:3]))
    assert old.bm25_top(terms("cider"), 3) == []  # the old table never saw orchard's words
