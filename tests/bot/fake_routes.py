"""The REST half of the fake Discord: the routes Footnote's bot calls, recorded and checked like Discord."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from aiohttp import web

from tests.bot import fake_payloads as p
from tests.bot.fake_discord import Recorded, json_response

if TYPE_CHECKING:
    from tests.bot.fake_discord import FakeDiscord

API = "/api/v10"
EPHEMERAL, LOADING = 64, 128
BODY = web.RequestKey("body", object)  # the parsed JSON (or payload_json) body, read once by the middleware


async def _read_body(request: web.Request) -> tuple[dict | None, dict[str, bytes]]:
    """JSON bodies, or multipart with a payload_json part and files[n] parts, as discord.py sends."""
    if request.content_type == "multipart/form-data":
        body, files = None, {}
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files[part.filename or part.name] = bytes(data)
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), {}


def add_routes(app: web.Application, fake: FakeDiscord) -> None:
    def ok_limits(path: str, payload: dict) -> web.Response | None:
        errors = p.limit_errors(payload)
        if errors:
            fake.rejected.append((path, errors))
            return json_response({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)
        return None

    def create_message(channel_id: str, payload: dict) -> dict:
        msg = p.message(channel_id, fake.bot_user, payload, guild_id=fake.guild_of(channel_id))
        fake.messages.append(msg)
        return msg

    def apply_edit(msg: dict, payload: dict) -> None:
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] if payload[key] is not None else ([] if key != "content" else "")
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = p.now_iso()

    @web.middleware
    async def record(request: web.Request, handler):
        if not request.path.startswith(API):
            return await handler(request)
        body, files = await _read_body(request)
        request[BODY] = body
        fake.requests.append(Recorded(request.method, request.path[len(API) :], dict(request.query), body, files))
        public = any(seg in request.path for seg in ("/interactions/", "/webhooks/"))
        if not public and request.headers.get("Authorization") != f"Bot {fake.TOKEN}":
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        return await handler(request)

    app.middlewares.append(record)
    r = web.RouteTableDef()

    @r.get(API + "/users/@me")
    async def me(request):
        return json_response(fake.bot_user)

    @r.get(API + "/oauth2/applications/@me")
    async def application(request):
        return json_response(
            {
                "id": fake.app_id,
                "name": "Footnote",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "summary": "",
                "owner": fake.users["mod"],
                "verify_key": "0" * 64,
                "flags": fake.app_flags,
                "rpc_origins": [],
                "team": None,
                "bot": fake.bot_user,
            }
        )

    @r.get(API + "/gateway/bot")
    async def gateway_bot(request):
        return json_response(
            {
                "url": fake.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    @r.get(API + "/guilds/{guild}/members/{user}")
    async def guild_member(request):
        guild, user_id = request.match_info["guild"], request.match_info["user"]
        name = next((n for n in list(fake.users) + list(fake.outsiders) if fake.user(n)["id"] == user_id), None)
        if name is None or not fake.is_member(guild, user_id):
            return json_response({"code": 10007, "message": "Unknown Member"}, 404)
        return json_response(fake._member(name, guild))

    @r.put(API + "/applications/{app}/commands")
    @r.put(API + "/applications/{app}/guilds/{guild}/commands")
    async def sync_commands(request):
        guild = request.match_info.get("guild")
        commands = [
            dict(
                c,
                id=p.snowflake(),
                application_id=fake.app_id,
                version=p.snowflake(),
                **({"guild_id": guild} if guild else {}),
            )
            for c in request[BODY]
        ]
        fake.commands[request.match_info.get("guild", "global")] = commands
        return json_response(commands)

    @r.post(API + "/channels/{channel}/messages")
    async def send_message(request):
        payload = request[BODY] or {}
        if (bad := ok_limits(request.path, payload)) is not None:
            return bad
        msg = create_message(request.match_info["channel"], payload)
        await fake.gateway.dispatch("MESSAGE_CREATE", msg)  # Discord echoes the bot's own messages
        return json_response(msg)

    @r.post(API + "/channels/{channel}/typing")
    async def typing(request):
        return web.Response(status=204)

    @r.post(API + "/channels/{channel}/messages/{message}/threads")
    async def start_thread(request):
        parent, message_id = request.match_info["channel"], request.match_info["message"]
        if message_id in fake.threads:
            return json_response({"code": 160004, "message": "A thread has already been created"}, 400)
        # A thread started from a message takes the message's id, as on Discord.
        thread = p.thread_channel(message_id, fake.guild_id, parent, fake.bot_user["id"], request[BODY]["name"])
        if not 1 <= len(thread["name"]) <= 100:
            return json_response({"code": 50035, "message": "Invalid Form Body: name"}, 400)
        fake.threads[message_id] = thread
        await fake.gateway.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return json_response(thread)

    @r.post(API + "/interactions/{iid}/{token}/callback")
    async def callback(request):
        seen = fake.interactions[request.match_info["token"]]
        body = request[BODY]
        kind, data = body["type"], body.get("data") or {}
        seen["callbacks"].append(kind)
        seen["acked_at"] = seen["acked_at"] or time.monotonic()
        if len(seen["callbacks"]) > 1:
            return json_response({"code": 40060, "message": "Interaction has already been acknowledged."}, 400)
        message = None
        if kind in (4, 5):  # message now, or "thinking…" now and the message later
            if kind == 4 and (bad := ok_limits(request.path, data)) is not None:
                return bad
            message = create_message(seen["channel_id"], data if kind == 4 else {"flags": data.get("flags", 0)})
            if kind == 5:
                message["flags"] |= LOADING
            seen["original"] = message
        elif kind == 7:  # update the message the clicked component is on
            if (bad := ok_limits(request.path, data)) is not None:
                return bad
            message = next(m for m in fake.messages if m["id"] == seen.get("message_id"))
            apply_edit(message, data)
        out = {
            "interaction": {
                "id": request.match_info["iid"],
                "type": 2,
                "response_message_id": message and message["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message["flags"] & EPHEMERAL),
            }
        }
        if message is not None:
            out["resource"] = {"type": kind, "message": message}
        return json_response(out)

    @r.post(API + "/webhooks/{app}/{token}")
    async def followup(request):
        seen = fake.interactions[request.match_info["token"]]
        payload = request[BODY] or {}
        if (bad := ok_limits(request.path, payload)) is not None:
            return bad
        msg = create_message(seen["channel_id"], payload)
        seen["followups"].append(msg)
        return json_response(msg)

    @r.get(API + "/webhooks/{app}/{token}/messages/{message}")
    @r.patch(API + "/webhooks/{app}/{token}/messages/{message}")
    async def webhook_message(request):
        seen = fake.interactions[request.match_info["token"]]
        which = request.match_info["message"]
        candidates = [seen["original"]] + seen["followups"]
        msg = next(
            (m for m in candidates if m and (which == "@original" and m is seen["original"] or m["id"] == which)), None
        )
        if msg is None:
            return json_response({"code": 10008, "message": "Unknown Message"}, 404)
        if request.method == "PATCH":
            merged = {"content": msg["content"], "embeds": msg["embeds"], "components": msg["components"]}
            merged.update({k: v for k, v in (request[BODY] or {}).items() if k in merged and v is not None})
            if (bad := ok_limits(request.path, merged)) is not None:
                return bad
            apply_edit(msg, request[BODY] or {})
        return json_response(msg)

    @r.get("/attachments/{att}/{filename}")
    async def attachment(request):
        return web.Response(body=fake.attachments[request.match_info["att"]])

    app.router.add_routes(r)

    async def unknown(request):
        fake.unknown_routes.append(f"{request.method} {request.path}")
        return json_response({"code": 0, "message": "404: Not Found"}, 404)

    app.router.add_route("*", API + "/{tail:.*}", unknown)
