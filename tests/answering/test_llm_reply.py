"""Reading a model's reply: the schema's object, or the first JSON object in prose; anything else raises."""

from __future__ import annotations

import pytest

from footnote.answering.llm_client import LLMError
from footnote.answering.llm_reply import (
    Candidate,
    Reply,
    Statement,
    answer_messages,
    first_json_object,
    parse_reply,
    parse_rewrite,
)


def test_the_schema_object_is_read():
    reply = parse_reply('{"statements": [{"text": "Until 2066.", "sentence_ids": [1, 3]}], "not_in_articles": false}')
    assert reply == Reply((Statement("Until 2066.", (1, 3)),), False)


def test_json_inside_prose_or_a_fence_is_found():
    assert first_json_object('Sure!\n```json\n{"not_in_articles": true}\n```') == {"not_in_articles": True}
    assert first_json_object("no {braces} that parse") is None


def test_ids_that_are_not_numbers_become_0_so_verification_drops_them():
    reply = parse_reply('{"statements": [{"text": "x", "sentence_ids": ["2", "[3]", "one", true]}]}')
    assert reply.statements[0].ids == (2, 3, 0, 0)


@pytest.mark.parametrize(
    "content",
    ['{"statements": [{"text": "Until', "Until 2066 [1].", '{"statements": []}', '{"statements": "Until 2066"}'],
)
def test_malformed_replies_raise(content):
    with pytest.raises(LLMError):
        parse_reply(content)


def test_not_in_articles_is_read_from_either_shape():
    assert parse_reply('{"not_in_articles": true}').not_in_articles
    assert parse_reply('{"statements": [], "not_in_articles": true}') == Reply((), True)


def test_the_prompt_numbers_each_candidate_with_its_title_and_section():
    _, user = answer_messages(
        "When?", [Candidate("Bases", None, "It runs\nuntil 2066."), Candidate("Handbook", "Travel", "Hotels are paid.")]
    )
    assert user["content"] == (
        "Question: When?\n\nSentences:\n[1] (Bases) It runs until 2066.\n[2] (Handbook › Travel) Hotels are paid."
    )


def test_a_rewrite_is_the_question_field_or_one_line_of_text():
    assert parse_rewrite('{"question": "Who signed the lease?"}') == "Who signed the lease?"
    assert parse_rewrite("Who signed the lease?\n") == "Who signed the lease?"
    with pytest.raises(LLMError):
        parse_rewrite("Who?\nAnd why?")
