"""The ask cog through the fake Discord: /ask, mentions, DMs, refusals, threads, buttons, limits, pings."""

from __future__ import annotations

import json
import re
import sqlite3

from tests.bot.articles import HARWICK_QUESTION

QUESTION = "When does the base agreement end?"


def buttons(message: dict) -> dict[str, str]:
    """label or emoji -> custom_id of the buttons under a message."""
    return {
        c.get("label") or c["emoji"]["name"]: c["custom_id"] for row in message["components"] for c in row["components"]
    }


async def test_slash_ask_answers_with_the_2066_citation(bot, fake_discord):
    token = await fake_discord.slash("ask", question=QUESTION)
    reply = await fake_discord.answer_to(token)

    assert fake_discord.interactions[token]["callbacks"] == [5]  # deferred at once, then edited
    embed = reply["embeds"][0]
    assert embed["title"] == QUESTION
    assert "2066" in embed["description"] and "[1]" in embed["description"]
    field = embed["fields"][0]
    assert field["name"] == "[1] Russia's military bases in Syria (2017-01-20)"
    assert "until 2066" in field["value"] and "russia-syria-bases.txt:" in field["value"]
    assert list(buttons(reply)) == ["Sources", "👍", "👎"]
    thread = await fake_discord.wait_for(lambda: fake_discord.threads.get(reply["id"]), 5, "a thread on the answer")
    assert thread["name"] == QUESTION and thread["parent_id"] == fake_discord.channel_id


async def test_mention_in_a_channel_is_answered_as_a_reply(bot, fake_discord):
    ignored = await fake_discord.say(QUESTION)  # not addressed to the bot: no reply
    asked = await fake_discord.say(QUESTION, mention_bot=True)
    reply = await fake_discord.bot_message_after(fake_discord.messages.index(asked), fake_discord.channel_id)

    assert reply["message_reference"]["message_id"] == asked["id"]
    assert "2066" in reply["embeds"][0]["description"]
    replies_to = [m.get("message_reference", {}).get("message_id") for m in fake_discord.messages]
    assert ignored["id"] not in replies_to


async def test_direct_message_is_answered(bot, fake_discord):
    asked = await fake_discord.say(QUESTION, user="bob", dm=True)
    reply = await fake_discord.bot_message_after(fake_discord.messages.index(asked), asked["channel_id"])

    assert "2066" in reply["embeds"][0]["description"]
    assert "guild_id" not in reply and not fake_discord.threads  # no threads in DMs


async def test_question_the_articles_do_not_answer_is_refused_and_logged(bot, fake_discord, bot_settings):
    token = await fake_discord.slash("ask", question="What is the capital of France?")
    reply = await fake_discord.answer_to(token)

    assert "don't say" in reply["embeds"][0]["description"]
    assert not reply["embeds"][0].get("fields")
    assert list(buttons(reply)) == ["👍", "👎"]  # no Sources without citations
    with sqlite3.connect(bot_settings.feedback_path) as db:
        assert db.execute("SELECT question, found FROM answers").fetchall() == [("What is the capital of France?", 0)]


async def test_follow_up_in_the_thread_uses_the_previous_question(bot, fake_discord):
    token = await fake_discord.slash("ask", question="How much rent does the United States pay for Camp Lemonnier?")
    first = await fake_discord.answer_to(token)
    assert "63 million" in first["embeds"][0]["description"]
    thread_id = await fake_discord.wait_for(lambda: first["id"] in fake_discord.threads and first["id"])

    await fake_discord.say("", channel_id=thread_id)  # e.g. an image: not a question, no reply
    follow_up = await fake_discord.say("and who signed it?", channel_id=thread_id)  # no mention needed
    in_thread = await fake_discord.bot_message_after(fake_discord.messages.index(follow_up), thread_id)
    # Without the context the same words don't reach the lease (Tartus, or a refusal); in the thread they do.
    out_of_thread = await fake_discord.say("and who signed it?", mention_bot=True)
    in_channel = await fake_discord.bot_message_after(
        fake_discord.messages.index(out_of_thread), fake_discord.channel_id
    )

    assert "Barack Obama" in in_thread["embeds"][0]["fields"][0]["value"]
    assert "djibouti-bases.txt" in in_thread["embeds"][0]["fields"][0]["value"]
    out_fields = in_channel["embeds"][0].get("fields") or [{"value": in_channel["embeds"][0].get("description", "")}]
    assert "djibouti-bases.txt" not in out_fields[0]["value"] and "Barack Obama" not in out_fields[0]["value"]
    in_thread_replies = [
        m
        for m in fake_discord.messages
        if m["channel_id"] == thread_id and m["author"]["id"] == fake_discord.bot_user["id"]
    ]
    assert len(in_thread_replies) == 1


