#!/usr/bin/env python3
"""Fit the sentence rankers and the refusal classifier on question sets; write footnote/answering/ranker.json.

    python scripts/fit_ranker.py --dev ../shared/eval/dev --dev ../shared/eval/handbook
    python scripts/fit_ranker.py --dev ... --dry-run   # print cross-validated figures, write nothing

Each set is a folder with articles/, questions.jsonl and gold_spans.jsonl (the layout of the eval
sets); each is indexed once into --work, and the models are fitted on all of them together so that
no kind of document is traded away for another.

All are logistic regressions (numpy, L2) over the evidence features in footnote/answering, so the
weights stay few and explainable: the first ranker orders every candidate, the second re-scores its
best few with their token matches (answering/late.py) if that wins held out, the classifier decides
on the best one. Figures are 5-fold cross-validated by article (a question's page is never both
fitted and scored), so they estimate what questions on unseen pages get."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import pickle
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from footnote.answering.late import CONTENDER_SHARE, RERANK_TOP_N, TokenMatchReranker, contenders, supports_token_states  # noqa: E402
from footnote.answering.ranker import REFUSAL_FEATURES, RERANK_FEATURES, SENTENCE_FEATURES, Logistic  # noqa: E402
from footnote.answering.refuse import negation_unmet, refusal_features  # noqa: E402
from footnote.answering.select import SentenceSelector  # noqa: E402
from footnote.engine import Engine  # noqa: E402
from footnote.settings import Settings  # noqa: E402

OUT = ROOT / "footnote" / "answering" / "ranker.json"
FOLD_RULE = "crc32(article path, or question id when it has none) % 5"


def fit_logistic(
    X: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 3000, lr: float = 0.5, balance: bool = False
) -> tuple[np.ndarray, float]:
    """Plain batch gradient descent on standardised features; returns weights in the raw feature scale."""
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = (X - mu) / sd
    w, b = np.zeros(X.shape[1]), 0.0
    sw = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9)) if balance else np.ones(len(y))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = (p - y) * sw
        w -= lr * (Z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return w / sd, b - float((w / sd) @ mu)


def fit_listwise(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3, steps: int = 1500, lr: float = 0.5
) -> np.ndarray:
    """Softmax over each question's candidates, maximising the probability of its gold sentences:
    this optimises the first citation directly, unlike a pointwise fit. The groups are padded into
    one (questions × candidates × features) array so each step is a few array operations."""
    allX = np.vstack([X for X, _ in groups])
    mu, sd = allX.mean(axis=0), allX.std(axis=0) + 1e-9
    groups = [((X - mu) / sd, y) for X, y in groups if y.any()]
    Z = np.zeros((len(groups), max(len(y) for _, y in groups), allX.shape[1]))
    Y = np.zeros(Z.shape[:2])
    real = np.zeros(Z.shape[:2], dtype=bool)
    for g, (X, y) in enumerate(groups):
        Z[g, : len(y)], Y[g, : len(y)], real[g, : len(y)] = X, y, True
    w = np.zeros(allX.shape[1])
    for _ in range(steps):
        z = np.where(real, Z @ w, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        q = p * Y
        q /= q.sum(axis=1, keepdims=True)  # posterior over the gold ones
        w -= lr * (l2 * w - np.einsum("gk,gkf->f", q - p, Z) / len(groups))
    return w / sd


def calibrate(groups: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale and bias on the listwise score so it reads as P(sentence holds the answer)."""
    s = np.concatenate([X @ w for X, _ in groups])[:, None]
    y = np.concatenate([yy for _, yy in groups])
    a, b = fit_logistic(s, y)
    return w * a[0], b


def fit_sentence_model(rows, names=SENTENCE_FEATURES, all_names=SENTENCE_FEATURES) -> Logistic:
    """Listwise weights over `names`, then calibrated into probabilities; other features weigh 0."""
    groups = [(matrix(f, names), np.array(lab, dtype=float)) for _, _, f, lab in rows if f]
    w, b = calibrate(groups, fit_listwise(groups))
    weights = dict(zip(names, w))
    return Logistic(all_names, tuple(float(weights.get(n, 0.0)) for n in all_names), b)


