"""/healthz and /readyz against a real Engine (embedded Chroma, real model), and the HEALTHCHECK probe."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import replace
from pathlib import Path

import aiohttp
import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from footnote.engine import Engine
from footnote.health import probe, start_health_server
from footnote.settings import Settings
from footnote.store import SENTENCES, collection_name
from tests.conftest import free_port

HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("health")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "mill.txt").write_text(
        "The Korrin mill\nDate: 2024-05-01\n\nThe Korrin mill ground flour until 1957. "
        "It was powered by the river Osel. Today it is a museum of bread.\n",
        encoding="utf-8",
    )
    return Settings(seeds_dir=seeds, index_dir=root / "index", health_port=free_port())


@pytest.fixture(scope="module")
def engine(settings):
    eng = Engine(settings)
    yield eng
    eng.close()


def run(coro):
    return asyncio.run(coro)


async def serve_and_get(settings, engine, is_ready, *paths: str) -> list[tuple[int, dict]]:
    runner = await start_health_server(settings, engine, is_ready, host=HOST)
    try:
        out = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            for path in paths:
                async with session.get(f"http://{HOST}:{settings.health_port}{path}") as r:
                    assert r.content_type == "application/json"
                    out.append((r.status, await r.json()))
        return out
    finally:
        await runner.cleanup()


def test_off_when_port_is_zero(engine):
    assert run(start_health_server(Settings(health_port=0), engine, lambda: True)) is None


def test_before_the_first_index_alive_but_not_ready(settings, engine):
    ((healthz, readyz),) = [run(serve_and_get(settings, engine, lambda: True, "/healthz", "/readyz"))]
    assert healthz[0] == 200 and healthz[1]["ok"] is True and healthz[1]["index"]["articles"] == 0
    assert readyz[0] == 503 and readyz[1]["index_loaded"] is False and "index" in readyz[1]["error"]


def test_counts_and_readiness_follow_the_gateway(settings, engine):
    engine.index(show_bar=False)
    gateway = {"up": False}
    ((healthz, not_ready),) = [run(serve_and_get(settings, engine, lambda: gateway["up"], "/healthz", "/readyz"))]
    assert healthz[0] == 200
    assert {k: healthz[1]["index"][k] for k in ("articles", "sentences")} == {"articles": 1, "sentences": 3}
    assert healthz[1]["index"]["chunks"] >= 1 and healthz[1]["uptime_s"] >= 0
    assert not_ready[0] == 503 and not_ready[1] == {
        **not_ready[1],
        "ready": False,
        "gateway": False,
        "index_loaded": True,
    }
    gateway["up"] = True
    ((ready,),) = [run(serve_and_get(settings, engine, lambda: gateway["up"], "/readyz"))]
    assert ready[0] == 200 and ready[1]["ready"] is True and "error" not in ready[1]


def test_a_broken_is_ready_is_not_ready_not_a_500(settings, engine):
    def boom() -> bool:
        raise RuntimeError("gateway object gone")

    ((readyz,),) = [run(serve_and_get(settings, engine, boom, "/readyz"))]
    assert readyz[0] == 503 and "gateway object gone" in readyz[1]["error"]


def test_probe_exit_codes(settings, engine):
    """`python -m footnote.health` (the HEALTHCHECK): 0 while healthy, 1 when the index is unreadable or down."""

    async def go() -> tuple[int, int, int]:
        runner = await start_health_server(settings, engine, lambda: True, host=HOST)
        try:
            healthy = await asyncio.to_thread(probe, settings)
            catalog = settings.index_dir / "catalog.json"
            good = catalog.read_bytes()
            catalog.write_text("{not json")  # a torn catalog: the index is not readable
            try:
                broken = await asyncio.to_thread(probe, settings)
            finally:
                catalog.write_bytes(good)
        finally:
            await runner.cleanup()
        down = await asyncio.to_thread(probe, settings)
        return healthy, broken, down

    engine.index(show_bar=False)
    assert run(go()) == (0, 1, 1)
    assert probe(Settings(health_port=0)) == 1


def test_status_on_a_fresh_engine_returns(settings):
    """A fresh Engine's first call may be status() (a probe before anything else): it must return.

    Bounded: run in a daemon thread and joined with a timeout, so a deadlock fails instead of hanging."""
    eng, out = Engine(settings), {}
    worker = threading.Thread(target=lambda: out.update(status=eng.status()), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), (
        "Engine.status() deadlocked: _current_table holds _load_lock, embed_model takes it again"
    )
    assert "articles" in out["status"]


def test_binds_loopback_unless_health_host_says_otherwise(settings, engine):
    assert Settings.from_env(env={}, dotenv_path=None).health_host == "127.0.0.1"

    async def bound(s: Settings) -> list:
        runner = await start_health_server(s, engine, lambda: True)
        try:
            return [address[0] for address in runner.addresses]
        finally:
            await runner.cleanup()

    assert run(bound(settings)) == ["127.0.0.1"]
    assert run(bound(replace(settings, health_host="0.0.0.0", health_port=free_port()))) == ["0.0.0.0"]


def test_errors_name_no_internal_path(settings, engine):
    engine.index(show_bar=False)
    catalog = settings.index_dir / "catalog.json"
    good = catalog.read_bytes()
    catalog.write_text("{not json")
    try:
        ((healthz, readyz),) = [run(serve_and_get(settings, engine, lambda: True, "/healthz", "/readyz"))]
    finally:
        catalog.write_bytes(good)
    for status, body in (healthz, readyz):
        assert status == 503 and "IndexCorrupt" in body["error"] and "bot.py index --rebuild" in body["error"]
        text = json.dumps(body)
        assert str(settings.index_dir) not in text and str(Path.home()) not in text, text
        assert not re.search(r"(?<![\w.:/-])/[\w.-]+/", text), text  # no absolute path of any kind
        assert "INDEX_DIR/catalog.json" in body["error"], body


def test_readyz_fails_while_answering_is_broken(tmp_path, embed_model):
    """The vector store out of step with the catalog (its sentences gone: a wiped server, a store
    replaced under the bot): the status still counts, but questions can no longer be answered."""
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "mill.txt").write_text(
        "The Korrin mill\nDate: 2024-05-01\n\nThe Korrin mill ground flour until 1957. "
        "It was powered by the river Osel. Today it is a museum of bread.\n",
        encoding="utf-8",
    )
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", health_port=free_port())
    eng = Engine(settings, embed_model=embed_model)
    try:
        eng.index(show_bar=False)
        ((ready,),) = [run(serve_and_get(settings, eng, lambda: True, "/readyz"))]
        assert ready[0] == 200, ready
        client = chromadb.PersistentClient(
            str(settings.index_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        client.delete_collection(collection_name(SENTENCES, eng.embed_model.model_name))
        assert "1957" not in eng.ask("Until when did the Korrin mill grind flour?").answer
        ((healthz, broken),) = [run(serve_and_get(settings, eng, lambda: True, "/healthz", "/readyz"))]
        assert healthz[0] == 200  # alive: a restart would not help
        assert broken[0] == 503 and broken[1]["ready"] is False and "index --rebuild" in broken[1]["error"], broken
        eng.index(rebuild=True, show_bar=False)
        assert "1957" in eng.ask("Until when did the Korrin mill grind flour?").answer
        ((ready,),) = [run(serve_and_get(settings, eng, lambda: True, "/readyz"))]
        assert ready[0] == 200, ready
    finally:
        eng.close()


def test_shown_docker_lines_publish_health_on_loopback_only():
    root = Path(__file__).resolve().parents[1]
    for name in ("README.md", "Dockerfile", "compose.yaml"):
        text = (root / name).read_text(encoding="utf-8")
        published = re.findall(
            r"(?:-p|--publish)[\s=]+([\d.:]+)|^\s*#?\s*-\s*\"?([\d.:]*8080[\d.:]*)", text, flags=re.M
        )
        for port in filter(None, (a or b for a, b in published)):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
