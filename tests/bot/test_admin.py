"""The admin cog through the fake Discord: /reindex and /add for admins only, /status for everyone."""

from __future__ import annotations

import asyncio

SVALBARD = """The Svalbard Global Seed Vault
Date: 2008-02-26

The Svalbard Global Seed Vault opened on 26 February 2008 inside a mountain on the Norwegian island of Spitsbergen.

It holds more than 1.2 million seed samples from almost every country, kept at minus 18 degrees Celsius.
"""
KIRIBATI = """Kiribati and the date line
Date: 1995-01-01

In 1995 Kiribati moved the International Date Line so that all of its islands share the same calendar day.

The change made the Line Islands the first inhabited place to greet each new year.
"""


async def final_content(fake, token: str, prefix: str) -> str:
    """The reply once it has moved past "thinking…" and progress edits to the text starting with `prefix`."""

    def done():
        original = fake.interactions[token]["original"]
        return original and original["content"].startswith(prefix) and original["content"]

    return await fake.wait_for(done, 60, f"a reply starting with {prefix!r}")


async def test_reindex_by_an_admin_reports_counts_and_the_new_article_answers(bot, fake_discord, seeds_restored):
    (seeds_restored / "svalbard-seed-vault.txt").write_text(SVALBARD, encoding="utf-8")
    report = await final_content(fake_discord, await fake_discord.slash("reindex", user="mod"), "Reindexed")
    answer = await fake_discord.answer_to(
        await fake_discord.slash("ask", question="When did the Svalbard Global Seed Vault open?")
    )

    assert report.startswith("Reindexed: 1 added, 0 changed, 0 removed, 0 failed; 4 articles")
    assert "2008" in answer["embeds"][0]["description"]
    assert "svalbard-seed-vault.txt" in answer["embeds"][0]["fields"][0]["value"]


async def test_reindex_by_a_member_with_the_admin_role(bot, fake_discord):
    report = await final_content(fake_discord, await fake_discord.slash("reindex", user="rolf"), "Reindexed")
    assert report.startswith("Reindexed: 0 added, 0 changed, 0 removed, 0 failed")


async def test_reindex_is_refused_for_a_non_admin(bot, fake_discord, bot_engine, seeds_restored):
    (seeds_restored / "svalbard-seed-vault.txt").write_text(SVALBARD, encoding="utf-8")
    token = await fake_discord.slash("reindex", user="alice")
    reply = await fake_discord.answer_to(token)

    assert fake_discord.interactions[token]["callbacks"] == [4] and reply["flags"] & 64
    assert reply["content"] == (
        "Only admins can do that: it needs the Manage Server permission "
        f"or the role <@&{fake_discord.admin_role['id']}>."
    )
    assert await asyncio.to_thread(bot_engine.needs_index), "a refused /reindex must not index"