class TokenMatches:
    """token_match per (question, candidate), computed when first needed and kept in the work dir."""

    def __init__(self, engine: Engine, data, path: Path) -> None:
        self._reranker = TokenMatchReranker(engine.embed_model, None)
        self._data = data
        self._path = path
        self._cache: dict[str, dict[int, float]] = pickle.loads(path.read_bytes()) if path.exists() else {}

    def get(self, k: int, idx: list[int]) -> list[float]:
        q, nodes, _, _ = self._data[k]
        known = self._cache.setdefault(q["id"], {})
        missing = [i for i in idx if i not in known]
        if missing:
            known.update(zip(missing, self._reranker.token_matches([nodes[i] for i in missing], q["question"])))
        return [known[i] for i in idx]

    def save(self) -> None:
        self._path.write_bytes(pickle.dumps(self._cache))


def reranked(
    k: int, data, first: Logistic, matches: TokenMatches, only_contenders: bool = True
) -> tuple[list[int], list[dict]]:
    """The first ranker's top RERANK_TOP_N candidates of question k, or what the engine re-scores of
    them (late.contenders), with their features and token_match."""
    feats = data[k][2]
    p = [first.probability(f) for f in feats]
    order = [int(i) for i in np.argsort([-x for x in p], kind="stable")]
    top = [order[j] for j in contenders([p[i] for i in order], share=CONTENDER_SHARE if only_contenders else 0.0)]
    return top, [{**feats[i], "token_match": m} for i, m in zip(top, matches.get(k, top))]


def fit_rerank_model(ks, data, first: Logistic, matches: TokenMatches, names) -> Logistic:
    """Fitted on the whole top RERANK_TOP_N of each question (the contenders alone leave most questions
    one candidate, nothing to learn from: docs/measurements-2026.md), applied to the contenders."""
    rows = []
    for k in ks:
        if data[k][2]:
            top, feats = reranked(k, data, first, matches, only_contenders=False)
            rows.append((None, None, feats, [data[k][3][i] for i in top]))
    return fit_sentence_model(rows, names, RERANK_FEATURES)


def heldout_top1(data, answerable, folds, names) -> float:
    """5-fold held-out share of answerable questions whose top-ranked candidate holds a gold span."""
    hits = 0
    for fold in range(5):
        groups = [
            (matrix(data[k][2], names), np.array(data[k][3], dtype=float))
            for k in answerable
            if folds[k] != fold and data[k][2]
        ]
        w = fit_listwise(groups)
        for k in answerable:
            if folds[k] == fold and data[k][2]:
                hits += data[k][3][int(np.argmax(matrix(data[k][2], names) @ w))]
    return hits / len(answerable)


def select_features(data, answerable, folds, min_gain: float = 0.004) -> tuple[str, ...]:
    """Forward selection from dense cosine alone: add the feature that most raises held-out top-1,
    while it raises it by at least `min_gain` (about two questions): more features are not better
    (docs/measurements-2026.md)."""
    chosen = ["dense"]
    best = heldout_top1(data, answerable, folds, chosen)
    print(f"  feature selection: dense alone {best:.3f}", file=sys.stderr)
    while True:
        trials = {n: heldout_top1(data, answerable, folds, chosen + [n]) for n in SENTENCE_FEATURES if n not in chosen}
        name, score = max(trials.items(), key=lambda kv: kv[1]) if trials else (None, 0.0)
        if name is None or score < best + min_gain:
            return tuple(chosen)
        chosen.append(name)
        best = score
        print(f"  feature selection: + {name} → {best:.3f}", file=sys.stderr)


def load_questions(set_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (set_dir / "questions.jsonl").read_text().splitlines() if line.strip()]
    spans = {r["id"]: r for r in map(json.loads, (set_dir / "gold_spans.jsonl").read_text().splitlines()) if r}
    for row in rows:
        row["spans"] = spans.get(row["id"], {}).get("spans", [])
        row["also"] = spans.get(row["id"], {}).get("also", [])
        row["set"] = set_dir.name
        if row["kind"] == "followup":  # answerable, asked after its "context" in a thread
            row["kind"] = "answerable"
    return rows


def same_article(source: str, article: str | None) -> bool:
    """score.py's rule: paths compared whole where the set names subfolders, else file names."""
    article = str(article)
    return source == article if "/" in article else Path(source).name == article


def covers(meta: dict, q: dict) -> bool:
    """score.py's rule: the right article (or one restating it) and at least half of a gold span covered."""
    for gold in [q, *q.get("also", [])]:
        if same_article(meta["source"], gold.get("article")) and any(
            min(meta["end"], b) - max(meta["start"], a) >= max(1, (b - a) / 2) for a, b in gold["spans"]
        ):
            return True
    return False


