#!/usr/bin/env python3
"""Answer quality on the dev set: runs ../shared/eval/score.py on this project and prints the issue's
table as one JSON line, plus the mean length of the first citation (measured in process).

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


def first_citation_chars(limit: int | None) -> float:
    from footnote.engine import Engine
    from footnote.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="footnote-quality-"))
    try:
        shutil.copytree(DEV / "articles", work / "seeds")
        env = dict(os.environ, SEEDS_DIR=str(work / "seeds"), INDEX_DIR=str(work / "index"))
        engine = Engine(Settings.from_env(env=env, dotenv_path=None))
        engine.ensure_ready(show_bar=False)
        rows = [json.loads(line) for line in (DEV / "questions.jsonl").read_text().splitlines()][:limit]
        lengths = [len(a.citations[0].text) for a in (engine.ask(r["question"]) for r in rows) if a.citations]
        return sum(lengths) / max(1, len(lengths))
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
        "first_citation_chars": round(first_citation_chars(args.limit), 1),
        "answered": round(a["answered"], 3),
        "refused_absent": round(figures.get("unanswerable-absent", {}).get("refused", float("nan")), 3),
        "refused_adversarial": round(figures.get("unanswerable-adversarial", {}).get("refused", float("nan")), 3),
        "answer_has_gold": round(a["answer_has_gold"], 3), "cite@any": round(a["cite@any"], 3),
        "citation_precision": round(a["citation_precision"], 3), **figures["timing"],
    }))


if __name__ == "__main__":
    main()
