"""HybridRetriever(BaseRetriever): dense sentences + dense chunks + BM25 sentences, weighted RRF.

It returns candidate *sentences* (one TextNode each) with their raw evidence in metadata; the
SentenceSelector postprocessor ranks them. The in-memory SentenceTable is built from the catalog."""

from __future__ import annotations

import logging

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from footnote.catalog import Catalog
from footnote.corpus import Sentence
from footnote.embeddings import embed_query
from footnote.keywords import ArticleTerms, KeywordIndex, Vocabulary
from footnote.store import IndexUnavailable
from footnote.text import TermWeights, terms

log = logging.getLogger(__name__)


class SentenceTable:
    """Every indexed sentence in memory (text, offsets, term ids), with a BM25 keyword index.

    Row i is sentences[i] of article sources[i]; an article's sentences are consecutive rows, so a
    sentence id "source#sN" is row first(source) + N. Both lists hold the catalog's own objects."""

    def __init__(self, catalog: Catalog, previous: SentenceTable | None = None) -> None:
        """Build from the catalog, reusing `previous`'s term ids for articles whose text is unchanged."""
        self.catalog = catalog
        self.vocab = previous.vocab if previous else Vocabulary()
        self.sources: list[str] = []
        self.sentences: list[Sentence] = []
        self._spans: dict[str, tuple[int, int]] = {}  # source → (first row, end row)
        self._articles: dict[str, ArticleTerms] = {}
        old_terms = previous._articles if previous else {}
        for source, entry in catalog.entries.items():
            first = len(self.sentences)
            self.sentences.extend(entry.sentences)
            self.sources.extend([source] * len(entry.sentences))
            self._spans[source] = (first, len(self.sentences))
            old = old_terms.get(source)
            self._articles[source] = (
                old
                if old is not None and old.digest == entry.digest
                else ArticleTerms.of(entry.digest, [s.text for s in entry.sentences], self.vocab)
            )
        parts = list(self._articles.values())
        self._ids = np.concatenate([a.ids for a in parts]) if parts else np.zeros(0, dtype=np.int32)
        # Each article's bounds start at 0: shift them by the terms before it, and drop the repeated 0s.
        offsets = np.cumsum([0] + [len(a.ids) for a in parts[:-1]])
        self._bounds = np.concatenate([[0]] + [a.bounds[1:] + off for a, off in zip(parts, offsets)]).astype(np.int64)
        self.keywords = KeywordIndex(self._ids, self._bounds, len(self.vocab))
        keywords, ids = self.keywords, self.vocab.ids
        # Not a method of the table: bound, it would make the table a reference cycle, so a replaced table
        # (megabytes at 50k sentences) would wait for the garbage collector instead of going at once.
        self.weights = TermWeights(lambda term: keywords.idf(ids.get(term, -1)))
        self._article_terms: dict[str, set[str]] = {}

    def row_of(self, sentence_id: str) -> int | None:
        """The row of "source#sN", or None when the catalog does not hold it."""
        source, _, n = sentence_id.rpartition("#s")
        span = self._spans.get(source)
        if span is None or not n.isdigit() or span[0] + int(n) >= span[1]:
            return None
        row = span[0] + int(n)
        return row if self.sentences[row].n == int(n) else None

    def _words(self, lo: int, hi: int) -> set[str]:
        words = self.vocab.words
        return {words[i] for i in self._ids[self._bounds[lo] : self._bounds[hi]].tolist()}

    def row_terms(self, row: int) -> list[str]:
        """The sentence's terms in text order (stemmed, stop words dropped)."""
        words = self.vocab.words
        return [words[i] for i in self._ids[self._bounds[row] : self._bounds[row + 1]].tolist()]

    def term_set(self, row: int) -> set[str]:
        return self._words(row, row + 1)

    def window_terms(self, row: int, before: int = 1, after: int = 1) -> set[str]:
        """Terms of a sentence and its neighbours in the same article."""
        first, end = self._spans[self.sources[row]]
        return self._words(max(first, row - before), min(end, row + after + 1))

    def article_terms(self, source: str) -> set[str]:
        cached = self._article_terms.get(source)
        if cached is None:
            cached = self._article_terms[source] = self._words(*self._spans[source])
        return cached

    def __len__(self) -> int:
        return len(self.sentences)

    def bm25_top(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        return self.keywords.top(self.vocab.known(query_terms), k)

    def row_id(self, i: int) -> str:
        return f"{self.sources[i]}#s{self.sentences[i].n}"


class HybridRetriever(BaseRetriever):
    """Dense (Chroma) over sentences and chunks, BM25 over sentences, fused by weighted reciprocal rank."""

    def __init__(
        self,
        table: SentenceTable,
        embed_model,
        chunks,
        sentences,
        *,
        dense_k: int = 40,
        bm25_k: int = 30,
        chunk_k: int = 6,
        bm25_weight: float = 0.25,
        rrf_k: int = 60,
        top_n: int = 40,
    ) -> None:
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
            dense = self.sentences.query(
                query_embeddings=[qvec.tolist()],
                n_results=min(self.dense_k, len(self.table)),
                include=["distances", "embeddings"],
            )
            chunk_hits = self.chunks.query(
                query_embeddings=[qvec.tolist()], n_results=self.chunk_k, include=["distances", "metadatas"]
            )
        except Exception as exc:  # HTTP errors, a stopped server, a torn local store
            raise IndexUnavailable(
                f"the index is unavailable ({exc.__class__.__name__}): "
                "check the Chroma server or run `python bot.py index`"
            ) from exc
        fused: dict[int, float] = {}
        dense_cos: dict[int, float] = {}
        vectors: dict[int, np.ndarray] = {}  # kept on the nodes: the selector compares them with a second query
        # Another process may change the store between the catalog read and these searches: an id the
        # catalog lacks, or a row the store no longer holds, is skipped, never a failed question.
        for rank, (sid, dist, vec) in enumerate(
            zip(dense["ids"][0], dense["distances"][0], _rows(dense, "embeddings"))
        ):
            i = self.table.row_of(sid)
            if i is None or vec is None:  # a run killed before its catalog commit, or removed since
                continue
            dense_cos[i] = 1.0 - float(dist)
            vectors[i] = np.asarray(vec, dtype=np.float32)
            fused[i] = fused.get(i, 0.0) + 1.0 / (self.rrf_k + rank)
        chunk_cos: dict[int, float] = {}
        for rank, (meta, dist) in enumerate(zip(_rows(chunk_hits, "metadatas"), chunk_hits["distances"][0])):
            if not meta or "first_sentence" not in meta:
                continue
            first, last = int(meta["first_sentence"]), int(meta["last_sentence"])
            for n in range(first, last + 1):
                i = self.table.row_of(f"{meta['source']}#s{n}")
                if i is not None:
                    chunk_cos[i] = 1.0 - float(dist)
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
            try:
                got = self.sentences.get(ids=missing, include=["embeddings"])
            except Exception as exc:  # the store changed under us: these candidates go without vectors
                log.warning("sentence vectors unavailable (%s): ranking without them", exc.__class__.__name__)
                got = {"ids": [], "embeddings": []}
            for sid, vec in zip(got["ids"], _rows(got, "embeddings", nested=False)):
                i = self.table.row_of(sid)
                if i is None or vec is None:
                    continue
                vectors[i] = np.asarray(vec, dtype=np.float32)
                dense_cos[i] = float(np.dot(qvec, vectors[i]))
        out = []
        for i in chosen:
            row = self.table.sentences[i]
            vec = vectors.get(i)
            embedding = None if vec is None else vec.tolist()
            node = TextNode(
                id_=self.table.row_id(i),
                text=row.text,
                embedding=embedding,
                metadata={
                    "source": self.table.sources[i],
                    "n": row.n,
                    "start": row.start,
                    "end": row.end,
                    "line": row.line,
                    "section": row.section,
                    "page": row.page,
                    "dense": dense_cos.get(i, 0.0),
                    "bm25": bm25_norm.get(i, 0.0),
                    "chunk": chunk_cos.get(i, 0.0),
                    "row": i,
                },
            )
            out.append(NodeWithScore(node=node, score=fused[i]))
        return out


def rescore_dense(embed_model, nodes: list[NodeWithScore], text: str) -> None:
    """Each candidate's dense cosine becomes the mean of its cosine with the query it was found with
    and with `text`: a thread's follow-up keeps its topic from the first and its point from the second."""
    vector = embed_query(embed_model, text)
    for node in nodes:
        if node.node.embedding is not None:
            own = float(np.dot(vector, np.asarray(node.node.embedding, dtype=np.float32)))
            node.node.metadata["dense"] = (node.node.metadata["dense"] + own) / 2


def _rows(result: dict, key: str, nested: bool = True) -> list:
    """result[key] (of the first query when nested), one item per id: None where Chroma gave nothing."""
    ids = result["ids"][0] if nested else result["ids"]
    rows = result.get(key)
    if rows is not None and nested:
        rows = rows[0] if len(rows) else None
    if rows is None:
        return [None] * len(ids)
    return list(rows) + [None] * (len(ids) - len(rows))
