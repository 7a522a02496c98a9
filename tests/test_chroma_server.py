"""Scale-out store: a real `chroma run` server on a loopback port; index into it, answer from it,
re-index incrementally, survive the server going away and coming back (same Engine, no restart)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from footnote.engine import Engine
from footnote.health import start_health_server
from footnote.settings import Settings
from footnote.store import CHUNKS, SENTENCES, IndexUnavailable, collection_name
from tests.conftest import free_port

pytestmark = pytest.mark.slow  # a real `chroma run` server process

HOST = "127.0.0.1"


class ChromaServer:
    """`chroma run` from the installed chromadb, on a fixed loopback port and data dir, restartable."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port, self.log = path, port, log
        self.proc: subprocess.Popen | None = None

    def heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/api/v2/heartbeat", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> None:
        exe = Path(sys.executable).with_name("chroma")
        cmd = [
            str(exe) if exe.exists() else shutil.which("chroma") or "chroma",
            "run",
            "--path",
            str(self.path),
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            if self.heartbeat():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"no heartbeat from chroma on {HOST}:{self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        deadline = time.monotonic() + 10  # the port must really be closed before we test "down"
        while self.heartbeat() and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(root / "data", free_port(), root / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_article(seeds: Path, name: str, title: str, body: str) -> None:
    (seeds / name).write_text(f"{title}\nDate: 2024-05-01\n\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-corpus")
    seeds = root / "seeds"
    seeds.mkdir()
    write_article(
        seeds,
        "bases.txt",
        "The Tartus base agreement",
        "Russia may use the Tartus base free of charge for 49 years, which means the base agreement "
        "runs until 2066. The base may host up to 11 warships at a time.",
    )
    write_article(
        seeds,
        "harbour.txt",
        "The Velmora harbour",
        "The Velmora harbour was rebuilt in 1911. Its breakwater is 640 metres long. "
        "Fishing boats leave it before dawn.",
    )
    write_article(
        seeds,
        "mill.txt",
        "The Korrin mill",
        "The Korrin mill ground flour until 1957. It was powered by the river Osel. Today it is a museum of bread.",
    )
    return root


@pytest.fixture(scope="module")
def engine(chroma_server, corpus):
    settings = Settings(
        seeds_dir=corpus / "seeds", index_dir=corpus / "index", chroma_host=HOST, chroma_port=chroma_server.port
    )
    eng = Engine(settings)
    try:
        yield eng
    finally:
        eng.close()


def server_counts(server: ChromaServer, model_name: str) -> dict[str, int]:
    client = chromadb.HttpClient(host=HOST, port=server.port, settings=ChromaSettings(anonymized_telemetry=False))
    return {base: client.get_collection(collection_name(base, model_name)).count() for base in (CHUNKS, SENTENCES)}


def test_index_into_server_and_answer_from_it(engine, chroma_server, corpus):
    report = engine.index(show_bar=False)
    assert sorted(report.added) == ["bases.txt", "harbour.txt", "mill.txt"]
    assert not (corpus / "index" / "chroma").exists(), "CHROMA_HOST is set: nothing may go to embedded Chroma"
    counts = server_counts(chroma_server, engine.embed_model.model_name)
    assert counts[SENTENCES] == report.sentences > 0
    assert counts[CHUNKS] == engine.status()["chunks"] > 0

    answer = engine.ask("Until when does the Tartus base agreement run?")
    assert answer.found and "2066" in answer.answer
    assert answer.citations[0].source == "bases.txt"


def test_incremental_reindex_on_server(engine, chroma_server, corpus):
    seeds = corpus / "seeds"
    engine.index(show_bar=False)  # in step (also when run alone)
    assert not engine.index(show_bar=False).touched, "nothing changed: nothing may be re-embedded"

    write_article(
        seeds,
        "harbour.txt",
        "The Velmora harbour",
        "The Velmora harbour was rebuilt in 1923. Its breakwater is 640 metres long. "
        "Fishing boats leave it before dawn.",
    )
    (seeds / "mill.txt").unlink()
    write_article(seeds, "tower.txt", "The Dravel tower", "The Dravel tower is 88 metres tall. It was lit in 1899.")
    report = engine.index(show_bar=False)
    assert (report.changed, report.added, report.removed) == (["harbour.txt"], ["tower.txt"], ["mill.txt"])
    assert report.sentences_embedded == 3 + 2, "only the changed and the added article are embedded"
    assert server_counts(chroma_server, engine.embed_model.model_name)[SENTENCES] == report.sentences

    answer = engine.ask("When was the Velmora harbour rebuilt?")
    assert answer.found and "1923" in answer.answer and "1911" not in answer.answer
    assert not any(
        c.source == "mill.txt" for c in engine.ask("When did the Korrin mill stop grinding flour?").citations
    )


def test_engine_follows_another_process_indexing_into_the_server(engine, chroma_server, corpus):
    """The same as test_shared_index.py, with the vectors on the server: a serving Engine while another
    process (`python bot.py index`, CHROMA_HOST set) adds, changes and removes articles."""
    from tests.test_shared_index import Asker, answered_within, cites, other_process

    seeds = corpus / "seeds"
    engine.index(show_bar=False)
    server = {"CHROMA_HOST": HOST, "CHROMA_PORT": str(chroma_server.port)}
    steady = "Until when does the Tartus base agreement run?"
    with Asker(engine, [steady, "How long is the Velmora breakwater?"]) as asker:
        write_article(seeds, "canal.txt", "The Ostrel canal", "The Ostrel canal opened in 1871. It is 31 km long.")
        other_process(corpus, "index", **server)
        answer = answered_within(engine, "When did the Ostrel canal open?", lambda a: "1871" in a.answer)
        assert answer.found and "1871" in answer.answer and cites(answer, "canal.txt"), answer

        write_article(seeds, "canal.txt", "The Ostrel canal", "The Ostrel canal opened in 1874. It is 31 km long.")
        other_process(corpus, "index", **server)
        answer = answered_within(engine, "When did the Ostrel canal open?", lambda a: "1874" in a.answer)
        assert answer.found and "1874" in answer.answer and "1871" not in answer.answer, answer

        (seeds / "canal.txt").unlink()
        other_process(corpus, "index", **server)
        answer = answered_within(engine, "When did the Ostrel canal open?", lambda a: not cites(a, "canal.txt"))
        assert not cites(answer, "canal.txt"), answer
    assert asker.asked > 2 and not asker.failures, asker.failures[:5]
    assert "2066" in engine.ask(steady).answer
    assert not (corpus / "index" / "chroma").exists(), "CHROMA_HOST is set: nothing may go to embedded Chroma"


async def _get_json(port: int, path: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{HOST}:{port}{path}", timeout=aiohttp.ClientTimeout(total=15)) as r:
            return r.status, await r.json()


def _healthz(engine) -> tuple[int, dict]:
    async def go():
        port = free_port()
        settings = Settings(health_port=port)
        runner = await start_health_server(settings, engine, lambda: True, host=HOST)
        try:
            return await _get_json(port, "/healthz")
        finally:
            await runner.cleanup()

    return asyncio.run(go())


def test_server_down_then_back_without_restart(engine, chroma_server):
    engine.index(show_bar=False)
    question = "Until when does the Tartus base agreement run?"
    assert engine.ask(question).found
    assert _healthz(engine)[0] == 200

    chroma_server.stop()
    with pytest.raises(IndexUnavailable) as info:
        engine.ask(question)
    message = str(info.value)
    assert "unavailable" in message.lower() or "cannot" in message.lower()
    assert str(chroma_server.port) in message or "Chroma server" in message, message
    status, body = _healthz(engine)
    assert status == 503 and body["ok"] is False and "IndexUnavailable" in body["error"]

    chroma_server.start()  # same port, same data dir
    answer = engine.ask(question)  # the same Engine object: no restart
    assert answer.found and "2066" in answer.answer
    status, body = _healthz(engine)
    assert status == 200 and body["index"]["articles"] == 3, json.dumps(body)
