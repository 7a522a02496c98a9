"""ANSWER_MODE=llm through the fake Discord: the real bot and engine against the fake OpenAI server.

A verified model answer is shown; every bad or failed reply gives the extractive 2066 answer, and
/ask is still acknowledged at once (the cog defers before the engine, and the model, run)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from footnote.gaps import GapLog
from tests.fake_openai import FakeOpenAI

QUESTION = "When does the base agreement end?"
TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def fake_openai():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_engine(bot_engine, fake_openai, embed_model):
    """llm_engine(model) -> an Engine in llm mode over the bot's index, asking the fake's `model`."""
    from footnote.engine import Engine

    made = []

    def make(model: str):
        settings = replace(
            bot_engine.settings,
            answer_mode="llm",
            llm_base_url=fake_openai.base_url,
            llm_model=model,
            llm_api_key=FakeOpenAI.API_KEY,
            llm_timeout=TIMEOUT_S,
        )
        made.append(Engine(settings, embed_model=embed_model))
        return made[-1]

    yield make
    for engine in made:
        engine.close()


def everything_sent(fake_discord) -> str:
    return json.dumps(fake_discord.sent_payloads())


@pytest.mark.parametrize("model", ["fake-correct", "fake-mixed"])
async def test_slash_ask_shows_the_verified_model_answer_with_file_quotes(start_bot, llm_engine, fake_discord, model):
    await start_bot(engine=llm_engine(model))
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))

    embed = reply["embeds"][0]
    assert embed["description"].startswith("The base agreement runs until 2066 [1].\n> ")
    assert "until 2066" in embed["fields"][0]["value"] and "russia-syria-bases.txt:" in embed["fields"][0]["value"]
    assert "2099" not in everything_sent(fake_discord)


@pytest.mark.parametrize(
    "model", ["fake-unknown-id", "fake-2099", "fake-no-citation", "fake-malformed", "fake-500", "fake-hang"]
)
async def test_a_bad_or_failed_reply_still_gets_the_2066_answer_acknowledged_at_once(
    start_bot, llm_engine, fake_discord, bot_settings, model
):
    await start_bot(engine=llm_engine(model))
    token = await fake_discord.slash("ask", question=QUESTION)
    reply = await fake_discord.answer_to(token)

    seen = fake_discord.interactions[token]
    assert seen["callbacks"] == [5] and seen["acked_at"] - seen["dispatched_at"] < 3.0
    assert reply["embeds"][0]["description"].startswith("Until 2066 [1].\n> ")
    assert "2099" not in everything_sent(fake_discord)
    with sqlite3.connect(bot_settings.feedback_path) as db:
        (answer,) = db.execute("SELECT answer FROM answers").fetchone()
    assert answer.startswith("Until 2066 [1].")  # what the feedback log keeps is what was shown


async def test_not_in_the_articles_is_refused_and_recorded_as_a_gap(start_bot, llm_engine, fake_discord):
    engine = llm_engine("fake-not-in-articles")
    await start_bot(engine=engine)
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))

    embed = reply["embeds"][0]
    assert "don't say" in embed["description"] and not embed.get("fields")
    recent = GapLog(engine.settings.index_dir / "gaps.sqlite3").recent(1)
    assert recent[0]["question"] == QUESTION and recent[0]["closest"] == "Russia's military bases in Syria"


async def _follow_up(fake_discord) -> dict:
    first = await fake_discord.answer_to(
        await fake_discord.slash("ask", question="How much rent does the United States pay for Camp Lemonnier?")
    )
    thread_id = await fake_discord.wait_for(lambda: first["id"] in fake_discord.threads and first["id"])
    follow_up = await fake_discord.say("and who signed it?", channel_id=thread_id)
    return await fake_discord.bot_message_after(fake_discord.messages.index(follow_up), thread_id)


async def test_a_thread_follow_up_is_rewritten_to_stand_alone_then_answered(
    start_bot, llm_engine, fake_discord, fake_openai
):
    await start_bot(engine=llm_engine("fake-correct"))
    reply = await _follow_up(fake_discord)

    embed = reply["embeds"][0]
    assert embed["description"].startswith(
        "It was signed by President Ismail Omar Guelleh and President Barack Obama [1]."
    )
    assert "djibouti-bases.txt" in embed["fields"][0]["value"]
    bodies = fake_openai.bodies("fake-correct")
    rewrite = next(b for b in bodies if b["response_format"]["json_schema"]["name"] == "standalone_question")
    assert (
        "Previous question: How much rent does the United States pay for Camp Lemonnier?"
        in rewrite["messages"][-1]["content"]
    )
    assert bodies[-1]["messages"][-1]["content"].startswith("Question: Who signed the lease for Camp Lemonnier?\n")


async def test_a_follow_up_takes_the_offline_path_when_the_endpoint_fails(start_bot, llm_engine, fake_discord):
    await start_bot(engine=llm_engine("fake-500"))
    reply = await _follow_up(fake_discord)

    field = reply["embeds"][0]["fields"][0]["value"]
    assert "Barack Obama" in field and "djibouti-bases.txt" in field


async def test_status_shows_the_mode_the_endpoint_host_and_the_last_error_never_the_key(
    start_bot, llm_engine, fake_discord, fake_openai
):
    await start_bot(engine=llm_engine("fake-500"))
    await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))
    reply = await fake_discord.answer_to(await fake_discord.slash("status", user="alice"))

    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    host = fake_openai.base_url.split("//")[1].split("/")[0]
    assert fields["Answer mode"] == "llm"
    assert fields["LLM endpoint"] == f"{host} · fake-500"
    assert fields["Last LLM error"].startswith(f"HTTP 500 from {host}") and "<t:" in fields["Last LLM error"]
    assert FakeOpenAI.API_KEY not in everything_sent(fake_discord)


async def test_a_question_the_classifier_refuses_is_never_sent_to_the_model(
    start_bot, llm_engine, fake_discord, fake_openai
):
    await start_bot(engine=llm_engine("fake-correct"))
    asked = "What is the capital of France?"
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question=asked))

    assert "don't say" in reply["embeds"][0]["description"]
    assert not any(asked in m["content"] for b in fake_openai.bodies() for m in b["messages"])
