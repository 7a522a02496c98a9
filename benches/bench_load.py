#!/usr/bin/env python3
"""Load bench: 200 questions, 20 at a time, through the fake Discord (real bot, real engine, loopback).

    python benches/bench_load.py                      # /ask through tests/bot's fake Discord
    python benches/bench_load.py --mode engine        # straight to Engine.ask from 20 threads

Generated articles (one unique fact each) are written to a temporary folder and indexed first.
Prints one JSON line: throughput, p50/p95/max latency, errors (must be 0) and how many were right."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from footnote.engine import Engine  # noqa: E402
from footnote.settings import Settings  # noqa: E402
from tests.test_faults import make_articles  # noqa: E402  (the fault tests' generated corpus)

USERS = ("alice", "bob", "mod", "rolf")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def engine_mode(engine: Engine, questions: list[tuple[str, str, str]], concurrency: int):
    """(latency ms, answer text or None on error) per question, from a pool of threads."""

    def one(q):
        t = time.perf_counter()
        try:
            answer = engine.ask(q[0])
            return (time.perf_counter() - t) * 1000, answer.answer if answer.found else "", None
        except Exception as exc:  # counted, not raised: the bench reports errors
            return (time.perf_counter() - t) * 1000, None, repr(exc)

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, questions))


async def discord_mode(engine: Engine, questions: list[tuple[str, str, str]], concurrency: int):
    """The same through /ask: dispatched on the fake gateway, timed until the visible reply settles."""
    import discord
    import yarl
    from discord.gateway import DiscordWebSocket

    from footnote.bot.client import FootnoteBot
    from tests.bot.fake_discord import FakeDiscord

    fake = FakeDiscord()
    base = await fake.start()
    discord.http.Route.BASE = f"{base}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    settings = replace(
        engine.settings,
        discord_token=FakeDiscord.TOKEN,
        discord_guild_id=(int(fake.guild_id),),
        cooldown_seconds=0.0,
        feedback_db=Path(tempfile.mkdtemp()) / "feedback.sqlite3",
    )
    bot = FootnoteBot(settings, engine, watch=False, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(FakeDiscord.TOKEN))
    try:
        await fake.wait_for(lambda: bot.is_ready() or task.done(), 60, "the bot to be ready")
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int, q):
            async with gate:
                t = time.perf_counter()
                try:
                    token = await fake.slash("ask", user=USERS[i % len(USERS)], question=q[0])
                    reply = await fake.answer_to(token, timeout=120)
                    text = " ".join(e.get("description", "") for e in reply.get("embeds", []))
                    return (time.perf_counter() - t) * 1000, text or reply.get("content", ""), None
                except Exception as exc:
                    return (time.perf_counter() - t) * 1000, None, repr(exc)

        results = await asyncio.gather(*(one(i, q) for i, q in enumerate(questions)))
        # Each answer then opens its thread: let those requests finish before the server goes away.
        await fake.wait_for(lambda: len(fake.threads) >= sum(r[2] is None for r in results), 60, "the answers' threads")
        if fake.rejected or fake.unknown_routes:
            results.append((0.0, None, f"fake Discord refused {fake.rejected} / unknown {fake.unknown_routes}"))
        return results
    finally:
        await bot.close()
        await asyncio.wait({task}, timeout=10)
        await fake.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("discord", "engine"), default="discord")
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="footnote-load-") as tmp:
        root = Path(tmp)
        facts = make_articles(root / "seeds", args.articles)
        engine = Engine(Settings(seeds_dir=root / "seeds", index_dir=root / "index"))
        t = time.perf_counter()
        engine.ensure_ready(show_bar=False)
        index_s = time.perf_counter() - t
        sources = list(facts)
        questions = [(*facts[src], src) for src in (sources[i % len(sources)] for i in range(args.questions))]
        t = time.perf_counter()
        if args.mode == "engine":
            results = engine_mode(engine, questions, args.concurrency)
        else:
            results = asyncio.run(discord_mode(engine, questions, args.concurrency))
        wall = time.perf_counter() - t
        model = engine.embed_model.model_name
        engine.close()

    latencies = [ms for ms, _, _ in results[: len(questions)]]
    errors = [err for _, _, err in results if err]
    correct = sum(1 for (_, text, err), q in zip(results, questions) if not err and text and q[1] in text)
    print(
        json.dumps(
            {
                "bench": "load",
                "mode": args.mode,
                "embed_model": model,
                "articles": args.articles,
                "questions": len(questions),
                "concurrency": args.concurrency,
                "index_s": round(index_s, 1),
                "wall_s": round(wall, 2),
                "throughput_qps": round(len(questions) / wall, 2),
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "max_ms": round(max(latencies), 1),
                "errors": len(errors),
                "correct": correct,
                "first_error": errors[0] if errors else None,
            }
        )
    )


if __name__ == "__main__":
    main()
