"""FootnoteBot as a whole: command sync, load with heartbeats, reconnects, intents, failures end in apologies."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from footnote.engine import Engine
from tests.conftest import free_port

QUESTION = "When does the base agreement end?"
COMMANDS = {"ask", "reindex", "add", "status"}
MESSAGE_CONTENT_INTENT = 1 << 15


async def test_commands_sync_to_the_configured_guild(bot, fake_discord):
    assert {c["name"] for c in fake_discord.commands[fake_discord.guild_id]} == COMMANDS
    ask = next(c for c in fake_discord.commands[fake_discord.guild_id] if c["name"] == "ask")
    assert ask["options"][0]["name"] == "question" and ask["options"][0]["required"]


async def test_without_a_guild_nothing_is_synced_or_served(start_bot, fake_discord):
    await start_bot(discord_guild_id=())  # `run` refuses this; the bot alone still serves no one
    asked = await fake_discord.say(QUESTION, mention_bot=True)
    await asyncio.sleep(0.5)

    assert fake_discord.commands == {"global": []}
    assert not [
        m
        for m in fake_discord.messages[fake_discord.messages.index(asked) :]
        if m["author"]["id"] == fake_discord.bot_user["id"]
    ]


async def test_twenty_concurrent_asks_are_all_answered_while_heartbeats_continue(bot, fake_discord):
    users = list(fake_discord.users)
    interval = fake_discord.gateway.heartbeat_interval_ms / 1000
    started = time.monotonic()
    tokens = [await fake_discord.slash("ask", question=QUESTION, user=users[i % len(users)]) for i in range(20)]
    replies = await asyncio.gather(*(fake_discord.answer_to(t, timeout=60) for t in tokens))
    await asyncio.sleep(max(0.0, started + 3 * interval - time.monotonic()))  # watch at least 3 beats
    ended = time.monotonic()

    assert all("2066" in r["embeds"][0]["description"] for r in replies)
    for token in tokens:  # Discord fails an interaction not acknowledged within 3 s
        seen = fake_discord.interactions[token]
        assert seen["acked_at"] - seen["dispatched_at"] < 3.0
    beats = [t for t in fake_discord.gateway.heartbeats if t <= ended]
    window = [t for t in beats if t >= started]
    assert len(window) >= 2, f"only {len(window)} heartbeats in {ended - started:.1f}s"
    gaps = [b - a for a, b in zip(beats, beats[1:]) if b >= started]
    assert max(gaps) < 2.5 * interval, f"heartbeats stalled: longest gap {max(gaps):.2f}s (interval {interval}s)"


async def test_bot_resumes_after_the_gateway_drops_the_socket(bot, fake_discord):
    sequence = fake_discord.gateway.sequence
    await fake_discord.gateway.drop(code=4000)
    await asyncio.wait_for(fake_discord.gateway.resumed.wait(), 30)
    resume = [op["d"] for op in fake_discord.gateway.ops if op["op"] == 6][-1]
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))

    assert resume["session_id"] == fake_discord.gateway.session_id and resume["seq"] == sequence
    assert resume["token"] == fake_discord.TOKEN
    assert "2066" in reply["embeds"][0]["description"]


@pytest.mark.fake_discord(message_content_intent=False)
async def test_without_message_content_intent_slash_and_mentions_still_work(start_bot, fake_discord, caplog):
    with caplog.at_level(logging.WARNING, logger="footnote.bot.client"):
        await start_bot()
    assert not fake_discord.gateway.intents & MESSAGE_CONTENT_INTENT  # else Discord closes with 4014
    assert "Message Content intent is not enabled" in caplog.text
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))
    asked = await fake_discord.say(QUESTION, mention_bot=True)
    mention_reply = await fake_discord.bot_message_after(fake_discord.messages.index(asked), fake_discord.channel_id)

    assert "2066" in reply["embeds"][0]["description"]
    assert "2066" in mention_reply["embeds"][0]["description"]


@pytest.fixture
def breakable_engine(tmp_path, bot_engine, embed_model):
    """An engine of its own (one small article) whose index a test can corrupt."""
    seeds = tmp_path / "breakable" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "note.txt").write_text("A note\nDate: 2020-01-01\n\nThe office opens at nine.\n", encoding="utf-8")
    settings = bot_engine.settings.__class__(seeds_dir=seeds, index_dir=tmp_path / "breakable" / "index")
    engine = Engine(settings, embed_model=embed_model)
    yield engine
    engine.close()


async def test_a_broken_index_ends_in_a_clear_reply_and_a_logged_traceback(
    start_bot, fake_discord, breakable_engine, caplog
):
    await start_bot(engine=breakable_engine)
    (breakable_engine.settings.index_dir / "catalog.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        asked = await fake_discord.answer_to(await fake_discord.slash("ask", question="When does the office open?"))
        status = await fake_discord.answer_to(await fake_discord.slash("status"))

    assert "index is unavailable" in asked["content"]
    assert status["content"].startswith("Sorry, something went wrong") and status["flags"] & 64
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


async def test_health_endpoint_reports_ready_once_connected(start_bot, fake_discord):
    import socket

    import aiohttp

    port = free_port()
    bot = await start_bot(health_port=port)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
            body = await response.json()
    assert response.status == 200 and body["ready"] and body["gateway"]
    await bot.close()
    with socket.socket() as s:  # closed with the bot
        s.bind(("0.0.0.0", port))
