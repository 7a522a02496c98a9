#!/usr/bin/env python3
"""Scale bench: index the 2,225 BBC stories (+ the dev articles), add one article, time warm questions.

    python benches/bench_engine.py                  # EMBED_MODEL from the environment (default minilm)
    EMBED_MODEL=e5 python benches/bench_engine.py --questions 300

Prints one JSON line: index sentences/s, add-one seconds, ask p50/p95 ms (warm, in process), peak RSS MB
of that whole run, and the peak RSS of a fresh serving process that loads the index and answers (a bot).
The stories are written to a temporary folder and never copied into the project."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from footnote.engine import Engine  # noqa: E402
from footnote.settings import Settings  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


SERVE = """
import json, sys, time
from footnote.engine import Engine
from footnote.settings import Settings
engine = Engine(Settings.from_env(dotenv_path=None))
t0 = time.perf_counter()
engine.ensure_ready(show_bar=False)
ready_s = time.perf_counter() - t0
for q in json.loads(sys.stdin.read()):
    engine.ask(q)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would report the bench's own peak.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"serve_ready_s": round(ready_s, 2), "serve_peak_rss_mb": round(peak_kb / 1024, 1)}))
"""


def serving_figures(env: dict, n_questions: int) -> dict:
    """What a bot holds: a fresh process that loads the built index and answers (it indexes nothing)."""
    questions = [
        json.loads(line)["question"]
        for line in (SHARED / "eval" / "dev" / "questions.jsonl").read_text().splitlines()[:n_questions]
    ]
    done = subprocess.run(
        [sys.executable, "-c", SERVE],
        input=json.dumps(questions),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="reuse this work folder (skips the full index if it is there)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="footnote-bench-"))
    seeds, index = work / "seeds", work / "index"
    if not seeds.exists():
        (seeds / "bbc").mkdir(parents=True)
        with open(SHARED / "corpus" / "bbc-news-2225.jsonl", encoding="utf-8") as fh:
            for k, line in enumerate(fh):
                row = json.loads(line)
                (seeds / "bbc" / f"{k:04d}-{row['category']}.txt").write_text(row["text"], encoding="utf-8")
        shutil.copytree(SHARED / "eval" / "dev" / "articles", seeds / "dev")
    env = dict(os.environ, SEEDS_DIR=str(seeds), INDEX_DIR=str(index))
    engine = Engine(Settings.from_env(env=env, dotenv_path=None))

    t0 = time.perf_counter()
    report = engine.index(show_bar=True)
    index_s = time.perf_counter() - t0

    extra = seeds / "added-one.txt"
    extra.write_text(
        "A late article\n\nThe committee met on Tuesday to approve the new harbour budget. "
        "It allocated 4.5 million pounds to repairs. Work starts in March.\n",
        encoding="utf-8",
    )
    engine.ask("warm up")
    t0 = time.perf_counter()
    engine.index(show_bar=False)
    add_one_s = time.perf_counter() - t0

    questions = [
        json.loads(line)["question"]
        for line in (SHARED / "eval" / "dev" / "questions.jsonl").read_text().splitlines()[: args.questions]
    ]
    engine.ask(questions[0])
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        engine.ask(q)
        latencies.append((time.perf_counter() - t0) * 1000)
    extra.unlink()
    engine.index(show_bar=False)
    serving = serving_figures(env, args.questions)
    print(
        json.dumps(
            {
                "embed_model": engine.embed_model.model_name,
                "articles": report.articles,
                "sentences": report.sentences,
                "index_s": round(index_s, 1),
                "index_sentences_per_s": round(report.sentences_embedded / index_s, 1)
                if report.sentences_embedded
                else None,
                "add_one_s": round(add_one_s, 3),
                "ask_ms_p50": round(statistics.median(latencies), 1),
                "ask_ms_p95": round(percentile(latencies, 0.95), 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "questions": len(latencies),
                **serving,
            }
        )
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
