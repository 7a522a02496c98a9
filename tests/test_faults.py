"""Faults that must lose nothing: SIGKILL mid-index, two runs at once, articles changing under the
indexer, index/ read-only, disk full. Real processes (`python bot.py ...`), real model, real Chroma."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from footnote.engine import Engine
from footnote.indexer import BATCH_ARTICLES, index_lock
from footnote.settings import Settings
from footnote.store import CHUNKS, SENTENCES, collection_name

pytestmark = pytest.mark.slow  # kills, locks, read-only and full disks around real `bot.py index` processes

REPO = Path(__file__).resolve().parents[1]
EMBED = Settings().embed_model  # the default model, pinned for the subprocesses too (env may differ)
_SYL = ["ka", "lo", "mi", "ve", "dra", "tor", "sun", "bel", "qua", "rin", "os", "zel", "fen", "gar", "pol", "yth"]
_WHAT = ["lighthouse", "bridge", "observatory", "library", "dam", "canal", "museum", "tunnel"]


def make_articles(seeds: Path, n: int, seed: int = 7, start: int = 0) -> dict[str, tuple[str, str]]:
    """n articles of 9 sentences, each with one unique fact: {source: (question, year)}."""
    seeds.mkdir(parents=True, exist_ok=True)
    rng, facts = random.Random(seed), {}
    for i in range(start, start + n):
        name = "".join(rng.choice(_SYL) for _ in range(3)).capitalize() + str(i)
        what, year = _WHAT[i % len(_WHAT)], str(1800 + (i * 7) % 200)
        source = f"a{i:04d}.txt"
        write_article(seeds / source, name, what, year)
        facts[source] = (f"When was the {name} {what} completed?", year)
    return facts


def write_article(path: Path, name: str, what: str, year: str) -> None:
    path.write_text(
        f"The {name} {what}\nDate: 2021-03-14\n\n"
        f"The {name} {what} was completed in {year}. It was designed by a local engineer. "
        f"The {what} is 420 metres long. Visitors reach it by a ferry that runs twice a day. "
        f"In winter the {what} closes early because of the storms. A small cafe beside it sells fish soup.\n\n"
        f"Local schools visit the {name} {what} every spring. The town council pays for its upkeep. "
        f"Repairs after a flood took three years to finish.\n",
        encoding="utf-8",
    )


def cli(root: Path, *args: str, index_dir: str = "index", timeout: float = 300, **popen) -> subprocess.Popen:
    env = {
        **os.environ,
        "SEEDS_DIR": str(root / "seeds"),
        "INDEX_DIR": str(root / index_dir),
        "EMBED_MODEL": EMBED,
        "CHROMA_HOST": "",
        "HEALTH_PORT": "0",
    }
    return subprocess.Popen(
        [sys.executable, str(REPO / "bot.py"), *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run_cli(root: Path, *args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    proc = cli(root, *args, **kw)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def catalog_entries(index: Path) -> dict:
    path = index / "catalog.json"
    return json.loads(path.read_text())["entries"] if path.exists() else {}


def lock_holder(index: Path) -> str:
    path = index / ".lock"
    return path.read_text().strip() if path.exists() else ""


def assert_index_complete(index: Path, facts: dict) -> None:
    """Catalog, sentence vectors and chunk vectors all hold exactly the articles, each sentence once."""
    entries = catalog_entries(index)
    assert sorted(entries) == sorted(facts)
    model = json.loads((index / "catalog.json").read_text())["embed_model"]
    client = chromadb.PersistentClient(str(index / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    sentences = client.get_collection(collection_name(SENTENCES, model)).get(include=["metadatas"])
    keys = [(m["source"], m["n"]) for m in sentences["metadatas"]]
    expected = {(src, s[0]) for src, e in entries.items() for s in e["sentences"]}
    assert len(keys) == len(set(keys)), "a sentence is stored twice"
    assert set(keys) == expected and set(sentences["ids"]) == {f"{s}#s{n}" for s, n in expected}
    chunks = client.get_collection(collection_name(CHUNKS, model)).get(include=["metadatas"])
    firsts = [(m["source"], m["first_sentence"]) for m in chunks["metadatas"]]
    assert len(firsts) == len(set(firsts)), "a chunk is stored twice"
    assert len(firsts) == sum(math.ceil(len(e["sentences"]) / 4) for e in entries.values())


def assert_answers(root: Path, facts: dict, sample: int = 8) -> None:
    engine = Engine(Settings(seeds_dir=root / "seeds", index_dir=root / "index"))
    try:
        assert engine.ensure_ready(show_bar=False) is None, "the index should be complete already"
        for source, (question, year) in list(facts.items())[:: max(1, len(facts) // sample)]:
            answer = engine.ask(question)
            assert answer.found and year in answer.answer, (question, answer.answer)
            assert answer.citations[0].source == source
            for c in answer.citations:  # every quote still slices its file exactly
                assert (root / "seeds" / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.text
    finally:
        engine.close()


def test_sigkill_mid_index_then_index_again(tmp_path):
    facts = make_articles(tmp_path / "seeds", 400)
    index = tmp_path / "index"
    first = cli(tmp_path, "index")
    try:
        # A second run while the first holds the lock: it must refuse, never write beside it. It goes
        # first, while the first run loads its model, so that the kill below still lands mid-run on a
        # fast machine (the second process's start-up takes seconds).
        deadline = time.monotonic() + 120
        while lock_holder(index) != str(first.pid) and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        second = run_cli(tmp_path, "index", timeout=120)
        assert first.poll() is None, "the first run ended before the second one could be tested"
        assert second.returncode == 1 and "another `index` run" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        while len(catalog_entries(index)) < BATCH_ARTICLES and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()  # wait for the first committed batch
            time.sleep(0.05)
        time.sleep(random.uniform(0.1, 0.6))  # land inside a later batch
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)
    done = len(catalog_entries(index))
    assert BATCH_ARTICLES <= done < len(facts), f"the kill should land mid-run ({done} articles committed)"

    again = run_cli(tmp_path, "index")
    assert again.returncode == 0, again.stderr
    assert f"{len(facts) - done} added" in again.stdout, again.stdout
    assert_index_complete(index, facts)
    assert_answers(tmp_path, facts)


def test_lock_held_refuses_with_a_clear_message(tmp_path):
    make_articles(tmp_path / "seeds", 2)
    with index_lock(tmp_path / "index"):
        busy = run_cli(tmp_path, "index", timeout=120)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert f"another `index` run (pid {os.getpid()})" in busy.stderr, busy.stderr
    assert not (tmp_path / "index" / "catalog.json").exists(), "a refused run wrote to the index"


def test_article_deleted_or_rewritten_while_indexing(tmp_path):
    seeds = tmp_path / "seeds"
    facts = make_articles(seeds, 2 * BATCH_ARTICLES)
    rewritten, deleted = "a0060.txt", "a0061.txt"  # both in the second batch: read, not yet stored

    def meddle(done: int, total: int) -> None:
        if done == BATCH_ARTICLES:
            question, _ = facts[rewritten]
            write_article(seeds / rewritten, question.split()[3], question.split()[4], "1666")
            (seeds / deleted).unlink()

    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index")
    engine = Engine(settings)
    try:
        first = engine.index(progress=meddle, show_bar=False)
        assert len(first.added) == len(facts) and not first.failed
        assert engine.needs_index(), "the indexer must notice what changed under it"
        stale = engine.ask(facts[rewritten][0])  # the stored text no longer matches the file
        for c in stale.citations:  # a quote from a file that changed or went must never be shown
            assert c.source != deleted, stale
            assert (seeds / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.text, stale

        second = engine.index(show_bar=False)
        assert (second.changed, second.removed, second.added) == ([rewritten], [deleted], [])
    finally:
        engine.close()
    facts[rewritten] = (facts[rewritten][0], "1666")
    del facts[deleted]
    assert_index_complete(tmp_path / "index", facts)
    assert_answers(tmp_path, {rewritten: facts[rewritten], **facts})


def _in_mount_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run a bash script in a private mount namespace (root only): real ro mounts and small tmpfs."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")
    env = {
        **os.environ,
        "PY": sys.executable,
        "BOT": str(REPO / "bot.py"),
        "T": str(tmp_path),
        "EMBED_MODEL": EMBED,
        "CHROMA_HOST": "",
        "HEALTH_PORT": "0",
    }
    return subprocess.run(
        ["unshare", "-m", "bash", "-c", textwrap.dedent(script)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _built_index(tmp_path: Path) -> dict:
    facts = make_articles(tmp_path / "seeds", 6)
    assert run_cli(tmp_path, "index").returncode == 0
    return facts


def test_index_read_only_clear_error_old_index_intact(tmp_path):
    facts = _built_index(tmp_path)
    before = (tmp_path / "index" / "catalog.json").read_bytes()
    extra = make_articles(tmp_path / "seeds", 3, seed=11, start=100)  # work to do, nowhere to write it
    question, year = facts["a0002.txt"]
    done = _in_mount_namespace(
        f"""
        mount --bind -o ro "$T/index" "$T/index" || exit 90
        export SEEDS_DIR="$T/seeds" INDEX_DIR="$T/index"
        "$PY" "$BOT" index > "$T/index.out" 2> "$T/index.err"; echo $? > "$T/index.rc"
        "$PY" "$BOT" ask --json "{question}" > "$T/ask.out" 2> "$T/ask.err"; echo $? > "$T/ask.rc"
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    err = (tmp_path / "index.err").read_text()
    assert (tmp_path / "index.rc").read_text().strip() == "1", err
    assert "Traceback" not in err and ("read-only" in err.lower() or "readonly" in err.lower()), err
    assert (tmp_path / "index" / "catalog.json").read_bytes() == before
    for source in extra:
        (tmp_path / "seeds" / source).unlink()
    assert_answers(tmp_path, facts)  # writable again: the old index is whole and in step
    # A read-only index/ still answers: embedded Chroma opens it without writing.
    assert (tmp_path / "ask.rc").read_text().strip() == "0", (tmp_path / "ask.err").read_text().strip()[-300:]
    answer = json.loads((tmp_path / "ask.out").read_text())
    assert answer["found"] and year in answer["answer"]


