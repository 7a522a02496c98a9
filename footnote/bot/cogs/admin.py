"""Running the index from Discord: /reindex and /add (admins only), and /status for everyone."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from footnote.bot.cogs.utils.checks import admin_only
from footnote.bot.cogs.utils.formatting import NO_PINGS, clip, plain
from footnote.corpus import ARTICLE_SUFFIXES
from footnote.indexer import IndexBusy, IndexReport
from footnote.store import IndexUnavailable

if TYPE_CHECKING:
    from footnote.bot.client import FootnoteBot

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.5  # edits are rate-limited by Discord; a few a second is plenty
BUSY = "Another index run holds the index lock (perhaps `python bot.py index`); try again in a minute."


def report_text(prefix: str, report: IndexReport) -> str:
    text = (
        f"{prefix}: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; {report.articles} articles, {report.sentences} sentences in the index."
    )
    if report.failed:
        text += "\n" + "\n".join(f"• {plain(line)}" for line in report.failed[:10])
    return clip(text, 1900)


def uptime(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m:02d}m {s:02d}s"


class Admin(commands.Cog):
    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot

    async def _index_with_progress(self, interaction: discord.Interaction, work, *args):
        """Run blocking index work in a thread, editing the reply with its progress meanwhile."""
        progress = {"done": 0, "total": 0}

        def on_progress(done: int, total: int) -> None:  # called from the worker thread
            progress.update(done=done, total=total)

        task = asyncio.create_task(asyncio.to_thread(work, *args, on_progress))
        shown = None
        while not task.done():
            await asyncio.wait({task}, timeout=PROGRESS_EVERY_S)
            now = (progress["done"], progress["total"])
            if not task.done() and now[1] and now != shown:
                shown = now
                await interaction.edit_original_response(content=f"Indexing… {now[0]}/{now[1]} articles")
        return task.result()

    async def _locked(self, interaction: discord.Interaction):
        """The reindex lock, telling the user when they have to wait for another run first."""
        if self.bot.reindex_lock.locked():
            await interaction.edit_original_response(content="Another reindex is running; yours starts right after it…")
        return self.bot.reindex_lock

    @app_commands.command(name="reindex", description="Re-read seeds/ and update the index (admins).")
    @admin_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        async with await self._locked(interaction):
            try:
                report = await self._index_with_progress(
                    interaction, lambda progress: self.bot.engine.index(progress=progress, show_bar=False)
                )
            except IndexBusy:
                await interaction.edit_original_response(content=BUSY)
                return
            except IndexUnavailable as exc:
                log.exception("reindex: index unavailable")
                await interaction.edit_original_response(content=clip(f"⚠️ {plain(str(exc))}", 1900))
                return
        log.info("reindex by %s: %s", interaction.user.id, report.summary())
        await interaction.edit_original_response(content=report_text("Reindexed", report), allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="add", description="Add an article (.txt, .md or .html) to seeds/ and index it (admins)."
    )
    @app_commands.describe(
        file="The article file; its first line is the title",
        replace="Replace an article of the same name (the old one is kept in seeds/.replaced/)",
    )
    @admin_only()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment, replace: bool = False) -> None:
        suffix = Path(file.filename).suffix.lower()
        if suffix not in ARTICLE_SUFFIXES or file.size > self.bot.settings.max_article_bytes:
            limit_mb = self.bot.settings.max_article_bytes / 1e6
            await interaction.response.send_message(
                f"I can add {', '.join(ARTICLE_SUFFIXES)} files up to {limit_mb:.0f} MB; "
                f"{plain(clip(file.filename, 100))} is not one.",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        await interaction.response.defer(thinking=True)
        data = await file.read()
        async with await self._locked(interaction):
            try:
                saved, report = await asyncio.to_thread(self.bot.engine.add_article, file.filename, data, replace)
            except ValueError as exc:  # a bad file or name: the message says what is wrong
                await interaction.edit_original_response(
                    content=clip(f"Could not add it: {plain(str(exc))}", 1900), allowed_mentions=NO_PINGS
                )
                return
            except IndexBusy:
                await interaction.edit_original_response(content=BUSY)
                return
        log.info(
            "/add by %s: %s%s (%s)",
            interaction.user.id,
            saved.name,
            f", the old version moved to {saved.replaced}" if saved.replaced else "",
            report.summary(),
        )
        done = (
            f"Replaced {plain(saved.name)} (the old version is in seeds/{plain(saved.replaced)})"
            if saved.replaced
            else f"Added {plain(saved.name)}"
        )
        await interaction.edit_original_response(
            content=report_text(f"{done}, ask away", report), allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="status", description="What the index holds and how long the bot has been up.")
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        status = await asyncio.to_thread(self.bot.engine.status)
        indexed_at = status.get("indexed_at")
        when = f"<t:{int(indexed_at)}:R>" if indexed_at else "never"
        embed = discord.Embed(title="Footnote status", colour=discord.Colour.blurple())
        for label, value in (
            ("Articles", status.get("articles")),
            ("Sentences", status.get("sentences")),
            ("Chunks", status.get("chunks")),
            ("Last indexed", when),
            ("Embedding model", status.get("embed_model")),
            ("Answer mode", status.get("answer_mode")),
            ("Uptime", uptime(time.time() - self.bot.started_at)),
        ):
            embed.add_field(name=label, value=clip(str(value), 1024), inline=True)
        if status.get("answer_mode") == "llm":  # the host only: the key never leaves the settings
            error = status.get("llm_last_error")
            last = f"{plain(error['error'])} (<t:{int(error['at'])}:R>)" if error else "none"
            embed.add_field(
                name="LLM endpoint",
                value=clip(f"{status.get('llm_endpoint')} · {status.get('llm_model')}", 1024),
                inline=True,
            )
            embed.add_field(name="Last LLM error", value=clip(last, 1024), inline=False)
        embed.set_footer(text=f"as of {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}")
        await interaction.edit_original_response(embed=embed)


async def setup(bot: FootnoteBot) -> None:
    await bot.add_cog(Admin(bot))
