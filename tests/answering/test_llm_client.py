"""ChatClient against the fake OpenAI server: the first choice's text, or one LLMError naming the host."""

from __future__ import annotations

import time

import pytest

from footnote.answering.llm_client import ChatClient, LLMError, endpoint_host
from tests.fake_openai import FakeOpenAI

MESSAGES = [
    {"role": "system", "content": "Reply with JSON."},
    {"role": "user", "content": "Question: When does it end?\n\nSentences:\n[1] (T) It runs until 2066."},
]


@pytest.fixture(scope="module")
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def client(fake, model="fake-correct", key=FakeOpenAI.API_KEY, timeout=2.0) -> ChatClient:
    return ChatClient(fake.base_url, model, key, timeout)


def test_a_completion_returns_the_first_choice_text(fake):
    assert '"sentence_ids": [1]' in client(fake).complete(MESSAGES, {"type": "object"})


@pytest.mark.parametrize(
    "model, key, expected",
    [
        ("fake-correct", "sk-wrong", "HTTP 401 from 127.0.0.1:"),
        ("no-such-model", FakeOpenAI.API_KEY, "HTTP 404 from 127.0.0.1:"),
        ("fake-500", FakeOpenAI.API_KEY, "HTTP 500 from 127.0.0.1:"),
    ],
)
def test_error_statuses_raise_with_the_servers_message_and_never_the_key(fake, model, key, expected):
    with pytest.raises(LLMError) as caught:
        client(fake, model, key).complete(MESSAGES)
    assert str(caught.value).startswith(expected) and key not in str(caught.value)


def test_a_server_trickling_its_reply_is_cut_off_at_the_timeout(fake):
    started = time.monotonic()
    with pytest.raises(LLMError, match="no reply from 127.0.0.1:.* within 1 s"):
        client(fake, "fake-trickle", timeout=1.0).complete(MESSAGES)
    assert time.monotonic() - started < 1.3  # each read is 0.3 s: httpx's per-read timeout alone would wait on


def test_a_server_rejecting_response_format_is_asked_again_without_it(fake):
    c = client(fake, "fake-no-schema")
    assert '"not_in_articles": false' in c.complete(MESSAGES, {"type": "object"})
    assert c.schema_supported is False
    assert ["response_format" in b for b in fake.bodies("fake-no-schema")] == [True, False]


def test_endpoint_host_drops_scheme_path_and_credentials():
    assert endpoint_host("https://user:sk-secret@api.example.com/v1") == "api.example.com"
    assert endpoint_host("http://localhost:11434/v1") == "localhost:11434"
