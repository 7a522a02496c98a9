"""The ask cog through the fake Discord: /ask, mentions, DMs, refusals, threads, buttons, limits, pings."""
from __future__ import annotations

QUESTION = "When does the base agreement end?"


async def test_slash_ask_answers_with_the_2066_citation(bot, fake_discord):
    token = await fake_discord.slash("ask", question=QUESTION)
    reply = await fake_discord.answer_to(token)

    assert fake_discord.interactions[token]["callbacks"][0] == 5  # deferred at once, then edited
    embed = reply["embeds"][0]
    assert "2066" in embed["description"] and "[1]" in embed["description"]
    field = embed["fields"][0]
    assert field["name"].startswith("[1] Russia's military bases in Syria")
    assert "until 2066" in field["value"] and "russia-syria-bases.txt:" in field["value"]
    labels = [c.get("label") or c.get("emoji", {}).get("name") for row in reply["components"] for c in row["components"]]
    assert labels == ["Sources", "👍", "👎"]