async def test_a_role_named_like_the_admin_role_is_not_enough(bot, fake_discord):
    """Roles are matched by id: a member who makes a role of the same name (any case) is no admin."""
    look_alike = {
        "id": "1234567890123456789",
        "name": "FOOTNOTE ADMINS",
        "permissions": "0",
        "position": 3,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    fake_discord.guild["roles"].append(look_alike)
    fake_discord.user_roles["bob"] = [look_alike["id"]]
    await fake_discord.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": fake_discord.guild_id, "role": look_alike})
    reply = await fake_discord.answer_to(await fake_discord.slash("reindex", user="bob"))
    assert reply["content"].startswith("Only admins can do that") and reply["flags"] & 64


async def test_concurrent_reindexes_both_finish(bot, fake_discord, seeds_restored):
    (seeds_restored / "svalbard-seed-vault.txt").write_text(SVALBARD, encoding="utf-8")
    first = await fake_discord.slash("reindex", user="mod")
    second = await fake_discord.slash("reindex", user="rolf")
    reports = await asyncio.gather(
        final_content(fake_discord, first, "Reindexed"), final_content(fake_discord, second, "Reindexed")
    )
    assert sorted(r.split(",")[0] for r in reports) == ["Reindexed: 0 added", "Reindexed: 1 added"]


async def test_add_with_an_attachment_then_answer_from_it(bot, fake_discord, seeds_restored):
    token = await fake_discord.slash("add", user="mod", attachment=("Kiribati date line.txt", KIRIBATI.encode()))
    added = await final_content(fake_discord, token, "Added")
    answer = await fake_discord.answer_to(
        await fake_discord.slash("ask", question="When did Kiribati move the International Date Line?")
    )

    assert added.startswith("Added Kiribati-date-line.txt, ask away: 1 added")
    assert (seeds_restored / "Kiribati-date-line.txt").read_text(encoding="utf-8") == KIRIBATI
    assert "1995" in answer["embeds"][0]["description"]
    assert "Kiribati-date-line.txt" in answer["embeds"][0]["fields"][0]["value"]


async def test_add_never_overwrites_silently_and_replace_keeps_the_old_version(bot, fake_discord, seeds_restored):
    seed = seeds_restored / "russia-syria-bases.txt"
    original = seed.read_text(encoding="utf-8")
    hijack = ("russia-syria-bases.txt", b"Hijacked\n\nThe base agreement ends in 1999, the new text says.\n")
    refused = await final_content(
        fake_discord, await fake_discord.slash("add", user="mod", attachment=hijack), "Could not add it"
    )
    assert "an article named russia-syria-bases.txt already exists" in refused and "replace" in refused
    assert seed.read_text(encoding="utf-8") == original

    replaced = await final_content(
        fake_discord, await fake_discord.slash("add", user="mod", attachment=hijack, replace=True), "Replaced"
    )
    backups = list((seeds_restored / ".replaced").iterdir())
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == original
    assert backups[0].name.endswith("-russia-syria-bases.txt") and f"seeds/.replaced/{backups[0].name}" in replaced
    assert "0 added, 1 changed" in replaced and "3 articles" in replaced  # the backup is not indexed
    assert seed.read_text(encoding="utf-8").startswith("Hijacked")


async def test_add_keeps_names_apart(bot, fake_discord, seeds_restored):
    names = ["статья.txt", "报告.txt", "report (1).txt", "report [1].txt", "x.txt"]
    for name in names:
        await final_content(
            fake_discord,
            await fake_discord.slash(
                "add", user="mod", attachment=(name, KIRIBATI.replace("Kiribati", name[:-4]).encode())
            ),
            "Added",
        )
    clash = await final_content(
        fake_discord,
        await fake_discord.slash("add", user="mod", attachment=("X.TXT", KIRIBATI.encode())),
        "Could not add it",
    )
    too_long = await final_content(
        fake_discord,
        await fake_discord.slash("add", user="mod", attachment=("ü" * 70 + ".txt", KIRIBATI.encode())),
        "Could not add it",
    )

    assert {p.name for p in seeds_restored.iterdir() if p.is_file()} >= {
        "статья.txt",
        "报告.txt",
        "report-(1).txt",
        "report-[1].txt",
        "x.txt",
    }
    assert "an article named x.txt already exists" in clash
    assert "over the 120-byte limit" in too_long


async def test_add_refuses_a_file_with_nothing_to_index_before_saving_it(bot, fake_discord, seeds_restored):
    reply = await final_content(
        fake_discord,
        await fake_discord.slash("add", user="mod", attachment=("title-only.txt", b"Just a title\n")),
        "Could not add it",
    )
    assert "no sentences, not added" in reply
    assert not list(seeds_restored.rglob("title-only.txt"))


async def test_add_refuses_a_file_that_is_not_an_article(bot, fake_discord, seeds_restored):
    reply = await fake_discord.answer_to(
        await fake_discord.slash("add", user="mod", attachment=("report.odt", b"%PDF-1.4"))
    )
    assert reply["flags"] & 64 and "report.odt is not one" in reply["content"]
    assert not (seeds_restored / "report.odt").exists()


async def test_add_is_refused_for_a_non_admin(bot, fake_discord, seeds_restored):
    reply = await fake_discord.answer_to(
        await fake_discord.slash("add", user="bob", attachment=("kiribati.txt", KIRIBATI.encode()))
    )
    assert reply["content"].startswith("Only admins can do that") and reply["flags"] & 64
    assert not (seeds_restored / "kiribati.txt").exists()


async def test_status_shows_the_index_and_uptime(bot, fake_discord):
    reply = await fake_discord.answer_to(await fake_discord.slash("status", user="alice"))
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}

    assert fields["Articles"] == "3" and int(fields["Sentences"]) > 10 and int(fields["Chunks"]) > 0
    assert fields["Embedding model"] and fields["Answer mode"] == "extractive"
    assert fields["Last indexed"].startswith("<t:") and fields["Uptime"].startswith("0h 00m")