async def test_sources_button_shows_the_sentence_in_context_privately(bot, fake_discord):
    answer = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))
    token = await fake_discord.click(answer, buttons(answer)["Sources"], user="alice")
    shown = await fake_discord.answer_to(token)

    assert shown["flags"] & 64, "Sources must be ephemeral"
    text = json.dumps(shown["embeds"])
    assert "**Under the agreement, Russia may use the Tartus base free of charge for 49 years" in text
    assert "signed in Damascus" in text and "extended automatically" in text  # the sentences around it


async def test_thumbs_up_is_stored_in_sqlite(bot, fake_discord, bot_settings):
    answer = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION, user="alice"))
    token = await fake_discord.click(answer, buttons(answer)["👍"], user="bob")
    thanks = await fake_discord.answer_to(token)

    assert thanks["flags"] & 64 and "👍" in thanks["content"]
    with sqlite3.connect(bot_settings.feedback_path) as db:
        rows = db.execute(
            "SELECT a.question, a.answer, a.citations, a.user_id, v.user_id, v.vote, v.voted_at "
            "FROM votes v JOIN answers a ON a.id = v.answer_id"
        ).fetchall()
    assert len(rows) == 1
    question, text, citations, asker, voter, vote, voted_at = rows[0]
    assert (question, asker, voter, vote) == (
        QUESTION,
        int(fake_discord.users["alice"]["id"]),
        int(fake_discord.users["bob"]["id"]),
        1,
    )
    assert "2066" in text and "until 2066" in json.loads(citations)[0]["text"] and voted_at > 0


async def test_a_3000_character_answer_is_split_within_discord_limits(bot, fake_discord):
    token = await fake_discord.slash("ask", question=HARWICK_QUESTION)
    first = await fake_discord.answer_to(token)
    await fake_discord.wait_for(lambda: fake_discord.interactions[token]["followups"])
    embeds = first["embeds"] + [e for m in fake_discord.interactions[token]["followups"] for e in m["embeds"]]

    assert len(first["embeds"][0]["description"]) >= 3000
    assert sum(len(e.get("fields", [])) for e in embeds) == 3  # every citation shown, spread over messages
    assert len(fake_discord.interactions[token]["followups"]) >= 1
    assert not fake_discord.rejected  # the fake answers 400 to anything over Discord's limits


async def test_everyone_in_a_question_never_pings(bot, fake_discord):
    role = fake_discord.admin_role["id"]
    token = await fake_discord.slash("ask", question=f"@everyone <@&{role}> {QUESTION}")
    await fake_discord.answer_to(token)
    asked = await fake_discord.say(f"@everyone @here {QUESTION}", mention_bot=True)
    await fake_discord.bot_message_after(fake_discord.messages.index(asked), fake_discord.channel_id)
    dm = await fake_discord.say("@everyone", dm=True)  # a DM with nothing else
    await fake_discord.bot_message_after(fake_discord.messages.index(dm), dm["channel_id"])

    sent = [p for p in fake_discord.sent_payloads() if p.get("content") or p.get("embeds")]
    assert len(sent) >= 3
    for payload in sent:
        mentions = payload.get("allowed_mentions")
        assert mentions is not None and mentions["parse"] == [], payload
        assert not mentions.get("users") and not mentions.get("roles") and not mentions.get("replied_user")
        assert "@everyone" not in (payload.get("content") or "").replace("@\u200beveryone", "")


