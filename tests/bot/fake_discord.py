"""A fake Discord on loopback that the unmodified discord.py client talks to over HTTP and websocket.

It serves the REST routes Footnote uses, refuses payloads Discord would refuse (limits, bad auth,
unregistered commands) and records every request, so tests assert on what a Discord user would see.
Point discord.py at it with `Route.BASE` and the `/gateway/bot` URL (see `conftest.py`)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.bot import fake_payloads as p
from tests.bot.fake_gateway import FakeGateway


def json_response(data, status: int = 200) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


@dataclass
class Recorded:
    method: str
    path: str  # after /api/v10
    query: dict
    body: dict | None
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


class FakeDiscord:
    TOKEN = "fake-bot-token"

    def __init__(
        self, heartbeat_interval_ms: int = 400, message_content_intent: bool = True, foreign_guild: bool = False
    ) -> None:
        """`foreign_guild`: the bot is also in a second guild, which its settings do not list, where
        "mallory" has Manage Server. "eve" is in neither guild (she can only DM the bot)."""
        self.requests: list[Recorded] = []
        self.unknown_routes: list[str] = []
        self.rejected: list[tuple[str, list[str]]] = []  # (path, limit errors) Discord would 400 on
        self.messages: list[dict] = []  # every message created, in order (ephemeral ones included)
        self.interactions: dict[str, dict] = {}  # token -> what the user sees of that interaction
        self.commands: dict[str, list[dict]] = {}  # "global" or guild id -> synced commands
        self.threads: dict[str, dict] = {}
        self.attachments: dict[str, bytes] = {}
        self.gateway = FakeGateway(self, heartbeat_interval_ms)
        self.app_id, self.guild_id, self.channel_id = p.snowflake(), p.snowflake(), p.snowflake()
        self.app_flags = p.MESSAGE_CONTENT_FLAG if message_content_intent else 0
        self.bot_user = p.user(p.snowflake(), "Footnote", bot=True)
        self.admin_role = p.role(p.snowflake(), "Footnote Admins", p.MEMBER_PERMISSIONS, 1)
        self.moderator_role = p.role(p.snowflake(), "Moderators", p.MEMBER_PERMISSIONS | p.MANAGE_GUILD, 2)
        self.users = {name: p.user(p.snowflake(), name) for name in ("alice", "bob", "mod", "rolf")}
        self.user_roles = {"mod": [self.moderator_role["id"]], "rolf": [self.admin_role["id"]]}
        roles = [p.role(self.guild_id, "@everyone", p.MEMBER_PERMISSIONS, 0), self.admin_role, self.moderator_role]
        self.guild = p.guild(
            self.guild_id,
            self.users["mod"]["id"],
            roles,
            [p.text_channel(self.channel_id, self.guild_id, "general")],
            [p.member(self.bot_user, [], p.MEMBER_PERMISSIONS)],
        )
        self.outsiders = {name: p.user(p.snowflake(), name) for name in ("mallory", "eve")}
        self.foreign_guild_id, self.foreign_channel_id = p.snowflake(), p.snowflake()
        self.foreign_guild = p.guild(
            self.foreign_guild_id,
            self.outsiders["mallory"]["id"],
            [p.role(self.foreign_guild_id, "@everyone", p.MEMBER_PERMISSIONS, 0)],
            [p.text_channel(self.foreign_channel_id, self.foreign_guild_id, "lobby")],
            [p.member(self.bot_user, [], p.MEMBER_PERMISSIONS)],
        )
        self.guilds = [self.guild] + ([self.foreign_guild] if foreign_guild else [])
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> str:
        from tests.bot.fake_routes import add_routes  # the REST handlers, kept in their own file

        app = web.Application(client_max_size=50 * 1024 * 1024)
        add_routes(app, self)
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self.gateway.socket is not None:
            await self.gateway.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/gateway"

    def ready_payload(self, session_id: str) -> dict:
        return {
            "v": 10,
            "user": self.bot_user,
            "session_id": session_id,
            "shard": [0, 1],
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
            "application": {"id": self.app_id, "flags": self.app_flags},
            "private_channels": [],
            "relationships": [],
        }

    # ---- what the tests do as Discord users -------------------------------------------------
    def user(self, name: str) -> dict:
        return self.users.get(name) or self.outsiders[name]

    def _member(self, name: str, guild_id: str | None = None) -> dict:
        if guild_id == self.foreign_guild_id:  # everyone there may manage it, mallory above all
            return p.member(self.user(name), [], p.MEMBER_PERMISSIONS | p.MANAGE_GUILD)
        role_ids = self.user_roles.get(name, [])
        perms = p.MEMBER_PERMISSIONS
        for r in self.guild["roles"]:
            if r["id"] in role_ids:
                perms |= int(r["permissions"])
        return p.member(self.users[name], role_ids, perms)

    def _channel(self, channel_id: str) -> dict:
        if channel_id in self.threads:
            return self.threads[channel_id]
        if channel_id == self.foreign_channel_id:
            return p.text_channel(channel_id, self.foreign_guild_id, "lobby")
        return p.text_channel(channel_id, self.guild_id, "general")

    def guild_of(self, channel_id: str) -> str | None:
        """The guild a channel is in; None for a DM channel."""
        if channel_id == self.foreign_channel_id:
            return self.foreign_guild_id
        return self.guild_id if channel_id in self.threads or channel_id == self.channel_id else None

    def is_member(self, guild_id: str, user_id: str) -> bool:
        names = self.users if guild_id == self.guild_id else {"mallory": 0} if guild_id == self.foreign_guild_id else {}
        return any(self.user(name)["id"] == user_id for name in names)

    async def interact(
        self, itype: int, data: dict, user: str, channel_id: str | None = None, message: dict | None = None
    ) -> str:
        """Dispatch INTERACTION_CREATE as Discord does when a user runs a command or clicks; returns its token.

        The guild is the channel's; in a DM channel the interaction has a `user` and no guild."""
        channel_id = channel_id or self.channel_id
        guild_id = self.guild_of(channel_id)
        token = f"itoken-{p.snowflake()}"
        iid = p.snowflake()
        payload = {
            "id": iid,
            "application_id": self.app_id,
            "type": itype,
            "token": token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
            "channel_id": channel_id,
            "app_permissions": str(p.MEMBER_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "context": 0 if guild_id else 1,
            "authorizing_integration_owners": {"0": guild_id or "0"},
        }
        if guild_id:
            payload.update(
                guild_id=guild_id,
                member=self._member(user, guild_id),
                guild_locale="en-US",
                channel=self._channel(channel_id),
            )
        else:
            payload.update(user=self.user(user), channel={"id": channel_id, "type": 1, "recipients": [self.user(user)]})
        if message is not None:
            payload["message"] = message
        self.interactions[token] = {
            "id": iid,
            "channel_id": channel_id,
            "user": user,
            "original": None,
            "followups": [],
            "callbacks": [],
            "message_id": message["id"] if message else None,
            "dispatched_at": time.monotonic(),
            "acked_at": None,
        }
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return token

    async def slash(
        self,
        name: str,
        user: str = "alice",
        channel_id: str | None = None,
        attachment: tuple[str, bytes] | None = None,
        forged: bool = False,
        **options,
    ) -> str:
        """Run a slash command; like Discord, only commands the bot has synced exist in a guild.

        `forged`: send it anyway with the served guild's command, as if it had been registered where
        the channel is (a stale global command, another deployment of the same application)."""
        guild_id = self.guild_of(channel_id or self.channel_id)
        scope = self.commands.get(guild_id, []) + self.commands.get("global", [])
        if forged:
            scope = [c for commands in self.commands.values() for c in commands]
        command = next((c for c in scope if c["name"] == name), None)
        if command is None:
            raise AssertionError(f"/{name} was never synced; synced: {[c['name'] for c in scope]}")
        data = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "guild_id": command.get("guild_id", self.guild_id),
            "options": [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in options.items()],
        }
        if attachment is not None:
            att = self.add_attachment(*attachment)
            data["options"].append({"name": "file", "type": 11, "value": att["id"]})
            data["resolved"] = {"attachments": {att["id"]: att}}
        return await self.interact(2, data, user, channel_id)

    async def click(self, message: dict, custom_id: str, user: str = "alice") -> str:
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.interact(3, data, user, message["channel_id"], message=message)

    async def say(
        self,
        content: str,
        user: str = "alice",
        channel_id: str | None = None,
        dm: bool = False,
        mention_bot: bool = False,
    ) -> dict:
        """A user posts a message; Discord delivers it as MESSAGE_CREATE."""
        author = self.user(user)
        # A DM channel id is stable per user, as on Discord.
        channel_id = str(int(author["id"]) + 1) if dm else channel_id or self.channel_id
        mentions = [self.bot_user] if mention_bot else []
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        guild_id = None if dm else self.guild_of(channel_id)
        msg = p.message(channel_id, author, {"content": content}, guild_id=guild_id, mentions=mentions)
        if not dm:
            msg["member"] = {k: v for k, v in self._member(user, guild_id).items() if k != "user"}
        self.messages.append(msg)
        await self.gateway.dispatch("MESSAGE_CREATE", msg)
        return msg

    def add_attachment(self, filename: str, data: bytes) -> dict:
        att_id = p.snowflake()
        self.attachments[att_id] = data
        url = f"{self.base_url}/attachments/{att_id}/{filename}"
        return {
            "id": att_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "text/plain",
        }

    # ---- what the tests read back -------------------------------------------------------------
    async def wait_for(self, condition, timeout: float = 30.0, what: str = "condition"):
        """Poll `condition()` until it returns something truthy; fail the test with `what` on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    async def answer_to(self, token: str, timeout: float = 30.0) -> dict:
        """The interaction's visible reply once settled: a sent or edited original, or a follow-up."""

        def settled():
            seen = self.interactions[token]
            original = seen["original"]
            if original is not None and not original["flags"] & 128:  # 128: still "thinking"
                return original
            return seen["followups"][0] if seen["followups"] else None

        return await self.wait_for(settled, timeout, f"a reply to interaction {token}")

    async def bot_message_after(self, index: int, channel_id: str, timeout: float = 30.0) -> dict:
        """The first message the bot posts in `channel_id` after `self.messages[index]`."""

        def found():
            return next(
                (
                    m
                    for m in self.messages[index + 1 :]
                    if m["channel_id"] == channel_id and m["author"]["id"] == self.bot_user["id"]
                ),
                None,
            )

        return await self.wait_for(found, timeout, f"a bot message in channel {channel_id}")

    def sent_payloads(self) -> list[dict]:
        """Every message body the bot sent (channel messages, interaction replies, edits, follow-ups)."""
        out = []
        for r in self.requests:
            if (
                r.method in ("POST", "PATCH")
                and r.body is not None
                and ("/messages" in r.path or "/webhooks/" in r.path or r.path.endswith("/callback"))
            ):
                body = r.body.get("data", r.body) if r.path.endswith("/callback") else r.body
                if body is not None:
                    out.append(body)
        return out
