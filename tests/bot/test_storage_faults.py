"""`python bot.py run` as its own process, against the fake Discord, with INDEX_DIR read-only or on a
full disk: questions are answered, the feedback log only costs one warning line. Real mounts, made in
a private mount namespace (root and unshare), as tests/test_faults.py does for indexing."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from footnote.engine import Engine
from footnote.feedback import FeedbackLog
from footnote.settings import Settings
from tests.bot.bot_process import bot_process, stop
from tests.conftest import ROOT, SEED_ARTICLE

pytestmark = pytest.mark.slow  # `python bot.py run` processes on read-only and full disks

QUESTION = "When does the base agreement end?"


def _need_mount_namespace() -> None:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")


async def _bot_answers_under(mounts: str, index_dir, fake_discord, embed_model, tmp_path) -> str:
    """Index (writable), then run the bot with `mounts` applied; ask once; stop it. Its output."""
    seeds = tmp_path / "seeds"
    shutil.copy(SEED_ARTICLE, seeds / SEED_ARTICLE.name)
    built = tmp_path / "built-index"
    engine = Engine(Settings(seeds_dir=seeds, index_dir=built), embed_model=embed_model)
    engine.index(show_bar=False)
    engine.close()
    FeedbackLog(built / "feedback.sqlite3").close()  # the log exists from earlier runs, as in production
    env = dict(
        os.environ,
        T=str(tmp_path),
        SEEDS_DIR=str(seeds),
        INDEX_DIR=str(index_dir),
        DISCORD_TOKEN=fake_discord.TOKEN,
        DISCORD_GUILD_ID=fake_discord.guild_id,
        COOLDOWN_SECONDS="0",
        CHROMA_HOST="",
        HEALTH_PORT="0",
        PYTHONPATH=str(ROOT),
    )
    run = f"exec {shlex.quote(sys.executable)} -m tests.bot.run_against_fake {shlex.quote(fake_discord.base_url)}"
    async with bot_process(fake_discord, "unshare", "-m", "bash", "-c", f"set -e\n{mounts}\n{run}", env=env) as proc:
        token = await fake_discord.slash("ask", question=QUESTION)
        reply = await fake_discord.answer_to(token, timeout=60)
        code, output = await stop(proc)
    assert code == 0, output
    assert reply.get("embeds") and "2066" in reply["embeds"][0]["description"], (reply, output)
    assert "Traceback" not in output, output
    assert output.count("feedback log: cannot") == 1, output  # one warning line, however many writes
    return output


async def test_read_only_index_dir_still_answers(fake_discord, embed_model, tmp_path):
    _need_mount_namespace()
    await _bot_answers_under(
        'mount --bind -o ro "$T/built-index" "$T/built-index"',
        tmp_path / "built-index",
        fake_discord,
        embed_model,
        tmp_path,
    )


async def test_full_disk_still_answers(fake_discord, embed_model, tmp_path):
    _need_mount_namespace()
    (tmp_path / "small").mkdir()
    await _bot_answers_under(
        """
        mount -t tmpfs -o size=40m tmpfs "$T/small"
        cp -a "$T/built-index" "$T/small/index"
        dd if=/dev/zero of="$T/small/filler" bs=64k 2>/dev/null || true  # until the disk is full
        dd if=/dev/zero of="$T/small/filler2" bs=1k 2>/dev/null || true
    """,
        tmp_path / "small" / "index",
        fake_discord,
        embed_model,
        tmp_path,
    )
