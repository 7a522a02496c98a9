"""footnote.bot.scope through the fake Discord: the bot serves DISCORD_GUILD_ID and members' DMs, nothing else."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.bot.test_ask import buttons

QUESTION = "When does the base agreement end?"
foreign = pytest.mark.fake_discord(foreign_guild=True)


def bot_messages_in(fake, channel_id: str) -> list[dict]:
    return [m for m in fake.messages if m["channel_id"] == channel_id and m["author"]["id"] == fake.bot_user["id"]]


async def served_round_trip(fake) -> None:
    """Ask in the served guild and wait for the answer: events are handled in order, so anything the
    bot was going to do about earlier events has started by then; a short wait lets it finish."""
    reply = await fake.answer_to(await fake.slash("ask", question=QUESTION))
    assert "2066" in reply["embeds"][0]["description"]
    await asyncio.sleep(0.3)


@foreign
async def test_commands_are_synced_to_the_served_guild_only(bot, fake_discord):
    assert {c["name"] for c in fake_discord.commands[fake_discord.guild_id]} == {"ask", "reindex", "add", "status"}
    assert fake_discord.commands["global"] == []  # synced empty: stale global commands are removed
    assert fake_discord.foreign_guild_id not in fake_discord.commands


@foreign
async def test_a_mention_in_another_guild_gets_nothing_and_the_guild_is_logged_once(start_bot, fake_discord, caplog):
    with caplog.at_level(logging.WARNING, logger="footnote.bot.scope"):
        await start_bot()
        for _ in range(2):
            await fake_discord.say(
                QUESTION, user="mallory", channel_id=fake_discord.foreign_channel_id, mention_bot=True
            )
        await served_round_trip(fake_discord)

    assert bot_messages_in(fake_discord, fake_discord.foreign_channel_id) == []
    assert not [r for r in fake_discord.requests if fake_discord.foreign_channel_id in r.path]  # not even typing
    ignored = [r for r in caplog.records if "ignoring guild" in r.getMessage()]
    assert len(ignored) == 1 and fake_discord.foreign_guild_id in ignored[0].getMessage()


@foreign
async def test_a_forged_add_from_another_guild_does_nothing(bot, fake_discord, seeds_restored):
    token = await fake_discord.slash(
        "add",
        user="mallory",
        channel_id=fake_discord.foreign_channel_id,
        forged=True,
        attachment=("russia-syria-bases.txt", b"Hijacked\n\nIn 1999 it all ended.\n"),
    )
    ask = await fake_discord.slash(
        "ask", user="mallory", channel_id=fake_discord.foreign_channel_id, forged=True, question=QUESTION
    )
    await served_round_trip(fake_discord)

    assert fake_discord.interactions[token]["callbacks"] == [] and fake_discord.interactions[ask]["callbacks"] == []
    assert "Hijacked" not in (seeds_restored / "russia-syria-bases.txt").read_text(encoding="utf-8")
    assert not any(r.path.startswith("/attachments") for r in fake_discord.requests)  # never even downloaded


@foreign
async def test_a_button_clicked_in_another_guild_does_nothing(bot, fake_discord):
    answer = await fake_discord.answer_to(await fake_discord.slash("ask", question=QUESTION))
    copied = dict(answer, channel_id=fake_discord.foreign_channel_id)  # e.g. a forwarded answer
    token = await fake_discord.click(copied, buttons(answer)["Sources"], user="mallory")
    await served_round_trip(fake_discord)
    assert fake_discord.interactions[token]["callbacks"] == []


async def test_dms_are_answered_for_members_only(bot, fake_discord):
    asked = {}
    for user in ("alice", "eve"):  # alice is in the served guild, eve in none
        asked[user] = await fake_discord.say(QUESTION, user=user, dm=True)
    reply = await fake_discord.bot_message_after(
        fake_discord.messages.index(asked["alice"]), asked["alice"]["channel_id"]
    )
    await served_round_trip(fake_discord)

    assert "2066" in reply["embeds"][0]["description"]
    assert bot_messages_in(fake_discord, asked["eve"]["channel_id"]) == []
    checked = [r.path for r in fake_discord.requests if "/members/" in r.path]
    assert f"/guilds/{fake_discord.guild_id}/members/{fake_discord.outsiders['eve']['id']}" in checked


@foreign
async def test_a_dm_from_a_member_of_another_guild_only_is_ignored(bot, fake_discord):
    asked = await fake_discord.say(QUESTION, user="mallory", dm=True)
    await served_round_trip(fake_discord)
    assert bot_messages_in(fake_discord, asked["channel_id"]) == []


async def test_a_member_s_dm_check_is_cached(bot, fake_discord):
    for _ in range(2):
        asked = await fake_discord.say(QUESTION, user="bob", dm=True)
        await fake_discord.bot_message_after(fake_discord.messages.index(asked), asked["channel_id"])
    assert len([r for r in fake_discord.requests if "/members/" in r.path]) == 1
