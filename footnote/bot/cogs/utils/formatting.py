"""Answers as Discord embeds and texts cut to Discord's limits, and the never-ping mention policy.

Every builder here returns pieces that each fit one message, so no send ever fails for length:
2,000 characters of content, 4,096 of embed description, 25 fields of 1,024, 6,000 per message."""

from __future__ import annotations

import re

import discord

from footnote.answering.answer import Answer, Citation

# Nobody is ever pinged: not @everyone, roles or users quoted from a question or an article.
NO_PINGS = discord.AllowedMentions.none()

MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
EMBED_TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
FOOTER_ROOM = 100  # the footer is set after packing

FOUND_COLOUR = discord.Colour.blurple()
REFUSED_COLOUR = discord.Colour.light_grey()


def clip(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = max((m.end() for m in re.finditer(r"[.!?]\s", window)), default=-1)
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def quiet(text: str) -> str:
    """User or article text echoed in message content: mentions shown as text, never parsed (belt and braces)."""
    return discord.utils.escape_mentions(text)


_MARKER = re.compile(r"\[(\d{1,3})\]")


def plain(text: str) -> str:
    """Article, file or user text shown literally: no markdown, masked links or mentions, and a "[2]"
    of its own shown as "(2)" so it cannot pass for one of the answer's citation markers."""
    return quiet(discord.utils.escape_markdown(_MARKER.sub(r"(\1)", text)))


def plain_clip(text: str, limit: int) -> str:
    """`plain(text)` within `limit` characters, never cut inside an escape it added."""
    shown = plain(text)
    if len(shown) <= limit:
        return shown
    low, high = 0, limit  # the longest cut of the text whose escaped form fits
    while low < high:
        mid = (low + high + 1) // 2
        if len(plain(clip(text, mid))) <= limit:
            low = mid
        else:
            high = mid - 1
    return plain(clip(text, low)) if low else ""


def answer_text(answer: Answer) -> str:
    """The answer for Discord. Its quoted lines ("> sentence [n]", as compose writes them) show the
    article's sentence literally and keep their real marker; other lines (the short answer, a refusal
    naming the closest article) are escaped whole but keep real markers too."""
    real = {str(c.n) for c in answer.citations}
    quoted = {f"> {c.text} [{c.n}]": c for c in answer.citations}
    lines = []
    for line in answer.answer.split("\n"):
        if (c := quoted.get(line)) is not None:
            lines.append(f"> {plain(c.text)} [{c.n}]")
            continue
        parts = re.split(r"(\[\d{1,3}\])", line)  # odd items are markers
        lines.append("".join(part if i % 2 and part[1:-1] in real else plain(part) for i, part in enumerate(parts)))
    return "\n".join(lines)


def citation_field(c: Citation) -> tuple[str, str]:
    when = f" ({c.date})" if c.date else ""
    name = f"[{c.n}] " + plain_clip(f"{c.heading}{when}", FIELD_NAME_LIMIT - 10)
    head = f"{c.numbers} · `{c.location.replace('`', 'ˋ')}`\n> "
    return name, head + plain_clip(c.text.replace("\n", " "), FIELD_VALUE_LIMIT - len(head))


def pack_embeds(
    title: str, description: str, fields: list[tuple[str, str]], colour: discord.Colour
) -> list[discord.Embed]:
    """Embeds, one per message, each within Discord's limits: the description first, then the fields."""
    embeds: list[discord.Embed] = []
    for i, page in enumerate(split_text(description, DESCRIPTION_LIMIT)):
        embeds.append(
            discord.Embed(title=clip(title, TITLE_LIMIT) if i == 0 else None, description=page or None, colour=colour)
        )
    for name, value in fields:
        last = embeds[-1]
        if len(last.fields) >= FIELDS_PER_EMBED or len(last) + len(name) + len(value) > EMBED_TOTAL_LIMIT - FOOTER_ROOM:
            last = discord.Embed(colour=colour)
            embeds.append(last)
        last.add_field(name=name, value=value, inline=False)
    return embeds


def answer_embeds(answer: Answer) -> list[discord.Embed]:
    """The answer with its [n] markers, then one field per citation; several embeds when it is long."""
    colour = FOUND_COLOUR if answer.found else REFUSED_COLOUR
    fields = [citation_field(c) for c in answer.citations]
    embeds = pack_embeds(plain_clip(answer.question, TITLE_LIMIT), answer_text(answer) or "(no answer)", fields, colour)
    embeds[-1].set_footer(
        text="Sources shows each cited sentence in context · 👍/👎 tell us if this helped"
        if answer.citations
        else "👍/👎 tell us if this helped"
    )
    return embeds


def sources_embeds(blocks: list[tuple[Citation, list[tuple[int, str]]]]) -> list[discord.Embed]:
    """For the Sources button: each cited sentence (bold) with the sentences around it."""
    fields = []
    for c, context in blocks:
        context = context or [(c.sentence, c.text)]
        cited = range(c.sentence, c.sentence + c.sentences)
        lines = [f"**{plain(text)}**" if n in cited else plain(text) for n, text in context]
        name = f"[{c.n}] " + plain_clip(f"{c.title} — {c.location}", FIELD_NAME_LIMIT - 10)
        for k, chunk in enumerate(split_text(" ".join(lines), FIELD_VALUE_LIMIT - 4)):
            fields.append((name if k == 0 else f"[{c.n}] (cont.)", chunk))
    return pack_embeds("Sources", "", fields, FOUND_COLOUR)


def thread_name(question: str) -> str:
    return clip(" ".join(question.split()), THREAD_NAME_LIMIT) or "Follow-up"
