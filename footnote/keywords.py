"""Sentence terms as integer ids, and BM25 scored at query time over a sparse term matrix.

Why not bm25s (which we used first): it precomputes every (term, sentence) score, so one added article
means rebuilding it all. Here the index is just term frequencies in a CSC matrix, quickly rebuilt from
per-article id arrays that unchanged articles keep (docs/measurements-2026.md); the scores (Lucene's
BM25, bm25s's default, which a test checks ours against) are computed for the question's few terms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from footnote.text import terms


class Vocabulary:
    """term ↔ id. It only grows, so ids held by unchanged articles stay valid across rebuilds."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []

    def id_of(self, term: str) -> int:
        i = self.ids.get(term)
        if i is None:
            i = self.ids[term] = len(self.words)
            self.words.append(term)
        return i

    def known(self, query_terms: list[str]) -> list[int]:
        return [self.ids[t] for t in query_terms if t in self.ids]

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True, slots=True)
class ArticleTerms:
    """One article's sentence terms: sentence i holds ids[bounds[i]:bounds[i + 1]], in text order."""

    digest: str
    ids: np.ndarray  # int32
    bounds: np.ndarray  # int64, len = sentences + 1

    @classmethod
    def of(cls, digest: str, texts: list[str], vocab: Vocabulary) -> ArticleTerms:
        per_sentence = [[vocab.id_of(t) for t in terms(text)] for text in texts]
        bounds = np.zeros(len(per_sentence) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in per_sentence], out=bounds[1:])
        flat = np.fromiter((i for s in per_sentence for i in s), dtype=np.int32, count=int(bounds[-1]))
        return cls(digest, flat, bounds)


class KeywordIndex:
    """BM25 (Lucene variant: idf = ln(1 + (N - df + .5) / (df + .5)), k1 = 1.5, b = 0.75) over sentences."""

    def __init__(self, ids: np.ndarray, bounds: np.ndarray, vocab_size: int, k1: float = 1.5, b: float = 0.75) -> None:
        self.n_docs = len(bounds) - 1
        self.n_terms = vocab_size  # the shared vocabulary may grow later: newer ids are unknown here
        lengths = np.diff(bounds)
        rows = np.repeat(np.arange(self.n_docs, dtype=np.int32), lengths)
        # (sentence, term) pairs → a sentences × terms matrix of counts; CSC gives each term's postings.
        self.matrix = sparse.csc_matrix(
            (np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(self.n_docs, max(vocab_size, 1))
        )
        self.matrix.sum_duplicates()
        self.doc_freq = np.diff(self.matrix.indptr)  # sentences holding each term
        avg = float(lengths.mean()) if self.n_docs and lengths.mean() > 0 else 1.0
        self._norm = (k1 * ((1 - b) + b * lengths / avg)).astype(np.float32)  # per-sentence length norm
        self.k1, self.b = k1, b

    def idf(self, term_id: int) -> float:
        df = int(self.doc_freq[term_id]) if 0 <= term_id < self.n_terms else 0
        return float(np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))

    def scores(self, term_ids: list[int]) -> np.ndarray:
        """BM25 of every sentence for these query terms (a repeated term counts again, as in bm25s)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        m = self.matrix
        for t in term_ids:
            if t >= self.n_terms:
                continue
            lo, hi = m.indptr[t], m.indptr[t + 1]
            rows, tf = m.indices[lo:hi], m.data[lo:hi]
            out[rows] += self.idf(t) * tf / (self._norm[rows] + tf)
        return out

    def top(self, term_ids: list[int], k: int) -> list[tuple[int, float]]:
        """The k best (sentence row, score) with a score above zero, best first."""
        if not self.n_docs or not term_ids:
            return []
        scores = self.scores(term_ids)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        return [(int(i), float(scores[i])) for i in best[np.argsort(-scores[best], kind="stable")] if scores[i] > 0]
