"""cogs/utils/formatting: whatever the answer, every piece fits Discord's limits and nothing is lost."""

from __future__ import annotations

from footnote.answering.answer import Answer, Citation
from footnote.bot.cogs.utils.formatting import (
    MESSAGE_LIMIT,
    NO_PINGS,
    answer_embeds,
    clip,
    sources_embeds,
    split_text,
    thread_name,
)
from tests.bot.fake_payloads import limit_errors


def citation(n: int, size: int) -> Citation:
    text = ("word " * (size // 5)).strip() + f" end{n}."
    return Citation(n, f"a{n}.txt", "T" * 300, "2020-01-01", n, 0, len(text), text, 0.5, n)


def test_a_huge_answer_with_many_citations_fits_in_valid_messages():
    answer = Answer(
        "Q" * 400,
        "\n".join(f"> sentence {i} " + "x" * 90 + f" [{i}]" for i in range(100)),
        True,
        [citation(n, 1500) for n in range(1, 31)],
    )
    embeds = answer_embeds(answer)

    for embed in embeds:
        assert limit_errors({"embeds": [embed.to_dict()]}) == []
    assert sum(len(e.fields) for e in embeds) == 30
    assert "".join(e.description or "" for e in embeds).count("> sentence") == 100


def test_sources_fit_too():
    blocks = [
        (citation(n, 3000), [(n - 1, "before " * 200), (n, "cited " * 600), (n + 1, "after " * 200)])
        for n in range(1, 4)
    ]
    for embed in sources_embeds(blocks):
        assert limit_errors({"embeds": [embed.to_dict()]}) == []


def test_split_text_respects_the_limit_and_keeps_every_word():
    text = " ".join(f"Sentence number {i} is here." for i in range(400))
    pieces = split_text(text, MESSAGE_LIMIT)
    assert len(pieces) > 1 and all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert all(p.endswith(".") for p in pieces)  # cut between sentences
    assert split_text("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_small_helpers():
    assert clip("abcdef", 4) == "abc…" and clip("abc", 4) == "abc"
    assert len(thread_name("why " * 100)) <= 100 and thread_name("   ") == "Follow-up"
    assert NO_PINGS.to_dict() == {"parse": []}


def test_a_refusal_shows_the_closest_title_literally():
    title = "Tips [log in here](https://evil.example/login) [2] @everyone"
    embed = answer_embeds(
        Answer("q", f'The articles don\'t say. The closest article I found is "{title}".', False, closest=title)
    )[0]
    assert "\\[log in here](https://evil.example/login) (2) @\u200beveryone" in embed.description


def test_a_passage_citation_names_its_sentences_and_bolds_each_in_the_sources():
    passage = Citation(1, "a.md", "Support", None, 3, 0, 40, "We aim high. We meet it.", 0.9, 2, sentences=2)
    answer = Answer("q", "> We aim high. We meet it. [1]", True, [passage])
    field = answer_embeds(answer)[0].fields[0]
    assert field.value.startswith("sentences 4–5 · `a.md:2`")
    context = [(2, "Before."), (3, "We aim high."), (4, "We meet it."), (5, "After.")]
    shown = sources_embeds([(passage, context)])[0].fields[0].value
    assert shown == "Before. **We aim high.** **We meet it.** After."
