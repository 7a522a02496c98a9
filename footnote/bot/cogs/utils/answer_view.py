"""The buttons under each answer: Sources, 👍 and 👎.

They are DynamicItems: the answer's feedback row id lives in the custom_id, so the buttons keep
working after a restart without any in-memory state."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord

from footnote.answering.answer import Citation
from footnote.bot.cogs.utils.formatting import NO_PINGS, sources_embeds

if TYPE_CHECKING:
    from footnote.bot.client import FootnoteBot

log = logging.getLogger(__name__)


async def reply_privately(
    interaction: discord.Interaction, content: str | None = None, embeds: list[discord.Embed] | None = None
) -> None:
    """An ephemeral reply, as a response or, once the interaction is acknowledged, a follow-up."""
    kwargs = {"content": content, "ephemeral": True, "allowed_mentions": NO_PINGS}
    if embeds:
        kwargs["embeds"] = embeds
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def apologise(interaction: discord.Interaction, what: str) -> None:
    log.exception("%s failed (user %s)", what, interaction.user.id)
    try:
        await reply_privately(interaction, "Sorry, something went wrong there. It has been logged.")
    except discord.HTTPException:
        log.exception("could not even send the apology")


async def served(interaction: discord.Interaction[FootnoteBot]) -> bool:
    """Buttons obey the same scope as commands: a click from another guild (a forwarded or copied
    message) or from a stranger's DM does nothing."""
    return await interaction.client.scope.serves(interaction.guild_id, interaction.user)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"fn:vote:(?P<vote>up|down):(?P<answer>\d+)"):
    def __init__(self, vote: str, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"fn:vote:{vote}:{answer_id}",
            )
        )
        self.vote, self.answer_id = vote, answer_id

    async def interaction_check(self, interaction: discord.Interaction[FootnoteBot]) -> bool:
        return await served(interaction)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(match["vote"], int(match["answer"]))

    async def callback(self, interaction: discord.Interaction[FootnoteBot]) -> None:
        try:
            stored = await asyncio.to_thread(
                interaction.client.feedback.record_vote,
                self.answer_id,
                interaction.user.id,
                1 if self.vote == "up" else -1,
            )
            text = (
                f"Thanks, your {'👍' if self.vote == 'up' else '👎'} is recorded."
                if stored
                else "I no longer have a record of that answer."
            )
            await reply_privately(interaction, text)
        except Exception:
            await apologise(interaction, "vote")


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"fn:sources:(?P<answer>\d+)"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Sources", emoji="📄", style=discord.ButtonStyle.primary, custom_id=f"fn:sources:{answer_id}"
            )
        )
        self.answer_id = answer_id

    async def interaction_check(self, interaction: discord.Interaction[FootnoteBot]) -> bool:
        return await served(interaction)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        return cls(int(match["answer"]))

    async def callback(self, interaction: discord.Interaction[FootnoteBot]) -> None:
        try:
            bot = interaction.client
            if (wait := bot.sources_cooldown.retry_after(interaction.user.id)) > 0:
                return await reply_privately(interaction, f"Slow down a little: Sources again in {wait:.0f} s.")
            stored = await asyncio.to_thread(bot.feedback.citations, self.answer_id)
            if not stored:
                return await reply_privately(interaction, "I no longer have the sources for that answer.")
            blocks = []
            for raw in stored:
                c = Citation(**raw)
                try:
                    context = await asyncio.to_thread(bot.engine.sentence_context, c.source, c.sentence, 1, c.sentences)
                except Exception:  # the article may be gone or the index down: the quote alone still helps
                    log.warning("no context for %s", c.location, exc_info=True)
                    context = []
                blocks.append((c, context))
            embeds = sources_embeds(blocks)
            await reply_privately(interaction, embeds=embeds[:1])
            for extra in embeds[1:]:
                await reply_privately(interaction, embeds=[extra])
        except Exception:
            await apologise(interaction, "sources")


def answer_view(answer_id: int, has_sources: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if has_sources:
        view.add_item(SourcesButton(answer_id))
    view.add_item(VoteButton("up", answer_id))
    view.add_item(VoteButton("down", answer_id))
    return view
