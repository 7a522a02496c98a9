"""Incremental indexing against real Chroma and the real model: counts prove what was (re-)embedded."""

import pytest

from footnote.indexer import IndexBusy, index_lock
from tests.conftest import write

ARTICLE_A = "Apples\n\nApples grow on trees in orchards. Farmers pick them in autumn.\n"
ARTICLE_B = "Boats\n\nBoats float on water. Sailors steer them with a rudder. Some boats have sails.\n"


def _counts(engine):
    chunks, sentences = engine._collections()
    return chunks.count(), sentences.count()


def test_add_change_delete_reembeds_only_that_article(engine, settings):
    seeds = settings.seeds_dir
    write(seeds, "a.txt", ARTICLE_A)
    write(seeds, "b.txt", ARTICLE_B)
    first = engine.index(show_bar=False)
    assert sorted(first.added) == ["a.txt", "b.txt"] and first.sentences_embedded == 5
    assert _counts(engine) == (2, 5)

    again = engine.index(show_bar=False)
    assert again.sentences_embedded == 0 and again.unchanged == 2 and not again.touched

    write(seeds, "b.txt", ARTICLE_B.replace("Some boats have sails.", "Some boats have engines. Few have oars."))
    changed = engine.index(show_bar=False)
    assert changed.changed == ["b.txt"] and changed.sentences_embedded == 4
    assert _counts(engine) == (2, 6)  # b now has 4 sentences = 1 chunk of 4; no stale rows left behind

    (seeds / "a.txt").unlink()
    removed = engine.index(show_bar=False)
    assert removed.removed == ["a.txt"] and removed.sentences_embedded == 0
    assert _counts(engine) == (1, 4)
    assert engine.ask("How do sailors steer boats?").citations[0].source == "b.txt"


def test_touching_a_file_without_changing_it_embeds_nothing(engine, settings):
    path = write(settings.seeds_dir, "a.txt", ARTICLE_A)
    engine.index(show_bar=False)
    path.write_text(ARTICLE_A, encoding="utf-8")  # new mtime, same text
    assert engine.needs_index()
    report = engine.index(show_bar=False)
    assert report.sentences_embedded == 0 and not engine.needs_index()


def test_bad_files_are_reported_and_the_rest_indexed(engine, settings):
    seeds = settings.seeds_dir
    write(seeds, "good.txt", ARTICLE_A)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "binary.txt").write_bytes(b"\x00\xff\x00\xfe" * 100)
    (seeds / "latin.txt").write_bytes("Cr\u00e8me\n\nLa cr\u00e8me br\u00fbl\u00e9e is a dessert.\n".encode("latin-1"))
    report = engine.index(show_bar=False)
    assert sorted(report.added) == ["good.txt", "latin.txt"]
    assert len(report.failed) == 2 and all("\n" not in line for line in report.failed)
    assert not engine.needs_index()  # failures are remembered until the file changes
    assert engine.ask("What is crème brûlée?").citations[0].source == "latin.txt"


def test_a_second_run_is_refused_while_one_holds_the_lock(engine, settings):
    with index_lock(settings.index_dir):
        with pytest.raises(IndexBusy, match="wait for it"):
            engine.index(show_bar=False)


def test_corrupt_catalog_is_rebuilt_without_losing_articles(engine, settings):
    write(settings.seeds_dir, "a.txt", ARTICLE_A)
    engine.index(show_bar=False)
    (settings.index_dir / "catalog.json").write_text("{not json")
    assert engine.needs_index()
    report = engine.index(show_bar=False)
    assert report.added == ["a.txt"] and _counts(engine) == (1, 2)


def test_each_article_is_split_into_sentences_once(engine, settings, monkeypatch):
    import footnote.corpus as corpus

    split = corpus.units_of
    calls = []
    monkeypatch.setattr(corpus, "units_of", lambda doc: calls.append(doc.title) or split(doc))
    write(settings.seeds_dir, "a.txt", ARTICLE_A)
    write(
        settings.seeds_dir,
        "b.html",
        "<html><title>Boats</title><body><p>Boats float on water.</p><p>Sailors steer them.</p></body></html>",
    )
    report = engine.index(show_bar=False)
    assert sorted(report.added) == ["a.txt", "b.html"] and report.sentences_embedded == 4
    assert len(calls) == 2, "the chunker split an article again instead of reusing the indexer's sentences"
