#!/usr/bin/env python3
"""LLM answers against extractive ones on both dev sets, with a real model server (not run in CI).

    LLM_BASE_URL=http://localhost:8080/v1 LLM_MODEL=qwen2.5-1.5b-instruct [LLM_API_KEY=...] [LLM_TIMEOUT=60] \\
        python benches/bench_llm.py [--sets dev handbook] [--limit N]

For each set: the articles are indexed once into a temporary folder, then every question is asked
twice in process over that index, by an extractive engine and by an ANSWER_MODE=llm engine (thread
follow-ups with their "context"). Both are scored with ../shared/eval/score.py's own functions. Prints
one JSON line per set: both figure tables, what verification dropped (statements, by reason), the
model's outcomes (answered, refused, all_dropped, failed), the questions each mode refused that the
other answered, the model's latency, and two checks that must hold: every quote shown matches its file
at its offsets, and no statement shown holds a number, date or name its citations lack."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(EVAL))
import score  # noqa: E402  (the scorer's own functions: same figures as score.py)


def shown_checks(answers: list[dict], seeds: Path) -> tuple[int, int, int]:
    """(quotes shown, quotes matching their file at their offsets, statements holding unsupported facts)."""
    from footnote.answering.answer import Citation
    from footnote.answering.llm_verify import unsupported_in_statement
    from footnote.answering.verify import offsets_hold

    documents: dict = {}
    quotes = matching = unsupported = 0
    for a in answers:
        for c in a["citations"]:
            quotes += 1  # the file read again: does the cited span still read as the quote?
            matching += offsets_hold(Citation(**c), seeds, documents)
        if a.get("mode") == "llm" and a["found"]:
            first_line = re.sub(r"\[\d+\]", "", a["answer"].split("\n", 1)[0])  # the statements, markers out
            cited = [c["text"] for c in a["citations"]]
            unsupported += bool(unsupported_in_statement(first_line, cited))
    return quotes, matching, unsupported


def bench_set(set_dir: Path, limit: int | None, llm_settings) -> dict:
    from footnote.engine import Engine
    from footnote.settings import Settings

    questions = score.load_questions(set_dir, limit)
    work = Path(tempfile.mkdtemp(prefix="footnote-bench-llm-"))
    try:
        shutil.copytree(set_dir / "articles", work / "seeds")
        base = Settings(
            seeds_dir=work / "seeds",
            index_dir=work / "index",
            model_cache=llm_settings.model_cache,
            threads=llm_settings.threads,
        )
        extractive = Engine(base)
        extractive.ensure_ready(show_bar=False)
        llm = Engine(
            replace(llm_settings, seeds_dir=base.seeds_dir, index_dir=base.index_dir),
            embed_model=extractive.embed_model,
        )
        runs: dict[str, list[dict]] = {"extractive": [], "llm": []}
        for q in questions:
            for name, engine in (("extractive", extractive), ("llm", llm)):
                runs[name].append(asdict(engine.ask(q["question"], q.get("context"))))
        figures = {name: score.score(questions, answers) for name, answers in runs.items()}
        flips = Counter()
        for q, e, m in zip(questions, runs["extractive"], runs["llm"]):
            if e["found"] != m["found"]:
                flips[f"{q['kind']}: {'llm refused' if e['found'] else 'llm answered'}"] += 1
        llm_ms = [a["timings_ms"]["llm"] for a in runs["llm"] if "llm" in a["timings_ms"]]
        quotes, matching, unsupported = shown_checks(runs["llm"], base.seeds_dir)
        return {
            "set": set_dir.name,
            "questions": len(questions),
            "model": llm_settings.llm_model,
            "extractive": figures["extractive"],
            "llm": figures["llm"],
            "llm_mode_answers": sum(a["mode"] == "llm" for a in runs["llm"]),
            "dropped": dict(llm.llm.dropped),
            "outcomes": dict(llm.llm.outcomes),
            "found_changed": dict(flips),
            "llm_ms_p50": round(statistics.median(llm_ms), 1) if llm_ms else None,
            "llm_ms_p95": round(score.percentile(llm_ms, 0.95), 1) if llm_ms else None,
            "quotes_shown": quotes,
            "quotes_matching_files": matching,
            "statements_with_unsupported_facts": unsupported,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["dev", "handbook"])
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    from footnote.settings import Settings, SettingsError

    try:
        llm_settings = Settings.from_env(env={**os.environ, "ANSWER_MODE": "llm"}, dotenv_path=None)
    except SettingsError as exc:
        sys.exit(f"{exc} (this bench needs a running model server: see its docstring)")
    for name in args.sets:
        print(json.dumps(bench_set(EVAL / name, args.limit, llm_settings)), flush=True)


if __name__ == "__main__":
    main()
