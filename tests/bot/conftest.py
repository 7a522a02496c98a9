"""Bot fixtures: one real Engine for the whole test run, a fresh fake Discord and a fresh FootnoteBot per test.

discord.py is pointed at the fake the supported way, through its base URLs (`Route.BASE`, and the
URL `/gateway/bot` returns); none of the bot's own code is patched."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from footnote.settings import Settings
from tests.bot.articles import DJIBOUTI, HARWICK
from tests.bot.fake_discord import FakeDiscord
from tests.conftest import SEED_ARTICLE


@pytest.fixture(scope="session")
def bot_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("footnote-bot")
    (root / "seeds").mkdir()
    shutil.copy(SEED_ARTICLE, root / "seeds" / SEED_ARTICLE.name)
    (root / "seeds" / "djibouti-bases.txt").write_text(DJIBOUTI, encoding="utf-8")
    (root / "seeds" / "harwick-lighthouse.txt").write_text(HARWICK, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def bot_engine(bot_root, embed_model):
    """The real engine (real model, real Chroma) over the seed article, indexed once per run."""
    from footnote.engine import Engine

    settings = Settings(seeds_dir=bot_root / "seeds", index_dir=bot_root / "index")
    engine = Engine(settings, embed_model=embed_model)
    engine.ensure_ready(show_bar=False)
    yield engine
    engine.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "fake_discord(**options): options for FakeDiscord in this test")


@pytest.fixture
async def fake_discord(request, monkeypatch):
    marker = request.node.get_closest_marker("fake_discord")
    fake = FakeDiscord(**(marker.kwargs if marker else {}))
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    yield fake
    await fake.stop()


@pytest.fixture
def bot_settings(bot_root, bot_engine, fake_discord, tmp_path) -> Settings:
    return replace(
        bot_engine.settings,
        discord_token=FakeDiscord.TOKEN,
        discord_guild_id=(int(fake_discord.guild_id),),
        admin_role_id=(int(fake_discord.admin_role["id"]),),
        cooldown_seconds=0.0,
        feedback_db=tmp_path / "feedback.sqlite3",
    )


@pytest.fixture
def seeds_restored(bot_engine):
    """For tests that add articles to the shared index: take them out again afterwards."""
    seeds = bot_engine.settings.seeds_dir
    before = {path: path.read_bytes() for path in seeds.iterdir() if path.is_file()}
    yield seeds
    for path in set(seeds.iterdir()) - set(before):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path, data in before.items():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    bot_engine.index(show_bar=False)


@pytest.fixture
async def start_bot(fake_discord, bot_engine, bot_settings):
    """start_bot(**settings overrides) -> a FootnoteBot connected to the fake and ready."""
    from footnote.bot.client import FootnoteBot

    running: list[tuple[FootnoteBot, asyncio.Task]] = []

    async def start(watch: bool = False, engine=None, **overrides) -> FootnoteBot:
        bot = FootnoteBot(
            replace(bot_settings, **overrides), engine or bot_engine, watch=watch, guild_ready_timeout=0.05
        )
        task = asyncio.create_task(bot.start(FakeDiscord.TOKEN))
        running.append((bot, task))
        await fake_discord.wait_for(lambda: bot.is_ready() or task.done(), 30, "the bot to be ready")
        if task.done():
            task.result()
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        await asyncio.wait({task}, timeout=5)
    assert not fake_discord.unknown_routes, f"the bot called routes the fake lacks: {fake_discord.unknown_routes}"
    assert not fake_discord.rejected, f"Discord would have refused: {fake_discord.rejected}"


@pytest.fixture
async def bot(start_bot):
    return await start_bot()