async def test_cooldown_answers_the_first_question_and_asks_to_wait_for_the_second(start_bot, fake_discord):
    await start_bot(cooldown_seconds=60)
    first = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION, user="alice"))
    second = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION, user="alice"))
    other_user = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION, user="bob"))
    by_mention = await fake_discord.say(QUESTION, user="alice", mention_bot=True)
    mention_reply = await fake_discord.bot_message_after(
        fake_discord.messages.index(by_mention), fake_discord.channel_id
    )

    assert "2066" in first["embeds"][0]["description"]
    assert second["flags"] & 64 and "ask again in" in second["content"]
    assert "2066" in other_user["embeds"][0]["description"]
    assert "ask again in" in mention_reply["content"]


async def test_question_over_the_length_limit_gets_a_clear_reply(bot, fake_discord, bot_settings):
    reply = await fake_discord.answer_to(await fake_discord.slash("ask", question="why " * 400))
    assert "over the" in reply["content"] and f"{bot_settings.max_question_chars:,}" in reply["content"]


LURE = """Notice about the harbour [account](https://evil.example/title)
Date: 2020-01-01

The Zorblat harbour tax was abolished in 1887 [2], and you should [re-verify here](https://evil.example/login) with <@&123456789012345678> @everyone **now**.

The harbour of Zorblat reopened the following spring.
"""
LURE_QUESTION = "When was the Zorblat harbour tax abolished?"


async def test_article_text_and_titles_are_shown_literally(bot, fake_discord, bot_engine, seeds_restored):
    """No masked link, fake [n] marker, mention or markdown from an article reaches Discord as such."""
    import asyncio

    (seeds_restored / "zorblat.txt").write_text(LURE, encoding="utf-8")
    await asyncio.to_thread(bot_engine.index, show_bar=False)
    answer = await fake_discord.answer_to(await fake_discord.slash("ask", question=LURE_QUESTION))
    sources = await fake_discord.answer_to(await fake_discord.click(answer, buttons(answer)["Sources"]))

    embed = answer["embeds"][0]
    shown = {
        "answer": embed["description"],
        "title": embed["fields"][0]["name"],
        "quote": embed["fields"][0]["value"],
        "sources": json.loads(json.dumps(sources["embeds"]))[0]["fields"][0],
    }
    shown["sources"] = shown["sources"]["name"] + "\n" + shown["sources"]["value"]
    unescaped_link = re.compile(r"(?<!\\)\[[^\]]*\]\(https?://")
    assert "1887" in embed["description"] and embed["description"].endswith("[1]")  # the real marker stays
    for where, text in shown.items():
        assert not unescaped_link.search(text), (where, text)
        assert "[2]" not in text and "@everyone" not in text and "<@&" not in text and "**now**" not in text, where
    assert "evil.example/title" in shown["title"] and "(2)" in shown["quote"] and "(2)" in shown["sources"]


async def test_the_sources_button_has_a_per_user_cooldown(start_bot, fake_discord):
    await start_bot(cooldown_seconds=60)
    answer = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))
    clicks = [
        await fake_discord.answer_to(await fake_discord.click(answer, buttons(answer)["Sources"], user=user))
        for user in ("bob", "bob", "mod")
    ]

    assert clicks[0]["embeds"] and clicks[2]["embeds"]  # another user is not held back by bob
    assert clicks[1]["flags"] & 64 and "Sources again in" in clicks[1]["content"] and not clicks[1]["embeds"]


async def test_debug_logging_shows_no_question_text_or_interaction_token(start_bot, fake_discord, caplog):
    import logging

    from footnote.cli import setup_logging

    levels = {name: logging.getLogger(name).level for name in ("", "discord")}
    try:
        with caplog.at_level(logging.DEBUG):
            setup_logging("DEBUG")  # what `bot.py run` does with LOG_LEVEL=DEBUG
            await start_bot(log_content=False)
            token = await fake_discord.slash("ask", question="Zanzibar-secret-question about the base agreement?")
            asked = await fake_discord.say("Quokka-secret-mention about the agreement?", mention_bot=True)
            await fake_discord.answer_to(token)
            await fake_discord.bot_message_after(fake_discord.messages.index(asked), fake_discord.channel_id)
            debug_on = logging.getLogger("footnote.bot.cogs.ask").isEnabledFor(logging.DEBUG)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)

    # aiohttp.access is the fake Discord's own server logging the URLs it was called on, not the bot.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert debug_on and logged
    assert "Zanzibar-secret" not in logged and "Quokka-secret" not in logged
    assert token not in logged and fake_discord.TOKEN not in logged