def collect(engine: Engine, questions: list[dict]):
    """Per question: candidate feature rows, labels, and what the refusal stage needs."""
    selector = SentenceSelector(engine.table, engine.models.sentence, engine.embed_model)
    out = []
    for i, q in enumerate(questions):
        nodes = engine.candidates(q["question"], q.get("context"))
        feats = selector.features(nodes, q["question"])
        labels = [covers(n.node.metadata, q) for n in nodes]
        out.append((q, nodes, feats, labels))
        if i % 100 == 0:
            print(f"  features {i}/{len(questions)}", file=sys.stderr)
    return out


def fold_of(q: dict) -> int:
    return zlib.crc32((q.get("article") or q["id"]).encode()) % 5


def provenance(
    sets: list[Path], given: list[Path], engine: Engine, features: tuple[str, ...], named: bool = False
) -> dict:
    """What a reader of ranker.json needs to reproduce it."""
    digest = hashlib.sha256()
    for set_dir in sets:
        for name in ("questions.jsonl", "gold_spans.jsonl"):
            digest.update((set_dir / name).read_bytes())
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "command": "python scripts/fit_ranker.py "
        + " ".join(f"--dev {s}" for s in given)
        + (f" --features {','.join(features)}" if named else ""),
        "sets": [f"{s.name} ({len(load_questions(s))} questions)" for s in sets],
        "data_sha256": digest.hexdigest(),
        "fold_rule": FOLD_RULE,
        "features": list(features),
        "embed_model": engine.embed_model.model_name,
        "commit": commit,
        "date": dt.date.today().isoformat(),
    }


def matrix(feats: list[dict], names) -> np.ndarray:
    return np.array([[f[n] for n in names] for f in feats], dtype=np.float64).reshape(-1, len(names))


def evaluate(
    ks, data, sent_model: Logistic, tables: dict, rerank: Logistic | None = None, matches: TokenMatches | None = None
):
    """Per question k: (question, top-1 holds a gold span, refusal features, refused by the negation check)."""
    rows = []
    for k in ks:
        q, nodes, feats, labels = data[k]
        if not nodes:
            rows.append((q, False, None, True))
            continue
        scores = [sent_model.probability(f) for f in feats]
        if rerank is not None:
            top, top_feats = reranked(k, data, sent_model, matches)
            nodes, labels = [nodes[i] for i in top], [labels[i] for i in top]
            feats, scores = top_feats, [rerank.probability(f) for f in top_feats]
        order = np.argsort(scores, kind="stable")[::-1]
        ranked = [nodes[j] for j in order]
        for j, node in zip(order, ranked):
            node.node.metadata["features"] = feats[j]
            node.score = scores[j]
        rf = refusal_features(ranked, q["question"], tables[q["set"]])
        rows.append((q, bool(labels[order[0]]), rf, negation_unmet(q["question"], ranked[0].node.text)))
    return rows


