#!/usr/bin/env python3
"""Answer quality on the dev set: runs ../shared/eval/score.py on this project and prints the issue's
table as one JSON line, plus what is measured in process: the first citation's mean length and the
short answers on their own (given for how many answered phrase questions, and how many are right).

    python benches/bench_quality.py [--limit N]"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "eval" / "dev"
sys.path.insert(0, str(DEV.parent))
from score import normalise  # noqa: E402  (SQuAD's answer normalisation, as the scorer applies it)


def in_process_figures(limit: int | None) -> dict:
    """What score.py cannot see: the first citation's length, and the short answer on its own. score.py's
    answer_has_gold also counts the quoted sentence, so a wrong short phrase above a right sentence
    passes there; here the phrase alone is judged, on questions whose gold answers are phrases (at most
    8 words: SQuAD's; WikiQA's gold is a whole sentence)."""
    from footnote.answering.compose import short_answer
    from footnote.engine import Engine
    from footnote.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="footnote-quality-"))
    try:
        shutil.copytree(DEV / "articles", work / "seeds")
        env = dict(os.environ, SEEDS_DIR=str(work / "seeds"), INDEX_DIR=str(work / "index"))
        engine = Engine(Settings.from_env(env=env, dotenv_path=None))
        engine.ensure_ready(show_bar=False)
        rows = [json.loads(line) for line in (DEV / "questions.jsonl").read_text().splitlines()][:limit]
        lengths, asked, given, right = [], 0, 0, 0
        for row in rows:
            answer = engine.ask(row["question"])
            if answer.citations:
                lengths.append(len(answer.citations[0].text))
            golds = [normalise(g) for g in row.get("answers") or []]
            if row["kind"] != "answerable" or not golds or max(len(g.split()) for g in golds) > 8 or not answer.found:
                continue
            asked += 1
            phrase = short_answer(row["question"], answer.citations[0].text)
            if phrase:
                given += 1
                p = normalise(phrase)
                right += any(g in p or (p and p in g) for g in golds)
        return {"first_citation_chars": round(sum(lengths) / max(1, len(lengths)), 1),
                "short_answer_given": round(given / max(1, asked), 3),
                "short_answer_right": round(right / max(1, given), 3)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp()) / "dev.json"
    cmd = [sys.executable, str(DEV.parent / "score.py"), "--python", sys.executable, "--json", str(out)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=sys.stderr)
    figures = json.loads(out.read_text())
    a = figures["answerable"]
    print(json.dumps({
        "cite@1": round(a["cite@1"], 3), "source@1": round(a["source@1"], 3),
        **in_process_figures(args.limit),
        "answered": round(a["answered"], 3),
        "refused_absent": round(figures.get("unanswerable-absent", {}).get("refused", float("nan")), 3),
        "refused_adversarial": round(figures.get("unanswerable-adversarial", {}).get("refused", float("nan")), 3),
        "answer_has_gold": round(a["answer_has_gold"], 3), "cite@any": round(a["cite@any"], 3),
        "citation_precision": round(a["citation_precision"], 3), **figures["timing"],
    }))


if __name__ == "__main__":
    main()
