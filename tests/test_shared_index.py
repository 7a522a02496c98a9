"""One INDEX_DIR shared by processes: a serving Engine keeps answering, from the new state, while other
processes (`python bot.py index`, `ask` re-indexing) add, change and remove articles. Real processes,
real model, real embedded Chroma (the Chroma server mode is in test_chroma_server.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from footnote.engine import Engine
from footnote.settings import Settings
from tests.test_faults import EMBED, make_articles, write_article

pytestmark = pytest.mark.slow  # `python bot.py` processes sharing one INDEX_DIR

REPO = Path(__file__).resolve().parents[1]


def other_process(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python bot.py ARGS` as another process would run it on the same folders."""
    env = {
        **os.environ,
        "SEEDS_DIR": str(root / "seeds"),
        "INDEX_DIR": str(root / "index"),
        "EMBED_MODEL": EMBED,
        "CHROMA_HOST": "",
        "HEALTH_PORT": "0",
        **env,
    }
    done = subprocess.run(
        [sys.executable, str(REPO / "bot.py"), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


class Asker:
    """Asks questions without pause in a thread while other processes write; keeps every failure."""

    def __init__(self, engine: Engine, questions: list[str]) -> None:
        self.engine, self.questions = engine, questions
        self.failures: list[str] = []
        self.asked = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for question in self.questions:
                try:
                    answer = self.engine.ask(question)
                    if answer.error:
                        self.failures.append(f"{question}: {answer.error}")
                except Exception as exc:  # what the bot turned into "Sorry, something went wrong"
                    self.failures.append(f"{question}: {exc.__class__.__name__}: {exc}")
                self.asked += 1

    def __enter__(self) -> Asker:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(60)


def answered_within(engine: Engine, question: str, expect, seconds: float = 5.0):
    """The first answer that satisfies `expect` within `seconds`, else the last one (for the message)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = engine.ask(question)
        if expect(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def cites(answer, source: str) -> bool:
    return any(c.source == source for c in answer.citations)


def test_serving_engine_follows_other_processes_adding_changing_removing(tmp_path, embed_model):
    seeds = tmp_path / "seeds"
    facts = make_articles(seeds, 6)
    other_process(tmp_path, "index")
    engine = Engine(Settings(seeds_dir=seeds, index_dir=tmp_path / "index", embed_model=EMBED), embed_model=embed_model)
    try:
        steady_q, steady_year = facts["a0000.txt"]
        assert steady_year in engine.ask(steady_q).answer
        questions = [q for q, _ in facts.values()]
        with Asker(engine, questions) as asker:
            # Added by another process.
            added = make_articles(seeds, 2, seed=21, start=100)
            other_process(tmp_path, "index")
            for source, (question, year) in added.items():
                answer = answered_within(engine, question, lambda a, year=year: a.found and year in a.answer)
                assert answer.found and year in answer.answer and cites(answer, source), answer

            # Changed, picked up by another process's `ask` (it re-indexes when seeds/ changed).
            question, _ = facts["a0002.txt"]
            write_article(seeds / "a0002.txt", question.split()[3], question.split()[4], "1666")
            other_process(tmp_path, "ask", steady_q)
            answer = answered_within(engine, question, lambda a: "1666" in a.answer)
            assert answer.found and "1666" in answer.answer and cites(answer, "a0002.txt"), answer

            # Removed by another process.
            (seeds / "a0003.txt").unlink()
            other_process(tmp_path, "index")
            answer = answered_within(engine, facts["a0003.txt"][0], lambda a: not cites(a, "a0003.txt"))
            assert not cites(answer, "a0003.txt"), answer
        assert asker.asked > len(questions), "the asking thread should have run throughout"
        assert not asker.failures, asker.failures[:5]
        for source, (question, year) in facts.items():  # every article left still answers
            if source not in ("a0002.txt", "a0003.txt"):
                answer = engine.ask(question)
                assert answer.found and year in answer.answer and cites(answer, source), (question, answer)
    finally:
        engine.close()


def test_serving_engine_reindexing_after_another_process_keeps_its_writes(tmp_path, embed_model):
    """The bot's own /reindex after another process wrote: it must not write from a stale view over them."""
    seeds = tmp_path / "seeds"
    facts = make_articles(seeds, 4)
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", embed_model=EMBED)
    engine = Engine(settings, embed_model=embed_model)
    try:
        engine.index(show_bar=False)
        assert engine.ask(facts["a0001.txt"][0]).found
        added = make_articles(seeds, 1, seed=5, start=200)
        other_process(tmp_path, "index")
        (seeds / "a0001.txt").unlink()
        report = engine.index(show_bar=False)  # the bot's /reindex
        assert report.removed == ["a0001.txt"] and not report.added, report.summary()
    finally:
        engine.close()
    fresh = Engine(settings, embed_model=embed_model)  # a new process's view of what is on disk
    try:
        ((source, (question, year)),) = added.items()
        answer = fresh.ask(question)
        assert answer.found and year in answer.answer and cites(answer, source), answer
        assert not cites(fresh.ask(facts["a0001.txt"][0]), "a0001.txt")
    finally:
        fresh.close()