def fit_refusal(held_out, final_rows, folds, args) -> tuple[dict, dict]:
    """Learn "answerable?" from the top sentence's evidence, held out by the question folds, pick a
    threshold for each kind of best unit (plain prose; under headings), then fit on everything.
    Returns (the spec for ranker.json, its held-out figures)."""
    R = matrix([r[2] or {n: 0.0 for n in REFUSAL_FEATURES} for r in held_out], REFUSAL_FEATURES)
    t = np.array([1.0 if r[0]["kind"] == "answerable" else 0.0 for r in held_out])
    kinds = np.array([r[0]["kind"] for r in held_out])
    probs = np.zeros(len(t))
    vetoed = np.array([r[3] for r in held_out])  # refused whatever the classifier says, as the engine does
    # Trained on answerable vs absent (separable evidence); look-alike questions only steer the threshold,
    # since as training negatives they mostly teach it to distrust good matches.
    learn = kinds != "unanswerable-adversarial" if not args.learn_lookalikes else np.ones(len(kinds), bool)
    for fold in range(5):
        tr = np.array([f != fold for f in folds])
        w, b = fit_logistic(R[tr & learn], t[tr & learn], balance=True)
        probs[~tr] = 1 / (1 + np.exp(-(R[~tr] @ w + b)))
    correct = np.array([r[1] for r in held_out])
    # A unit under headings is embedded with them and scores on a scale of its own: one threshold for
    # both would refuse one kind of document far more often than the other (docs/ranking.md).
    structured = R[:, REFUSAL_FEATURES.index("structured")] == 1
    thresholds = {}
    for label, group in (("plain", ~structured), ("under headings", structured)):
        print(f"refusal trade-off, held out, best unit {label} (threshold: answered, refused absent, look-alikes):")
        best = None
        for thr in np.linspace(0.05, 0.95, 91):
            kept = (probs >= thr) & ~vetoed
            answered = kept[group & (kinds == "answerable")].mean()
            refused = 1 - kept[group & (kinds != "answerable")].mean()
            if round(thr * 100) % 5 == 0 and 0.1 <= thr <= 0.6:
                shares = [
                    1 - kept[group & (kinds == k)].mean() for k in ("unanswerable-absent", "unanswerable-adversarial")
                ]
                print(f"  {thr:.2f}: {answered:.3f} {shares[0]:.3f} {shares[1]:.3f}")
            if answered >= args.min_answered and (best is None or refused > best[1]):
                best = (thr, refused)
        thresholds[label] = round(float(best[0]), 2)
    thr = np.where(structured, thresholds["under headings"], thresholds["plain"])
    kept = (probs >= thr) & ~vetoed
    answered = kept[kinds == "answerable"].mean()
    absent = 1 - kept[kinds == "unanswerable-absent"].mean()
    adversarial = 1 - kept[kinds == "unanswerable-adversarial"].mean()
    cite1 = np.mean((kept & correct)[kinds == "answerable"])
    sets = np.array([r[0]["set"] for r in held_out])
    for name in sorted(set(sets)):
        mine = sets == name
        shares = {
            kind: (1 - kept[mine & (kinds == kind)].mean()) if (mine & (kinds == kind)).any() else float("nan")
            for kind in ("unanswerable-absent", "unanswerable-adversarial")
        }
        print(
            f"  on {name}: answered {kept[mine & (kinds == 'answerable')].mean():.3f}, refused absent "
            f"{shares['unanswerable-absent']:.3f}, look-alikes {shares['unanswerable-adversarial']:.3f}, cite@1 "
            f"{(kept & correct)[mine & (kinds == 'answerable')].mean():.3f}"
        )
    print(
        f"refusal, held out: thresholds {thresholds['plain']:.2f} (plain), {thresholds['under headings']:.2f} "
        f"(under headings): answered {answered:.3f}, refused absent {absent:.3f}, refused adversarial "
        f"{adversarial:.3f}; cite@1 after refusals {cite1:.3f}"
    )
    R = matrix([r[2] or {n: 0.0 for n in REFUSAL_FEATURES} for r in final_rows], REFUSAL_FEATURES)
    wr, br = fit_logistic(R[learn], t[learn], balance=True)
    spec = {
        "weights": dict(zip(REFUSAL_FEATURES, map(float, wr))),
        "bias": float(br),
        "threshold": thresholds["plain"],
        "threshold_structured": thresholds["under headings"],
    }
    return spec, {
        "answered": round(float(answered), 4),
        "refused_absent": round(float(absent), 4),
        "refused_adversarial": round(float(adversarial), 4),
    }


def per_sd(model: Logistic, feats: list[dict], names) -> dict[str, float]:
    """Each chosen feature's weight times its spread over the candidates, so sizes compare."""
    sd = matrix(feats, names).std(axis=0)
    weights = dict(zip(model.names, model.weights))
    return {n: round(float(weights[n] * s), 3) for n, s in zip(names, sd)}


