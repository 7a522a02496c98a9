"""`python bot.py run`: owns the bot's process — token check, one Engine, signals, graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import discord

from footnote.settings import Settings

log = logging.getLogger(__name__)

DRAIN_SECONDS = 20.0  # how long a SIGTERM waits for questions being answered (Docker waits 10 s by default)
TOKEN_HELP = (
    "DISCORD_TOKEN is {what}: set DISCORD_TOKEN=<your bot token> in .env or the environment "
    "(Discord Developer Portal → your application → Bot → Reset Token)"
)
GUILD_HELP = (
    "DISCORD_GUILD_ID is not set: the bot serves only the guilds listed there; set DISCORD_GUILD_ID=<server id> "
    "(right-click the server → Copy Server ID), several separated by commas"
)


def run_bot(settings: Settings, watch: bool) -> int:
    """Run until SIGTERM/SIGINT; 0 on a clean stop, 2 when the token or the guild is missing, or refused."""
    if not settings.discord_token.strip():
        print(f"error: {TOKEN_HELP.format(what='not set')}", file=sys.stderr)
        return 2
    if not settings.discord_guild_id:
        print(f"error: {GUILD_HELP}", file=sys.stderr)
        return 2
    from footnote.engine import Engine  # imported late: a missing token should fail without loading models

    engine = Engine(settings)
    try:
        return asyncio.run(serve(settings, engine, watch))
    except discord.LoginFailure:
        print(f"error: {TOKEN_HELP.format(what='invalid (Discord refused it)')}", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "error: Discord refused a privileged intent: enable Message Content under Developer Portal → "
            "Bot → Privileged Gateway Intents",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.close()


async def serve(settings: Settings, engine, watch: bool, stop: asyncio.Event | None = None) -> int:
    """Start the bot and wait for a stop signal (or `stop`, for tests), then shut down gracefully."""
    from footnote.bot.client import FootnoteBot

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    bot = FootnoteBot(settings, engine, watch=watch)
    try:
        return await _run_until_stopped(bot, settings.discord_token, stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def _run_until_stopped(bot, token: str, stop: asyncio.Event) -> int:
    async with bot:
        running = asyncio.create_task(bot.start(token), name="footnote-bot")
        stopping = asyncio.create_task(stop.wait(), name="footnote-stop")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():  # the bot ended on its own: login refused, gateway closed for good, ...
            stopping.cancel()
            running.result()
            return 0
        left = await bot.drain(DRAIN_SECONDS)
        log.info(
            "stopping: %s",
            f"{left} questions still unanswered after {DRAIN_SECONDS:.0f} s" if left else "all questions answered",
        )
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running
    return 0
