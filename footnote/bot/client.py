"""FootnoteBot: the discord.py bot. setup_hook readies the engine, loads the cogs and syncs app commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import discord
from discord import app_commands
from discord.ext import commands

from footnote.bot.cogs.utils.answer_view import reply_privately
from footnote.bot.cogs.utils.checks import UserCooldown
from footnote.bot.cogs.utils.formatting import NO_PINGS
from footnote.bot.scope import Scope, ServedTree
from footnote.engine import Engine
from footnote.feedback import FeedbackLog
from footnote.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS = ("footnote.bot.cogs.ask", "footnote.bot.cogs.admin")
WATCH_EXTENSION = "footnote.bot.cogs.watch"


class FootnoteBot(commands.AutoShardedBot):
    def __init__(self, settings: Settings, engine: Engine, *, watch: bool = False, **options) -> None:
        """`options` go to discord.py's Client (tests pass a short guild_ready_timeout)."""
        intents = discord.Intents.default()
        intents.message_content = True  # for follow-ups in threads without a mention; dropped if not granted
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_PINGS,
            help_command=None,
            chunk_guilds_at_startup=False,
            tree_cls=ServedTree,
            **options,
        )
        self.settings = settings
        self.scope = Scope(self, settings.discord_guild_id)
        self.sources_cooldown = UserCooldown(settings.cooldown_seconds)  # the Sources button, per user
        self.engine = engine
        self.watch = watch
        self.feedback = FeedbackLog(settings.feedback_path)
        self.started_at = time.time()
        self.accepting_questions = True
        self.reindex_lock = asyncio.Lock()  # /reindex, /add and --watch never index at the same time
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._health = None

    async def setup_hook(self) -> None:
        self._check_message_content_intent()
        await self._start_health_server()
        try:
            await asyncio.to_thread(self.engine.ensure_ready, show_bar=False)
        except Exception:  # keep serving: questions get a clear "index unavailable" until it is fixed
            log.exception("the index could not be loaded; questions will fail until it is")
        for extension in EXTENSIONS + ((WATCH_EXTENSION,) if self.watch else ()):
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("failed to load %s", extension)
        self.tree.on_error = self.on_app_command_error
        await self._sync_commands()

    def _check_message_content_intent(self) -> None:
        flags = self.application.flags if self.application else None
        if flags is not None and not (flags.gateway_message_content or flags.gateway_message_content_limited):
            log.warning(
                "The Message Content intent is not enabled for this bot (Developer Portal → Bot → "
                "Privileged Gateway Intents). /ask, mentions and DMs work; questions in threads "
                "need a mention."
            )
            # Asking for an intent the app lacks makes Discord close the gateway (4014); the public
            # `intents` property is a copy, so the state's own flags are the ones to change.
            self._connection._intents.message_content = False

    async def _start_health_server(self) -> None:
        if not self.settings.health_port:
            return
        try:
            from footnote.health import start_health_server
        except ImportError:
            log.warning("HEALTH_PORT is set but footnote.health is not available; no health endpoint")
            return
        try:
            self._health = await start_health_server(self.settings, self.engine, self.is_ready)
        except Exception:
            log.exception("could not start the health server on port %s", self.settings.health_port)

    async def _sync_commands(self) -> None:
        """Commands exist in the served guilds only. The global list is synced empty, which also removes
        global commands an older version registered (they would show in every guild the bot is in)."""
        for guild_id in sorted(self.scope.guild_ids):
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
        self.tree.clear_commands(guild=None)
        for guild_id in sorted(self.scope.guild_ids) + [None]:
            try:
                synced = await self.tree.sync(guild=None if guild_id is None else discord.Object(id=guild_id))
                log.info("synced %d app commands (%s)", len(synced), f"guild {guild_id}" if guild_id else "global")
            except discord.HTTPException:
                log.exception(
                    "syncing app commands to %s failed; existing commands stay as they were",
                    f"guild {guild_id}" if guild_id else "the global list",
                )

    async def on_ready(self) -> None:
        log.info("ready as %s (%s) in %d guilds", self.user, getattr(self.user, "id", "?"), len(self.guilds))
        for guild in self.guilds:
            if guild.id not in self.scope.guild_ids:
                self.scope.ignore_guild(guild.id, guild.name)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if guild.id not in self.scope.guild_ids:
            self.scope.ignore_guild(guild.id, guild.name)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the ask cog's listener handles mentions, DMs and thread follow-ups."""

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use that here."
        else:
            original = getattr(error, "original", error)
            log.error("/%s failed", getattr(interaction.command, "name", "?"), exc_info=original)
            text = "Sorry, something went wrong with that command. It has been logged."
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException:
            log.exception("could not tell the user about the error")

    @contextlib.asynccontextmanager
    async def question_in_flight(self) -> AsyncIterator[None]:
        """Counts questions being answered, so a shutdown can wait for them."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def drain(self, timeout: float) -> int:
        """Stop taking questions and wait up to `timeout` s for those in flight; returns how many were left."""
        self.accepting_questions = False
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self._in_flight

    async def close(self) -> None:
        if self._health is not None:
            with contextlib.suppress(Exception):
                await self._health.cleanup()
            self._health = None
        await super().close()
        self.feedback.close()
