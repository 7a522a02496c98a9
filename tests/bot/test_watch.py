"""The watch cog: with --watch, a file dropped into seeds/ is indexed and answerable within seconds."""

from __future__ import annotations

import asyncio
import time

ARTICLE = """The Channel Tunnel
Date: 1994-05-06

The Channel Tunnel between Folkestone and Coquelles was opened on 6 May 1994 by Queen Elizabeth II and President Francois Mitterrand.
"""


async def test_a_new_seed_file_is_indexed_within_seconds(start_bot, fake_discord, bot_engine, seeds_restored):
    await start_bot(watch=True)
    (seeds_restored / "channel-tunnel.txt").write_text(ARTICLE, encoding="utf-8")
    written = time.monotonic()
    while await asyncio.to_thread(bot_engine.needs_index):
        assert time.monotonic() - written < 15, "seeds/ change not indexed within 15 s"
        await asyncio.sleep(0.2)
    answer = await fake_discord.answer_to(
        await fake_discord.slash("ask", question="When was the Channel Tunnel opened?")
    )

    assert "1994" in answer["embeds"][0]["description"]
    assert "channel-tunnel.txt" in answer["embeds"][0]["fields"][0]["value"]
