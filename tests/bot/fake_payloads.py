"""Discord API objects as the real API shapes them, and the message limits Discord enforces.

The fake server builds every user, guild, channel and message here, so discord.py parses the same
fields it would from discord.com; `limit_errors` returns what Discord would reject with a 400."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000
_increment = itertools.count(1)

MANAGE_GUILD = 1 << 5
# What an ordinary member may do in a channel: view, send, read history, use app commands, threads.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31) | (1 << 38)
MESSAGE_CONTENT_FLAG = 1 << 19  # application flag: GATEWAY_MESSAGE_CONTENT granted


def snowflake() -> str:
    """A fresh, time-ordered id, like Discord's."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (next(_increment) % 4096))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> dict:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(user_obj: dict, role_ids: list[str], permissions: int) -> dict:
    return {
        "user": user_obj,
        "roles": role_ids,
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "permissions": str(permissions),
    }


def role(role_id: str, name: str, permissions: int, position: int) -> dict:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: str, guild_id: str, name: str) -> dict:
    return {
        "id": channel_id,
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread_channel(thread_id: str, guild_id: str, parent_id: str, owner_id: str, name: str) -> dict:
    return {
        "id": thread_id,
        "type": 11,
        "guild_id": guild_id,
        "parent_id": parent_id,
        "owner_id": owner_id,
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
    }


def guild(guild_id: str, owner_id: str, roles: list[dict], channels: list[dict], members: list[dict]) -> dict:
    return {
        "id": guild_id,
        "name": "Footnote Test Guild",
        "owner_id": owner_id,
        "icon": None,
        "roles": roles,
        "channels": channels,
        "threads": [],
        "members": members,
        "member_count": len(members),
        "unavailable": False,
        "large": False,
        "features": [],
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "joined_at": now_iso(),
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
    }


def message(
    channel_id: str,
    author: dict,
    payload: dict,
    *,
    guild_id: str | None,
    mentions: list[dict] | None = None,
    attachments: list[dict] | None = None,
) -> dict:
    """A message as Discord returns it after a create: the sent payload plus server-set fields."""
    msg = {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": author,
        "content": payload.get("content") or "",
        "embeds": payload.get("embeds") or [],
        "components": payload.get("components") or [],
        "attachments": attachments or [],
        "mentions": mentions or [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "flags": payload.get("flags") or 0,
        "type": 19 if payload.get("message_reference") else 0,
    }
    if guild_id:
        msg["guild_id"] = guild_id
    if payload.get("message_reference"):
        # discord.py sends ids as ints; Discord always returns snowflakes as strings.
        msg["message_reference"] = {
            k: str(v) if k.endswith("_id") else v for k, v in payload["message_reference"].items()
        }
    return msg


def limit_errors(payload: dict) -> list[str]:
    """What Discord's API would refuse in a message payload (50035 Invalid Form Body)."""
    errors = []
    if len(payload.get("content") or "") > 2000:
        errors.append(f"content is {len(payload['content'])} chars (max 2000)")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors.append(f"{len(embeds)} embeds (max 10)")
    total = 0
    for i, embed in enumerate(embeds):
        parts = {
            "title": (embed.get("title"), 256),
            "description": (embed.get("description"), 4096),
            "footer": ((embed.get("footer") or {}).get("text"), 2048),
            "author": ((embed.get("author") or {}).get("name"), 256),
        }
        for key, (text, most) in parts.items():
            total += len(text or "")
            if len(text or "") > most:
                errors.append(f"embeds[{i}].{key} is {len(text)} chars (max {most})")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append(f"embeds[{i}] has {len(fields)} fields (max 25)")
        for j, fld in enumerate(fields):
            total += len(fld.get("name", "")) + len(fld.get("value", ""))
            if not fld.get("name") or len(fld["name"]) > 256:
                errors.append(f"embeds[{i}].fields[{j}].name is empty or over 256 chars")
            if not fld.get("value") or len(fld["value"]) > 1024:
                errors.append(f"embeds[{i}].fields[{j}].value is empty or over 1024 chars")
    if total > 6000:
        errors.append(f"embeds total {total} chars (max 6000)")
    rows = payload.get("components") or []
    if len(rows) > 5:
        errors.append(f"{len(rows)} component rows (max 5)")
    for row in rows:
        for comp in row.get("components", []):
            if len(comp.get("label") or "") > 80 or len(comp.get("custom_id") or "") > 100:
                errors.append(f"component {comp.get('custom_id')!r} label/custom_id too long")
    return errors
