"""HybridRetriever(BaseRetriever): dense sentences + dense chunks + BM25 sentences, weighted RRF.

It returns candidate *sentences* (one TextNode each) with their raw evidence in metadata; the
SentenceSelector postprocessor ranks them. The in-memory SentenceTable is built from the catalog."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from footnote.answering.evidence import TermWeights, terms
from footnote.catalog import Catalog
from footnote.embeddings import embed_query
from footnote.store import IndexUnavailable

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


@dataclass(slots=True)
class SentenceRow:
    source: str
    n: int
    start: int
    end: int
    line: int
    text: str


class SentenceTable:
    """Every indexed sentence in memory (text, offsets), with a BM25 index and term statistics."""

    def __init__(self, catalog: Catalog, previous: "SentenceTable | None" = None) -> None:
        """Build from the catalog, reusing `previous`'s tokens for articles whose text is unchanged."""
        self.catalog = catalog
        self.rows: list[SentenceRow] = []
        self.position: dict[str, int] = {}  # "source#sN" → row
        self.tokens: list[list[str]] = []
        self._spans: dict[str, tuple[str, int, int]] = {}  # source → (digest, first row, end row)
        for source, entry in catalog.entries.items():
            first = len(self.rows)
            old = previous._spans.get(source) if previous else None
            reuse = old is not None and old[0] == entry.digest
            for s in entry.sentences:
                self.position[f"{source}#s{s.n}"] = len(self.rows)
                self.rows.append(SentenceRow(source, s.n, s.start, s.end, s.line, s.text))
            self.tokens.extend(previous.tokens[old[1]:old[2]] if reuse else [terms(s.text) for s in entry.sentences])
            self._spans[source] = (entry.digest, first, len(self.rows))
        self.term_sets = [set(t) for t in self.tokens]
        self._article_terms: dict[str, set[str]] = {}
        df = Counter(t for ts in self.term_sets for t in ts)
        self.weights = TermWeights(dict(df), max(1, len(self.rows)))
        self.bm25 = bm25s.BM25()
        if self.rows:
            self.bm25.index([t or ["∅"] for t in self.tokens], show_progress=False)

    def window_terms(self, row: int, radius: int = 1) -> set[str]:
        """Terms of a sentence and its neighbours in the same article."""
        source = self.rows[row].source
        _, first, end = self._spans[source]
        out: set[str] = set()
        for i in range(max(first, row - radius), min(end, row + radius + 1)):
            out |= self.term_sets[i]
        return out

    def article_terms(self, source: str) -> set[str]:
        cached = self._article_terms.get(source)
        if cached is None:
            _, first, end = self._spans[source]
            cached = set().union(*self.term_sets[first:end]) if end > first else set()
            self._article_terms[source] = cached
        return cached

    def __len__(self) -> int:
        return len(self.rows)

    def bm25_top(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        if not self.rows or not query_terms:
            return []
        known = [t for t in query_terms if t in self.bm25.vocab_dict]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return [(int(i), float(scores[i])) for i in top[np.argsort(-scores[top])] if scores[i] > 0]

    def row_id(self, i: int) -> str:
        return f"{self.rows[i].source}#s{self.rows[i].n}"


class HybridRetriever(BaseRetriever):
    """Dense (Chroma) over sentences and chunks, BM25 over sentences, fused by weighted reciprocal rank."""

    def __init__(self, table: SentenceTable, embed_model, chunks, sentences, *, dense_k: int = 40,
                 bm25_k: int = 30, chunk_k: int = 6, bm25_weight: float = 0.25, rrf_k: int = 60,
                 top_n: int = 40) -> None:
        super().__init__()
        self.table, self.embed_model = table, embed_model
        self.chunks, self.sentences = chunks, sentences
        self.dense_k, self.bm25_k, self.chunk_k = dense_k, bm25_k, chunk_k
        self.bm25_weight, self.rrf_k, self.top_n = bm25_weight, rrf_k, top_n

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if not len(self.table):
            return []
        query = query_bundle.query_str
        qvec = embed_query(self.embed_model, query)
        try:
            dense = self.sentences.query(query_embeddings=[qvec.tolist()], n_results=min(self.dense_k, len(self.table)),
                                         include=["distances"])
            chunk_hits = self.chunks.query(query_embeddings=[qvec.tolist()], n_results=self.chunk_k,
                                           include=["distances", "metadatas"])
        except Exception as exc:  # HTTP errors, a stopped server, a torn local store
            raise IndexUnavailable(f"the index is unavailable ({exc.__class__.__name__}): "
                                   "check the Chroma server or run `python bot.py index`") from exc
        fused: dict[int, float] = {}
        dense_cos: dict[int, float] = {}
        for rank, (sid, dist) in enumerate(zip(dense["ids"][0], dense["distances"][0])):
            i = self.table.position.get(sid)
            if i is None:  # written by a run that was killed before its catalog commit: not ours yet
                continue
            dense_cos[i] = 1.0 - float(dist)
            fused[i] = fused.get(i, 0.0) + 1.0 / (self.rrf_k + rank)
        chunk_cos: dict[tuple[str, int], float] = {}
        for rank, (meta, dist) in enumerate(zip(chunk_hits["metadatas"][0], chunk_hits["distances"][0])):
            first, last = int(meta["first_sentence"]), int(meta["last_sentence"])
            for n in range(first, last + 1):
                i = self.table.position.get(f"{meta['source']}#s{n}")
                if i is not None:
                    chunk_cos[(meta["source"], n)] = 1.0 - float(dist)
                    fused[i] = fused.get(i, 0.0) + 0.5 / (self.rrf_k + rank)
        qterms = terms(query)
        bm25 = self.table.bm25_top(qterms, self.bm25_k)
        bm25_max = bm25[0][1] if bm25 else 1.0
        bm25_norm = {i: s / bm25_max for i, s in bm25}
        for rank, (i, _) in enumerate(bm25):
            fused[i] = fused.get(i, 0.0) + self.bm25_weight / (self.rrf_k + rank)
        chosen = sorted(fused, key=fused.get, reverse=True)[: self.top_n]
        missing = [self.table.row_id(i) for i in chosen if i not in dense_cos]
        if missing:
            got = self.sentences.get(ids=missing, include=["embeddings"])
            for sid, vec in zip(got["ids"], got["embeddings"]):
                dense_cos[self.table.position[sid]] = float(np.dot(qvec, np.asarray(vec, dtype=np.float32)))
        out = []
        for i in chosen:
            row = self.table.rows[i]
            node = TextNode(id_=self.table.row_id(i), text=row.text, metadata={
                "source": row.source, "n": row.n, "start": row.start, "end": row.end, "line": row.line,
                "dense": dense_cos.get(i, 0.0), "bm25": bm25_norm.get(i, 0.0),
                "chunk": chunk_cos.get((row.source, row.n), 0.0), "row": i,
            })
            out.append(NodeWithScore(node=node, score=fused[i]))
        return out
