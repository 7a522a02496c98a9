"""Who the bot serves: the guilds in DISCORD_GUILD_ID, and DMs from their members. Everyone else is ignored.

Interactions are checked by the command tree and by each button; messages by the ask cog. An event
from another guild is dropped without a reply (a reply would tell a stranger the bot is listening)
and the guild is logged once, so an admin who forgot an id can see why the bot is silent there."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from footnote.bot.client import FootnoteBot

log = logging.getLogger(__name__)

MEMBER_TTL = 600.0  # how long a "member of a served guild" answer is trusted
STRANGER_TTL = 60.0  # a stranger who joins is answered within a minute


class Scope:
    def __init__(self, bot: FootnoteBot, guild_ids: tuple[int, ...]) -> None:
        self.bot = bot
        self.guild_ids = frozenset(guild_ids)
        self._ignored_guilds: set[int] = set()
        self._members: dict[int, tuple[bool, float]] = {}  # user id -> (in a served guild, checked at)

    def ignore_guild(self, guild_id: int, name: str | None = None) -> None:
        """Log a guild we are in but do not serve, once per guild and process."""
        if guild_id in self._ignored_guilds:
            return
        self._ignored_guilds.add(guild_id)
        label = f"{guild_id} ({name})" if name else str(guild_id)
        log.warning("ignoring guild %s: it is not in DISCORD_GUILD_ID, so nothing there is answered", label)

    async def serves(self, guild_id: int | None, user: discord.abc.User) -> bool:
        """May the bot act on an event from this guild (None: a DM) and user?"""
        if guild_id is not None:
            if guild_id in self.guild_ids:
                return True
            guild = self.bot.get_guild(guild_id)
            self.ignore_guild(guild_id, guild.name if guild else None)
            return False
        return await self.is_member(user.id)

    async def is_member(self, user_id: int) -> bool:
        """Is this user in one of the served guilds? Asked of Discord (no members intent needed), cached."""
        known = self._members.get(user_id)
        now = time.monotonic()
        if known is not None and now - known[1] < (MEMBER_TTL if known[0] else STRANGER_TTL):
            return known[0]
        member = False
        for guild_id in self.guild_ids:
            guild = self.bot.get_guild(guild_id)
            if guild is None:
                continue
            if guild.get_member(user_id) is not None:
                member = True
                break
            try:
                await guild.fetch_member(user_id)
            except discord.NotFound:
                continue
            except discord.HTTPException:  # fail closed: a stranger is never answered by mistake
                log.warning("could not check whether user %s is in guild %s", user_id, guild_id, exc_info=True)
                continue
            member = True
            break
        if len(self._members) > 10_000:
            self._members.clear()
        self._members[user_id] = (member, now)
        if not member:
            log.info("ignoring a DM from user %s: not a member of a served guild", user_id)
        return member


class ServedTree(discord.app_commands.CommandTree):
    """Slash commands run only in served guilds (or, for members, in DMs); elsewhere they do nothing."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await self.client.scope.serves(interaction.guild_id, interaction.user)  # type: ignore[attr-defined]
