"""footnote.bot.runner: the token check, and a real process that answers, then stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from footnote.bot.runner import run_bot
from footnote.settings import Settings
from tests.bot.bot_process import bot_process, stop
from tests.conftest import ROOT, SEED_ARTICLE

QUESTION = "When does the base agreement end?"


def test_missing_token_exits_2_with_one_line_saying_how_to_set_it(capsys):
    assert run_bot(Settings(discord_token=""), watch=False) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DISCORD_TOKEN is not set" in err and ".env" in err


def test_missing_guild_exits_2_with_one_line_naming_the_setting(capsys):
    assert run_bot(Settings(discord_token="a-token"), watch=False) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: DISCORD_GUILD_ID is not set")


async def test_invalid_token_exits_2_with_one_line(fake_discord, bot_settings, capsys):
    code = await asyncio.to_thread(run_bot, replace(bot_settings, discord_token="not-the-token"), False)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "DISCORD_TOKEN is invalid" in err
    assert [r.path for r in fake_discord.requests] == ["/users/@me"]  # stopped at login, before any work


@pytest.mark.slow  # a real `python bot.py run` process
async def test_process_answers_then_exits_0_on_sigterm(fake_discord, tmp_path):
    seeds = tmp_path / "proc" / "seeds"
    seeds.mkdir(parents=True)
    shutil.copy(SEED_ARTICLE, seeds / SEED_ARTICLE.name)
    env = dict(
        os.environ,
        SEEDS_DIR=str(seeds),
        INDEX_DIR=str(tmp_path / "proc" / "index"),
        DISCORD_TOKEN=fake_discord.TOKEN,
        DISCORD_GUILD_ID=fake_discord.guild_id,
        COOLDOWN_SECONDS="0",
        PYTHONPATH=str(ROOT),
    )
    async with bot_process(
        fake_discord, sys.executable, "-m", "tests.bot.run_against_fake", fake_discord.base_url, env=env
    ) as proc:
        tokens = [await fake_discord.slash("ask", question=QUESTION, user=u) for u in ("alice", "bob", "mod")]
        code, output = await stop(proc)  # while those questions are in flight

    assert code == 0, output
    for token in tokens:
        assert "2066" in (await fake_discord.answer_to(token, timeout=1))["embeds"][0]["description"], output
    assert "stopping: all questions answered" in output
    assert Path(tmp_path / "proc" / "index" / "feedback.sqlite3").exists()