def per_set(rows, data, label: str) -> None:
    """Print a held-out figure for each question set: neither may be traded away for the other."""
    for name in sorted({q["set"] for q, *_ in data}):
        ks = [k for k, (q, *_) in enumerate(data) if q["set"] == name and q["kind"] == "answerable"]
        print(f"  {label} on {name}: {np.mean([rows[k][1] for k in ks]):.3f} ({len(ks)} answerable)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--dev",
        type=Path,
        action="append",
        required=True,
        help="a question set folder (articles/, questions.jsonl, gold_spans.jsonl); repeat for several",
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/footnote-fit"), help="seeds+index cache, one folder a set")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument(
        "--min-answered",
        type=float,
        default=0.915,
        help="answer at least this share of answerable questions held out (0.93 left dev absent at 0.899)",
    )
    ap.add_argument("--learn-lookalikes", action="store_true", help="train the refusal on look-alikes too")
    ap.add_argument("--reuse-features", action="store_true", help="reuse the candidates of the last run (same index)")
    ap.add_argument("--features", help="comma-separated ranker features: skip the forward selection")
    args = ap.parse_args()

    sets = [s.resolve() for s in args.dev]
    data, tables, engine = [], {}, None
    for set_dir in sets:
        work = args.work / set_dir.name
        seeds, index = work / "seeds", work / "index"
        if not seeds.exists():
            shutil.copytree(set_dir / "articles", seeds)
        settings = Settings.from_env(
            env={
                **{k: v for k, v in __import__("os").environ.items()},
                "SEEDS_DIR": str(seeds),
                "INDEX_DIR": str(index),
            },
            dotenv_path=None,
        )
        engine = Engine(settings, embed_model=engine.embed_model if engine else None)
        engine.ensure_ready()
        cache = work / "features.pickle"
        if args.reuse_features and cache.exists():
            rows = pickle.loads(cache.read_bytes())
        else:
            rows = collect(engine, load_questions(set_dir))
            cache.write_bytes(pickle.dumps(rows))
        data += rows
        tables[set_dir.name] = engine.table

    folds = [fold_of(q) for q, *_ in data]
    answerable = [k for k, (q, *_) in enumerate(data) if q["kind"] == "answerable"]
    names = tuple(args.features.split(",")) if args.features else select_features(data, answerable, folds)
    print(f"ranker features: {', '.join(names)}")
    # The second stage: the first ranker's best few, re-scored with their token matches (late.py). It is
    # kept only if it wins at least two more questions held out, like a feature in select_features.
    matches = (
        TokenMatches(engine, data, args.work / "token_matches.pickle")
        if supports_token_states(engine.embed_model)
        else None
    )
    rerank_names = names + ("token_match",)
    held_first: list = [None] * len(data)
    held_second: list = [None] * len(data)
    for fold in range(5):
        train = [k for k in answerable if folds[k] != fold]
        test = [k for k in range(len(data)) if folds[k] == fold]
        first = fit_sentence_model([data[k] for k in train], names)
        for k, row in zip(test, evaluate(test, data, first, tables)):
            held_first[k] = row
        if matches is not None:
            second = fit_rerank_model(train, data, first, matches, rerank_names)
            for k, row in zip(test, evaluate(test, data, first, tables, second, matches)):
                held_second[k] = row
    if matches is not None:
        matches.save()
    recall = np.mean([any(data[k][3]) for k in answerable])
    print(f"candidate recall (a gold sentence among the candidates): {recall:.3f}")
    top1 = np.mean([held_first[k][1] for k in answerable])
    print(f"sentence ranker, 5-fold held-out top-1 on answerable: {top1:.3f}")
    per_set(held_first, data, "held-out top-1")
    use_rerank = False
    if matches is not None:
        top1_second = np.mean([held_second[k][1] for k in answerable])
        use_rerank = top1_second >= top1 + 0.004
        print(
            f"re-scoring the top {RERANK_TOP_N} contenders with token matches ({', '.join(rerank_names)}): "
            f"held-out top-1 {top1_second:.3f} → {'kept' if use_rerank else 'not kept'}"
        )
        if use_rerank:
            top1 = top1_second

    # Final models on everything.
    final = fit_sentence_model([data[k] for k in answerable], names)
    rerank = fit_rerank_model(answerable, data, final, matches, rerank_names) if use_rerank else None
    spec = {
        "provenance": provenance(sets, args.dev, engine, names, named=bool(args.features)),
        "heldout": {"top1": round(float(top1), 4)},
        "sentence": {
            "weights": {n: float(w) for n, w in zip(SENTENCE_FEATURES, final.weights) if n in names},
            "bias": float(final.bias),
            # weight × the feature's standard deviation over the candidates: comparable sizes
            "weights_per_sd": per_sd(final, [f for k in answerable for f in data[k][2]], names),
        },
    }
    if rerank is not None:
        spec["rerank"] = {
            "weights": {n: float(w) for n, w in zip(RERANK_FEATURES, rerank.weights) if n in rerank_names},
            "bias": float(rerank.bias),
        }
        # The refusal the engine uses with the second stage, and the one for a model without token states.
        spec["refusal"], figures = fit_refusal(
            held_second, evaluate(range(len(data)), data, final, tables, rerank, matches), folds, args
        )
        spec["refusal_plain"], _ = fit_refusal(held_first, evaluate(range(len(data)), data, final, tables), folds, args)
    else:
        spec["refusal"], figures = fit_refusal(held_first, evaluate(range(len(data)), data, final, tables), folds, args)
    spec["heldout"].update(figures)
    print(json.dumps(spec, indent=2))
    if not args.dry_run:
        OUT.write_text(json.dumps(spec, indent=2) + "\n")
        print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
