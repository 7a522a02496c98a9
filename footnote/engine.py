"""Engine(settings): index(), ask(q) -> Answer, status(); the one door every front end uses."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from llama_index.core.schema import QueryBundle

from footnote.answering.answer import Answer, Citation
from footnote.answering.cite import choose_citations
from footnote.answering.compose import compose, refusal_text
from footnote.answering.late import TokenMatchReranker, supports_token_states
from footnote.answering.ranker import load_models
from footnote.answering.refuse import is_answered
from footnote.answering.select import SentenceSelector
from footnote.catalog import Catalog, IndexCorrupt
from footnote.embeddings import build_embedding
from footnote.gaps import GapLog
from footnote.indexer import IndexBusy, Indexer, IndexReport, Progress, pending_changes
from footnote.memory import limit_heaps, release_free_memory
from footnote.questions import clean_question
from footnote.retrieval import HybridRetriever, SentenceTable, rescore_dense
from footnote.settings import Settings
from footnote.store import IndexUnavailable, IndexWriteError, StoreView, get_collections
from footnote.uploads import Saved, save_upload

log = logging.getLogger(__name__)


def retrieval_query(question: str, context: str | None) -> str:
    """What is searched for: a thread's follow-up ("and for hotels?") is searched with the question it
    follows, and its own words then pick the sentence (the selector reads the question alone)."""
    return f"{context} {question}" if context else question


class Engine:
    """Owns the model, the store and the in-memory sentence table; thread-safe for ask, serialised index."""

    def __init__(self, settings: Settings, embed_model=None) -> None:
        """`embed_model` lets tests and benches share one loaded model; by default EMBED_MODEL is built."""
        limit_heaps()  # before the model's, Chroma's and the bot's threads start allocating
        self.settings = settings
        self._index_lock = threading.Lock()
        self._load_lock = threading.RLock()  # the table load asks for the model under the same lock
        self._embed_model = embed_model
        self._store = StoreView(settings)
        self._table: SentenceTable | None = None
        self._catalog: Catalog | None = None  # the catalog as last read, with the file stamp it had
        self._catalog_stamp: int | None = None
        self._models = load_models()
        self.gaps = GapLog(settings.gaps_path)
        self.llm = None  # ANSWER_MODE=llm: answering/llm.py phrases what the classifier answers
        if settings.answer_mode == "llm":
            from footnote.answering.llm import LLMAnswerer

            self.llm = LLMAnswerer(settings)

    # -- loading -------------------------------------------------------------------------------
    @property
    def embed_model(self):
        if self._embed_model is None:
            with self._load_lock:
                if self._embed_model is None:
                    self._embed_model = build_embedding(self.settings)
        return self._embed_model

    def _collections(self, fresh: bool = False):
        """(chunks, sentences) from a client that has seen the index as of the catalog last read."""
        client = self._store.client(self._catalog_stamp, fresh)
        try:
            return get_collections(client, self.embed_model.model_name)
        except Exception as exc:
            where = (
                f"the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port}"
                if self.settings.chroma_host
                else f"the index in {self.settings.index_dir}"
            )
            raise IndexUnavailable(
                f"{where} is unavailable ({exc.__class__.__name__}): check that it is running and reachable"
            ) from exc

    def _catalog_path(self) -> Path:
        return self.settings.index_dir / "catalog.json"

    def _stamp(self) -> tuple[int, int, int] | None:
        """Identifies the catalog file: every commit replaces it (a new inode, mtime and size)."""
        try:
            st = self._catalog_path().stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _current_catalog(self) -> Catalog:
        """The catalog, read again only when its file changed (another process or /reindex wrote it).

        The watch loop asks for it every few seconds: on a big index a parse each time would not do."""
        stamp = self._stamp()
        if self._catalog is None or stamp != self._catalog_stamp:
            with self._load_lock:
                if self._catalog is None or stamp != self._catalog_stamp:
                    self._catalog = Catalog.load(self.settings.index_dir, self.embed_model.model_name)
                    self._catalog_stamp = stamp
        return self._catalog

    def _current_table(self) -> SentenceTable:
        """The sentence table of the current catalog, reusing unchanged articles of the last one."""
        catalog = self._current_catalog()
        if self._table is None or self._table.catalog is not catalog:
            with self._load_lock:
                if self._table is None or self._table.catalog is not catalog:
                    self._table = SentenceTable(catalog, previous=self._table)
        return self._table

    def needs_index(self) -> bool:
        """Cheap (stat only): is the index empty, unreadable, or behind seeds/?"""
        try:
            catalog = self._current_catalog()
        except IndexCorrupt:
            return True
        if catalog.embed_model and catalog.embed_model != self.embed_model.model_name:
            return True
        return not catalog.entries or pending_changes(self.settings, catalog)

    def ensure_ready(self, show_bar: bool = True) -> IndexReport | None:
        """Load everything; index first when the index is empty or stale.

        When the update cannot run (another run holds the lock, the disk is full or read-only) but an
        index exists, say so and answer from the index as it is rather than not at all."""
        report = None
        if self.needs_index():
            try:
                report = self.index(show_bar=show_bar)
            except (IndexBusy, IndexWriteError) as exc:
                if not self._has_index():
                    raise
                log.warning("answering from the existing index: %s", exc)
                if isinstance(exc, IndexWriteError):
                    self._store.after_failed_write(self._stamp())
        self._current_table()
        return report

    def _has_index(self) -> bool:
        try:
            return bool(self._current_catalog().entries)
        except IndexCorrupt:
            return False

    # -- indexing ------------------------------------------------------------------------------
    def index(self, rebuild: bool = False, progress: Progress | None = None, show_bar: bool = True) -> IndexReport:
        with self._index_lock:
            indexer = Indexer(self.settings, self.embed_model, self._store_for_index_run)
            report = indexer.run(rebuild, progress, show_bar)
            # Take the catalog just written (not re-read) and build the table now, reusing unchanged
            # articles' tokens, so the next question pays nothing.
            with self._load_lock:
                self._catalog, self._catalog_stamp = indexer.catalog, self._stamp()
                self._table = SentenceTable(indexer.catalog, previous=self._table)
                self._store.wrote(indexer.client, self._catalog_stamp)
            release_free_memory()  # the old table and the run's garbage: else each update ratchets the size up
        return report

    def _store_for_index_run(self, rebuild: bool):
        """(client, catalog) for an index run, called under the index lock so nobody writes in between:
        a client that has seen every committed write (a stale one would write over them), and the
        catalog as last read when it is still the file on disk (else None: the run reads it)."""
        with self._load_lock:
            client = self._store.for_index_run(self._stamp(), self.embed_model.model_name, rebuild)
            stamp = self._stamp()  # None when a broken store was moved aside with its catalog
            current = self._catalog if self._catalog is not None and self._catalog_stamp == stamp else None
            return client, current

    def add_article(self, filename: str, data: bytes, replace: bool = False) -> tuple[Saved, IndexReport]:
        """Save an uploaded article under seeds/ (footnote.uploads: safe name, no silent overwrite,
        refused when it holds nothing to index), then index it. UploadRefused says why not."""
        saved = save_upload(self.settings, filename, data, replace=replace)
        return saved, self.index(show_bar=False)

    # -- answering -----------------------------------------------------------------------------
    def ask(self, question: str, context: str | None = None) -> Answer:
        started = time.perf_counter()
        question, problem = clean_question(question)
        if problem:
            return Answer(question, "", False, error=problem)
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return Answer(
                question[:200],
                "",
                False,
                error=f"the question is {len(question):,} characters, over the {limit:,} limit: shorten it",
            )
        try:
            table = self._current_table()
        except IndexCorrupt as exc:
            raise IndexUnavailable(str(exc)) from exc
        timings: dict[str, float] = {}
        asked, use_llm = question, self.llm is not None
        if context and use_llm:
            t = time.perf_counter()
            standalone = self.llm.standalone(question, context)
            timings["rewrite"] = (time.perf_counter() - t) * 1000
            if standalone is None:
                use_llm = False  # the endpoint failed once: the offline path for the rest of this question
            else:  # the previous question still joins the search text: a rewrite that lost it costs nothing
                question = standalone
        query = retrieval_query(question, context)
        t = time.perf_counter()
        candidates = self.candidates(question, context, table)
        timings["retrieve"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        selector = SentenceSelector(table, self._models.sentence, self.embed_model)
        ranked = selector.postprocess_nodes(candidates, query_str=question)
        timings["select"] = (time.perf_counter() - t) * 1000
        refusal = self._models.refusal_plain
        if self._models.rerank is not None and supports_token_states(self.embed_model):
            refusal = self._models.refusal
            t = time.perf_counter()
            # Matched against the text the dense scores were (with a thread's previous question), and
            # whose token states the retrieval pass left behind.
            ranked = TokenMatchReranker(self.embed_model, self._models.rerank).postprocess_nodes(
                ranked, query_str=query
            )
            timings["rerank"] = (time.perf_counter() - t) * 1000
        answer = self._decide(question, ranked, table, refusal)
        if use_llm and answer.found:  # the classifier's refusals stand; the model may only add its own
            t = time.perf_counter()
            answer = self.llm.answer(question, ranked, table, answer, lambda node: self._citations([node], table))
            timings["llm"] = (time.perf_counter() - t) * 1000
            if not answer.found:
                self.gaps.record(question, None, answer.closest)
        answer.question = asked
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = {k: round(v, 2) for k, v in timings.items()}
        return answer

    def _retrieve(self, table: SentenceTable, query: str):
        """Candidates for the query; an embedded store that fails is read again once before giving up
        (another process may have changed it after the catalog this table came from)."""
        for attempt in (1, 2):
            chunks, sentences = self._collections(fresh=attempt == 2)
            try:
                return HybridRetriever(table, self.embed_model, chunks, sentences).retrieve(QueryBundle(query))
            except IndexUnavailable:
                if attempt == 2 or self.settings.chroma_host:
                    raise
                log.warning("the index changed while answering: reading it again")

    def candidates(self, question: str, context: str | None = None, table: SentenceTable | None = None):
        """The retrieved candidate sentences of a question (before ranking), as NodeWithScore: what
        the ranker scores, here for `ask` and for scripts/fit_ranker.py."""
        table = table or self._current_table()
        nodes = self._retrieve(table, retrieval_query(question, context))
        if context:
            # The thread found the topic; the follow-up's own words say which sentence of it is asked for.
            rescore_dense(self.embed_model, nodes, question)
        return nodes

    @property
    def table(self) -> SentenceTable:
        """The in-memory sentence table of the current index."""
        return self._current_table()

    @property
    def models(self):
        """The fitted ranker and refusal models (answering/ranker.json)."""
        return self._models

    def _decide(self, question: str, ranked, table: SentenceTable, refusal) -> Answer:
        if not ranked:
            self.gaps.record(question, None, None)
            return Answer(question, refusal_text(None), False)
        entry = table.catalog.entries[ranked[0].node.metadata["source"]]
        answered, confidence = is_answered(ranked, question, table, refusal)
        if not answered:
            self.gaps.record(question, round(confidence, 4), entry.title)
            return Answer(question, refusal_text(entry.title), False, closest=entry.title)
        citations = self._citations(ranked, table)
        if not citations:
            return Answer(question, refusal_text(entry.title), False, closest=entry.title)
        return Answer(question, compose(question, citations), True, citations)

    def _citations(self, ranked, table: SentenceTable) -> list[Citation]:
        return choose_citations(ranked, table, self.settings.seeds_dir)

    # -- reporting -----------------------------------------------------------------------------
    def status(self) -> dict:
        table = self._current_table()
        chunks, _ = self._collections()
        return {
            "articles": len(table.catalog.entries),
            "sentences": len(table),
            "chunks": chunks.count(),
            "indexed_at": table.catalog.indexed_at or None,
            "embed_model": self.embed_model.model_name,
            "answer_mode": self.settings.answer_mode,
            **(self.llm.status() if self.llm is not None else {}),
        }

    def check_answering(self) -> None:
        """Raise when answering is broken (for /readyz): a real question, an indexed sentence's own
        text, retrieved and ranked as `ask` would (not logged as asked). The vector search must find
        that sentence: a store that errs, lost its vectors or went out of step with the catalog fails."""
        table = self._current_table()
        if not len(table):
            return
        row = len(table) // 2
        question = table.sentences[row].text[:300]
        candidates = self._retrieve(table, question)
        if not any(c.node.metadata["row"] == row and c.node.metadata["dense"] > 0 for c in candidates):
            raise IndexUnavailable(
                "the vector search does not find an indexed sentence by its own text: "
                "run `python bot.py index --rebuild`"
            )
        SentenceSelector(table, self._models.sentence, self.embed_model).postprocess_nodes(
            candidates, query_str=question
        )

    def sentence_context(self, source: str, n: int, before: int = 1, after: int = 1) -> list[tuple[int, str]]:
        entry = self._current_table().catalog.entries.get(source)
        if entry is None:
            return []
        return [(s.n, s.text) for s in entry.sentences if n - before <= s.n <= n + after]

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        self._store.close()
        self._table = None
        self._catalog = None
