"""The gateway half of the fake Discord: HELLO, heartbeats, IDENTIFY → READY → GUILD_CREATE, RESUME.

Frames are plain text JSON: discord.py asks for zlib-stream but only inflates binary frames."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.bot.fake_discord import FakeDiscord

log = logging.getLogger(__name__)

HELLO, HEARTBEAT, IDENTIFY, RESUME, HEARTBEAT_ACK, DISPATCH = 10, 1, 2, 6, 11, 0


class FakeGateway:
    def __init__(self, server: FakeDiscord, heartbeat_interval_ms: int) -> None:
        self.server = server
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.socket: web.WebSocketResponse | None = None
        self.session_id = "fake-session-1"
        self.sequence = 0
        self.heartbeats: list[float] = []  # monotonic time of every op 1 received
        self.ops: list[dict] = []  # every frame the client sent, in order
        self.identified = asyncio.Event()
        self.guild_sent = asyncio.Event()
        self.resumed = asyncio.Event()
        self.intents: int | None = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.socket = ws
        await ws.send_str(
            json.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        )
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            self.ops.append(payload)
            await self._on_op(ws, payload)
        if self.socket is ws:
            self.socket = None
        return ws

    async def _on_op(self, ws: web.WebSocketResponse, payload: dict) -> None:
        op = payload["op"]
        if op == HEARTBEAT:
            self.heartbeats.append(time.monotonic())
            await ws.send_str(json.dumps({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None}))
        elif op == IDENTIFY:
            self.intents = payload["d"].get("intents")
            self.identified.set()
            await self.dispatch("READY", self.server.ready_payload(self.session_id), ws=ws)
            for guild in self.server.guilds:
                await self.dispatch("GUILD_CREATE", guild, ws=ws)
            self.guild_sent.set()
        elif op == RESUME:
            assert payload["d"]["session_id"] == self.session_id, "RESUME with an unknown session"
            self.resumed.set()
            await self.dispatch("RESUMED", {}, ws=ws)

    async def dispatch(self, event: str, data: dict, ws: web.WebSocketResponse | None = None) -> None:
        """Send a DISPATCH frame (op 0) with the next sequence number."""
        ws = ws or self.socket
        if ws is None or ws.closed:
            raise RuntimeError(f"no gateway connection to dispatch {event} on")
        self.sequence += 1
        await ws.send_str(json.dumps({"op": DISPATCH, "t": event, "s": self.sequence, "d": data}))

    async def drop(self, code: int = 4000) -> None:
        """Close the socket the way Discord does on a server-side error; the client should RESUME."""
        self.resumed.clear()
        if self.socket is not None:
            await self.socket.close(code=code, message=b"fake server dropped the connection")

    def heartbeats_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.heartbeats if start <= t <= end)
