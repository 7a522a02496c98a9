#!/usr/bin/env python3
"""Answer quality on question sets: runs the eval scorer's CLI driver on each set and prints one table
row a set (the team-documents issue's figures), plus what the scorer does not report: the first
citation's mean length, quotes that still hold Markdown/HTML syntax or a list marker, and how often
the short answer line is given and right.

    python benches/bench_quality.py --set ../shared/eval/dev --set ../shared/eval/handbook [--limit N]

The scorer (score.py beside the sets) copies a set's articles into a temporary folder, runs
`bot.py index`, then `bot.py ask --jsonl` with each question (and a follow-up's "context")."""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a clean quote never holds: emphasis, a link's brackets, a list marker or number, a heading's
# hashes, a table pipe, a tag, a template tag.
MARKUP = re.compile(r"\*\*|__|\]\(|^\s*(?:[-*+•]|\d+[.)])\s|^#{1,6}\s|\s\|\s|^\||<[a-zA-Z/][^>]*>|\{\{|\{%")
SHORT = re.compile(r"^(?!>)(.+?) \[1\]\.$", re.MULTILINE)


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures_for(scorer, set_dir: Path, limit: int | None) -> dict:
    questions = scorer.load_questions(set_dir, limit)
    answers, timing = scorer.run_cli(ROOT, sys.executable, set_dir, questions, 3600)
    scored = scorer.score(questions, answers)
    firsts = [a["citations"][0]["text"] for a in answers if a.get("citations")]
    quotes = [c["text"] for a in answers for c in a.get("citations") or []]
    phrase_rows = [
        (q, a)
        for q, a in zip(questions, answers)
        if q["kind"] == "answerable"
        and a.get("found")
        and q["answers"]
        and max(len(scorer.normalise(g).split()) for g in q["answers"]) <= 8
    ]
    given = [(q, m.group(1)) for q, a in phrase_rows if (m := SHORT.search(a.get("answer", "")))]
    right = sum(
        any(g in scorer.normalise(p) or scorer.normalise(p) in g for g in map(scorer.normalise, q["answers"]) if g)
        for q, p in given
    )
    row = {"set": set_dir.name}
    for kind in ("answerable", "followup"):
        if kind in scored:
            prefix = "" if kind == "answerable" else "followup_"
            row[f"{prefix}cite@1"] = round(scored[kind]["cite@1"], 3)
            if kind == "answerable":
                row.update(
                    {
                        k: round(scored[kind][k], 3)
                        for k in ("source@1", "answered", "cite@any", "citation_precision", "answer_has_gold")
                    }
                )
    for kind, name in (("unanswerable-absent", "refused_absent"), ("unanswerable-adversarial", "refused_lookalike")):
        if kind in scored:
            row[name] = round(scored[kind]["refused"], 3)
    row.update(
        {
            "first_citation_chars": round(sum(map(len, firsts)) / max(1, len(firsts)), 1),
            "quotes_with_markup": sum(bool(MARKUP.search(t)) for t in quotes),
            "quotes": len(quotes),
            "short_answer_given": round(len(given) / max(1, len(phrase_rows)), 3),
            "short_answer_right": round(right / max(1, len(given)), 3),
            **timing,
        }
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", dest="sets", type=Path, action="append", required=True, help="a question set folder")
    ap.add_argument("--scorer", type=Path, help="score.py (default: beside the first set)")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    scorer = load_scorer(args.scorer or args.sets[0].resolve().parent / "score.py")
    for set_dir in args.sets:
        print(json.dumps(figures_for(scorer, set_dir.resolve(), args.limit)), flush=True)


if __name__ == "__main__":
    main()