def test_disk_full_while_indexing_clear_error_old_index_intact(tmp_path):
    facts = _built_index(tmp_path)
    make_articles(tmp_path / "seeds", 60, seed=13, start=200)
    question, year = facts["a0003.txt"]
    done = _in_mount_namespace(
        f"""
        mkdir -p "$T/small"
        mount -t tmpfs -o size=40m tmpfs "$T/small" || exit 90
        cp -a "$T/index" "$T/small/index"
        avail=$(df -k --output=avail "$T/small" | tail -1)
        dd if=/dev/zero of="$T/small/filler" bs=1k count=$((avail - 1500)) 2>/dev/null  # room to open, not to finish
        export SEEDS_DIR="$T/seeds" INDEX_DIR="$T/small/index"
        "$PY" "$BOT" index > "$T/index.out" 2> "$T/index.err"; echo $? > "$T/index.rc"
        "$PY" "$BOT" ask --json "{question}" > "$T/full-ask.out" 2> "$T/full-ask.err"; echo $? > "$T/full-ask.rc"
        rm -f "$T/small/filler"
        "$PY" "$BOT" ask --json "{question}" > "$T/ask.out" 2> "$T/ask.err"; echo $? > "$T/ask.rc"
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    err = (tmp_path / "index.err").read_text()
    assert (tmp_path / "index.rc").read_text().strip() == "1", err
    # Space back: the old articles answer from the index the failed run left behind.
    assert (tmp_path / "ask.rc").read_text().strip() == "0", (tmp_path / "ask.err").read_text()[-2000:]
    answer = json.loads((tmp_path / "ask.out").read_text())
    assert answer["found"] and year in answer["answer"], answer
    assert "Traceback" not in err, err[-2000:]  # one line that says what to do
    assert "disk" in err.lower() or "space" in err.lower(), err
    # With the disk still full, the old index answers: opening it writes nothing.
    assert (tmp_path / "full-ask.rc").read_text().strip() == "0", (tmp_path / "full-ask.err").read_text()[-300:]


def test_corrupt_store_named_command_repairs_it_and_keeps_the_broken_one(tmp_path):
    facts = _built_index(tmp_path)
    store = tmp_path / "index" / "chroma" / "chroma.sqlite3"
    with open(store, "r+b") as fh:  # the first 4 KB (SQLite's header page) overwritten
        fh.write(random.Random(3).randbytes(4096))
    broken = store.read_bytes()
    question, year = facts["a0001.txt"]
    for args in (("ask", question), ("status",)):
        failed = run_cli(tmp_path, *args, timeout=120)
        assert "python bot.py index --rebuild" in failed.stdout + failed.stderr, failed
        assert "Traceback" not in failed.stderr, failed.stderr

    rebuilt = run_cli(tmp_path, "index", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"{len(facts)} added" in rebuilt.stdout, rebuilt.stdout
    (kept,) = (tmp_path / "index").glob("broken-*")
    assert (kept / "chroma" / "chroma.sqlite3").read_bytes() == broken, "the broken store is kept as it was"
    assert kept.name in rebuilt.stderr  # the admin is told where it went
    assert_index_complete(tmp_path / "index", facts)
    answer = json.loads(run_cli(tmp_path, "ask", "--json", question).stdout)
    assert answer["found"] and year in answer["answer"], answer


def test_read_only_index_copies_are_removed(tmp_path):
    """A process that answers from a copy of an unwritable index removes it when it exits; copies of a
    process killed with -9 go when the next one makes its copy."""
    facts = _built_index(tmp_path)
    question, year = facts["a0004.txt"]
    (tmp_path / "tmp").mkdir()
    done = _in_mount_namespace(
        f"""
        mount --bind -o ro "$T/index" "$T/index" || exit 90
        export SEEDS_DIR="$T/seeds" INDEX_DIR="$T/index" TMPDIR="$T/tmp"
        "$PY" "$BOT" ask --json "{question}" > "$T/ask1.out" 2> "$T/ask1.err"
        ls "$T/tmp" > "$T/after-ask.ls"
        mkfifo "$T/questions"
        "$PY" "$BOT" ask --jsonl < "$T/questions" > "$T/jsonl.out" 2> "$T/jsonl.err" &
        pid=$!
        exec 3> "$T/questions"
        echo '{{"question": "{question}"}}' >&3
        for i in $(seq 600); do [ -s "$T/jsonl.out" ] && break; sleep 0.1; done
        ls "$T/tmp" > "$T/while-serving.ls"
        kill -9 $pid; wait $pid
        ls "$T/tmp" > "$T/after-kill.ls"
        "$PY" "$BOT" ask --json "{question}" > "$T/ask2.out" 2> "$T/ask2.err"
        ls "$T/tmp" > "$T/after-next.ls"
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    for n in (1, 2):
        answer = json.loads((tmp_path / f"ask{n}.out").read_text() or "{}")
        assert answer.get("found") and year in answer["answer"], (tmp_path / f"ask{n}.err").read_text()[-2000:]
    assert year in (tmp_path / "jsonl.out").read_text()

    def copies(name: str) -> list[str]:
        return [line for line in (tmp_path / name).read_text().split() if line.startswith("footnote-readonly-index-")]

    assert len(copies("while-serving.ls")) == 1, "the serving process answers from one copy"
    assert copies("after-kill.ls") == copies("while-serving.ls"), "kill -9 leaves its copy behind"
    assert copies("after-ask.ls") == [] and copies("after-next.ls") == [], "every copy is gone again"
