"""`run_bot` as `python bot.py run` runs it, in its own process, with discord.py pointed at a fake Discord.

Usage: python -m tests.bot.run_against_fake http://127.0.0.1:PORT  (settings come from the environment)."""

from __future__ import annotations

import logging
import sys

import discord

from footnote.bot.runner import run_bot
from footnote.settings import Settings

if __name__ == "__main__":
    discord.http.Route.BASE = f"{sys.argv[1]}/api/v10"  # the same switch the in-process fixtures use
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run_bot(Settings.from_env(dotenv_path=None), watch=False))
