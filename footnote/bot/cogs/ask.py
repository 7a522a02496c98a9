"""Asking: /ask, @mentions, DMs and follow-ups in the bot's threads, each answered with cited sentences."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from footnote.answering.answer import Answer
from footnote.bot.cogs.utils.answer_view import SourcesButton, VoteButton, answer_view
from footnote.bot.cogs.utils.checks import UserCooldown
from footnote.bot.cogs.utils.formatting import NO_PINGS, answer_embeds, clip, quiet, split_text, thread_name
from footnote.store import IndexUnavailable

if TYPE_CHECKING:
    from footnote.bot.client import FootnoteBot

log = logging.getLogger(__name__)

UNAVAILABLE = "The article index is unavailable right now (it has been logged). Please try again in a minute."
APOLOGY = "Sorry, something went wrong answering that. It has been logged."
EMPTY_MENTION = "Ask me something after the mention, e.g. `@Footnote when does the Tartus agreement end?`"


class Ask(commands.Cog):
    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot
        self.cooldown = UserCooldown(bot.settings.cooldown_seconds)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SourcesButton, VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SourcesButton, VoteButton)

    # -- shared by every route ------------------------------------------------------------------
    def gate(self, user_id: int) -> str | None:
        """Why this user may not ask right now, or None."""
        if not self.bot.accepting_questions:
            return "Footnote is restarting; please ask again in a minute."
        wait = self.cooldown.retry_after(user_id)
        if wait > 0:
            return f"Slow down a little: you can ask again in {wait:.0f} s."
        return None

    async def context_for(self, channel) -> str | None:
        """In one of the bot's threads, the previous question, so follow-ups make sense."""
        if isinstance(channel, discord.Thread) and self.bot.user and channel.owner_id == self.bot.user.id:
            return await asyncio.to_thread(self.bot.feedback.last_question, channel.id)
        return None

    async def answer(self, question: str, user_id: int, channel) -> tuple[Answer, int | None]:
        """The engine's answer (run off the event loop) and its feedback row id (None for errors, or when
        the feedback log cannot be written: the answer still goes out, without vote or Sources buttons)."""
        context = await self.context_for(channel)
        if self.bot.settings.log_content:
            log.info("question from %s: %r (context %r)", user_id, question, context)
        try:
            answer = await asyncio.to_thread(self.bot.engine.ask, question, context)
        except IndexUnavailable:
            log.exception("the index is unavailable")
            return Answer(question, "", False, error=UNAVAILABLE), None
        if answer.error:
            return answer, None
        row = await asyncio.to_thread(self.bot.feedback.record_answer, answer, user_id, getattr(channel, "id", None))
        return answer, row

    async def open_thread(self, message: discord.Message, question: str) -> None:
        """Follow-ups go in a thread started from the answer; not in DMs or inside a thread already."""
        if not isinstance(message.channel, discord.TextChannel):
            return
        try:
            await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
        except discord.HTTPException:
            log.warning("could not open a thread on %s", message.jump_url, exc_info=True)

    # -- /ask ----------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask a question about the articles; the answer cites its sentences.")
    @app_commands.describe(question="What you want to know, e.g. When does the Tartus base agreement end?")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        if (refusal := self.gate(interaction.user.id)) is not None:
            await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        async with self.bot.question_in_flight():  # a shutdown waits until the reply is sent
            await self._answer_interaction(interaction, question)

    async def _answer_interaction(self, interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(thinking=True)  # Discord allows 3 s before the first response
        answer, row = await self.answer(question, interaction.user.id, interaction.channel)
        if answer.error:
            await interaction.edit_original_response(
                content=f"⚠️ {quiet(clip(answer.error or APOLOGY, 1900))}", allowed_mentions=NO_PINGS
            )
            return
        first, *rest = answer_embeds(answer)
        message = await interaction.edit_original_response(
            embed=first, view=_buttons(row, answer), allowed_mentions=NO_PINGS
        )
        for embed in rest:
            await interaction.followup.send(embed=embed, allowed_mentions=NO_PINGS)
        if row is not None:
            await asyncio.to_thread(self.bot.feedback.set_message, row, message.id)
        await self.open_thread(message, question)

    # -- mentions, DMs and thread follow-ups -----------------------------------------------------
    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, "" for a bare mention, None when it isn't for the bot."""
        me = self.bot.user
        if me is None or message.author.bot:
            return None
        text = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        mentioned = me in message.mentions
        in_our_thread = isinstance(message.channel, discord.Thread) and message.channel.owner_id == me.id
        if message.guild is None or mentioned:
            return text
        # In our threads any message is a follow-up, but an empty one (an image, or no Message
        # Content intent) is not a question and gets no "ask me something" nag.
        return text if in_our_thread and text else None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None or not await self.bot.scope.serves(message.guild and message.guild.id, message.author):
            return
        try:
            async with self.bot.question_in_flight():  # a shutdown waits until the reply is sent
                await self.reply_to_message(message, question)
        except Exception:
            log.exception("answering message %s failed", message.id)
            try:
                await message.channel.send(APOLOGY, allowed_mentions=NO_PINGS)
            except discord.HTTPException:
                log.exception("could not send the apology")

    async def reply_to_message(self, message: discord.Message, question: str) -> None:
        if not question:
            await message.reply(EMPTY_MENTION, mention_author=False, allowed_mentions=NO_PINGS)
            return
        if (refusal := self.gate(message.author.id)) is not None:
            await message.reply(refusal, mention_author=False, allowed_mentions=NO_PINGS)
            return
        async with message.channel.typing():
            answer, row = await self.answer(question, message.author.id, message.channel)
        if answer.error:
            for piece in split_text(f"⚠️ {quiet(answer.error or APOLOGY)}"):
                await message.reply(piece, mention_author=False, allowed_mentions=NO_PINGS)
            return
        first, *rest = answer_embeds(answer)
        sent = await message.reply(
            embed=first, view=_buttons(row, answer), mention_author=False, allowed_mentions=NO_PINGS
        )
        for embed in rest:
            await message.channel.send(embed=embed, allowed_mentions=NO_PINGS)
        if row is not None:
            await asyncio.to_thread(self.bot.feedback.set_message, row, sent.id)
        await self.open_thread(sent, question)


def _buttons(row: int | None, answer: Answer):
    """Sources and votes point at the stored answer: none when it could not be stored."""
    return answer_view(row, bool(answer.citations)) if row is not None else discord.utils.MISSING


async def setup(bot: FootnoteBot) -> None:
    await bot.add_cog(Ask(bot))
