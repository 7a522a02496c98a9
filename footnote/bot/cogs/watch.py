"""--watch: re-index within seconds when a file in seeds/ is added, changed or removed.

Polls the engine's cheap stat-only staleness check rather than using inotify, so it also works on
bind mounts and network volumes where file events never arrive."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from footnote.indexer import IndexBusy

if TYPE_CHECKING:
    from footnote.bot.client import FootnoteBot

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class SeedsWatcher(commands.Cog):
    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()

    @tasks.loop(seconds=POLL_SECONDS)
    async def poll(self) -> None:
        try:
            if self.bot.reindex_lock.locked() or not await asyncio.to_thread(self.bot.engine.needs_index):
                return
            async with self.bot.reindex_lock:
                report = await asyncio.to_thread(self.bot.engine.index, show_bar=False)
            log.info("seeds/ changed, re-indexed: %s", report.summary())
        except IndexBusy:
            log.info("seeds/ changed but another index run holds the lock; retrying shortly")
        except Exception:  # an unhandled error would stop the loop for good
            log.exception("re-indexing after a seeds/ change failed; retrying in %.0f s", POLL_SECONDS)


async def setup(bot: FootnoteBot) -> None:
    await bot.add_cog(SeedsWatcher(bot))
