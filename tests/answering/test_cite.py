"""Which sentences an answer cites, over a real index: neighbours in one paragraph are quoted as one
passage, neighbours in two list items stay two citations, and a passage still slices the file."""

from __future__ import annotations

from footnote.answering.cite import choose_citations
from tests.conftest import write

POLICY = """# Support

Our main goal on tickets is the time to first response. We aim to meet it 95% of the time. Weekends count too.

- Page the on-call engineer for outages.
- Post everything else in the support channel.
"""


def ranked_units(engine, question: str, starts: list[str]):
    """The engine's own candidates for `question`, the ones opening with `starts`, in that order and
    scored alike, as the ranker hands them to the citation step."""
    nodes = {n.node.get_content(): n for n in engine.candidates(question)}
    picked = [next(n for text, n in nodes.items() if text.startswith(s)) for s in starts]
    for node in picked:
        node.score = 0.9
    return picked


def test_neighbouring_sentences_of_a_paragraph_are_one_quote(engine, isolated_dirs):
    seeds = isolated_dirs / "seeds"
    raw = write(seeds, "support.md", POLICY).read_text(encoding="utf-8")
    engine.ensure_ready(show_bar=False)
    ranked = ranked_units(engine, "How often do we meet the response goal?", ["We aim", "Our main goal", "Weekends"])
    citations = choose_citations(ranked, engine.table, seeds)
    assert len(citations) == 1, citations
    passage = citations[0]
    assert passage.text == (
        "Our main goal on tickets is the time to first response. We aim to meet it 95% of the time. Weekends count too."
    )
    assert raw[passage.start : passage.end] == passage.text
    assert (passage.sentence, passage.sentences, passage.numbers) == (0, 3, "sentences 1–3")
    assert passage.line == 3


def test_neighbouring_list_items_stay_two_citations(engine, isolated_dirs):
    seeds = isolated_dirs / "seeds"
    write(seeds, "support.md", POLICY)
    engine.ensure_ready(show_bar=False)
    ranked = ranked_units(engine, "Where do I report an outage?", ["Page the", "Post everything"])
    citations = choose_citations(ranked, engine.table, seeds)
    assert [(c.n, c.text, c.sentences) for c in citations] == [
        (1, "Page the on-call engineer for outages.", 1),
        (2, "Post everything else in the support channel.", 1),
    ]
