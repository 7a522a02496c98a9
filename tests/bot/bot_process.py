"""The bot as a real process (`tests.bot.run_against_fake`) connected to the fake Discord, and its
clean stop: what the process-level bot tests share."""

from __future__ import annotations

import asyncio
import signal
from contextlib import asynccontextmanager

from tests.conftest import ROOT


@asynccontextmanager
async def bot_process(fake_discord, *argv: str, env: dict):
    """Start `argv` (a command that runs the bot against `fake_discord`), wait until it has joined the
    guild, and yield it; a process still running at the end is killed."""
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=str(ROOT), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await fake_discord.wait_for(
            lambda: fake_discord.gateway.guild_sent.is_set() or proc.returncode is not None,
            120,
            "the bot process to connect",
        )
        assert proc.returncode is None, (await proc.stdout.read()).decode(errors="replace")
        await asyncio.sleep(0.2)  # READY handling
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def stop(proc) -> tuple[int, str]:
    """SIGTERM, then (exit code, everything it printed)."""
    proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(proc.wait(), 60)
    return code, (await proc.stdout.read()).decode(errors="replace")
